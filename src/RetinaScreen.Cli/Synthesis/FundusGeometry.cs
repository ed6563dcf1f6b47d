namespace RetinaScreen.Cli.Synthesis;

/// <summary>
/// Where things are in one synthetic photograph. All anatomy is placed relative to the circular field so that an
/// off-centre capture moves the whole retina, as it does when the camera points past the pupil.
/// </summary>
/// <remarks>
/// Convention (macula-centred 45° photograph, image as seen by the examiner facing the patient, not mirrored):
/// the optic disc lies nasal to the fovea, so for a right eye ("R") it appears to the RIGHT of the fovea and for a
/// left eye ("L") to the LEFT, about 2.5 disc diameters away and slightly above the horizontal meridian.
/// </remarks>
/// <param name="Scale">Lesion and vessel size scale: 1 for a 768-pixel frame with a typical field.</param>
internal sealed record FundusGeometry(
    double FieldX,
    double FieldY,
    double FieldRadius,
    double FoveaX,
    double FoveaY,
    double DiscX,
    double DiscY,
    double DiscDiameter,
    double Scale)
{
    /// <summary>+1 when temporal is towards larger x (left eye), −1 otherwise.</summary>
    public double TemporalSign => FoveaX > DiscX ? 1 : -1;

    public static FundusGeometry Create(Random rng, int size, string laterality, double fieldShiftX, double fieldShiftY)
    {
        var radius = size * (0.43 + rng.NextDouble() * 0.05);
        var fieldX = size / 2.0 + (rng.NextDouble() - 0.5) * size * 0.03 + fieldShiftX * size;
        var fieldY = size / 2.0 + (rng.NextDouble() - 0.5) * size * 0.03 + fieldShiftY * size;
        var dd = radius * (0.2 + rng.NextDouble() * 0.04);
        var foveaX = fieldX + (rng.NextDouble() - 0.5) * radius * 0.08;
        var foveaY = fieldY + (rng.NextDouble() - 0.5) * radius * 0.08;
        var nasal = laterality == "R" ? 1 : -1;
        var discX = foveaX + nasal * dd * (2.3 + rng.NextDouble() * 0.4);
        var discY = foveaY - dd * (0.1 + rng.NextDouble() * 0.25);
        return new FundusGeometry(fieldX, fieldY, radius, foveaX, foveaY, discX, discY, dd, radius / 353.0);
    }

    public double DistanceToFovea(double x, double y) => Math.Sqrt((x - FoveaX) * (x - FoveaX) + (y - FoveaY) * (y - FoveaY));

    public double DistanceToDisc(double x, double y) => Math.Sqrt((x - DiscX) * (x - DiscX) + (y - DiscY) * (y - DiscY));

    public double DistanceToFieldCentre(double x, double y) => Math.Sqrt((x - FieldX) * (x - FieldX) + (y - FieldY) * (y - FieldY));

    public bool InField(double x, double y, double margin = 0.92) => DistanceToFieldCentre(x, y) < FieldRadius * margin;
}
