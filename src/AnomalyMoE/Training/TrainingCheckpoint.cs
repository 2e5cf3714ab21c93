using System.Text;
using AnomalyMoE.Parity;
using AnomalyMoE.Runtime;
using static TorchSharp.torch;

namespace AnomalyMoE.Training;

/// <summary>
/// Everything a run needs to continue exactly: named tensor sections (model, optimisers, RNG state) and
/// text sections (configuration JSON, schedule, data-order state). Stored as ONE <c>torch.save</c>-format
/// file (tensors under <c>section/name</c>, texts as UTF-8 byte tensors under <c>text/name</c>) written
/// atomically, so a crash mid-write never leaves a half checkpoint and the model part loads in PyTorch too.
/// </summary>
public sealed class TrainingCheckpoint : IDisposable
{
    const string TextPrefix = "text/";

    // Section names are stored beside the tensors so that an empty section (the estimator's optimiser of a run
    // without EIR, which never steps) survives the round trip instead of vanishing with its last tensor.
    const string SectionListKey = TextPrefix + "sections";
    const string IterationKey = TextPrefix + "iteration";

    public int Iteration { get; init; }
    public Dictionary<string, Dictionary<string, Tensor>> Sections { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Texts { get; } = new(StringComparer.Ordinal);

    public void Save(string path)
    {
        var flat = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owned = new List<Tensor>();
        try
        {
            foreach (var (section, tensors) in Sections)
            {
                if (section.Contains('/') || section.Contains('\n')) throw new ArgumentException($"Checkpoint section name '{section}' must not contain '/' or a line break.");
                foreach (var (name, t) in tensors) flat[$"{section}/{name}"] = t.device_type == TorchSharp.DeviceType.CPU ? t : Own(t.cpu());
            }
            foreach (var (name, text) in Texts)
            {
                if (TextPrefix + name is IterationKey or SectionListKey) throw new ArgumentException($"Checkpoint text name '{name}' is reserved.");
                flat[TextPrefix + name] = Own(tensor(Encoding.UTF8.GetBytes(text)));
            }
            flat[IterationKey] = Own(tensor(Encoding.UTF8.GetBytes(Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            if (Sections.Count > 0) flat[SectionListKey] = Own(tensor(Encoding.UTF8.GetBytes(string.Join('\n', Sections.Keys))));
            TorchFile.SaveTensors(flat, path);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }

        Tensor Own(Tensor t)
        {
            owned.Add(t);
            return t;
        }
    }

    public static TrainingCheckpoint Load(string path)
    {
        var flat = TorchFile.LoadTensors(path);
        if (!flat.TryGetValue(IterationKey, out var iterationBytes))
        {
            foreach (var t in flat.Values) t.Dispose();
            throw new AnomalyMoEException($"'{path}' is not a training checkpoint of this kit (no iteration entry); a plain model state dict loads with --weights instead.");
        }
        var checkpoint = new TrainingCheckpoint { Iteration = int.Parse(ReadText(iterationBytes), System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (key, t) in flat)
        {
            if (key.StartsWith(TextPrefix, StringComparison.Ordinal))
            {
                if (key == SectionListKey)
                {
                    foreach (var name in ReadText(t).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                        if (!checkpoint.Sections.ContainsKey(name)) checkpoint.Sections[name] = new(StringComparer.Ordinal);
                }
                else if (key != IterationKey) checkpoint.Texts[key[TextPrefix.Length..]] = ReadText(t);
                t.Dispose();
                continue;
            }
            int slash = key.IndexOf('/');
            if (slash < 0)
            {
                t.Dispose();
                continue;
            }
            var section = key[..slash];
            if (!checkpoint.Sections.TryGetValue(section, out var dict)) checkpoint.Sections[section] = dict = new(StringComparer.Ordinal);
            dict[key[(slash + 1)..]] = t;
        }
        return checkpoint;
    }

    /// <summary>The tensors of one section; a clear error when the checkpoint lacks it.</summary>
    public Dictionary<string, Tensor> Section(string name) => Sections.TryGetValue(name, out var s)
        ? s
        : throw new AnomalyMoEException($"The checkpoint has no '{name}' section (it has: {string.Join(", ", Sections.Keys)}).");

    static string ReadText(Tensor bytes) => Encoding.UTF8.GetString(bytes.data<byte>().ToArray());

    public void Dispose()
    {
        foreach (var dict in Sections.Values)
            foreach (var t in dict.Values) t.Dispose();
        Sections.Clear();
    }
}
