using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AnomalyMoE.Experts;

/// <summary>
/// Global expert over the coarse layout of the encoder's token map (<c>--global-input layout</c>, a cpu-preset departure):
/// the token map average-pooled to <see cref="TokenGlobalExpertOptions.CodeGrid"/>² cells is flattened and squeezed
/// through an MLP autoencoder with a <see cref="TokenGlobalExpertOptions.Code"/>-value code, so every cell is redrawn
/// from the whole image's arrangement at once (where <see cref="TokenGlobalExpert"/>'s 1×1 reduction and strided
/// convolution first mix neighbouring cells and drop most channels). A missing, extra or swapped part changes one
/// cell's pooled feature in a way the code of a normal arrangement cannot redraw. The drawing is resized bilinearly to
/// the token grid; the student (3×3 token neighbourhoods, as in <see cref="TokenGlobalExpert"/>), the loss, the map and
/// the EIR feature are the reference global expert's.
/// </summary>
public sealed class LayoutGlobalExpert : Module<Tensor, (Tensor Autoencoder, Tensor Student)>
{
    readonly Linear encode_hidden, encode_code, decode_hidden, decode_layout;
    readonly Conv2d student_in, student_mid, student_out;
    readonly Dropout dropout;
    readonly TokenGlobalExpertOptions options;
    readonly int embedDim;

    public LayoutGlobalExpert(int embedDim, TokenGlobalExpertOptions options) : base(nameof(LayoutGlobalExpert))
    {
        this.options = options.Validate();
        this.embedDim = embedDim;
        int cells = embedDim * options.CodeGrid * options.CodeGrid, hidden = options.LayoutHidden, s = options.StudentWidth;
        encode_hidden = Linear(cells, hidden);
        encode_code = Linear(hidden, options.Code);
        decode_hidden = Linear(options.Code, hidden);
        decode_layout = Linear(hidden, cells);
        dropout = Dropout(0.2);
        (student_in, student_mid, student_out) = TokenStudent.Create(embedDim, s);
        RegisterComponents();
    }

    public override (Tensor Autoencoder, Tensor Student) forward(Tensor tokens)
    {
        TokenStudent.CheckTokens(tokens, embedDim, nameof(LayoutGlobalExpert));
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], h = tokens.shape[2], w = tokens.shape[3];
        int g = options.CodeGrid;
        var layout = functional.adaptive_avg_pool2d(tokens, [g, g]).flatten(1);
        var code = encode_code.forward(functional.gelu(encode_hidden.forward(layout)));
        var drawn = decode_layout.forward(dropout.forward(functional.gelu(decode_hidden.forward(functional.gelu(code)))));
        var autoencoder = functional.interpolate(drawn.view(b, embedDim, g, g), [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        var studentMap = TokenStudent.Forward(student_in, student_mid, student_out, tokens);
        return (autoencoder.MoveToOuterDisposeScope(), studentMap.MoveToOuterDisposeScope());
    }
}
