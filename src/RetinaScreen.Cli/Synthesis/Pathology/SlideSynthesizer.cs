namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>
/// Synthetic H&amp;E sections of a lymph node, with or without metastatic carcinoma, deterministic for a seed.
/// </summary>
/// <remarks>
/// The section is painted as haematoxylin and eosin densities per pixel and rendered by Beer–Lambert absorption with
/// the slide's own stain vectors, so stain variation between slides (hue, strength, section thickness) changes colour
/// the way real staining does while the morphology stays put. The node has a fibrous capsule, a subcapsular sinus,
/// cortex packed with small round lymphocytes, paler follicles, and medullary sinus lanes; tumour deposits are
/// irregular regions of large, pleomorphic, hyperchromatic, crowded nuclei with nucleoli, split into nests by stroma
/// strands and, on some slides, gland lumens. Histological sizes are pixels of a 20× scan (about 0.5 µm per pixel)
/// whatever the slide's size; the node and its deposits scale with the slide.
/// </remarks>
public static class SlideSynthesizer
{
    // Optical density of a unit of each stain in R, G, B (Ruifrok and Johnston 2001).
    private static readonly double[] Haematoxylin = [0.650, 0.704, 0.286];
    private static readonly double[] Eosin = [0.072, 0.990, 0.105];

    public static SyntheticSlide Generate(int seed) => Generate(seed, SlideSpec.Default);

    public static SyntheticSlide Generate(int seed, SlideSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Width < 64 || spec.Height < 64 || (long)spec.Width * spec.Height * 3 > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), $"A slide must be at least 64x64 pixels and fit one array, not {spec.Width}x{spec.Height}.");
        }

        if (spec.MinTumourRadius <= 0 || spec.MaxTumourRadius < spec.MinTumourRadius || spec.TumourRegionCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), "Tumour radii must be positive and ordered; a region count at least 1.");
        }

        var canvas = new SlideCanvas(seed, spec);
        canvas.PaintTissue();
        canvas.PaintNuclei();
        return canvas.Render();
    }

    internal static uint Hash(int x, int y, int salt)
    {
        var h = unchecked(((uint)x * 0x8DA6B343u) ^ ((uint)y * 0xD8163841u) ^ ((uint)salt * 0xCB1AB31Fu));
        h ^= h >> 13;
        h = unchecked(h * 0x5BD1E995u);
        h ^= h >> 15;
        return h;
    }

    internal static double Hash01(int x, int y, int salt) => (Hash(x, y, salt) & 0xFFFFFF) / 16777216.0;

    private enum Zone : byte
    {
        Glass,
        Capsule,
        Sinus,
        Cortex,
        Follicle,
        Tumour,
        TumourStroma,
        Lumen,
    }

    private sealed record Deposit(double X, double Y, double Radius, ValueNoise Shape);

    private sealed record Follicle(double X, double Y, double Radius);

    private sealed class SlideCanvas
    {
        private readonly int _seed;
        private readonly int _w;
        private readonly int _h;
        private readonly Random _rng;
        private readonly float[] _hem;
        private readonly float[] _eos;
        private readonly Zone[] _zone;
        private readonly double[] _hemVector;
        private readonly double[] _eosVector;
        private readonly double[] _light;
        private readonly double _hemStrength;
        private readonly double _eosStrength;

        // The node: a rotated, noisy ellipse.
        private readonly double _cx;
        private readonly double _cy;
        private readonly double _a;
        private readonly double _b;
        private readonly double _cos;
        private readonly double _sin;
        private readonly double _capsule;
        private readonly double _subcapsular;
        private readonly ValueNoise _outline;
        private readonly ValueNoise _medulla;
        private readonly ValueNoise _thickness;
        private readonly ValueNoise _fibres;
        private readonly Follicle[] _follicles;
        private readonly Deposit[] _deposits;
        private readonly ValueNoise _nests;
        private readonly ValueNoise _lumens;
        private readonly bool _glandular;
        private readonly double _tumourSpacing;

        public SlideCanvas(int seed, SlideSpec spec)
        {
            _seed = seed;
            _w = spec.Width;
            _h = spec.Height;
            _rng = new Random(seed);
            _hem = new float[_w * _h];
            _eos = new float[_w * _h];
            _zone = new Zone[_w * _h];
            var extent = Math.Max(_w, _h);
            var small = Math.Min(_w, _h);

            // Stain: each slide's own haematoxylin and eosin hue, strength and illumination.
            var stainRng = new Random(FundusSynthesizer.DeriveSeed(seed, 0x57A1));
            _hemVector = Jitter(Haematoxylin, stainRng, 0.12);
            _eosVector = Jitter(Eosin, stainRng, 0.12);
            _hemStrength = 0.75 + stainRng.NextDouble() * 0.5;
            _eosStrength = 0.65 + stainRng.NextDouble() * 0.7;
            _light = [238 + stainRng.NextDouble() * 14, 236 + stainRng.NextDouble() * 14, 238 + stainRng.NextDouble() * 14];

            _cx = _w * (0.5 + (_rng.NextDouble() - 0.5) * 0.1);
            _cy = _h * (0.5 + (_rng.NextDouble() - 0.5) * 0.1);
            _a = _w * (0.36 + _rng.NextDouble() * 0.09);
            _b = _h * (0.36 + _rng.NextDouble() * 0.09);
            var angle = _rng.NextDouble() * Math.PI;
            _cos = Math.Cos(angle);
            _sin = Math.Sin(angle);
            _capsule = 10 + _rng.NextDouble() * 10;
            _subcapsular = 10 + _rng.NextDouble() * 14;
            _outline = new ValueNoise(_rng, extent, small / 5.0);
            _medulla = new ValueNoise(_rng, extent, 90 + _rng.NextDouble() * 60);
            _thickness = new ValueNoise(_rng, extent, 160);
            _fibres = new ValueNoise(_rng, extent, 6);
            _nests = new ValueNoise(_rng, extent, 28 + _rng.NextDouble() * 20);
            _lumens = new ValueNoise(_rng, extent, 14 + _rng.NextDouble() * 8);
            _glandular = _rng.NextDouble() < 0.5;
            _tumourSpacing = 10 + _rng.NextDouble() * 3;

            _follicles = new Follicle[3 + _rng.Next(6)];
            for (var i = 0; i < _follicles.Length; i++)
            {
                var (x, y) = PointInNode(0.6 + _rng.NextDouble() * 0.22);
                _follicles[i] = new Follicle(x, y, small * (0.025 + _rng.NextDouble() * 0.03));
            }

            // Drawn on their own stream so that a slide with and without tumour shares the same node.
            var tumourRng = new Random(FundusSynthesizer.DeriveSeed(seed, 0x7A3C));
            var count = spec.TumourRegionCount ?? 1 + tumourRng.Next(4);
            var scale = small / 2048.0;
            _deposits = new Deposit[spec.Tumour ? count : 0];
            for (var i = 0; i < _deposits.Length; i++)
            {
                var radius = scale * spec.MinTumourRadius * Math.Pow(spec.MaxTumourRadius / spec.MinTumourRadius, tumourRng.NextDouble());
                var rho = Math.Sqrt(tumourRng.NextDouble()) * 0.85;
                var theta = tumourRng.NextDouble() * Math.PI * 2;
                var (x, y) = NodePoint(rho, theta);
                _deposits[i] = new Deposit(x, y, radius, new ValueNoise(tumourRng, extent, Math.Max(10, radius * 0.5)));
            }
        }

        public void PaintTissue()
        {
            var minAxis = Math.Min(_a, _b);
            Parallel.For(0, _h, y =>
            {
                for (var x = 0; x < _w; x++)
                {
                    var i = y * _w + x;
                    var depth = Depth(x, y, minAxis);
                    Zone zone;
                    if (depth < 0)
                    {
                        zone = Zone.Glass;
                    }
                    else if (depth < _capsule)
                    {
                        zone = Zone.Capsule;
                    }
                    else if (depth < _capsule + _subcapsular || (depth > 0.25 * minAxis && Math.Abs(_medulla.Sample(x, y)) < 0.1))
                    {
                        zone = Zone.Sinus;
                    }
                    else
                    {
                        zone = InFollicle(x, y) ? Zone.Follicle : Zone.Cortex;
                    }

                    if (depth >= 0 && InDeposit(x, y))
                    {
                        zone = Math.Abs(_nests.Sample(x, y)) < 0.07 ? Zone.TumourStroma
                            : _glandular && _lumens.Sample(x, y) > 0.55 ? Zone.Lumen
                            : Zone.Tumour;
                    }

                    _zone[i] = zone;
                    var thick = 1 + 0.15 * _thickness.Sample(x, y);
                    var (hem, eos) = zone switch
                    {
                        Zone.Capsule => (0.05, 0.7 + 0.25 * _fibres.Sample(x, y)),
                        Zone.Sinus => (0.03, 0.14),
                        Zone.Cortex => (0.08, 0.28),
                        Zone.Follicle => (0.07, 0.24),
                        Zone.Tumour => (0.16, 0.5),
                        Zone.TumourStroma => (0.04, 0.8 + 0.15 * _fibres.Sample(x, y)),
                        Zone.Lumen => (0.01, 0.05),
                        _ => (0.0, 0.0),
                    };
                    _hem[i] = (float)(hem * thick);
                    _eos[i] = (float)(eos * thick);
                }
            });
        }

        public void PaintNuclei()
        {
            const double step = 6;
            for (var gy = step / 2; gy < _h; gy += step)
            {
                for (var gx = step / 2; gx < _w; gx += step)
                {
                    var x = gx + (_rng.NextDouble() - 0.5) * 3;
                    var y = gy + (_rng.NextDouble() - 0.5) * 3;
                    var draw = _rng.NextDouble();
                    var zone = ZoneAt(x, y);
                    switch (zone)
                    {
                        case Zone.Cortex when draw < 0.92:
                            Lymphocyte(x, y);
                            break;
                        case Zone.Follicle when draw < 0.55:
                            var r = 2.8 + _rng.NextDouble() * 0.8;
                            Nucleus(x, y, r, r * (0.85 + _rng.NextDouble() * 0.15), _rng.NextDouble() * Math.PI, 0.9 + _rng.NextDouble() * 0.3, 0.3);
                            break;
                        case Zone.Sinus when draw < 0.12:
                            Lymphocyte(x, y);
                            break;
                        case Zone.Sinus when draw < 0.16:
                            var h = 3.5 + _rng.NextDouble();
                            Nucleus(x, y, h, h * 0.7, _rng.NextDouble() * Math.PI, 0.55 + _rng.NextDouble() * 0.15, 0.3);
                            break;
                        case Zone.Capsule or Zone.TumourStroma when draw < 0.05:
                            // Fibroblasts lie along the fibres: elongated, thin, dark.
                            var along = zone == Zone.Capsule ? Math.Atan2(y - _cy, x - _cx) + Math.PI / 2 : _rng.NextDouble() * Math.PI;
                            Nucleus(x, y, 4 + _rng.NextDouble() * 2, 1 + _rng.NextDouble() * 0.5, along, 1.0, 0.1);
                            break;
                        default:
                            break;
                    }
                }
            }

            if (_deposits.Length == 0)
            {
                return;
            }

            // Carcinoma: its own looser grid of much larger, pleomorphic, hyperchromatic nuclei that still crowd and overlap.
            for (var gy = _tumourSpacing / 2; gy < _h; gy += _tumourSpacing)
            {
                for (var gx = _tumourSpacing / 2; gx < _w; gx += _tumourSpacing)
                {
                    var x = gx + (_rng.NextDouble() - 0.5) * _tumourSpacing * 0.6;
                    var y = gy + (_rng.NextDouble() - 0.5) * _tumourSpacing * 0.6;
                    var draw = _rng.NextDouble();
                    if (ZoneAt(x, y) != Zone.Tumour || draw > 0.95)
                    {
                        continue;
                    }

                    var ax = 4.5 + _rng.NextDouble() * 3.5;
                    var ay = ax * (0.6 + _rng.NextDouble() * 0.4);
                    var angle = _rng.NextDouble() * Math.PI;
                    Nucleus(x, y, ax, ay, angle, 1.5 + _rng.NextDouble() * 0.8, 0.5);
                    if (_rng.NextDouble() < 0.6)
                    {
                        var off = _rng.NextDouble() * ax * 0.4;
                        var dir = _rng.NextDouble() * Math.PI * 2;
                        Spot(x + Math.Cos(dir) * off, y + Math.Sin(dir) * off, 1 + _rng.NextDouble() * 0.6, 0.9);
                    }
                }
            }
        }

        public SyntheticSlide Render()
        {
            var rgb = new byte[_w * _h * 3];
            var mask = new byte[_w * _h];
            Parallel.For(0, _h, y =>
            {
                for (var x = 0; x < _w; x++)
                {
                    var i = y * _w + x;
                    var zone = _zone[i];
                    mask[i] = zone is Zone.Tumour or Zone.TumourStroma or Zone.Lumen ? (byte)1 : (byte)0;
                    var hem = _hem[i] * _hemStrength;
                    var eos = _eos[i] * _eosStrength;
                    var grain = 1 + 0.035 * (Hash01(x, y, _seed) - 0.5);
                    for (var c = 0; c < 3; c++)
                    {
                        var value = _light[c] * grain * Math.Exp(-(hem * _hemVector[c] + eos * _eosVector[c]));
                        rgb[i * 3 + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
                    }
                }
            });
            return new SyntheticSlide(_w, _h, rgb, mask, _seed);
        }

        private void Lymphocyte(double x, double y)
        {
            var r = 2.1 + _rng.NextDouble() * 0.7;
            Nucleus(x, y, r, r * (0.9 + _rng.NextDouble() * 0.1), _rng.NextDouble() * Math.PI, 1.25 + _rng.NextDouble() * 0.35, 0.15);
        }

        /// <summary>An elliptical nucleus with a soft rim; <paramref name="texture"/> is how coarse its chromatin looks.</summary>
        private void Nucleus(double cx, double cy, double ax, double ay, double angle, double density, double texture)
        {
            var c = Math.Cos(angle);
            var s = Math.Sin(angle);
            var reach = (int)Math.Ceiling(Math.Max(ax, ay)) + 1;
            var salt = _rng.Next();
            for (var y = Math.Max(0, (int)cy - reach); y <= Math.Min(_h - 1, (int)cy + reach); y++)
            {
                for (var x = Math.Max(0, (int)cx - reach); x <= Math.Min(_w - 1, (int)cx + reach); x++)
                {
                    var dx = x + 0.5 - cx;
                    var dy = y + 0.5 - cy;
                    var u = (dx * c + dy * s) / ax;
                    var v = (-dx * s + dy * c) / ay;
                    var q = u * u + v * v;
                    if (q >= 1)
                    {
                        continue;
                    }

                    var edge = q < 0.64 ? 1 : (1 - Math.Sqrt(q)) / 0.2;
                    var value = (float)(density * edge * (1 + texture * (Hash01(x, y, salt) - 0.5)));
                    var i = y * _w + x;
                    _hem[i] = Math.Max(_hem[i], value);
                }
            }
        }

        /// <summary>A small dense dot: a nucleolus.</summary>
        private void Spot(double cx, double cy, double radius, double extra)
        {
            var reach = (int)Math.Ceiling(radius) + 1;
            for (var y = Math.Max(0, (int)cy - reach); y <= Math.Min(_h - 1, (int)cy + reach); y++)
            {
                for (var x = Math.Max(0, (int)cx - reach); x <= Math.Min(_w - 1, (int)cx + reach); x++)
                {
                    var dx = x + 0.5 - cx;
                    var dy = y + 0.5 - cy;
                    if (dx * dx + dy * dy < radius * radius)
                    {
                        _hem[y * _w + x] += (float)extra;
                    }
                }
            }
        }

        private Zone ZoneAt(double x, double y)
        {
            var ix = (int)x;
            var iy = (int)y;
            return ix < 0 || iy < 0 || ix >= _w || iy >= _h ? Zone.Glass : _zone[iy * _w + ix];
        }

        /// <summary>Distance inside the node's outline in pixels (negative outside), approximately.</summary>
        private double Depth(int x, int y, double minAxis)
        {
            var dx = x - _cx;
            var dy = y - _cy;
            var u = (dx * _cos + dy * _sin) / _a;
            var v = (-dx * _sin + dy * _cos) / _b;
            var rho = Math.Sqrt(u * u + v * v);
            return (1 + 0.12 * _outline.Sample(x, y) - rho) * minAxis;
        }

        private bool InFollicle(int x, int y)
        {
            foreach (var f in _follicles)
            {
                var dx = x - f.X;
                var dy = y - f.Y;
                if (dx * dx + dy * dy < f.Radius * f.Radius * 1.3 && Math.Sqrt(dx * dx + dy * dy) < f.Radius * (1 + 0.15 * _fibres.Sample(x / 8, y / 8)))
                {
                    return true;
                }
            }

            return false;
        }

        private bool InDeposit(int x, int y)
        {
            foreach (var d in _deposits)
            {
                var dx = x - d.X;
                var dy = y - d.Y;
                var reach = d.Radius * 1.3;
                if (Math.Abs(dx) > reach || Math.Abs(dy) > reach)
                {
                    continue;
                }

                if (Math.Sqrt(dx * dx + dy * dy) < d.Radius * (1 + 0.3 * d.Shape.Sample(x, y)))
                {
                    return true;
                }
            }

            return false;
        }

        private (double X, double Y) PointInNode(double rho) => NodePoint(rho, _rng.NextDouble() * Math.PI * 2);

        private (double X, double Y) NodePoint(double rho, double theta)
        {
            var u = rho * Math.Cos(theta) * _a;
            var v = rho * Math.Sin(theta) * _b;
            return (_cx + u * _cos - v * _sin, _cy + u * _sin + v * _cos);
        }

        private static double[] Jitter(double[] vector, Random rng, double amount)
        {
            var v = vector.Select(c => c * (1 + (rng.NextDouble() * 2 - 1) * amount)).ToArray();
            var norm = Math.Sqrt(v.Sum(c => c * c));
            return v.Select(c => c / norm).ToArray();
        }
    }
}
