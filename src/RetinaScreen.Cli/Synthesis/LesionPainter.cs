namespace RetinaScreen.Cli.Synthesis;

/// <summary>Paints the lesions of diabetic retinopathy, sized in units of a 768-pixel frame.</summary>
internal sealed class LesionPainter
{
    private static readonly Rgb Microaneurysm = new(125, 12, 18);
    private static readonly Rgb Haemorrhage = new(115, 10, 14);
    private static readonly Rgb FlameHaemorrhage = new(140, 18, 18);
    private static readonly Rgb HardExudate = new(246, 226, 118);
    private static readonly Rgb CottonWool = new(236, 226, 205);
    private static readonly Rgb PreretinalBlood = new(105, 6, 8);

    private readonly FundusCanvas _canvas;
    private readonly FundusGeometry _geo;
    private readonly Random _rng;

    public LesionPainter(FundusCanvas canvas, FundusGeometry geometry, Random rng)
    {
        _canvas = canvas;
        _geo = geometry;
        _rng = rng;
    }

    /// <summary>Red-lesion pixels painted so far (opacity above one half); tests use it to check grade scaling.</summary>
    public int RedLesionCount { get; private set; }

    public void Microaneurysms(int count)
    {
        var u = _geo.Scale;
        for (var i = 0; i < count; i++)
        {
            // Microaneurysms cluster in the posterior pole.
            var (x, y) = PosteriorPolePoint(0.15, 0.6);
            _canvas.Disc(x, y, (1.6 + _rng.NextDouble() * 1.4) * u, Microaneurysm, 0.9, 0.6 * u);
            RedLesionCount++;
        }
    }

    /// <summary>Dot and blot haemorrhages, optionally spread over all four quadrants (the 4-2-1 rule's sign).</summary>
    public void DotBlotHaemorrhages(int count, bool allQuadrants)
    {
        var u = _geo.Scale;
        for (var i = 0; i < count; i++)
        {
            var (x, y) = allQuadrants ? QuadrantPoint(i % 4) : PosteriorPolePoint(0.15, 0.75);
            if (_rng.NextDouble() < 0.55)
            {
                _canvas.Disc(x, y, (2.8 + _rng.NextDouble() * 2.2) * u, Haemorrhage, 0.88, 0.8 * u);
            }
            else
            {
                // A blot is irregular: a few overlapping lobes.
                var lobes = 2 + _rng.Next(3);
                var size = (4.5 + _rng.NextDouble() * 5) * u;
                for (var k = 0; k < lobes; k++)
                {
                    _canvas.Disc(x + (_rng.NextDouble() - 0.5) * size, y + (_rng.NextDouble() - 0.5) * size,
                        size * (0.6 + _rng.NextDouble() * 0.4), Haemorrhage, 0.82, 1.5 * u);
                }
            }

            RedLesionCount++;
        }
    }

    /// <summary>Flame haemorrhages lie in the nerve fibre layer, so they point radially away from the disc.</summary>
    public void FlameHaemorrhages(int count)
    {
        var u = _geo.Scale;
        for (var i = 0; i < count; i++)
        {
            var (x, y) = PosteriorPolePoint(0.2, 0.8);
            var angle = Math.Atan2(y - _geo.DiscY, x - _geo.DiscX);
            _canvas.Ellipse(x, y, (9 + _rng.NextDouble() * 10) * u, (2.2 + _rng.NextDouble() * 2) * u, angle, FlameHaemorrhage, 0.8, 1.2 * u);
            RedLesionCount++;
        }
    }

    /// <summary>Clusters of hard exudates; <paramref name="nearFovea"/> places them within one disc diameter of the fovea (DME).</summary>
    public void HardExudates(int clusters, bool nearFovea)
    {
        var u = _geo.Scale;
        for (var c = 0; c < clusters; c++)
        {
            double cx, cy;
            if (nearFovea)
            {
                var angle = _rng.NextDouble() * Math.PI * 2;
                var dist = (0.15 + _rng.NextDouble() * 0.75) * _geo.DiscDiameter;
                cx = _geo.FoveaX + Math.Cos(angle) * dist;
                cy = _geo.FoveaY + Math.Sin(angle) * dist;
            }
            else
            {
                // Outside the macula: at least 1.6 disc diameters from the fovea, so the truth stays "no DME".
                do
                {
                    (cx, cy) = PosteriorPolePoint(0.3, 0.8);
                }
                while (_geo.DistanceToFovea(cx, cy) < 1.6 * _geo.DiscDiameter);
            }

            var spread = (10 + _rng.NextDouble() * 22) * u;
            var spots = 6 + _rng.Next(20);
            var ring = _rng.NextDouble() < 0.35;
            for (var s = 0; s < spots; s++)
            {
                var angle = _rng.NextDouble() * Math.PI * 2;
                // Circinate rings surround a leaking focus; otherwise spots scatter around a centre.
                var dist = ring ? spread * (0.8 + _rng.NextDouble() * 0.3) : spread * Math.Sqrt(_rng.NextDouble());
                var x = cx + Math.Cos(angle) * dist;
                var y = cy + Math.Sin(angle) * dist;
                if (!nearFovea && _geo.DistanceToFovea(x, y) < 1.3 * _geo.DiscDiameter)
                {
                    continue;
                }

                _canvas.Disc(x, y, (1.5 + _rng.NextDouble() * 2.8) * u, HardExudate, 0.92, 0.5 * u);
            }
        }
    }

    public void CottonWoolSpots(int count)
    {
        var u = _geo.Scale;
        for (var i = 0; i < count; i++)
        {
            // Nerve fibre layer infarcts: along the arcades, near the disc.
            var angle = Math.Atan2(_rng.NextDouble() < 0.5 ? -1 : 1, _geo.TemporalSign * (_rng.NextDouble() - 0.2));
            var dist = (0.8 + _rng.NextDouble() * 2.2) * _geo.DiscDiameter;
            var x = _geo.DiscX + Math.Cos(angle) * dist;
            var y = _geo.DiscY + Math.Sin(angle) * dist;
            var size = (8 + _rng.NextDouble() * 9) * u;
            for (var k = 0; k < 3; k++)
            {
                _canvas.Ellipse(x + (_rng.NextDouble() - 0.5) * size * 0.6, y + (_rng.NextDouble() - 0.5) * size * 0.6,
                    size, size * (0.55 + _rng.NextDouble() * 0.3), _rng.NextDouble() * Math.PI, CottonWool, 0.4, size * 0.5);
            }
        }
    }

    /// <summary>Pre-retinal (sub-hyaloid) haemorrhage: boat-shaped, with a flat fluid level on top.</summary>
    public void PreretinalHaemorrhage()
    {
        var u = _geo.Scale;
        var (cx, cy) = PosteriorPolePoint(0.25, 0.6);
        var radius = (0.6 + _rng.NextDouble() * 0.8) * _geo.DiscDiameter;
        var level = cy - radius * (0.1 + _rng.NextDouble() * 0.3);
        var (x0, x1, y0, y1) = _canvas.Clip(cx - radius - 2, cx + radius + 2, level - 2, cy + radius + 2);
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var d = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
                var a = FundusCanvas.SmoothStep(radius + 1.5 * u, radius - 1.5 * u, d) * FundusCanvas.SmoothStep(level - 1, level + 1, y) * 0.92;
                if (a > 0.002)
                {
                    _canvas.Blend(y * _canvas.Width + x, PreretinalBlood, (float)a);
                }
            }
        }

        RedLesionCount += 10;
    }

    private (double X, double Y) PosteriorPolePoint(double minFrac, double maxFrac)
    {
        while (true)
        {
            var angle = _rng.NextDouble() * Math.PI * 2;
            var dist = (minFrac + _rng.NextDouble() * (maxFrac - minFrac)) * _geo.FieldRadius;
            var x = _geo.FoveaX + Math.Cos(angle) * dist;
            var y = _geo.FoveaY + Math.Sin(angle) * dist;
            if (_geo.InField(x, y, 0.9) && _geo.DistanceToDisc(x, y) > 0.7 * _geo.DiscDiameter)
            {
                return (x, y);
            }
        }
    }

    private (double X, double Y) QuadrantPoint(int quadrant)
    {
        while (true)
        {
            var angle = (quadrant + _rng.NextDouble()) * Math.PI / 2;
            var dist = (0.2 + _rng.NextDouble() * 0.65) * _geo.FieldRadius;
            var x = _geo.FoveaX + Math.Cos(angle) * dist;
            var y = _geo.FoveaY + Math.Sin(angle) * dist;
            if (_geo.InField(x, y, 0.9) && _geo.DistanceToDisc(x, y) > 0.7 * _geo.DiscDiameter)
            {
                return (x, y);
            }
        }
    }
}
