using AnomalyMoE.Encoders;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Data;

/// <summary>
/// Resize → center-crop → normalise for images, nearest resize → crop for masks, in managed code so that
/// decoding threads need no torch state. The arithmetic follows PyTorch 1.13's CPU kernels in float32
/// (index and weight formulas of <c>upsample_bilinear2d</c>, its antialiased variant, and <c>upsample_nearest2d</c>);
/// tests compare against values computed by <c>torch.nn.functional.interpolate</c>.
/// Only the pixels that survive the crop are computed.
/// </summary>
public static class ImageTransforms
{
    /// <summary>
    /// torchvision's <c>CenterCrop</c> offsets: <c>int(round((size − crop) / 2))</c> with Python's round-half-to-even.
    /// </summary>
    public static int CenterCropOffset(int size, int crop) => (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    /// <summary>Resizes channel-major planes <c>[channels, height, width]</c> to <c>[channels, outHeight, outWidth]</c>.</summary>
    public static float[] Resize(ReadOnlySpan<float> source, int channels, int height, int width, int outHeight, int outWidth, ResizeFilter filter)
    {
        var result = new float[channels * outHeight * outWidth];
        ResizeWindow(source, channels, height, width, outHeight, outWidth, 0, 0, outHeight, outWidth, filter, result);
        return result;
    }

    /// <summary>
    /// Writes rows <c>[top, top + windowHeight)</c> and columns <c>[left, left + windowWidth)</c> of the resized image
    /// (the resize followed by a crop) into <paramref name="destination"/> (<c>[channels, windowHeight, windowWidth]</c>).
    /// Separable: width first, then height, as PyTorch's antialiased kernel does.
    /// </summary>
    public static void ResizeWindow(ReadOnlySpan<float> source, int channels, int height, int width, int outHeight, int outWidth,
        int top, int left, int windowHeight, int windowWidth, ResizeFilter filter, Span<float> destination)
    {
        if (source.Length < channels * height * width) throw new ArgumentException($"Source holds {source.Length} values; {channels}x{height}x{width} expected.", nameof(source));
        if (destination.Length < channels * windowHeight * windowWidth) throw new ArgumentException("Destination too small for the window.", nameof(destination));
        if (top < 0 || left < 0 || top + windowHeight > outHeight || left + windowWidth > outWidth)
            throw new ArgumentOutOfRangeException(nameof(top), $"Window {windowHeight}x{windowWidth} at ({top}, {left}) exceeds the {outHeight}x{outWidth} output.");

        var columns = Taps.Compute(width, outWidth, left, windowWidth, filter);
        var rows = Taps.Compute(height, outHeight, top, windowHeight, filter);
        int rowFirst = rows.MinSource, rowCount = rows.MaxSource - rows.MinSource + 1;

        // Horizontal pass over only the source rows the vertical taps read.
        var horizontal = new float[rowCount * windowWidth];
        for (int c = 0; c < channels; c++)
        {
            var plane = source.Slice(c * height * width, height * width);
            for (int y = 0; y < rowCount; y++)
            {
                var srcRow = plane.Slice((rowFirst + y) * width, width);
                var dstRow = horizontal.AsSpan(y * windowWidth, windowWidth);
                for (int x = 0; x < windowWidth; x++)
                {
                    int start = columns.Start[x], count = columns.Count[x], w0 = x * columns.Stride;
                    float sum = srcRow[start] * columns.Weights[w0];
                    for (int k = 1; k < count; k++) sum += srcRow[start + k] * columns.Weights[w0 + k];
                    dstRow[x] = sum;
                }
            }
            var outPlane = destination.Slice(c * windowHeight * windowWidth, windowHeight * windowWidth);
            for (int y = 0; y < windowHeight; y++)
            {
                int start = rows.Start[y] - rowFirst, count = rows.Count[y], w0 = y * rows.Stride;
                var dstRow = outPlane.Slice(y * windowWidth, windowWidth);
                var first = horizontal.AsSpan(start * windowWidth, windowWidth);
                float weight = rows.Weights[w0];
                for (int x = 0; x < windowWidth; x++) dstRow[x] = first[x] * weight;
                for (int k = 1; k < count; k++)
                {
                    var next = horizontal.AsSpan((start + k) * windowWidth, windowWidth);
                    weight = rows.Weights[w0 + k];
                    for (int x = 0; x < windowWidth; x++) dstRow[x] += next[x] * weight;
                }
            }
        }
    }

    /// <summary>
    /// Nearest-neighbour resize of a byte plane then crop, as <c>interpolate(mode="nearest")</c>:
    /// source index <c>min(floor(i · in/out), in − 1)</c>.
    /// </summary>
    public static void ResizeNearestWindow(ReadOnlySpan<byte> source, int height, int width, int outHeight, int outWidth,
        int top, int left, int windowHeight, int windowWidth, Span<float> destination)
    {
        if (top < 0 || left < 0 || top + windowHeight > outHeight || left + windowWidth > outWidth)
            throw new ArgumentOutOfRangeException(nameof(top), $"Window {windowHeight}x{windowWidth} at ({top}, {left}) exceeds the {outHeight}x{outWidth} output.");
        var columns = new int[windowWidth];
        for (int x = 0; x < windowWidth; x++) columns[x] = NearestIndex(left + x, width, outWidth);
        for (int y = 0; y < windowHeight; y++)
        {
            var srcRow = source.Slice(NearestIndex(top + y, height, outHeight) * width, width);
            var dstRow = destination.Slice(y * windowWidth, windowWidth);
            for (int x = 0; x < windowWidth; x++) dstRow[x] = srcRow[columns[x]];
        }
    }

    static int NearestIndex(int outputIndex, int inputSize, int outputSize)
    {
        if (outputSize == inputSize) return outputIndex;
        float scale = (float)inputSize / outputSize;
        return Math.Min((int)MathF.Floor(outputIndex * scale), inputSize - 1);
    }

    /// <summary>In place: <c>(x − mean[c]) / std[c]</c> for each of the three planes.</summary>
    public static void Normalize(Span<float> rgb, int plane, ImageNormalization normalization)
    {
        for (int c = 0; c < 3; c++)
        {
            float mean = normalization.Mean[c], std = normalization.Std[c];
            foreach (ref var v in rgb.Slice(c * plane, plane)) v = (v - mean) / std;
        }
    }

    /// <summary>Resize to <c>ResizeTo²</c> and center-crop to <c>CropTo²</c>, values still in [0, 1] (<c>[3, C, C]</c>).</summary>
    public static void ResizeAndCrop(RgbImage image, ImageTransformOptions options, Span<float> destination)
    {
        int s = options.ResizeTo, c = options.CropTo;
        int offset = CenterCropOffset(s, c);
        ResizeWindow(image.Pixels, 3, image.Height, image.Width, s, s, offset, offset, c, c, options.Filter, destination);
    }

    /// <summary>
    /// The full image transform into <paramref name="destination"/> (<c>[3, C, C]</c>): resize, crop, optional
    /// jitter, normalise. The jitter acts on the kept pixels after resizing; its contrast reference is the
    /// whole image's mean gray, as in the reference, which jitters the full image before resizing.
    /// </summary>
    public static void TransformImage(RgbImage image, ImageTransformOptions options, Span<float> destination, JitterChoice? jitter = null)
    {
        int plane = options.CropTo * options.CropTo;
        ResizeAndCrop(image, options, destination);
        if (jitter is { } j) ApplyJitter(image, destination[..(3 * plane)], plane, j);
        Normalize(destination, plane, options.Normalization);
    }

    /// <summary>
    /// Both views from one resize: <paramref name="plain"/> normalised, and <paramref name="jittered"/> the same pixels
    /// jittered then normalised (what the loader produces for the patch/component and the global experts).
    /// </summary>
    public static void TransformImageViews(RgbImage image, ImageTransformOptions options, Span<float> plain, Span<float> jittered, JitterChoice jitter)
    {
        int plane = options.CropTo * options.CropTo;
        ResizeAndCrop(image, options, plain);
        plain[..(3 * plane)].CopyTo(jittered);
        ApplyJitter(image, jittered[..(3 * plane)], plane, jitter);
        Normalize(plain, plane, options.Normalization);
        Normalize(jittered, plane, options.Normalization);
    }

    static void ApplyJitter(RgbImage image, Span<float> rgb, int plane, JitterChoice jitter) =>
        ColorJitter.Apply(rgb, plane, jitter, jitter.Kind == JitterKind.Contrast ? ColorJitter.MeanGray(image) : 0f);

    /// <summary>The mask transform into <paramref name="destination"/> (<c>[C, C]</c>, values 0 or 1); zeros when there is no mask.</summary>
    public static void TransformMask(BinaryMask? mask, ImageTransformOptions options, Span<float> destination)
    {
        int s = options.ResizeTo, c = options.CropTo;
        if (mask is null)
        {
            destination[..(c * c)].Clear();
            return;
        }
        int offset = CenterCropOffset(s, c);
        ResizeNearestWindow(mask.Pixels, mask.Height, mask.Width, s, s, offset, offset, c, c, destination);
    }

    /// <summary>Decodes and transforms one image file to a <c>[3, C, C]</c> float32 tensor (the caller owns it).</summary>
    public static Tensor LoadImage(string path, ImageTransformOptions options, JitterChoice? jitter = null)
    {
        options.Validate();
        TorchRuntime.EnsureLoaded();
        var values = new float[3 * options.CropTo * options.CropTo];
        TransformImage(ImageDecoder.DecodeRgb(path), options, values, jitter);
        return torch.tensor(values, [3, options.CropTo, options.CropTo]);
    }

    /// <summary>Decodes and transforms one mask (file or LOCO folder) to a <c>[1, C, C]</c> float32 0/1 tensor; zeros for null.</summary>
    public static Tensor LoadMask(string? path, ImageTransformOptions options)
    {
        options.Validate();
        TorchRuntime.EnsureLoaded();
        var values = new float[options.CropTo * options.CropTo];
        TransformMask(path is null ? null : ImageDecoder.DecodeMask(path), options, values);
        return torch.tensor(values, [1, options.CropTo, options.CropTo]);
    }

    /// <summary>Per output index along one axis: first source index, tap count and normalised weights.</summary>
    sealed class Taps
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required float[] Weights { get; init; }
        public required int Stride { get; init; }
        public int MinSource => Start.Min();
        public int MaxSource => Start.Zip(Count, (s, n) => s + n - 1).Max();

        public static Taps Compute(int inputSize, int outputSize, int first, int count, ResizeFilter filter) =>
            filter == ResizeFilter.Bilinear ? Bilinear(inputSize, outputSize, first, count) : Antialiased(inputSize, outputSize, first, count);

        // upsample_bilinear2d, align_corners=False: src = max(scale·(i + 0.5) − 0.5, 0), two taps (one at the last pixel).
        static Taps Bilinear(int inputSize, int outputSize, int first, int count)
        {
            float scale = (float)inputSize / outputSize;
            var start = new int[count];
            var taps = new int[count];
            var weights = new float[2 * count];
            for (int i = 0; i < count; i++)
            {
                float real = scale * (first + i + 0.5f) - 0.5f;
                if (real < 0) real = 0;
                int index0 = (int)real;
                float lambda1 = Math.Clamp(real - index0, 0f, 1f), lambda0 = 1f - lambda1;
                start[i] = index0;
                if (index0 < inputSize - 1)
                {
                    taps[i] = 2;
                    weights[2 * i] = lambda0;
                    weights[2 * i + 1] = lambda1;
                }
                else
                {
                    taps[i] = 1;
                    weights[2 * i] = lambda0 + lambda1;
                }
            }
            return new Taps { Start = start, Count = taps, Weights = weights, Stride = 2 };
        }

        // _upsample_bilinear2d_aa (PIL's algorithm): a triangle filter of support max(scale, 1) around
        // centre scale·(i + 0.5), weights normalised to sum to one.
        static Taps Antialiased(int inputSize, int outputSize, int first, int count)
        {
            float scale = (float)inputSize / outputSize;
            float support = scale >= 1f ? scale : 1f;
            float invScale = scale >= 1f ? 1f / scale : 1f;
            int stride = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[count];
            var taps = new int[count];
            var weights = new float[stride * count];
            for (int i = 0; i < count; i++)
            {
                float center = scale * (first + i + 0.5f);
                int xmin = Math.Max((int)(center - support + 0.5f), 0);
                int xsize = Math.Min((int)(center + support + 0.5f), inputSize) - xmin;
                xsize = Math.Min(xsize, stride);
                float total = 0f;
                for (int j = 0; j < xsize; j++)
                {
                    float w = Triangle((j + xmin - center + 0.5f) * invScale);
                    weights[i * stride + j] = w;
                    total += w;
                }
                if (total != 0f)
                {
                    for (int j = 0; j < xsize; j++) weights[i * stride + j] /= total;
                }
                start[i] = xmin;
                taps[i] = Math.Max(xsize, 1);
            }
            return new Taps { Start = start, Count = taps, Weights = weights, Stride = stride };
        }

        static float Triangle(float x)
        {
            if (x < 0) x = -x;
            return x < 1f ? 1f - x : 0f;
        }
    }
}
