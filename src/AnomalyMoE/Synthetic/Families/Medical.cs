using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>
/// BMAD BrainMRI-like axial slice: scalp, skull, folded cortex, white matter and ventricles of an
/// anatomical phantom whose size, shape, pose, contrast and ventricles vary. Lesions are the anomalies.
/// </summary>
public sealed class BrainMriCategory : CanvasCategory
{
    public override string Family => "medical";
    public override string Name => "brain_mri";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("tumor"), AnomalyKind.Structural("hyperintensities")];

    protected override float NoiseSigma => 0.03f;
    protected override SKColor Background(SceneContext context) => Shapes.Gray(0.02f);

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        var (cx, cy) = (rng.Jitter(128, 8), rng.Jitter(128, 8));
        var (a, b) = (rng.Jitter(86, 6), rng.Jitter(106, 6));
        var angle = rng.Jitter(0, 9);
        var grey = rng.Jitter(0.42f, 0.04f);
        var white = grey + rng.Jitter(0.16f, 0.03f);
        var folds = (K: rng.Int(18, 26), P: rng.Range(0, MathF.Tau), A: rng.Range(0.015f, 0.03f));
        var ventricle = rng.Jitter(1, 0.25f);
        canvas.Save();
        canvas.Translate(cx, cy);
        canvas.RotateDegrees(angle);
        using (var scalp = Shapes.Fill(Shapes.Gray(0.32f))) canvas.DrawOval(0, 0, a + 8, b + 8, scalp);
        using (var skull = Shapes.Fill(Shapes.Gray(0.85f))) canvas.DrawOval(0, 0, a + 3, b + 3, skull);
        using (var csf = Shapes.Fill(Shapes.Gray(0.12f))) canvas.DrawOval(0, 0, a - 3, b - 3, csf);
        using (var cortex = Wavy(rng, a - 6, b - 6, folds.K, folds.A * 0.6f, folds.P))
        using (var paint = Shapes.Fill(Shapes.Gray(grey)))
        {
            canvas.DrawPath(cortex, paint);
            canvas.Save();
            canvas.ClipPath(cortex, antialias: true);
            Shapes.Noise(canvas, rng, new SKRect(-a, -b, a, b), 0.09f, 120, SKBlendMode.Overlay);
            canvas.Restore();
        }
        using (var matter = Wavy(rng, (a - 6) * 0.72f, (b - 6) * 0.74f, folds.K, folds.A * 1.8f, folds.P + 0.7f))
        using (var paint = Shapes.Fill(Shapes.Gray(white)))
            canvas.DrawPath(matter, paint);
        using (var falx = Shapes.Stroke(Shapes.Gray(0.15f), 2)) canvas.DrawLine(0, -b + 8, 0, -b * 0.45f, falx);
        using (var ventricles = Shapes.Fill(Shapes.Gray(0.1f)))
        {
            canvas.Save(); canvas.RotateDegrees(14); canvas.DrawOval(-11, -6, 7 * ventricle, 24 * ventricle, ventricles); canvas.Restore();
            canvas.Save(); canvas.RotateDegrees(-14); canvas.DrawOval(11, -6, 7 * ventricle, 24 * ventricle, ventricles); canvas.Restore();
            canvas.DrawOval(0, 30 * ventricle, 5 * ventricle, 5 * ventricle, ventricles);
        }

        if (anomaly != null)
        {
            var d = context.Defect;
            // Inside the parenchyma, away from the ventricles.
            var t = d.Range(0, MathF.Tau);
            var r = d.Range(0.45f, 0.78f);
            var (px, py) = (MathF.Cos(t) * (a - 6) * r, MathF.Sin(t) * (b - 6) * r);
            switch (anomaly.Name)
            {
                case "tumor":
                {
                    var radius = d.Range(9, 18);
                    using var edema = Shapes.Blob(d, px, py, radius * 1.35f, 0.25f);
                    using (var paint = Shapes.Fill(Shapes.Gray(white + 0.12f, 190))) canvas.DrawPath(edema, paint);
                    using var mass = Shapes.Blob(d, px, py, radius, 0.2f);
                    using (var paint = Shapes.Fill(Shapes.Gray(0.92f))) canvas.DrawPath(mass, paint);
                    using var core = Shapes.Blob(d, px, py, radius * 0.45f, 0.3f);
                    using (var paint = Shapes.Fill(Shapes.Gray(0.3f))) canvas.DrawPath(core, paint);
                    break;
                }
                case "hyperintensities":
                {
                    using var paint = Shapes.Fill(Shapes.Gray(0.95f));
                    var spots = d.Int(3, 6);
                    for (var s = 0; s < spots; s++)
                    {
                        using var spot = Shapes.Blob(d, px + d.Range(-14, 14), py + d.Range(-14, 14), d.Range(2.8f, 4.5f), 0.25f, d.Range(0.6f, 1.6f), d.Range(0, 3));
                        canvas.DrawPath(spot, paint);
                    }
                    break;
                }
            }
        }
        canvas.Restore();
    }

    /// <summary>An ellipse whose radius is modulated by folds (gyri).</summary>
    static SKPath Wavy(SynthRandom rng, float a, float b, int folds, float amplitude, float phase)
    {
        var path = new SKPath();
        const int steps = 180;
        var extra = rng.Range(0, MathF.Tau);
        for (var i = 0; i <= steps; i++)
        {
            var t = MathF.Tau * i / steps;
            var m = 1 + amplitude * MathF.Sin(folds * t + phase) + amplitude * 0.5f * MathF.Sin((folds * 2 + 3) * t + extra);
            var p = new SKPoint(MathF.Cos(t) * a * m, MathF.Sin(t) * b * m);
            if (i == 0) path.MoveTo(p); else path.LineTo(p);
        }
        path.Close();
        return path;
    }
}

/// <summary>
/// BMAD RESC-like retinal OCT B-scan: speckled layered bands following a curved, tilted retina with a
/// foveal pit; band thicknesses, curvature, pit position and brightness vary. Fluid pockets and a
/// pigment-epithelium detachment are the anomalies.
/// </summary>
public sealed class RetinaOctCategory : SyntheticCategory
{
    public override string Family => "medical";
    public override string Name => "retina_oct";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("fluid"), AnomalyKind.Structural("detachment")];

    protected override float NoiseSigma => 0.02f;

    // Band intensities from the inner surface down: nerve fibre, ganglion, inner plexiform, inner nuclear,
    // outer plexiform, outer nuclear, ellipsoid zone, pigment epithelium.
    static readonly float[] BandLevel = [0.8f, 0.45f, 0.6f, 0.25f, 0.55f, 0.18f, 0.75f, 0.95f];
    static readonly float[] BandThickness = [9, 10, 9, 8, 6, 20, 5, 7];

    const int InnerBands = 5;

    static float InnerThickness(float[] thickness) => thickness.Take(InnerBands).Sum();

    protected override SceneLayers RenderLayers(SceneContext context, AnomalyKind? anomaly)
    {
        var size = context.Size;
        var rng = context.Layout;
        var baseline = rng.Jitter(90, 12);
        var tilt = rng.Jitter(0, 0.12f);
        var curvature = rng.Jitter(0.0012f, 0.0006f);
        var fovea = (X: rng.Jitter(128, 30), Depth: rng.Jitter(16, 4), Width: rng.Jitter(22, 4));
        var thickness = BandThickness.Select(t => t * rng.Jitter(1, 0.15f)).ToArray();
        var gain = rng.Jitter(1, 0.1f);
        var speckleSeed = rng.Int(0, 1_000_000);
        var waveSeed = rng.Int(0, 1_000_000);

        var d = context.Defect;
        var fluid = anomaly?.Name == "fluid"
            ? (X: d.Range(50, 206), Band: d.Int(3, 6), A: d.Range(12, 26), B: d.Range(5, 9))
            : (X: 0f, Band: -1, A: 0f, B: 0f);
        var ped = anomaly?.Name == "detachment" ? (X: d.Range(50, 206), W: d.Range(18, 34), H: d.Range(8, 14)) : (X: 0f, W: 0f, H: 0f);

        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = Pixels.Span(bitmap);
        var scale = ReferenceSize / size;
        var bounds = new float[BandThickness.Length + 1];
        for (var x = 0; x < size; x++)
        {
            var rx = x * scale;
            // The outer retina follows the eye's curvature; the inner layers (nerve fibre to outer plexiform)
            // stack on top of it and thin out into the foveal pit, so only the inner surface dips.
            var outerTop = baseline + InnerThickness(thickness) - tilt * (rx - 128) - curvature * (rx - 128) * (rx - 128)
                           + 3 * ValueNoise.At(rx * 0.02f, 0, waveSeed);
            var pit = MathF.Exp(-(rx - fovea.X) * (rx - fovea.X) / (2 * fovea.Width * fovea.Width));
            var thinning = 1 - Math.Min(0.9f, fovea.Depth / InnerThickness(thickness)) * pit;
            bounds[InnerBands] = outerTop;
            for (var k = InnerBands - 1; k >= 0; k--) bounds[k] = bounds[k + 1] - thickness[k] * thinning;
            for (var k = InnerBands; k < thickness.Length; k++) bounds[k + 1] = bounds[k] + thickness[k];
            var lift = ped.W > 0 ? ped.H * MathF.Max(0, 1 - (rx - ped.X) * (rx - ped.X) / (ped.W * ped.W)) : 0;
            for (var y = 0; y < size; y++)
            {
                var ry = y * scale;
                float level;
                var outer = thickness.Length - 2; // the ellipsoid zone and pigment epithelium: the bands a detachment lifts
                if (ry < bounds[0]) level = 0.04f;
                else if (ry >= bounds[^1]) level = 0.35f + 0.15f * ValueNoise.At(rx * 0.15f, ry * 0.15f, waveSeed + 1);
                else if (lift > 0 && ry >= bounds[outer] - lift)
                {
                    // The outer bands are lifted by `lift` into the outer nuclear layer; below them a dark, fluid-filled dome.
                    var sample = ry + lift;
                    level = sample >= bounds[^1] ? 0.08f : sample >= bounds[outer + 1] ? BandLevel[outer + 1] : BandLevel[outer];
                }
                else
                {
                    var band = 0;
                    while (band < thickness.Length - 1 && ry >= bounds[band + 1]) band++;
                    level = BandLevel[band];
                }
                if (fluid.Band >= 0)
                {
                    var fy = (bounds[fluid.Band] + bounds[fluid.Band + 1]) / 2;
                    var e = (rx - fluid.X) * (rx - fluid.X) / (fluid.A * fluid.A) + (ry - fy) * (ry - fy) / (fluid.B * fluid.B);
                    if (e < 1) level = 0.03f;
                }
                // Multiplicative speckle, as in OCT.
                var speckle = 1 + 0.35f * ValueNoise.At(rx * 0.9f, ry * 0.9f, speckleSeed);
                var v = (byte)Math.Clamp(level * speckle * gain * 255, 0, 255);
                var i = (y * size + x) * 4;
                pixels[i] = v; pixels[i + 1] = v; pixels[i + 2] = v; pixels[i + 3] = 255;
            }
        }
        return new SceneLayers(bitmap);
    }
}
