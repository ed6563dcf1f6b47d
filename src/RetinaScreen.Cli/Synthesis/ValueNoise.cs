namespace RetinaScreen.Cli.Synthesis;

/// <summary>Smooth value noise in [-1, 1] on a square lattice: cheap texture for the choroid.</summary>
internal sealed class ValueNoise
{
    private readonly float[] _lattice;
    private readonly int _cells;
    private readonly double _cellSize;

    public ValueNoise(Random rng, int extent, double cellSize)
    {
        _cellSize = Math.Max(cellSize, 2);
        _cells = (int)Math.Ceiling(extent / _cellSize) + 2;
        _lattice = new float[_cells * _cells];
        for (var i = 0; i < _lattice.Length; i++)
        {
            _lattice[i] = (float)(rng.NextDouble() * 2 - 1);
        }
    }

    public double Sample(int x, int y)
    {
        var fx = x / _cellSize;
        var fy = y / _cellSize;
        var ix = (int)fx;
        var iy = (int)fy;
        var tx = Fade(fx - ix);
        var ty = Fade(fy - iy);
        var a = _lattice[iy * _cells + ix];
        var b = _lattice[iy * _cells + ix + 1];
        var c = _lattice[(iy + 1) * _cells + ix];
        var d = _lattice[(iy + 1) * _cells + ix + 1];
        return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
    }

    private static double Fade(double t) => t * t * (3 - 2 * t);
}
