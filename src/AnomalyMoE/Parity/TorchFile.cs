using System.Collections;
using AnomalyMoE.Runtime;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace AnomalyMoE.Parity;

/// <summary>
/// Reads and writes PyTorch <c>torch.save</c> files holding a flat name → tensor dict
/// (state dicts, the parity fixtures' <c>expected.pth</c>), with errors that name the file.
/// </summary>
public static class TorchFile
{
    /// <summary>Loads every tensor of a flat dict; the caller owns (disposes) the tensors.</summary>
    public static Dictionary<string, Tensor> LoadTensors(string path)
    {
        TorchRuntime.EnsureLoaded();
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint or fixture file not found: {path}", path);
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException($"'{path}' is not a readable PyTorch (torch.save) file of tensors: {e.Message}", e);
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is Tensor t) result[(string)entry.Key] = t;
        }
        return result;
    }

    /// <summary>Writes a flat dict in <c>torch.save</c> format, atomically (temporary file, then rename).</summary>
    public static void SaveTensors(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        TorchRuntime.EnsureLoaded();
        var table = new Hashtable();
        foreach (var (k, v) in tensors) table[k] = v;
        AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, table));
    }
}
