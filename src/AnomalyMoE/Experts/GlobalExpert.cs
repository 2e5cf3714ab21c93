using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// Configuration of one global (logical-level) expert: a convolutional autoencoder and a student network,
/// both fed the colour-jittered view of the image (reference: <c>get_autoencoder</c> / <c>get_extractor</c>).
/// </summary>
/// <param name="EmbedDim">Output channels D of both nets (the encoder width, so the autoencoder can be compared with encoder maps).</param>
/// <param name="AutoencoderWidths">Three conv widths of the autoencoder: the two first strided convs, then every later conv (reference 32, 64, 128).</param>
/// <param name="StudentWidths">Two conv widths of the student (reference 256, 512).</param>
/// <param name="OutputSize">
/// Side of the autoencoder's output map. <c>null</c> (default) follows the student's grid (input / 14), which is 28 at the
/// reference's 392 px, so the two outputs always have the same shape; a number fixes it as the reference does (28).
/// </param>
/// <param name="Dropout">Dropout after each decoder stage of the autoencoder (reference 0.2; active in training mode only).</param>
/// <param name="TokenMap">When set, the global experts are <see cref="TokenGlobalExpert"/>s over the encoder's token map instead
/// of the reference's image-space networks (a cpu-preset departure; the image widths are then unused).</param>
/// <param name="Map">What the level's anomaly map measures: the student's disagreement with the autoencoder (reference) or the
/// autoencoder's error on the coarse layout of the encoder's map (<see cref="GlobalMapKind.LayoutError"/>, a cpu-preset departure).</param>
/// <param name="LayoutGrid">Side of the pooled grid <see cref="GlobalMapKind.LayoutError"/> and <see cref="GlobalMapKind.LayoutMemory"/> compare on.</param>
/// <param name="LayoutMinimumSequences">The fewest independent sequences of training normals (images, or video clips:
/// <see cref="Data.ImageSequences"/>) a category needs for a <see cref="GlobalMapKind.LayoutMemory"/>; a category with fewer
/// keeps the trained global map (<see cref="Engine.LayoutMemorySet"/>).</param>
public sealed record GlobalExpertOptions(
    int EmbedDim,
    int[] AutoencoderWidths,
    int[] StudentWidths,
    int? OutputSize = null,
    double Dropout = 0.2,
    TokenGlobalExpertOptions? TokenMap = null,
    GlobalMapKind Map = GlobalMapKind.StudentDiscrepancy,
    int LayoutGrid = 4,
    int LayoutMinimumSequences = 8)
{
    /// <summary>What the global experts read: the image (reference) or the encoder's token map.</summary>
    public GlobalExpertInput Input => TokenMap switch
    {
        null => GlobalExpertInput.Image,
        { Autoencoder: TokenAutoencoder.LayoutMlp } => GlobalExpertInput.Layout,
        _ => GlobalExpertInput.Tokens,
    };

    /// <summary>The paper's configuration: D = 768, autoencoder 32/64/128, student 256/512.</summary>
    public static GlobalExpertOptions Paper { get; } = new(768, [32, 64, 128], [256, 512]);

    /// <summary>The reduced widths of the official parity fixture (<c>seed0/meta.json</c>): D = 64, autoencoder 4/8/16, student 16/32.</summary>
    public static GlobalExpertOptions ParityFixture { get; } = new(64, [4, 8, 16], [16, 32]);

    /// <summary>The paper's widths at another embedding width.</summary>
    public static GlobalExpertOptions PaperWidths(int embedDim) => Paper with { EmbedDim = embedDim };

    public GlobalExpertOptions Validate()
    {
        if (EmbedDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbedDim), EmbedDim, "EmbedDim must be positive.");
        if (AutoencoderWidths is not { Length: 3 } || AutoencoderWidths.Any(w => w <= 0))
            throw new ArgumentException($"AutoencoderWidths must be three positive widths; got [{string.Join(", ", AutoencoderWidths ?? [])}].", nameof(AutoencoderWidths));
        if (StudentWidths is not { Length: 2 } || StudentWidths.Any(w => w <= 0))
            throw new ArgumentException($"StudentWidths must be two positive widths; got [{string.Join(", ", StudentWidths ?? [])}].", nameof(StudentWidths));
        if (OutputSize is <= 0) throw new ArgumentOutOfRangeException(nameof(OutputSize), OutputSize, "OutputSize must be positive when given.");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (LayoutGrid < 1) throw new ArgumentOutOfRangeException(nameof(LayoutGrid), LayoutGrid, "LayoutGrid must be positive.");
        if (LayoutMinimumSequences < 2)
            throw new ArgumentOutOfRangeException(nameof(LayoutMinimumSequences), LayoutMinimumSequences, "LayoutMinimumSequences must be at least 2.");
        TokenMap?.Validate();
        return this;
    }
}

/// <summary>What the global experts read.</summary>
public enum GlobalExpertInput
{
    /// <summary>The image view, through a convolutional autoencoder and student (reference).</summary>
    Image,

    /// <summary>The encoder's token map, through <see cref="TokenGlobalExpert"/>.</summary>
    Tokens,

    /// <summary>The encoder's token map, its pooled layout through <see cref="LayoutGlobalExpert"/>'s MLP autoencoder.</summary>
    Layout,
}

/// <summary>What a global expert's anomaly map measures.</summary>
public enum GlobalMapKind
{
    /// <summary>Channel mean of (autoencoder − student)² (reference <c>calculate_raw_anomaly_maps_moe</c>, after EfficientAD).</summary>
    StudentDiscrepancy,

    /// <summary>
    /// Channel mean of (pool(autoencoder) − pool(encoder map))² on a coarse grid (<see cref="GlobalExpertOptions.LayoutGrid"/>):
    /// how far the arrangement the bottleneck can redraw is from the image's. A student trained for a few CPU minutes
    /// follows the autoencoder everywhere, so its disagreement carries little; the coarse layout is where a missing,
    /// extra or swapped part shows (docs/engine.md, Global map).
    /// </summary>
    LayoutError,

    /// <summary>
    /// Per cell of the coarse layout (<see cref="GlobalExpertOptions.LayoutGrid"/>), the distance to the nearest training
    /// normal of the image's category (<see cref="LayoutMemory"/>, a cpu-preset departure). The global experts train as the
    /// reference trains them and still route, but the level is scored by the memory: on a CPU budget their maps stay near
    /// chance on logical anomalies, while a missing, extra or swapped part moves the layout away from every normal's
    /// (docs/engine.md, Global map).
    /// </summary>
    LayoutMemory,
}

/// <summary>
/// Global expert (logical level). <c>forward(jittered [B,3,H,W])</c> returns the autoencoder map
/// <c>[B,D,s,s]</c> (s = <see cref="GlobalExpertOptions.OutputSize"/> or the student grid) and the student map
/// <c>[B,D,H/14,W/14]</c>. Submodules <c>autoencoder</c> and <c>student</c> are indexed like the reference's
/// layer lists, parameter-free layers included, so state-dict keys are <c>autoencoder.{n}.*</c> / <c>student.{n}.*</c>.
/// </summary>
public sealed class GlobalExpert : Module<Tensor, (Tensor Autoencoder, Tensor Student)>
{
    /// <summary>
    /// The smallest input side the autoencoder's encoder can reduce (three stride-2 convs, then two 9×9 stride-7 convs):
    /// 392 px. Smaller inputs are resized up to it before the autoencoder only; the student always sees the input as given.
    /// </summary>
    public const int AutoencoderMinimumInput = 392;

    // Fixed intermediate sizes of the reference's upsampling decoder; the last stage resizes to the output size.
    static readonly int[] DecoderStageSizes = [3, 7, 15, 31, 63, 31];

    readonly ModuleList<Module<Tensor, Tensor>> autoencoder;
    readonly Sequential student;
    readonly GlobalExpertOptions options;

    public GlobalExpertOptions Options => options;

    public GlobalExpert(GlobalExpertOptions options) : base(nameof(GlobalExpert))
    {
        this.options = options.Validate();
        autoencoder = new ModuleList<Module<Tensor, Tensor>>(BuildAutoencoder(options).ToArray());
        student = Sequential(BuildStudent(options).Select((m, i) => (i.ToString(), m)).ToArray());
        RegisterComponents();
    }

    static IEnumerable<Module<Tensor, Tensor>> BuildAutoencoder(GlobalExpertOptions o)
    {
        int w0 = o.AutoencoderWidths[0], w1 = o.AutoencoderWidths[1], w = o.AutoencoderWidths[2];
        // Encoder: indices 0..10.
        yield return Conv2d(3, w0, 4, stride: 2, padding: 1);
        yield return ReLU();
        yield return Conv2d(w0, w1, 4, stride: 2, padding: 1);
        yield return ReLU();
        yield return Conv2d(w1, w, 4, stride: 2, padding: 1);
        yield return ReLU();
        yield return Conv2d(w, w, 3, stride: 1, padding: 1);
        yield return ReLU();
        yield return Conv2d(w, w, 9, stride: 7, padding: 1);
        yield return ReLU();
        yield return Conv2d(w, w, 9, stride: 7, padding: 1);
        // Decoder: six (upsample, conv 4×4 pad 2, ReLU, dropout) stages, indices 11..34.
        foreach (var size in DecoderStageSizes)
        {
            yield return new BilinearResize(size);
            yield return Conv2d(w, w, 4, stride: 1, padding: 2);
            yield return ReLU();
            yield return Dropout(o.Dropout);
        }
        // Resize to the output size (index 35), then two 3×3 convs (36, 38).
        yield return new BilinearResize(null);
        yield return Conv2d(w, w, 3, stride: 1, padding: 1);
        yield return ReLU();
        yield return Conv2d(w, o.EmbedDim, 3, stride: 1, padding: 1);
    }

    static IEnumerable<Module<Tensor, Tensor>> BuildStudent(GlobalExpertOptions o)
    {
        int s0 = o.StudentWidths[0], s1 = o.StudentWidths[1], d = o.EmbedDim;
        yield return Conv2d(3, s0, 3, padding: 1);
        yield return ReLU();
        yield return AvgPool2d(2, stride: 2);
        yield return Conv2d(s0, s1, 3, padding: 1);
        yield return ReLU();
        yield return AvgPool2d(7, stride: 7);
        yield return Conv2d(s1, s1, 1);
        yield return ReLU();
        yield return Conv2d(s1, s1, 3, padding: 1);
        yield return ReLU();
        yield return Conv2d(s1, d, 3, padding: 1);
        yield return ReLU();
        yield return Conv2d(d, d, 1);
    }

    /// <summary>The student's grid for an input of the given size: ⌊⌊H/2⌋/7⌋ × ⌊⌊W/2⌋/7⌋ (= H/14 for multiples of 14).</summary>
    public static (long H, long W) StudentGrid(long height, long width) => (height / 2 / 7, width / 2 / 7);

    public override (Tensor Autoencoder, Tensor Student) forward(Tensor jittered)
    {
        if (jittered.dim() != 4 || jittered.shape[1] != 3)
            throw new ArgumentException($"GlobalExpert expects a [B,3,H,W] image batch; got [{string.Join(", ", jittered.shape)}].", nameof(jittered));
        var (gridH, gridW) = StudentGrid(jittered.shape[2], jittered.shape[3]);
        if (gridH < 1 || gridW < 1)
            throw new ArgumentException($"GlobalExpert needs inputs of at least 14×14 px; got {jittered.shape[2]}×{jittered.shape[3]}.", nameof(jittered));

        using var scope = NewDisposeScope();
        var studentOut = student.forward(jittered);
        var outH = options.OutputSize ?? gridH;
        var outW = options.OutputSize ?? gridW;
        var x = jittered;
        if (x.shape[2] < AutoencoderMinimumInput || x.shape[3] < AutoencoderMinimumInput)
        {
            x = functional.interpolate(x,
                [Math.Max(x.shape[2], AutoencoderMinimumInput), Math.Max(x.shape[3], AutoencoderMinimumInput)],
                mode: InterpolationMode.Bilinear, align_corners: false);
        }
        foreach (var layer in autoencoder)
        {
            x = layer is BilinearResize { FollowsOutput: true } resize ? resize.ResizeTo(x, outH, outW) : layer.forward(x);
        }
        return (x.MoveToOuterDisposeScope(), studentOut.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Per-image training loss <c>[B]</c>: MSE(student, autoencoder) + MSE(autoencoder resized bilinearly to the target's grid, target),
    /// each a mean over channels and positions (reference <c>calculate_moe_loss</c>). <paramref name="target"/> is the last
    /// encoder group map of the jittered view, <c>[B,D,h,w]</c>.
    /// </summary>
    public static Tensor PerImageLoss(Tensor autoencoderOut, Tensor studentOut, Tensor target, int? layoutGrid = null)
    {
        using var scope = NewDisposeScope();
        var studentTerm = functional.mse_loss(studentOut, autoencoderOut, Reduction.None).mean([1, 2, 3]);
        var resized = functional.interpolate(autoencoderOut, [target.shape[2], target.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        // Under the layout-error map the autoencoder learns what it is scored on: the pooled layout, not every token's detail.
        var autoencoderTerm = layoutGrid is int g
            ? functional.mse_loss(functional.adaptive_avg_pool2d(resized, [g, g]), functional.adaptive_avg_pool2d(target, [g, g]), Reduction.None).mean([1, 2, 3])
            : functional.mse_loss(resized, target, Reduction.None).mean([1, 2, 3]);
        return (autoencoderTerm + studentTerm).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The expert's anomaly map <c>[B,1,gridH,gridW]</c>: channel mean of (autoencoder − student)², resized bilinearly to the grid.
    /// </summary>
    public static Tensor AnomalyMap(Tensor autoencoderOut, Tensor studentOut, long gridH, long gridW)
    {
        using var scope = NewDisposeScope();
        var error = (autoencoderOut - studentOut).pow(2).mean([1], keepdim: true);
        return functional.interpolate(error, [gridH, gridW], mode: InterpolationMode.Bilinear, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The <see cref="GlobalMapKind.LayoutError"/> map <c>[B,1,gridH,gridW]</c>: the autoencoder map resized to the target's
    /// grid, both average-pooled to <paramref name="layoutGrid"/>², the channel mean of their squared difference, resized
    /// bilinearly to the grid.
    /// </summary>
    public static Tensor LayoutErrorMap(Tensor autoencoderOut, Tensor target, int layoutGrid, long gridH, long gridW)
    {
        using var scope = NewDisposeScope();
        var drawn = autoencoderOut.shape[2] == target.shape[2] && autoencoderOut.shape[3] == target.shape[3]
            ? autoencoderOut
            : functional.interpolate(autoencoderOut, [target.shape[2], target.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        var error = (functional.adaptive_avg_pool2d(drawn, [layoutGrid, layoutGrid]) - functional.adaptive_avg_pool2d(target, [layoutGrid, layoutGrid]))
            .pow(2).mean([1], keepdim: true);
        return functional.interpolate(error, [gridH, gridW], mode: InterpolationMode.Bilinear, align_corners: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The expert's feature for EIR: the spatial mean of the student map, <c>[B,D]</c> (reference <c>features</c>).</summary>
    public static Tensor Feature(Tensor studentOut) => studentOut.mean([2, 3]);

    /// <summary>A global expert of the kind the options name: the reference's image networks or the token-map expert.</summary>
    public static Module<Tensor, (Tensor Autoencoder, Tensor Student)> Create(GlobalExpertOptions options) =>
        options.TokenMap switch
        {
            null => new GlobalExpert(options),
            { Autoencoder: TokenAutoencoder.LayoutMlp } layout => new LayoutGlobalExpert(options.EmbedDim, layout),
            var tokens => new TokenGlobalExpert(options.EmbedDim, tokens),
        };
}

/// <summary>
/// Parameter-free bilinear resize (align_corners = false) to a fixed size, standing in for the reference's
/// <c>nn.Upsample(size=…, mode="bilinear")</c>. Without a size it resizes to the size its owner asks for.
/// </summary>
internal sealed class BilinearResize : Module<Tensor, Tensor>
{
    readonly int? size;

    public BilinearResize(int? size) : base(nameof(BilinearResize)) => this.size = size;

    /// <summary>True when the owner decides the size at each call.</summary>
    public bool FollowsOutput => size is null;

    public override Tensor forward(Tensor input) =>
        size is int s ? ResizeTo(input, s, s) : throw new InvalidOperationException("This resize layer takes its size from its owner.");

    public Tensor ResizeTo(Tensor input, long height, long width) =>
        functional.interpolate(input, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
}
