using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>
/// MVTec 3D-AD-like surfaces: a height field over a background plane, shaded into an RGB view by a
/// light whose direction varies, and written as 16-bit depth beside it.
/// <para>
/// Depth convention: each 16-bit value is the distance from a virtual camera looking straight down,
/// in thousandths of a reference pixel (the 256-pixel frame), offset so that the background plane sits
/// near <see cref="BackgroundDepth"/>; objects are closer (smaller values). The plane is slightly tilted
/// and every value carries a little sensor noise. 0 is never written (no invalid pixels).
/// </para>
/// </summary>
public abstract class HeightFieldCategory : SyntheticCategory
{
    /// <summary>Depth value of the untilted background plane.</summary>
    public const int BackgroundDepth = 40000;

    public override string Family => "3d";
    public override bool HasDepth => true;
    protected override float NoiseSigma => 0.015f;
    protected override float HeightMaskThreshold => 0.35f;

    /// <summary>Fills the height (reference pixels above the plane) and albedo (RGB 0–1) of every output pixel.</summary>
    protected abstract void Build(SceneContext context, AnomalyKind? anomaly, float[] height, float[] albedo);

    /// <summary>Specular strength of the surface (metal shines, baked goods do not).</summary>
    protected virtual float Shininess => 0;

    protected sealed override SceneLayers RenderLayers(SceneContext context, AnomalyKind? anomaly)
    {
        var size = context.Size;
        var height = new float[size * size];
        var albedo = new float[size * size * 3];
        // The light is part of the acquisition, drawn from its own stream so Build can use Layout freely.
        var lightRng = context.Layout.Fork("light");
        Build(context, anomaly, height, albedo);
        var azimuth = lightRng.Jitter(-2.3f, 0.5f);
        var elevation = lightRng.Jitter(0.75f, 0.12f);
        var light = (X: MathF.Cos(azimuth) * MathF.Cos(elevation), Y: MathF.Sin(azimuth) * MathF.Cos(elevation), Z: MathF.Sin(elevation));
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = Pixels.Span(bitmap);
        var perPixel = ReferenceSize / size; // reference pixels per output pixel: slopes are scale-free
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var p = y * size + x;
                var gx = (height[y * size + Math.Min(x + 1, size - 1)] - height[y * size + Math.Max(x - 1, 0)]) / (2 * perPixel);
                var gy = (height[Math.Min(y + 1, size - 1) * size + x] - height[Math.Max(y - 1, 0) * size + x]) / (2 * perPixel);
                var norm = 1 / MathF.Sqrt(gx * gx + gy * gy + 1);
                var (nx, ny, nz) = (-gx * norm, -gy * norm, norm);
                var diffuse = MathF.Max(0, nx * light.X + ny * light.Y + nz * light.Z);
                // Blinn–Phong half vector with the viewer straight above.
                var (hx, hy, hz) = (light.X, light.Y, light.Z + 1);
                var hn = 1 / MathF.Sqrt(hx * hx + hy * hy + hz * hz);
                var specular = Shininess * MathF.Pow(MathF.Max(0, (nx * hx + ny * hy + nz * hz) * hn), 24);
                var shade = 0.3f + 0.8f * diffuse;
                for (var c = 0; c < 3; c++)
                    pixels[p * 4 + c] = (byte)Math.Clamp((albedo[p * 3 + c] * shade + specular) * 255, 0, 255);
                pixels[p * 4 + 3] = 255;
            }
        }
        return new SceneLayers(bitmap, height);
    }

    protected override ushort[]? DepthOf(float[] height, int size, SynthRandom rng)
    {
        var depth = new ushort[height.Length];
        var (tiltX, tiltY) = (rng.Jitter(0, 4f), rng.Jitter(0, 4f)); // depth units per output pixel
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var h = height[y * size + x] * 1000;
                var value = BackgroundDepth - h + tiltX * (x - size / 2f) + tiltY * (y - size / 2f) + 3 * rng.NextApproxNormal();
                depth[y * size + x] = (ushort)Math.Clamp(MathF.Round(value), 1, 65535);
            }
        }
        return depth;
    }

    /// <summary>Adds a round dent or bump: a smooth radial profile of peak <paramref name="amplitude"/>.</summary>
    protected static void AddBlob(float[] height, int size, float cx, float cy, float radius, float amplitude)
    {
        var scale = size / ReferenceSize;
        var (px, py, pr) = (cx * scale, cy * scale, radius * scale);
        var r2 = pr * pr;
        for (var y = (int)Math.Max(0, py - pr); y < Math.Min(size, py + pr + 1); y++)
        {
            for (var x = (int)Math.Max(0, px - pr); x < Math.Min(size, px + pr + 1); x++)
            {
                var d2 = ((x - px) * (x - px) + (y - py) * (y - py)) / r2;
                if (d2 < 1) height[y * size + x] += amplitude * (1 - d2) * (1 - d2);
            }
        }
    }

    /// <summary>Cuts a groove of the given depth and width (reference pixels) along a jagged path.</summary>
    protected static void AddCrack(float[] height, int size, SynthRandom rng, float x, float y, float length, float direction, float depth, float width)
    {
        var scale = size / ReferenceSize;
        var steps = Math.Max(8, (int)(length * scale * 2));
        var stepLength = length / steps;
        var halfWidth = Math.Max(0.8f, width * scale / 2);
        // The deepest cut per pixel, applied once, so overlapping steps do not dig deeper.
        var cut = new float[height.Length];
        for (var i = 0; i < steps; i++)
        {
            if (i % Math.Max(1, steps / 6) == 0) direction += rng.Range(-0.6f, 0.6f);
            x += MathF.Cos(direction) * stepLength;
            y += MathF.Sin(direction) * stepLength;
            var (px, py) = (x * scale, y * scale);
            for (var yy = (int)(py - halfWidth - 1); yy <= (int)(py + halfWidth + 1); yy++)
            {
                for (var xx = (int)(px - halfWidth - 1); xx <= (int)(px + halfWidth + 1); xx++)
                {
                    if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
                    var dist = MathF.Sqrt((xx - px) * (xx - px) + (yy - py) * (yy - py));
                    var p = yy * size + xx;
                    cut[p] = MathF.Max(cut[p], depth * Math.Clamp(1 - dist / (halfWidth + 0.5f), 0, 1));
                }
            }
        }
        for (var p = 0; p < height.Length; p++)
        {
            // Only the object cracks: the groove never goes below the background plane.
            if (height[p] > 0) height[p] = MathF.Max(0, height[p] - cut[p]);
        }
    }
}

/// <summary>A round cookie with chocolate chips: outline, dome, chips and crumb texture vary; dents, bumps and cracks.</summary>
public sealed class CookieCategory : HeightFieldCategory
{
    public override string Name => "cookie";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("dent"), AnomalyKind.Structural("bump"), AnomalyKind.Structural("crack")];

    protected override void Build(SceneContext context, AnomalyKind? anomaly, float[] height, float[] albedo)
    {
        var size = context.Size;
        var rng = context.Layout;
        var (cx, cy) = (rng.Jitter(128, 14), rng.Jitter(128, 14));
        var radius = rng.Jitter(82, 5);
        var dome = rng.Jitter(12, 1.5f);
        var wobble = (A: rng.Range(0.02f, 0.05f), K: rng.Int(3, 7), P: rng.Range(0, MathF.Tau), B: rng.Range(0.01f, 0.03f), P2: rng.Range(0, MathF.Tau));
        var crumbSeed = rng.Int(0, 1_000_000);
        var bake = rng.Jitter(0.62f, 0.05f);
        var chips = Enumerable.Range(0, rng.Int(7, 12)).Select(_ =>
        {
            var t = rng.Range(0, MathF.Tau);
            var r = radius * MathF.Sqrt(rng.Range(0, 0.7f));
            return (X: cx + MathF.Cos(t) * r, Y: cy + MathF.Sin(t) * r, R: rng.Jitter(7, 1.5f));
        }).ToArray();

        var scale = ReferenceSize / size;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (rx, ry) = (x * scale, y * scale);
                var p = y * size + x;
                var (dx, dy) = (rx - cx, ry - cy);
                var rr = MathF.Sqrt(dx * dx + dy * dy);
                var theta = MathF.Atan2(dy, dx);
                var edge = radius * (1 + wobble.A * MathF.Sin(wobble.K * theta + wobble.P) + wobble.B * MathF.Sin(11 * theta + wobble.P2));
                float h = 0;
                var (ar, ag, ab) = (0.55f, 0.56f, 0.58f);
                if (rr < edge)
                {
                    var u = rr / edge;
                    h = dome * MathF.Sqrt(MathF.Max(0, 1 - u * u * u * u)) + 0.8f * ValueNoise.Fractal(rx, ry, 0.12f, crumbSeed);
                    (ar, ag, ab) = (bake + 0.25f, bake, bake * 0.55f);
                    foreach (var chip in chips)
                    {
                        var c2 = ((rx - chip.X) * (rx - chip.X) + (ry - chip.Y) * (ry - chip.Y)) / (chip.R * chip.R);
                        if (c2 < 1)
                        {
                            h += 3.2f * (1 - c2);
                            (ar, ag, ab) = (0.3f, 0.18f, 0.1f);
                        }
                    }
                }
                height[p] = h;
                albedo[p * 3] = ar; albedo[p * 3 + 1] = ag; albedo[p * 3 + 2] = ab;
            }
        }

        if (anomaly == null) return;
        var d = context.Defect;
        var at = d.Range(0, MathF.Tau);
        var distance = radius * d.Range(0.1f, 0.7f);
        var (px, py) = (cx + MathF.Cos(at) * distance, cy + MathF.Sin(at) * distance);
        switch (anomaly.Name)
        {
            case "dent": AddBlob(height, size, px, py, d.Range(10, 18), -d.Range(4, 6)); break;
            case "bump": AddBlob(height, size, px, py, d.Range(10, 16), d.Range(5, 7)); break;
            case "crack":
                AddCrack(height, size, d, cx + MathF.Cos(at) * radius * 0.95f, cy + MathF.Sin(at) * radius * 0.95f, d.Range(35, 55), at + MathF.PI, d.Range(5, 7), d.Range(3, 4.5f));
                break;
        }
    }
}

/// <summary>A spur gear with a raised hub: rotation, size and surface finish vary; dents, cracks and a broken tooth (component).</summary>
public sealed class GearCategory : HeightFieldCategory
{
    public override string Name => "gear";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("dent"), AnomalyKind.Structural("crack"), AnomalyKind.Component("broken_tooth")];

    const int Teeth = 14;
    protected override float Shininess => 0.35f;

    protected override void Build(SceneContext context, AnomalyKind? anomaly, float[] height, float[] albedo)
    {
        var size = context.Size;
        var rng = context.Layout;
        var (cx, cy) = (rng.Jitter(128, 12), rng.Jitter(128, 12));
        var rootRadius = rng.Jitter(68, 3);
        var toothDepth = rng.Jitter(13, 1);
        var rotation = rng.Range(0, MathF.Tau);
        var thickness = rng.Jitter(9, 0.8f);
        var finishSeed = rng.Int(0, 1_000_000);
        var metal = rng.Jitter(0.62f, 0.05f);
        var d = context.Defect;
        var broken = anomaly?.Name == "broken_tooth" ? d.Int(0, Teeth) : -1;

        var scale = ReferenceSize / size;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (rx, ry) = (x * scale, y * scale);
                var p = y * size + x;
                var (dx, dy) = (rx - cx, ry - cy);
                var rr = MathF.Sqrt(dx * dx + dy * dy);
                var theta = MathF.Atan2(dy, dx) - rotation;
                var phase = (theta / MathF.Tau * Teeth % 1 + 1) % 1;
                var tooth = (int)Math.Floor(((theta / MathF.Tau * Teeth) % Teeth + Teeth) % Teeth);
                // Trapezoidal tooth profile: full height over the middle 40 %, flanks over 20 % each side.
                var profile = Math.Clamp((0.5f - MathF.Abs(phase - 0.5f) - 0.1f) / 0.2f, 0, 1);
                var outer = rootRadius + toothDepth * (tooth == broken ? 0.15f * profile : profile);
                float h = 0;
                var (ar, ag, ab) = (0.3f, 0.32f, 0.36f);
                if (rr < outer)
                {
                    h = thickness + 0.25f * ValueNoise.Fractal(rx, ry, 0.2f, finishSeed);
                    if (rr < 30) h += 4;
                    if (rr < 14) h = 0;
                    (ar, ag, ab) = rr < 14 ? (0.2f, 0.2f, 0.22f) : (metal, metal + 0.02f, metal + 0.06f);
                }
                height[p] = h;
                albedo[p * 3] = ar; albedo[p * 3 + 1] = ag; albedo[p * 3 + 2] = ab;
            }
        }

        if (anomaly == null || broken >= 0) return;
        var at = d.Range(0, MathF.Tau);
        var distance = d.Range(36, rootRadius - 10);
        var (px, py) = (cx + MathF.Cos(at) * distance, cy + MathF.Sin(at) * distance);
        switch (anomaly.Name)
        {
            case "dent": AddBlob(height, size, px, py, d.Range(9, 14), -d.Range(3.5f, 5)); break;
            case "crack":
                AddCrack(height, size, d, cx + MathF.Cos(at) * (rootRadius + 4), cy + MathF.Sin(at) * (rootRadius + 4), d.Range(25, 40), at + MathF.PI, d.Range(4, 6), d.Range(3, 4));
                break;
        }
    }
}
