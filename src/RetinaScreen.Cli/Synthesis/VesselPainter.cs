namespace RetinaScreen.Cli.Synthesis;

/// <summary>
/// Grows and paints the retinal vessel tree: four arcade trunks (artery and vein, superior and inferior) that curve
/// around the macula, nasal trunks, and recursive side branches. Each class of vessel is painted into its own
/// max-opacity layer first so overlapping segments do not darken twice, then composited once.
/// </summary>
internal sealed class VesselPainter
{
    private readonly FundusCanvas _canvas;
    private readonly FundusGeometry _geo;
    private Random _rng;
    private readonly float[] _arteries;
    private readonly float[] _veins;
    private readonly float[] _fine;

    public VesselPainter(FundusCanvas canvas, FundusGeometry geometry, Random rng)
    {
        _canvas = canvas;
        _geo = geometry;
        _rng = rng;
        _arteries = new float[canvas.Width * canvas.Height];
        _veins = new float[canvas.Width * canvas.Height];
        _fine = new float[canvas.Width * canvas.Height];
    }

    /// <summary>Switches the random stream, so lesion vessels (IRMA, new vessels) never disturb the anatomy's stream.</summary>
    public void UseRandom(Random rng) => _rng = rng;

    /// <summary>Venous beading: sausage-like calibre changes on veins (a severe NPDR sign).</summary>
    public bool VenousBeading { get; init; }

    public void GrowTree()
    {
        var u = _geo.Scale;
        var temporal = _geo.TemporalSign;
        foreach (var vertical in new[] { -1.0, 1.0 })
        {
            // Arcades leave the disc vertically, then bend temporally around the macula.
            var heading = Math.Atan2(vertical, temporal * 0.35);
            GrowArcade(heading, vertical, isVein: true, width: 6.5 * u * Jitter(0.12));
            GrowArcade(heading + vertical * temporal * 0.25, vertical, isVein: false, width: 5.0 * u * Jitter(0.12));

            // Nasal trunks head away from the macula.
            var nasalHeading = Math.Atan2(vertical * (0.6 + _rng.NextDouble() * 0.6), -temporal);
            Grow(_geo.DiscX, _geo.DiscY, nasalHeading, 4.2 * u * Jitter(0.15), isVein: true, depth: 1, wander: 0.12);
            Grow(_geo.DiscX, _geo.DiscY, nasalHeading + 0.3 * vertical, 3.4 * u * Jitter(0.15), isVein: false, depth: 1, wander: 0.12);
        }

        // Small macular branches that reach towards, but never into, the foveal avascular zone.
        for (var i = 0; i < 3; i++)
        {
            var heading = Math.Atan2((_rng.NextDouble() - 0.5) * 0.8, temporal);
            Grow(_geo.DiscX, _geo.DiscY, heading, 2.2 * u * Jitter(0.2), isVein: i % 2 == 0, depth: 2, wander: 0.18);
        }
    }

    /// <summary>Intraretinal microvascular abnormalities: short, tortuous, thin vessels in the mid-periphery.</summary>
    public void AddIrma(int count)
    {
        var u = _geo.Scale;
        for (var i = 0; i < count; i++)
        {
            var (x, y) = RandomPoint(0.3, 0.8);
            Tortuous(x, y, 0.12 * _geo.FieldRadius, 1.4 * u, curl: 0.45, _arteries, 0.8f);
        }
    }

    /// <summary>Neovascularisation: fine tangled new vessels at the disc (NVD) and along the arcades (NVE).</summary>
    public void AddNeovascularisation(int atDisc, int elsewhere)
    {
        var u = _geo.Scale;
        for (var i = 0; i < atDisc; i++)
        {
            var angle = _rng.NextDouble() * Math.PI * 2;
            var dist = _rng.NextDouble() * 0.7 * _geo.DiscDiameter;
            Tortuous(_geo.DiscX + Math.Cos(angle) * dist, _geo.DiscY + Math.Sin(angle) * dist,
                (0.4 + _rng.NextDouble() * 0.6) * _geo.DiscDiameter, 1.1 * u, curl: 0.7, _fine, 0.9f);
        }

        for (var i = 0; i < elsewhere; i++)
        {
            var (x, y) = RandomPoint(0.35, 0.75);
            for (var k = 0; k < 10; k++)
            {
                Tortuous(x + (_rng.NextDouble() - 0.5) * 20 * u, y + (_rng.NextDouble() - 0.5) * 20 * u,
                    0.35 * _geo.DiscDiameter, 1.0 * u, curl: 0.75, _fine, 0.85f);
            }
        }
    }

    /// <summary>Composites the vessel layers onto the canvas.</summary>
    public void Composite(Rgb artery, Rgb vein, Rgb fine)
    {
        for (var i = 0; i < _veins.Length; i++)
        {
            if (_veins[i] > 0)
            {
                _canvas.Blend(i, vein, _veins[i]);
            }

            if (_arteries[i] > 0)
            {
                _canvas.Blend(i, artery, _arteries[i]);
            }

            if (_fine[i] > 0)
            {
                _canvas.Blend(i, fine, _fine[i]);
            }
        }
    }

    private void GrowArcade(double heading, double vertical, bool isVein, double width)
    {
        var x = _geo.DiscX;
        var y = _geo.DiscY;
        var step = 4.0 * _geo.Scale;
        var arcRadius = _geo.DiscDiameter * (2.0 + _rng.NextDouble() * 0.5);
        var layer = isVein ? _veins : _arteries;
        var phase = _rng.NextDouble() * Math.PI * 2;
        var travelled = 0.0;
        var nextBranch = NextBranchDistance();
        // Rotation sense around the fovea fixed so that the trunk leaves the disc going up (or down).
        var sense = vertical * Math.Sign(_geo.DiscX - _geo.FoveaX);
        while (width > 0.8 * _geo.Scale && _geo.InField(x, y, 0.99) && travelled < 3 * _geo.FieldRadius)
        {
            // Steer along a circle around the fovea whose radius grows with distance travelled, so the arcade
            // sweeps around the macula and then runs out towards the temporal periphery.
            var fx = x - _geo.FoveaX;
            var fy = y - _geo.FoveaY;
            var r = Math.Sqrt(fx * fx + fy * fy) + 1e-6;
            var tangentX = -sense * fy / r;
            var tangentY = sense * fx / r;
            var target = arcRadius + travelled * 0.25;
            var radial = Math.Clamp((target - r) / target, -0.6, 0.6);
            // Past the temporal side of the macula the arcade stops wrapping and runs out to the periphery.
            if ((x - _geo.FoveaX) * _geo.TemporalSign > 0.5 * arcRadius)
            {
                radial = 0.8;
            }

            var desired = Math.Atan2(tangentY + fy / r * radial, tangentX + fx / r * radial);
            heading += AngleDelta(heading, desired) * (travelled < 0.7 * _geo.DiscDiameter ? 0.04 : 0.12);
            heading += (_rng.NextDouble() - 0.5) * 0.1;

            var nx = x + Math.Cos(heading) * step;
            var ny = y + Math.Sin(heading) * step;
            Paint(layer, x, y, nx, ny, BeadedWidth(width, isVein, travelled, phase), isVein ? 0.85f : 0.75f);
            x = nx;
            y = ny;
            travelled += step;
            width *= 0.9985;
            if (travelled > nextBranch)
            {
                nextBranch = travelled + NextBranchDistance();
                var side = _rng.Next(2) == 0 ? -1 : 1;
                Grow(x, y, heading + side * (0.5 + _rng.NextDouble() * 0.6), width * (0.5 + _rng.NextDouble() * 0.2), isVein, depth: 1, wander: 0.14);
                width *= 0.93;
            }
        }
    }

    private void Grow(double x, double y, double heading, double width, bool isVein, int depth, double wander)
    {
        var step = 4.0 * _geo.Scale;
        var layer = isVein ? _veins : _arteries;
        var travelled = 0.0;
        var nextBranch = NextBranchDistance();
        var curvature = (_rng.NextDouble() - 0.5) * 0.04;
        var phase = _rng.NextDouble() * Math.PI * 2;
        var maxLength = _geo.FieldRadius * (0.9 - depth * 0.2) * (0.6 + _rng.NextDouble() * 0.6);
        while (width > 0.7 * _geo.Scale && _geo.InField(x, y, 0.99) && travelled < maxLength)
        {
            heading += curvature + (_rng.NextDouble() - 0.5) * wander;
            // The foveal avascular zone stays vessel-free: steer away when close.
            var df = _geo.DistanceToFovea(x, y);
            if (df < 0.9 * _geo.DiscDiameter)
            {
                var away = Math.Atan2(y - _geo.FoveaY, x - _geo.FoveaX);
                heading += AngleDelta(heading, away) * 0.35;
                width *= 0.9;
            }

            var nx = x + Math.Cos(heading) * step;
            var ny = y + Math.Sin(heading) * step;
            Paint(layer, x, y, nx, ny, BeadedWidth(width, isVein, travelled, phase), isVein ? 0.8f : 0.7f);
            x = nx;
            y = ny;
            travelled += step;
            width *= 0.996;
            if (depth < 3 && travelled > nextBranch)
            {
                nextBranch = travelled + NextBranchDistance();
                var side = _rng.Next(2) == 0 ? -1 : 1;
                Grow(x, y, heading + side * (0.45 + _rng.NextDouble() * 0.6), width * (0.55 + _rng.NextDouble() * 0.2), isVein, depth + 1, wander);
                width *= 0.9;
            }
        }
    }

    private void Tortuous(double x, double y, double length, double width, double curl, float[] layer, float opacity)
    {
        var step = 2.0 * _geo.Scale;
        var heading = _rng.NextDouble() * Math.PI * 2;
        var turn = (_rng.NextDouble() - 0.5) * curl;
        for (var travelled = 0.0; travelled < length && _geo.InField(x, y, 0.97); travelled += step)
        {
            turn += (_rng.NextDouble() - 0.5) * curl * 0.5;
            turn = Math.Clamp(turn, -curl, curl);
            heading += turn;
            var nx = x + Math.Cos(heading) * step;
            var ny = y + Math.Sin(heading) * step;
            Paint(layer, x, y, nx, ny, width, opacity);
            x = nx;
            y = ny;
        }
    }

    private double BeadedWidth(double width, bool isVein, double travelled, double phase)
    {
        if (!VenousBeading || !isVein || width < 2.5 * _geo.Scale)
        {
            return width;
        }

        var s = Math.Sin(travelled / (9 * _geo.Scale) + phase);
        return width * (0.75 + 0.6 * Math.Max(0, s) * Math.Max(0, s));
    }

    /// <summary>Paints a capsule (a thick segment with round caps) into a max-opacity layer.</summary>
    private void Paint(float[] layer, double x0, double y0, double x1, double y1, double width, float opacity)
    {
        var half = width / 2;
        var reach = half + 1.5;
        var (bx0, bx1, by0, by1) = _canvas.Clip(Math.Min(x0, x1) - reach, Math.Max(x0, x1) + reach, Math.Min(y0, y1) - reach, Math.Max(y0, y1) + reach);
        var dx = x1 - x0;
        var dy = y1 - y0;
        var len2 = dx * dx + dy * dy + 1e-9;
        var w = _canvas.Width;
        for (var y = by0; y <= by1; y++)
        {
            for (var x = bx0; x <= bx1; x++)
            {
                var t = Math.Clamp(((x - x0) * dx + (y - y0) * dy) / len2, 0, 1);
                var px = x0 + t * dx - x;
                var py = y0 + t * dy - y;
                var d = Math.Sqrt(px * px + py * py);
                // Vessels are cylinders: opacity falls off towards the walls, giving a rounded profile.
                var edge = FundusCanvas.SmoothStep(half + 0.7, half - 0.7, d);
                if (edge <= 0)
                {
                    continue;
                }

                var profile = half > 1 ? 0.75 + 0.25 * Math.Sqrt(Math.Max(0, 1 - (d / half) * (d / half))) : 0.8;
                var a = (float)(edge * profile * opacity);
                var i = y * w + x;
                if (a > layer[i])
                {
                    layer[i] = a;
                }
            }
        }
    }

    private (double X, double Y) RandomPoint(double minFrac, double maxFrac)
    {
        var angle = _rng.NextDouble() * Math.PI * 2;
        var dist = (minFrac + _rng.NextDouble() * (maxFrac - minFrac)) * _geo.FieldRadius;
        return (_geo.FoveaX + Math.Cos(angle) * dist, _geo.FoveaY + Math.Sin(angle) * dist);
    }

    private double NextBranchDistance() => _geo.FieldRadius * (0.16 + _rng.NextDouble() * 0.22);

    private double Jitter(double amount) => 1 + (_rng.NextDouble() - 0.5) * 2 * amount;

    private static double AngleDelta(double from, double to)
    {
        var d = to - from;
        while (d > Math.PI)
        {
            d -= 2 * Math.PI;
        }

        while (d < -Math.PI)
        {
            d += 2 * Math.PI;
        }

        return d;
    }
}
