namespace AnomalyMoE.Encoders.Dinov2;

/// <summary>
/// Architecture of a DINOv2 vision transformer (Oquab et al. 2023; registers: Darcet et al. 2024).
/// Only the architecture: weights come from a checkpoint file or are random for benchmarks.
/// </summary>
/// <param name="Name">Registry name, e.g. <c>dinov2_vitb14_reg4</c>.</param>
/// <param name="Width">Embedding width D.</param>
/// <param name="Depth">Number of transformer blocks.</param>
/// <param name="Heads">Attention heads per block (D must be divisible by it).</param>
/// <param name="RegisterTokens">Register tokens inserted after the class token (0 or 4 in the released models).</param>
/// <param name="PatchSize">Pixels per patch side (14 in every released DINOv2).</param>
/// <param name="MlpRatio">MLP hidden width as a multiple of D.</param>
/// <param name="LayerScaleInit">Initial LayerScale gamma for random weights (the hub models are built with 1.0).</param>
/// <param name="PosEmbedGrid">Side of the learned positional-embedding grid: 37 = 518 px / 14.</param>
/// <param name="LayerNormEps">Epsilon of every LayerNorm (DINOv2 uses 1e-6).</param>
/// <param name="InterpolateOffset">Added to the target grid side before the bicubic scale factor is computed (DINOv2: 0.1).</param>
public sealed record Dinov2Options(
    string Name,
    int Width,
    int Depth,
    int Heads,
    int RegisterTokens,
    int PatchSize = 14,
    double MlpRatio = 4.0,
    double LayerScaleInit = 1.0,
    int PosEmbedGrid = 37,
    double LayerNormEps = 1e-6,
    double InterpolateOffset = 0.1)
{
    public static Dinov2Options VitS14 { get; } = new("dinov2_vits14", 384, 12, 6, 0);
    public static Dinov2Options VitS14Reg4 { get; } = new("dinov2_vits14_reg4", 384, 12, 6, 4);
    public static Dinov2Options VitB14 { get; } = new("dinov2_vitb14", 768, 12, 12, 0);
    public static Dinov2Options VitB14Reg4 { get; } = new("dinov2_vitb14_reg4", 768, 12, 12, 4);
    public static Dinov2Options VitL14 { get; } = new("dinov2_vitl14", 1024, 24, 16, 0);
    public static Dinov2Options VitL14Reg4 { get; } = new("dinov2_vitl14_reg4", 1024, 24, 16, 4);

    /// <summary>The configuration of the official-parity fixtures' encoder (shared/fixtures/official-parity).</summary>
    public static Dinov2Options Tiny { get; } = new("dinov2_tiny_reg4", 64, 10, 4, 4);

    public static IReadOnlyList<Dinov2Options> Presets { get; } = [VitS14, VitS14Reg4, VitB14, VitB14Reg4, VitL14, VitL14Reg4, Tiny];

    /// <summary>MLP hidden width (DINOv2: <c>int(D · mlp_ratio)</c>).</summary>
    public int MlpHidden => (int)(Width * MlpRatio);

    /// <summary>Class token plus registers.</summary>
    public int PrefixTokens => 1 + RegisterTokens;

    /// <summary>
    /// Finds a preset by name. Accepts the registry names (<c>dinov2_vits14_reg4</c>) and the short forms
    /// <c>vit-s14</c>, <c>vits14</c>, <c>vit-b14-reg4</c>, <c>vitl14_reg4</c>, <c>tiny</c>.
    /// </summary>
    public static Dinov2Options FromName(string name)
    {
        var key = Normalize(name);
        foreach (var preset in Presets)
        {
            if (Normalize(preset.Name) == key || (preset == Tiny && key == "tiny")) return preset;
        }
        throw new ArgumentException(
            $"Unknown DINOv2 model '{name}': expected one of vit-s14, vit-s14-reg4, vit-b14, vit-b14-reg4, vit-l14, vit-l14-reg4, tiny.");
    }

    static string Normalize(string name)
    {
        var s = name.Trim().ToLowerInvariant().Replace("-", "").Replace("_", "");
        return s.StartsWith("dinov2", StringComparison.Ordinal) ? s["dinov2".Length..] : s;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public Dinov2Options Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("Dinov2Options.Name must not be empty.");
        if (Width <= 0) throw new ArgumentException($"Dinov2Options.Width must be positive, got {Width}.");
        if (Depth <= 0) throw new ArgumentException($"Dinov2Options.Depth must be positive, got {Depth}.");
        if (Heads <= 0) throw new ArgumentException($"Dinov2Options.Heads must be positive, got {Heads}.");
        if (Width % Heads != 0) throw new ArgumentException($"Dinov2Options.Width {Width} is not divisible by Heads {Heads}.");
        if (RegisterTokens < 0) throw new ArgumentException($"Dinov2Options.RegisterTokens must be 0 or more, got {RegisterTokens}.");
        if (PatchSize <= 0) throw new ArgumentException($"Dinov2Options.PatchSize must be positive, got {PatchSize}.");
        if (!(MlpRatio > 0) || MlpHidden <= 0) throw new ArgumentException($"Dinov2Options.MlpRatio must give a positive hidden width, got {MlpRatio}.");
        if (!double.IsFinite(LayerScaleInit)) throw new ArgumentException($"Dinov2Options.LayerScaleInit must be finite, got {LayerScaleInit}.");
        if (PosEmbedGrid <= 0) throw new ArgumentException($"Dinov2Options.PosEmbedGrid must be positive, got {PosEmbedGrid}.");
        if (!(LayerNormEps > 0)) throw new ArgumentException($"Dinov2Options.LayerNormEps must be positive, got {LayerNormEps}.");
        if (!(InterpolateOffset >= 0 && InterpolateOffset < 1)) throw new ArgumentException($"Dinov2Options.InterpolateOffset must be in [0, 1), got {InterpolateOffset}.");
        return this;
    }
}
