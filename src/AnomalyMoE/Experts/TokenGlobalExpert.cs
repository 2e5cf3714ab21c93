using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// Widths of the token-map global expert (<see cref="TokenGlobalExpert"/>), a cpu-preset departure from the reference's
/// image-space autoencoder.
/// </summary>
/// <param name="Width">Channels of the autoencoder's reduced token map and of its decoder.</param>
/// <param name="Code">Length of the whole image's code vector, the bottleneck that cannot hold a violated arrangement.</param>
/// <param name="CodeGrid">Side of the pooled grid the code is read from and the decoder starts at.</param>
/// <param name="StudentWidth">Channels of the student, which sees a 3×3 neighbourhood of tokens only.</param>
/// <param name="Autoencoder">The convolutional autoencoder (<see cref="TokenGlobalExpert"/>) or the MLP over the pooled layout
/// (<see cref="LayoutGlobalExpert"/>).</param>
/// <param name="LayoutHidden">Hidden width of <see cref="LayoutGlobalExpert"/>'s MLP, on either side of the code.</param>
public sealed record TokenGlobalExpertOptions(int Width = 64, int Code = 64, int CodeGrid = 4, int StudentWidth = 128,
    TokenAutoencoder Autoencoder = TokenAutoencoder.Convolutional, int LayoutHidden = 256)
{
    public TokenGlobalExpertOptions Validate()
    {
        if (Width < 1) throw new ArgumentOutOfRangeException(nameof(Width), Width, "The token global expert's Width must be positive.");
        if (Code < 1) throw new ArgumentOutOfRangeException(nameof(Code), Code, "The token global expert's Code must be positive.");
        if (CodeGrid < 1) throw new ArgumentOutOfRangeException(nameof(CodeGrid), CodeGrid, "The token global expert's CodeGrid must be positive.");
        if (StudentWidth < 1) throw new ArgumentOutOfRangeException(nameof(StudentWidth), StudentWidth, "The token global expert's StudentWidth must be positive.");
        if (LayoutHidden < 1) throw new ArgumentOutOfRangeException(nameof(LayoutHidden), LayoutHidden, "The token global expert's LayoutHidden must be positive.");
        return this;
    }
}

/// <summary>The autoencoder of a global expert over the encoder's token map.</summary>
public enum TokenAutoencoder
{
    /// <summary>A 1×1 reduction, a strided convolution and one code vector (<see cref="TokenGlobalExpert"/>).</summary>
    Convolutional,

    /// <summary>An MLP over the flattened, average-pooled layout (<see cref="LayoutGlobalExpert"/>).</summary>
    LayoutMlp,
}

/// <summary>
/// Global expert over the encoder's token map instead of the image: the reference's autoencoder + student pair
/// (<see cref="GlobalExpert"/>, after EfficientAD's logical branch) moved to feature space, so it costs a few small
/// convolutions on the 14×14 grid rather than a CNN on a 392-px image. The autoencoder squeezes the whole map through one
/// code vector and redraws it, so it can only draw an arrangement seen in training; the student maps each token's 3×3
/// neighbourhood to the autoencoder's drawing, so it follows the image as it is. Where the two disagree the arrangement
/// is new (<see cref="GlobalExpert.AnomalyMap"/>). Inputs and outputs are <c>[B,D,h,w]</c>; loss, map and EIR feature
/// are the reference global expert's.
/// </summary>
public sealed class TokenGlobalExpert : Module<Tensor, (Tensor Autoencoder, Tensor Student)>
{
    readonly Conv2d reduce, down, refine, expand, student_in, student_mid, student_out;
    readonly Linear to_code, from_code;
    readonly Dropout dropout;
    readonly TokenGlobalExpertOptions options;
    readonly int embedDim;

    public TokenGlobalExpert(int embedDim, TokenGlobalExpertOptions options) : base(nameof(TokenGlobalExpert))
    {
        this.options = options.Validate();
        this.embedDim = embedDim;
        int w = options.Width, g = options.CodeGrid, s = options.StudentWidth;
        reduce = Conv2d(embedDim, w, 1);
        down = Conv2d(w, w, 3, stride: 2, padding: 1);
        to_code = Linear(w * g * g, options.Code);
        from_code = Linear(options.Code, w * g * g);
        refine = Conv2d(w, w, 3, padding: 1);
        expand = Conv2d(w, embedDim, 1);
        dropout = Dropout(0.2);
        (student_in, student_mid, student_out) = TokenStudent.Create(embedDim, s);
        RegisterComponents();
    }

    public override (Tensor Autoencoder, Tensor Student) forward(Tensor tokens)
    {
        TokenStudent.CheckTokens(tokens, embedDim, nameof(TokenGlobalExpert));
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], h = tokens.shape[2], wGrid = tokens.shape[3];
        int g = options.CodeGrid;
        var x = functional.gelu(reduce.forward(tokens));
        x = functional.adaptive_avg_pool2d(x, [2 * g, 2 * g]);
        x = functional.gelu(down.forward(x));
        var code = to_code.forward(x.flatten(1));
        var y = functional.gelu(from_code.forward(code)).view(b, options.Width, g, g);
        y = functional.interpolate(y, [h, wGrid], mode: InterpolationMode.Bilinear, align_corners: false);
        y = dropout.forward(functional.gelu(refine.forward(y)));
        var autoencoder = expand.forward(y);
        var studentMap = TokenStudent.Forward(student_in, student_mid, student_out, tokens);
        return (autoencoder.MoveToOuterDisposeScope(), studentMap.MoveToOuterDisposeScope());
    }
}

/// <summary>
/// The student of the token-map global experts: a 1×1 widening, one 3×3 convolution and a 1×1 projection back to the
/// encoder width, so each output token sees its 3×3 neighbourhood only. Its layers stay fields of each expert (state-dict
/// keys <c>student_in.*</c>, <c>student_mid.*</c>, <c>student_out.*</c>).
/// </summary>
internal static class TokenStudent
{
    public static (Conv2d In, Conv2d Mid, Conv2d Out) Create(int embedDim, int width) =>
        (Conv2d(embedDim, width, 1), Conv2d(width, width, 3, padding: 1), Conv2d(width, embedDim, 1));

    /// <summary>A token-map expert's input check: <c>[B,D,h,w]</c> at the encoder width.</summary>
    public static void CheckTokens(Tensor tokens, int embedDim, string expert)
    {
        if (tokens.dim() != 4 || tokens.shape[1] != embedDim)
            throw new ArgumentException($"{expert} expects a [B,{embedDim},h,w] token map; got [{string.Join(", ", tokens.shape)}].", nameof(tokens));
    }

    public static Tensor Forward(Conv2d input, Conv2d mid, Conv2d output, Tensor tokens) =>
        output.forward(functional.gelu(mid.forward(functional.gelu(input.forward(tokens)))));
}
