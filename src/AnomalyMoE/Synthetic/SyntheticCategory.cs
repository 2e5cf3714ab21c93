using SkiaSharp;

namespace AnomalyMoE.Synthetic;

/// <summary>
/// One procedural category: how its normal images vary and how each anomaly type changes them.
/// <para>
/// Ground truth is exact by construction: the scene is rendered twice from the same layout stream,
/// once clean and once with the anomaly, and the mask is every pixel the anomaly changed visibly
/// (then closed by one pixel). For logical anomalies this masks the place where something is missing,
/// extra or misplaced, as MVTec LOCO does. Lighting and sensor noise are applied afterwards, so they
/// never leak into the mask.
/// </para>
/// </summary>
public abstract class SyntheticCategory
{
    /// <summary>Canvas-drawn categories draw in a fixed 256 × 256 reference frame, scaled to the output size.</summary>
    public const float ReferenceSize = 256f;

    /// <summary>Mask area bounds (fractions of the image) every anomaly must respect.</summary>
    public const double MinMaskFraction = 0.001, MaxMaskFraction = 0.25;

    const int MaxAttempts = 16;

    public abstract string Family { get; }
    public abstract string Name { get; }
    public abstract IReadOnlyList<AnomalyKind> AnomalyKinds { get; }

    /// <summary>Frames per clip: consecutive indices of a clip share one motion stream (video). 1 = independent images.</summary>
    public virtual int ClipLength => 1;

    /// <summary>Whether samples carry a 16-bit depth map beside the RGB rendering.</summary>
    public virtual bool HasDepth => false;

    /// <summary>Standard deviation of the per-pixel sensor noise (0–1 intensity scale).</summary>
    protected virtual float NoiseSigma => 0.025f;

    /// <summary>Strength of the global lighting change (gain and gradient).</summary>
    protected virtual float LightingStrength => 0.12f;

    /// <summary>Smallest per-channel change (0–1) that counts as part of the anomaly.</summary>
    protected virtual float MaskThreshold => 0.12f;

    /// <summary>Renders one sample; the same arguments always give the same pixels.</summary>
    public SyntheticSample Render(int seed, string split, int index, AnomalyKind? anomaly, int size)
    {
        if (anomaly != null && !AnomalyKinds.Contains(anomaly))
            throw new ArgumentException($"Anomaly type '{anomaly.Name}' does not belong to category '{Name}'.", nameof(anomaly));
        var rng = SynthRandom.ForImage(seed, Family, Name, split, index);
        var clip = SynthRandom.ForImage(seed, Family, Name, split + "/clip", index / ClipLength);
        var layout = rng.Fork("layout");
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var context = new SceneContext(size, layout, rng.Fork("defect/" + attempt), clip, index % ClipLength);
            var clean = RenderLayers(context.Fresh(), null);
            if (anomaly == null) return Finish(clean, null, null, rng);
            var changed = RenderLayers(context.Fresh(), anomaly);
            var mask = MaskOf(clean, changed, size);
            var fraction = Masks.Fraction(mask);
            clean.Dispose();
            if (fraction is >= MinMaskFraction and <= MaxMaskFraction) return Finish(changed, mask, anomaly, rng);
            changed.Dispose();
        }
        throw new InvalidOperationException(
            $"Category {Family}/{Name} could not place a '{anomaly?.Name}' anomaly with a mask of 0.1–25 % of a {size}px image " +
            $"(image {split}/{index}); use a larger --size.");
    }

    /// <summary>Draws the scene (and, when <paramref name="anomaly"/> is set, the anomaly) before lighting and noise.</summary>
    protected abstract SceneLayers RenderLayers(SceneContext context, AnomalyKind? anomaly);

    byte[] MaskOf(SceneLayers clean, SceneLayers changed, int size)
    {
        var mask = clean.Height is { } h0 && changed.Height is { } h1
            ? Masks.FromDifference(h0, h1, HeightMaskThreshold)
            : Masks.FromDifference(clean.Rgb, changed.Rgb, MaskThreshold);
        return Masks.Dilate(mask, size);
    }

    /// <summary>Smallest height change (reference units) that counts as part of a surface anomaly.</summary>
    protected virtual float HeightMaskThreshold => 0.02f;

    SyntheticSample Finish(SceneLayers layers, byte[]? mask, AnomalyKind? anomaly, SynthRandom rng)
    {
        Photometric.Apply(layers.Rgb, rng.Fork("photometric"), LightingStrength, NoiseSigma);
        var depth = layers.Height is { } height ? DepthOf(height, layers.Rgb.Width, rng.Fork("depth")) : null;
        return new SyntheticSample(this, anomaly, layers.Rgb, mask, depth);
    }

    /// <summary>Turns a height field into 16-bit depth (only for categories with <see cref="HasDepth"/>).</summary>
    protected virtual ushort[]? DepthOf(float[] height, int size, SynthRandom rng) => null;

    /// <summary>A blank opaque RGB canvas of the output size, scaled so that drawing uses the 256 reference frame.</summary>
    protected static (SKBitmap Bitmap, SKCanvas Canvas) NewCanvas(int size, SKColor background)
    {
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var canvas = new SKCanvas(bitmap);
        canvas.Clear(background);
        canvas.Scale(size / ReferenceSize);
        return (bitmap, canvas);
    }

    public override string ToString() => $"{Family}/{Name}";
}

/// <summary>
/// The random streams of one render. <see cref="Layout"/> decides the normal content, <see cref="Defect"/>
/// the anomaly, <see cref="Clip"/> the motion shared by the frames of one clip (frame <see cref="Frame"/>).
/// </summary>
public sealed class SceneContext(int size, SynthRandom layout, SynthRandom defect, SynthRandom clip, int frame)
{
    public int Size { get; } = size;
    public SynthRandom Layout { get; } = layout;
    public SynthRandom Defect { get; } = defect;
    public SynthRandom Clip { get; } = clip;
    public int Frame { get; } = frame;

    /// <summary>A copy whose streams restart from the same positions: the second render replays the first.</summary>
    public SceneContext Fresh() => new(Size, Layout.Clone(), Defect.Clone(), Clip.Clone(), Frame);
}

/// <summary>What a category renders before lighting and noise: RGB and, for surfaces, the height field.</summary>
public sealed class SceneLayers(SKBitmap rgb, float[]? height = null) : IDisposable
{
    public SKBitmap Rgb { get; } = rgb;
    public float[]? Height { get; } = height;
    public void Dispose() => Rgb.Dispose();
}

/// <summary>Categories drawn with a Skia canvas in the 256 × 256 reference frame.</summary>
public abstract class CanvasCategory : SyntheticCategory
{
    protected abstract SKColor Background(SceneContext context);

    /// <summary>Draws the scene; all layout draws must come from <see cref="SceneContext.Layout"/> before any anomaly branch.</summary>
    protected abstract void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly);

    protected sealed override SceneLayers RenderLayers(SceneContext context, AnomalyKind? anomaly)
    {
        var (bitmap, canvas) = NewCanvas(context.Size, Background(context.Fresh()));
        using (canvas) Draw(canvas, context, anomaly);
        return new SceneLayers(bitmap);
    }
}
