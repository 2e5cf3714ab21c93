using System.Runtime.InteropServices;
using Google.Protobuf;

namespace AnomalyMoE.Encoders.ResNet;

/// <summary>A dense float tensor from an ONNX file: its dimensions and row-major values.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, float[] Data);

/// <summary>One ONNX attribute; only the value kinds the converter needs are kept.</summary>
public sealed record OnnxAttribute(string Name, long? Int, float? Float, long[] Ints, float[] Floats, string? Text, OnnxTensor? Tensor);

/// <summary>One graph node: operator, input and output value names, attributes by name.</summary>
public sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public long[] Ints(string name, long[] fallback) => Attributes.TryGetValue(name, out var a) && a.Ints.Length > 0 ? a.Ints : fallback;
    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.Int is { } v ? v : fallback;
    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.Float is { } v ? v : fallback;
}

/// <summary>
/// The subset of an ONNX model (ModelProto → GraphProto) that weight conversion needs: nodes in graph order,
/// float initializers (including Constant node values), and the graph's input and output names.
/// Read with protobuf's <see cref="CodedInputStream"/> by the field numbers of the ONNX schema (onnx/onnx.proto);
/// unknown fields are skipped, so newer files parse as long as the used fields keep their meaning.
/// </summary>
public sealed class OnnxModel
{
    public required string Path { get; init; }
    public required string ProducerName { get; init; }
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, OnnxTensor> Initializers { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }

    // ONNX TensorProto.DataType values that we decode.
    const int Float32 = 1, Int32 = 6, Int64 = 7, Double64 = 11;

    /// <summary>Reads an ONNX file; a missing or malformed file gets an error naming it.</summary>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        try
        {
            return Parse(File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"'{path}' is not a readable ONNX model: {e.Message}", e);
        }
    }

    /// <summary>A nested message or bytes field, as a range of the file's buffer (no copy of 64 MB per nesting level).</summary>
    readonly record struct Slice(byte[] Buffer, int Offset, int Length)
    {
        public CodedInputStream Open() => new(Buffer, Offset, Length);
        public ReadOnlySpan<byte> Span => Buffer.AsSpan(Offset, Length);
    }

    /// <summary>
    /// The length-delimited field whose tag was just read, as a slice: skips it and decodes its length prefix
    /// from the buffer. <see cref="CodedInputStream.Position"/> is an index into the buffer for array-backed streams.
    /// </summary>
    static Slice NextSlice(CodedInputStream s, byte[] buffer)
    {
        int start = checked((int)s.Position);
        s.SkipLastField();
        int end = checked((int)s.Position);
        ulong length = 0;
        int p = start;
        for (int shift = 0; ; shift += 7)
        {
            if (p >= end || shift > 35) throw new InvalidDataException("malformed length prefix");
            byte b = buffer[p++];
            length |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) break;
        }
        if ((ulong)(end - p) != length) throw new InvalidDataException("length prefix does not match the field's extent");
        return new Slice(buffer, p, (int)length);
    }

    static OnnxModel Parse(byte[] bytes, string path)
    {
        var input = new CodedInputStream(bytes);
        string producer = "";
        Slice? graph = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2: producer = input.ReadString(); break;            // producer_name
                case 7: graph = NextSlice(input, bytes); break;          // graph
                default: input.SkipLastField(); break;
            }
        }
        if (graph is null) throw new InvalidDataException("the model has no graph (ModelProto field 7)");

        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var g = graph.Value.Open();
        while ((tag = g.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: nodes.Add(ReadNode(NextSlice(g, bytes))); break;                               // node
                case 5: { var t = ReadTensor(NextSlice(g, bytes)); initializers[t.Name] = t; break; }  // initializer
                case 11: inputs.Add(ReadValueInfoName(NextSlice(g, bytes))); break;                    // input
                case 12: outputs.Add(ReadValueInfoName(NextSlice(g, bytes))); break;                   // output
                default: g.SkipLastField(); break;
            }
        }
        // Constant nodes carry weights in some exporters: treat their value as an initializer of the output name.
        foreach (var n in nodes)
        {
            if (n.OpType == "Constant" && n.Attributes.TryGetValue("value", out var v) && v.Tensor is { } t && n.Outputs.Count == 1)
                initializers[n.Outputs[0]] = t with { Name = n.Outputs[0] };
        }
        var inits = new HashSet<string>(initializers.Keys, StringComparer.Ordinal);
        return new OnnxModel
        {
            Path = path,
            ProducerName = producer,
            Nodes = nodes,
            Initializers = initializers,
            Inputs = inputs.Where(i => !inits.Contains(i)).ToList(),
            Outputs = outputs,
        };
    }

    static string ReadValueInfoName(Slice slice)
    {
        var s = slice.Open();
        uint tag;
        string name = "";
        while ((tag = s.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) name = s.ReadString();
            else s.SkipLastField();
        }
        return name;
    }

    static OnnxNode ReadNode(Slice slice)
    {
        var s = slice.Open();
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string name = "", op = "";
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(s.ReadString()); break;
                case 2: outputs.Add(s.ReadString()); break;
                case 3: name = s.ReadString(); break;
                case 4: op = s.ReadString(); break;
                case 5: { var a = ReadAttribute(NextSlice(s, slice.Buffer)); attributes[a.Name] = a; break; }
                default: s.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, op, inputs, outputs, attributes);
    }

    static OnnxAttribute ReadAttribute(Slice slice)
    {
        var s = slice.Open();
        string name = "";
        long? i = null;
        float? f = null;
        string? text = null;
        OnnxTensor? tensor = null;
        var ints = new List<long>();
        var floats = new List<float>();
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            switch (field)
            {
                case 1: name = s.ReadString(); break;
                case 2: f = s.ReadFloat(); break;
                case 3: i = s.ReadInt64(); break;
                case 4: text = s.ReadBytes().ToStringUtf8(); break;
                case 5: tensor = ReadTensor(NextSlice(s, slice.Buffer)); break;
                case 7: floats.AddRange(ReadFloats(s, wire, slice.Buffer)); break;
                case 8: ReadRepeated(s, wire, ints, x => x.ReadInt64(), WireFormat.WireType.Varint); break;
                default: s.SkipLastField(); break;
            }
        }
        return new OnnxAttribute(name, i, f, ints.ToArray(), floats.ToArray(), text, tensor);
    }

    /// <summary>Reads one element of a repeated scalar field, or all of a packed run.</summary>
    static void ReadRepeated<T>(CodedInputStream s, WireFormat.WireType wire, List<T> into, Func<CodedInputStream, T> read, WireFormat.WireType elementWire)
    {
        if (wire == WireFormat.WireType.LengthDelimited && elementWire != WireFormat.WireType.LengthDelimited)
        {
            var packed = s.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd) into.Add(read(packed));
        }
        else
        {
            into.Add(read(s));
        }
    }

    /// <summary>Floats, packed (one block, cast in bulk: the CNTK export stores weights this way) or one at a time.</summary>
    static float[] ReadFloats(CodedInputStream s, WireFormat.WireType wire, byte[] buffer)
    {
        if (wire != WireFormat.WireType.LengthDelimited) return [s.ReadFloat()];
        var packed = NextSlice(s, buffer);
        if (packed.Length % sizeof(float) != 0) throw new InvalidDataException("a packed float field has a length that is not a multiple of 4");
        return LittleEndian<float>(packed.Span);
    }

    /// <summary>Protobuf fixed-width values and ONNX raw_data are little-endian.</summary>
    static T[] LittleEndian<T>(ReadOnlySpan<byte> bytes) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("reading ONNX tensors needs a little-endian machine");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    static OnnxTensor ReadTensor(Slice slice)
    {
        var s = slice.Open();
        var dims = new List<long>();
        var floatChunks = new List<float[]>();
        var int32Data = new List<int>();
        var int64Data = new List<long>();
        var doubleData = new List<double>();
        int dataType = 0;
        string name = "";
        Slice? raw = null;
        bool external = false;
        uint tag;
        while ((tag = s.ReadTag()) != 0)
        {
            var wire = WireFormat.GetTagWireType(tag);
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadRepeated(s, wire, dims, x => x.ReadInt64(), WireFormat.WireType.Varint); break;
                case 2: dataType = s.ReadInt32(); break;
                case 4: floatChunks.Add(ReadFloats(s, wire, slice.Buffer)); break;
                case 5: ReadRepeated(s, wire, int32Data, x => x.ReadInt32(), WireFormat.WireType.Varint); break;
                case 7: ReadRepeated(s, wire, int64Data, x => x.ReadInt64(), WireFormat.WireType.Varint); break;
                case 8: name = s.ReadString(); break;
                case 9: raw = NextSlice(s, slice.Buffer); break;
                case 10: ReadRepeated(s, wire, doubleData, x => x.ReadDouble(), WireFormat.WireType.Fixed64); break;
                case 14: external = s.ReadEnum() == 1; break;
                default: s.SkipLastField(); break;
            }
        }
        if (external) throw new InvalidDataException($"tensor '{name}' stores its data in an external file, which is not supported");
        long count = dims.Aggregate(1L, (a, b) => a * b);
        float[] data = dataType switch
        {
            Float32 when raw is { Length: > 0 } r => LittleEndian<float>(r.Span),
            Float32 => floatChunks.Count == 1 ? floatChunks[0] : floatChunks.SelectMany(c => c).ToArray(),
            Double64 when raw is { Length: > 0 } r => LittleEndian<double>(r.Span).Select(d => (float)d).ToArray(),
            Double64 => doubleData.Select(d => (float)d).ToArray(),
            Int64 when raw is { Length: > 0 } r => LittleEndian<long>(r.Span).Select(v => (float)v).ToArray(),
            Int64 => int64Data.Select(v => (float)v).ToArray(),
            Int32 when raw is { Length: > 0 } r => LittleEndian<int>(r.Span).Select(v => (float)v).ToArray(),
            Int32 => int32Data.Select(v => (float)v).ToArray(),
            _ => throw new InvalidDataException($"tensor '{name}' has ONNX data type {dataType}, which the converter does not read"),
        };
        if (data.Length != count)
            throw new InvalidDataException($"tensor '{name}' has {data.Length} values but its dims [{string.Join(", ", dims)}] need {count}");
        return new OnnxTensor(name, dims.ToArray(), data);
    }
}
