using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace VisRL.Torch;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a
/// JSON header mapping each name to dtype, shape and [begin, end) data offsets (plus an optional
/// "__metadata__" string map), then the raw little-endian tensor bytes. Readable by Python's
/// safetensors and torch.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary)) Save(stream, tensors, metadata);
        File.Move(temporary, path, overwrite: true); // a crash mid-write never leaves a truncated checkpoint
    }

    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian machine");
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var header = BuildHeader(names, tensors, metadata);
        // The header is padded with spaces to a multiple of 8 so the data section stays aligned.
        var padded = (header.Length + 7) / 8 * 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(header);
        for (var i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');

        foreach (var name in names)
        {
            var tensor = tensors[name];
            var size = checked((int)tensor.ByteCount);
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
            try
            {
                tensor.CopyBytesTo(buffer.AsSpan(0, size));
                stream.Write(buffer, 0, size);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static byte[] BuildHeader(List<string> names, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var memory = new MemoryStream();
        using (var json = new Utf8JsonWriter(memory))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor");
                var tensor = tensors[name];
                var bytes = tensor.ByteCount;
                json.WriteStartObject(name);
                json.WriteString("dtype", DtypeName(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        return memory.ToArray();
    }

    /// <summary>Loads every tensor to the CPU (or <paramref name="device"/>). The caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, device);
    }

    public static Dictionary<string, Tensor> Load(Stream stream, Device? device = null) => Read(stream, device, out _);

    /// <summary>The "__metadata__" map (empty when the file has none).</summary>
    public static Dictionary<string, string> LoadMetadata(string path)
    {
        using var stream = File.OpenRead(path);
        using var header = ReadHeader(stream, out _);
        return Metadata(header.RootElement);
    }

    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata, Device? device = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, device, out metadata);
    }

    private static Dictionary<string, Tensor> Read(Stream stream, Device? device, out Dictionary<string, string> metadata)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian machine");
        using var header = ReadHeader(stream, out var headerLength);
        metadata = Metadata(header.RootElement);
        var entries = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var property in header.RootElement.EnumerateObject())
        {
            if (property.Name == MetadataKey) continue;
            var entry = property.Value;
            var type = ParseDtype(entry.GetProperty("dtype").GetString() ?? "");
            var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[1] < offsets[0])
                throw new InvalidDataException($"safetensors: bad data_offsets for '{property.Name}'");
            var expected = shape.Aggregate(1L, (a, b) => a * b) * type.ElementSize();
            if (offsets[1] - offsets[0] != expected)
                throw new InvalidDataException($"safetensors: '{property.Name}' has {offsets[1] - offsets[0]} bytes, its dtype and shape need {expected}");
            entries.Add((property.Name, type, shape, offsets[0], offsets[1]));
        }

        var dataStart = 8 + headerLength;
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, type, shape, begin, end) in entries.OrderBy(e => e.Begin))
            {
                var size = checked((int)(end - begin));
                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
                try
                {
                    if (stream.CanSeek) stream.Seek(dataStart + begin, SeekOrigin.Begin);
                    stream.ReadExactly(buffer, 0, size);
                    var tensor = torch.frombuffer(buffer.AsSpan(0, size), shape, type, device).DetachFromDisposeScope();
                    result[name] = tensor;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    private static JsonDocument ReadHeader(Stream stream, out long headerLength)
    {
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length == 0 || length > (ulong)MaxHeaderBytes) throw new InvalidDataException($"safetensors: implausible header length {length}");
        headerLength = (long)length;
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        return JsonDocument.Parse(Encoding.UTF8.GetString(header).TrimEnd(' ', '\0'));
    }

    private static Dictionary<string, string> Metadata(JsonElement root)
    {
        var result = new Dictionary<string, string>();
        if (root.TryGetProperty(MetadataKey, out var metadata))
            foreach (var property in metadata.EnumerateObject()) result[property.Name] = property.Value.GetString() ?? "";
        return result;
    }

    public static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors has no dtype for {type}"),
    };

    public static ScalarType ParseDtype(string name) => name switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"safetensors: unsupported dtype '{name}'"),
    };

    /// <summary>Writes a module's state dict.</summary>
    public static void SaveModule(torch.nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, module.state_dict(), metadata);

    /// <summary>Reads a file into a module's tensors (see <see cref="torch.nn.Module.load_state_dict"/> for the checks).</summary>
    public static LoadStateDictResult LoadModule(torch.nn.Module module, string path, bool strict = true)
    {
        var tensors = Load(path);
        try
        {
            return module.load_state_dict(tensors, strict);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }
}
