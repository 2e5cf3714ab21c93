using System.Text;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AnomalyMoE.Encoders.Dinov2;

/// <summary>
/// Strict loading of DINOv2 weights into a <see cref="DinoVisionTransformer"/> from either an official DINOv2
/// checkpoint (plain keys, e.g. <c>dinov2_vitb14_reg4_pretrain.pth</c>) or a whole AnomalyMoE checkpoint
/// (the encoder's keys prefixed <c>encoder.</c>; every other key belongs to the experts and is ignored).
/// </summary>
public static class Dinov2Checkpoint
{
    /// <summary>The prefix of the encoder's keys in an AnomalyMoE checkpoint (the reference model's <c>self.encoder</c>).</summary>
    public const string AnomalyMoEPrefix = "encoder.";

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="model"/>. A file with any <c>encoder.</c> key is read as an
    /// AnomalyMoE checkpoint, otherwise as a plain DINOv2 one. Throws one <see cref="AnomalyMoEException"/> naming the
    /// file and listing every missing, unexpected and shape-mismatched key when the file does not fit the architecture.
    /// </summary>
    public static void LoadInto(DinoVisionTransformer model, string path)
    {
        var tensors = TorchFile.LoadTensors(path);
        try
        {
            LoadInto(model, tensors, path);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Loads from an already-read name → tensor dict; <paramref name="source"/> names it in errors. Does not take ownership.</summary>
    public static void LoadInto(DinoVisionTransformer model, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        bool wholeModel = tensors.Keys.Any(k => k.StartsWith(AnomalyMoEPrefix, StringComparison.Ordinal));
        string prefix = wholeModel ? AnomalyMoEPrefix : "";
        var weights = tensors
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var mismatched = expected
            .Where(kv => weights.TryGetValue(kv.Key, out var w) && !w.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{prefix}{kv.Key}: file [{string.Join(", ", weights[kv.Key].shape)}], model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        var notFloat = weights.Where(kv => expected.ContainsKey(kv.Key) && !kv.Value.is_floating_point()).Select(kv => prefix + kv.Key).ToList();

        if (missing.Count + unexpected.Count + mismatched.Count + notFloat.Count > 0)
        {
            var message = new StringBuilder();
            message.Append($"'{source}' does not fit the {model.Options.Name} encoder ")
                .Append(wholeModel ? "(read as an AnomalyMoE checkpoint, keys 'encoder.*')" : "(read as a DINOv2 checkpoint, plain keys)")
                .Append('.');
            AppendList(message, "missing keys", missing.Select(k => prefix + k).ToList());
            AppendList(message, "unexpected keys", unexpected.Select(k => prefix + k).ToList());
            AppendList(message, "shape mismatches", mismatched);
            AppendList(message, "non-floating-point tensors", notFloat);
            throw new AnomalyMoEException(message.ToString());
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, target) in expected) target.copy_(weights[name]);
    }

    static void AppendList(StringBuilder message, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        const int shown = 20;
        message.Append($" {items.Count} {title}: ").Append(string.Join(", ", items.Take(shown)));
        if (items.Count > shown) message.Append($", … ({items.Count - shown} more)");
        message.Append('.');
    }
}
