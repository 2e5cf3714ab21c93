using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>
/// The input the CNTK ResNet18 was trained on, as <c>ResNetPreprocess.onnx</c> defines it: pixel values
/// 0–255, channels reordered RGB→BGR, minus a 224×224 per-pixel mean image (BGR), no division by a
/// standard deviation. Our data pipeline hands every encoder ImageNet mean/std normalised RGB
/// (<see cref="ImageNormalization.ImageNet"/>), so <see cref="FromImageNetNormalized"/> first undoes that
/// (<c>x·std + mean</c>, then ×255). At sizes other than 224 the mean image is resized bilinearly
/// (align_corners = false) to the input size.
/// </summary>
public sealed class CntkResNetPreprocessing : IDisposable
{
    Tensor meanImage;   // [1, 3, 224, 224], BGR, 0–255 scale
    Tensor? resized;

    public CntkResNetPreprocessing(Tensor meanImageBgr)
    {
        if (meanImageBgr.dim() != 4 || meanImageBgr.shape[0] != 1 || meanImageBgr.shape[1] != 3)
            throw new ArgumentException($"the mean image must be [1, 3, H, W], got [{string.Join(", ", meanImageBgr.shape)}]");
        meanImage = meanImageBgr.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>Reads the mean image from <c>ResNetPreprocess.onnx</c> (its <c>Sub</c> node's stored operand).</summary>
    public static CntkResNetPreprocessing FromOnnx(string path)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        var model = OnnxModel.Load(path);
        var sub = model.Nodes.FirstOrDefault(n => n.OpType == "Sub")
                  ?? throw new InvalidDataException($"'{path}' has no Sub node: not the ResNet preprocessing model.");
        var mean = sub.Inputs.Select(i => model.Initializers.GetValueOrDefault(i)).FirstOrDefault(t => t is not null)
                   ?? throw new InvalidDataException($"'{path}': the Sub node '{sub.Name}' has no stored mean image.");
        var concat = model.Nodes.FirstOrDefault(n => n.OpType == "Concat");
        var split = model.Nodes.FirstOrDefault(n => n.OpType == "Split");
        // The graph must reverse the channel order (Split into R,G,B then Concat B,G,R); anything else would change the meaning.
        if (concat is null || split is null || !concat.Inputs.SequenceEqual(split.Outputs.Reverse()))
            throw new InvalidDataException($"'{path}' does not reorder RGB to BGR as expected.");
        using var t = tensor(mean.Data, mean.Dims);
        return new CntkResNetPreprocessing(t);
    }

    public Tensor MeanImage => meanImage;

    /// <summary>Moves the mean image to a device.</summary>
    public void MoveTo(Device device)
    {
        var moved = meanImage.to(device).DetachFromDisposeScope();
        if (!ReferenceEquals(moved, meanImage))
        {
            meanImage.Dispose();
            meanImage = moved;
        }
        resized?.Dispose();
        resized = null;
    }

    /// <summary>RGB in [0, 255], <c>[B, 3, H, W]</c> → network input (BGR minus mean image).</summary>
    public Tensor FromRgb255(Tensor rgb255)
    {
        using var scope = NewDisposeScope();
        var bgr = rgb255.flip(1);
        return bgr.sub(MeanFor(rgb255.shape[2], rgb255.shape[3], rgb255.dtype, rgb255.device)).MoveToOuterDisposeScope();
    }

    /// <summary>ImageNet mean/std normalised RGB <c>[B, 3, H, W]</c> → network input.</summary>
    public Tensor FromImageNetNormalized(Tensor normalized)
    {
        using var scope = NewDisposeScope();
        var n = ImageNormalization.ImageNet;
        // In the input's type: a float32 constant would promote a bfloat16 batch back to float32.
        var std = tensor(n.Std.Select(s => s * 255f).ToArray(), dtype: normalized.dtype, device: normalized.device).view(1, 3, 1, 1);
        var mean = tensor(n.Mean.Select(m => m * 255f).ToArray(), dtype: normalized.dtype, device: normalized.device).view(1, 3, 1, 1);
        var rgb255 = normalized.mul(std).add_(mean);
        return FromRgb255(rgb255).MoveToOuterDisposeScope();
    }

    Tensor MeanFor(long h, long w, ScalarType dtype, Device device)
    {
        if (meanImage.shape[2] == h && meanImage.shape[3] == w && meanImage.dtype == dtype && meanImage.device == device) return meanImage;
        if (resized is not null && resized.shape[2] == h && resized.shape[3] == w && resized.dtype == dtype && resized.device == device) return resized;
        resized?.Dispose();
        using (no_grad())
        {
            using var source = meanImage.to(dtype, device);
            var r = source.shape[2] == h && source.shape[3] == w
                ? source.clone()
                : F.interpolate(source, [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
            resized = r.DetachFromDisposeScope();
        }
        return resized;
    }

    public void Dispose()
    {
        meanImage.Dispose();
        resized?.Dispose();
    }
}
