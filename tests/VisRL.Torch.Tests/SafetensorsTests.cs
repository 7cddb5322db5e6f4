using System.Buffers.Binary;
using System.Text.Json;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

/// <summary>The safetensors format against Python: files this binding writes are read by Python, and the reverse.</summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("visrl-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Dictionary<string, Tensor> KnownTensors() => new()
    {
        ["encoder.weight"] = Values.Float([2, 3, 4], 0.2),
        ["encoder.half"] = Values.Float([3, 2], 1.0, 50).to(float16),
        ["encoder.bf16"] = Values.Float([5], 2.0, 9).to(bfloat16),
        ["ids"] = tensor(new long[] { 7, -2, 1L << 42, 0 }, [2, 2]),
        ["mask"] = tensor(new[] { true, false, false, true, true }),
        ["scalar"] = scalar_tensor(-1.5),
        ["empty"] = zeros([0, 3]),
    };

    [Fact]
    public void Python_reads_what_the_binding_writes()
    {
        using var scope = NewDisposeScope();
        var tensors = KnownTensors();
        var path = Path.Combine(_directory, "from-dotnet.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["step"] = "42", ["note"] = "ünïcode" });

        using var json = JsonDocument.Parse(PythonTorch.Run("safetensors_interop.py", "read", path));
        var metadata = json.RootElement.GetProperty("metadata");
        Assert.Equal("42", metadata.GetProperty("step").GetString());
        Assert.Equal("ünïcode", metadata.GetProperty("note").GetString());
        var read = json.RootElement.GetProperty("tensors");
        Assert.Equal(tensors.Keys.Order(), read.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, tensor) in tensors)
        {
            var entry = read.GetProperty(name);
            Assert.Equal(Safetensors.DtypeName(tensor.dtype), entry.GetProperty("dtype").GetString());
            Assert.Equal(tensor.shape, entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            Assert.Equal(tensor.ToArray<double>(), entry.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        }
    }

    [Fact]
    public void The_binding_reads_what_python_writes()
    {
        var path = Path.Combine(_directory, "from-python.safetensors");
        using var json = JsonDocument.Parse(PythonTorch.Run("safetensors_interop.py", "write", path));
        var expected = json.RootElement.GetProperty("tensors");

        var loaded = Safetensors.Load(path, out var metadata);
        try
        {
            Assert.Equal("python", metadata["written_by"]);
            Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(), loaded.Keys.Order());
            foreach (var entry in expected.EnumerateObject())
            {
                var tensor = loaded[entry.Name];
                Assert.Equal(Safetensors.ParseDtype(entry.Value.GetProperty("dtype").GetString()!), tensor.dtype);
                Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), tensor.shape);
                Assert.Equal(entry.Value.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray(), tensor.ToArray<double>());
            }
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    [Fact]
    public void Header_follows_the_format()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_directory, "layout.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["b"] = ones([3], int64), ["a"] = ones([2, 2]) });
        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        // Tensors are laid out in name order, back to back.
        Assert.Equal([0, 16], header.RootElement.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([16, 40], header.RootElement.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(8 + headerLength + 40, bytes.Length);
        Assert.Equal(1.0f, BitConverter.ToSingle(bytes, (int)(8 + headerLength)));
        Assert.Equal(1L, BitConverter.ToInt64(bytes, (int)(8 + headerLength + 16)));
    }

    [Fact]
    public void Corrupt_file_is_rejected_with_a_clear_error()
    {
        var path = Path.Combine(_directory, "corrupt.safetensors");
        var header = """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}"""u8.ToArray();
        var file = new byte[8 + header.Length + 12];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains("'w'", error.Message);
    }

    [Fact]
    public void Module_round_trip_restores_every_parameter()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var source = nn.Linear(4, 3);
        using var copy = nn.Linear(4, 3);
        var path = Path.Combine(_directory, "linear.safetensors");
        Safetensors.SaveModule(source, path, new Dictionary<string, string> { ["kind"] = "linear" });
        Assert.NotEqual(source.weight.ToArray<float>(), copy.weight.ToArray<float>());
        Safetensors.LoadModule(copy, path);
        Assert.Equal(source.weight.ToArray<float>(), copy.weight.ToArray<float>());
        Assert.Equal(source.bias!.ToArray<float>(), copy.bias!.ToArray<float>());
        Assert.Equal("linear", Safetensors.LoadMetadata(path)["kind"]);
    }
}
