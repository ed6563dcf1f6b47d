using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>
/// Synthetic colour fundus photographs with known diabetic-retinopathy ground truth, deterministic for a seed.
/// </summary>
/// <remarks>
/// Three independent random streams are derived from the seed: decisions and anatomy, lesions, and camera. So the
/// same seed rendered at two grades shows the same eye through the same camera, differing only in its lesions —
/// which makes lesion effects measurable and lets tests compare counterfactual images.
/// Lesion sizes are in pixels of a 768-pixel frame and scale with the field radius.
/// </remarks>
public static class FundusSynthesizer
{
    private static readonly double[] DmeProbabilityByGrade = [0, 0.12, 0.3, 0.45, 0.45];

    private static readonly QualityDefect[] Defects =
    [
        QualityDefect.Blur, QualityDefect.UnderExposure, QualityDefect.OverExposure, QualityDefect.LashArtifact, QualityDefect.OffCentre,
    ];

    public static SyntheticFundus Generate(int seed) => Generate(seed, FundusSpec.Default);

    public static SyntheticFundus Generate(int seed, FundusSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Size, 64, nameof(spec));
        if (spec.Grade is < 0 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.Grade, "ICDR grade must be 0–4.");
        }

        if (spec.Grade == 0 && spec.Dme == true)
        {
            throw new ArgumentException("DME without any retinopathy (grade 0) is not synthesised.", nameof(spec));
        }

        if (spec.Laterality is not (null or "R" or "L"))
        {
            throw new ArgumentException("Laterality must be \"R\" or \"L\".", nameof(spec));
        }

        var rng = new Random(seed);
        // Every decision is drawn whether or not the spec overrides it, so overriding one keeps the others.
        var gradeDraw = rng.NextDouble();
        var dmeDraw = rng.NextDouble();
        var defectDraw = rng.NextDouble();
        var defectKind = rng.Next(Defects.Length);
        var lateralityDraw = rng.NextDouble();
        var shiftAngle = rng.NextDouble() * Math.PI * 2;
        var shiftMagnitude = 0.27 + rng.NextDouble() * 0.1;

        var grade = spec.Grade ?? DrawGrade(gradeDraw, spec.GradeWeights);
        var dme = spec.Dme ?? (dmeDraw < DmeProbabilityByGrade[grade]);
        var defect = spec.Defect ?? (defectDraw < spec.UngradableFraction ? Defects[defectKind] : QualityDefect.None);
        var laterality = spec.Laterality ?? (lateralityDraw < 0.5 ? "R" : "L");

        var shift = defect == QualityDefect.OffCentre ? shiftMagnitude : 0;
        var geo = FundusGeometry.Create(rng, spec.Size, laterality, Math.Cos(shiftAngle) * shift, Math.Sin(shiftAngle) * shift);
        var lesionRng = new Random(DeriveSeed(seed, 0x1E51));
        var cameraRng = new Random(DeriveSeed(seed, 0xCA3E));

        var canvas = new FundusCanvas(spec.Size, spec.Size);
        PaintRetina(canvas, geo, rng);
        var vessels = new VesselPainter(canvas, geo, rng) { VenousBeading = grade >= 3 && lesionRng.NextDouble() < 0.75 };
        vessels.GrowTree();
        PaintOpticDisc(canvas, geo, rng);
        vessels.UseRandom(lesionRng);
        var lesions = new LesionPainter(canvas, geo, lesionRng);
        PaintRetinopathy(grade, dme, vessels, lesions, lesionRng);

        var camera = CameraSettings.Draw(cameraRng);
        ApplyOptics(canvas, geo, camera, defect, cameraRng);

        var truth = new FundusTruth(grade, grade >= 2 || dme, dme, defect == QualityDefect.None, defect.ToLabel(), laterality, seed);
        return new SyntheticFundus(canvas.ToFrame(), truth);
    }

    /// <summary>A seed for a sub-stream: a SplitMix64 step, stable across processes (unlike HashCode).</summary>
    internal static int DeriveSeed(int seed, int stream)
    {
        var z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    private static int DrawGrade(double draw, IReadOnlyList<double> weights)
    {
        if (weights.Count != 5)
        {
            throw new ArgumentException("Grade weights must list grades 0–4.", nameof(weights));
        }

        var total = weights.Sum();
        var acc = 0.0;
        for (var g = 0; g < 5; g++)
        {
            acc += weights[g] / total;
            if (draw < acc)
            {
                return g;
            }
        }

        return 4;
    }

    private static void PaintRetina(FundusCanvas canvas, FundusGeometry geo, Random rng)
    {
        var pigment = 0.82 + rng.NextDouble() * 0.3;
        var orange = 0.85 + rng.NextDouble() * 0.3;
        var baseColour = new Rgb(208, 92 * (float)orange, 40 * (float)orange).Scale(pigment);
        var coarse = new ValueNoise(rng, canvas.Width, 42 * geo.Scale);
        var fine = new ValueNoise(rng, canvas.Width, 11 * geo.Scale);
        for (var y = 0; y < canvas.Height; y++)
        {
            for (var x = 0; x < canvas.Width; x++)
            {
                // Choroidal texture: mottled, slightly stronger in green where the pigment varies.
                var n = coarse.Sample(x, y) * 0.09 + fine.Sample(x, y) * 0.04;
                var i = y * canvas.Width + x;
                canvas.R[i] = baseColour.R * (float)(1 + n * 0.7);
                canvas.G[i] = baseColour.G * (float)(1 + n * 1.2);
                canvas.B[i] = baseColour.B * (float)(1 + n);
            }
        }

        // Macula: the luteal pigment darkens the posterior pole; the fovea is darker still, with a small reflex.
        canvas.Darken(geo.FoveaX, geo.FoveaY, 0.95 * geo.DiscDiameter, 0.2 + rng.NextDouble() * 0.08);
        canvas.Darken(geo.FoveaX, geo.FoveaY, 0.25 * geo.DiscDiameter, 0.15 + rng.NextDouble() * 0.08);
        canvas.Disc(geo.FoveaX, geo.FoveaY, 1.8 * geo.Scale, new Rgb(250, 215, 170), 0.45, 1.2 * geo.Scale);
    }

    private static void PaintOpticDisc(FundusCanvas canvas, FundusGeometry geo, Random rng)
    {
        var r = geo.DiscDiameter / 2;
        var tilt = Math.PI / 2 + (rng.NextDouble() - 0.5) * 0.3;
        var rim = new Rgb(242, 178 + (float)(rng.NextDouble() * 25), 105);
        canvas.Ellipse(geo.DiscX, geo.DiscY, r * 1.25, r * 1.12, tilt, new Rgb(230, 150, 90), 0.3, r * 0.25);
        canvas.Ellipse(geo.DiscX, geo.DiscY, r * 1.07, r, tilt, rim, 0.82, 3 * geo.Scale);
        // The cup sits slightly temporal in the disc and is paler.
        var cupRatio = 0.25 + rng.NextDouble() * 0.2;
        canvas.Ellipse(geo.DiscX + geo.TemporalSign * r * 0.12, geo.DiscY, r * cupRatio * 1.1, r * cupRatio, tilt,
            new Rgb(252, 228, 180), 0.7, 4 * geo.Scale);
        // Vessels are re-drawn faintly over the disc where they emerge from the cup.
        canvas.Disc(geo.DiscX, geo.DiscY, 2.5 * geo.Scale, new Rgb(150, 40, 35), 0.5, 1.5 * geo.Scale);
    }

    private static void PaintRetinopathy(int grade, bool dme, VesselPainter vessels, LesionPainter lesions, Random rng)
    {
        switch (grade)
        {
            case 1:
                lesions.Microaneurysms(rng.Next(3, 13));
                break;
            case 2:
                lesions.Microaneurysms(rng.Next(8, 26));
                lesions.DotBlotHaemorrhages(rng.Next(4, 17), allQuadrants: false);
                lesions.FlameHaemorrhages(rng.Next(0, 5));
                if (rng.NextDouble() < 0.6)
                {
                    lesions.HardExudates(rng.Next(1, 4), nearFovea: false);
                }

                lesions.CottonWoolSpots(rng.Next(0, 4));
                break;
            case 3:
                vessels.AddIrma(rng.Next(3, 9));
                SevereNonProliferative(lesions, rng, haemorrhages: rng.Next(80, 121));
                break;
            case 4:
                var nvd = rng.NextDouble() < 0.8;
                vessels.AddNeovascularisation(nvd ? rng.Next(25, 51) : 0, nvd ? rng.Next(0, 3) : rng.Next(1, 4));
                SevereNonProliferative(lesions, rng, haemorrhages: rng.Next(30, 91));
                break;
        }

        vessels.Composite(new Rgb(178, 45, 35), new Rgb(118, 22, 24), new Rgb(190, 40, 40));
        // Blood in front of the retina hides the vessels, so it is painted after them.
        if (grade == 4 && rng.NextDouble() < 0.6)
        {
            lesions.PreretinalHaemorrhage();
        }

        if (dme)
        {
            lesions.HardExudates(rng.Next(2, 5), nearFovea: true);
        }
    }

    private static void SevereNonProliferative(LesionPainter lesions, Random rng, int haemorrhages)
    {
        lesions.Microaneurysms(rng.Next(15, 41));
        lesions.DotBlotHaemorrhages(haemorrhages, allQuadrants: true);
        lesions.FlameHaemorrhages(rng.Next(3, 9));
        if (rng.NextDouble() < 0.7)
        {
            lesions.HardExudates(rng.Next(1, 5), nearFovea: false);
        }

        lesions.CottonWoolSpots(rng.Next(2, 7));
    }

    private static void ApplyOptics(FundusCanvas canvas, FundusGeometry geo, CameraSettings camera, QualityDefect defect, Random rng)
    {
        var u = geo.Scale;
        var lash = defect == QualityDefect.LashArtifact ? LashShadow.Draw(rng, geo) : null;
        for (var y = 0; y < canvas.Height; y++)
        {
            for (var x = 0; x < canvas.Width; x++)
            {
                var i = y * canvas.Width + x;
                var d = geo.DistanceToFieldCentre(x, y) / geo.FieldRadius;
                // Illumination falls off towards the rim, with a slight tilt across the field.
                var light = (1 - 0.32 * d * d * d) * (1 + camera.Tilt * (x - geo.FieldX) / geo.FieldRadius);
                var aperture = FundusCanvas.SmoothStep(1, 1 - 4 * u / geo.FieldRadius, d);
                var f = (float)(light * aperture * (lash?.Transmission(x, y) ?? 1));
                canvas.R[i] = canvas.R[i] * f + 3;
                canvas.G[i] = canvas.G[i] * f + 3;
                canvas.B[i] = canvas.B[i] * f + 3;
            }
        }

        // Every camera has some optical softness; the blur defect is a gross defocus on top.
        canvas.BoxBlur(1, 1);
        if (defect == QualityDefect.Blur)
        {
            canvas.BoxBlur((int)Math.Round((6 + rng.NextDouble() * 5) * u), 3);
        }

        var gain = camera.Brightness * defect switch
        {
            QualityDefect.UnderExposure => 0.12 + rng.NextDouble() * 0.1,
            QualityDefect.OverExposure => 2.4 + rng.NextDouble() * 0.8,
            _ => 1,
        };
        var lift = defect == QualityDefect.OverExposure ? 25 + rng.NextDouble() * 30 : 0;
        var gains = new[] { camera.RedGain * gain, camera.GreenGain * gain, camera.BlueGain * gain };
        var planes = new[] { canvas.R, canvas.G, canvas.B };
        for (var c = 0; c < 3; c++)
        {
            var plane = planes[c];
            var g = (float)gains[c];
            for (var i = 0; i < plane.Length; i++)
            {
                var v = plane[i] * g;
                // Gamma on the normalised value, then additive sensor noise.
                v = (float)(255 * Math.Pow(Math.Clamp(v / 255, 0, 1), camera.Gamma));
                var inField = v > 8 ? 1f : 0.4f;
                plane[i] = v + (float)(lift * Math.Min(1, v / 20)) + inField * (float)((rng.NextDouble() + rng.NextDouble() - 1) * camera.Noise);
            }
        }
    }

    /// <summary>Per-capture camera variation: colour cast, exposure, gamma, uneven illumination and sensor noise.</summary>
    private sealed record CameraSettings(double RedGain, double GreenGain, double BlueGain, double Brightness, double Gamma, double Tilt, double Noise)
    {
        public static CameraSettings Draw(Random rng) => new(
            RedGain: 0.92 + rng.NextDouble() * 0.16,
            GreenGain: 0.88 + rng.NextDouble() * 0.24,
            BlueGain: 0.8 + rng.NextDouble() * 0.4,
            Brightness: 0.85 + rng.NextDouble() * 0.27,
            Gamma: 0.9 + rng.NextDouble() * 0.2,
            Tilt: (rng.NextDouble() - 0.5) * 0.16,
            Noise: 2 + rng.NextDouble() * 3);
    }

    /// <summary>Eyelid and lash shadow: a dark band entering the field from the top or bottom with a wavy edge.</summary>
    private sealed record LashShadow(double EdgeY, double Direction, double Wave, double Phase, double Softness, double Floor)
    {
        public static LashShadow Draw(Random rng, FundusGeometry geo) => new(
            EdgeY: geo.FieldY + (rng.NextDouble() < 0.5 ? -1 : 1) * geo.FieldRadius * (rng.NextDouble() * 0.2),
            Direction: rng.NextDouble() < 0.5 ? -1 : 1,
            Wave: geo.FieldRadius * (0.04 + rng.NextDouble() * 0.06),
            Phase: rng.NextDouble() * Math.PI * 2,
            Softness: geo.FieldRadius * (0.04 + rng.NextDouble() * 0.05),
            Floor: 0.04 + rng.NextDouble() * 0.1);

        public double Transmission(int x, int y)
        {
            var edge = EdgeY + Wave * Math.Sin(x / (Wave * 3) + Phase);
            var into = (y - edge) * Direction;
            return Floor + (1 - Floor) * FundusCanvas.SmoothStep(Softness, -Softness, into);
        }
    }
}
