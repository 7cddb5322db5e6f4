using System.Text.Json;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

/// <summary>Inputs and PyTorch's outputs from Python/reference_ops.py, computed once per test run.</summary>
public sealed class ReferenceFixture
{
    private readonly Dictionary<string, JsonElement> _inputs;
    private readonly Dictionary<string, JsonElement> _outputs;

    public ReferenceFixture()
    {
        using var document = JsonDocument.Parse(PythonTorch.Run("reference_ops.py"));
        _inputs = document.RootElement.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        _outputs = document.RootElement.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    public IEnumerable<string> OutputNames => _outputs.Keys;

    /// <summary>A fresh tensor with the reference input's values (the caller disposes it).</summary>
    public Tensor Input(string name) => ToTensor(_inputs[name]);

    public Tensor Expected(string name) => ToTensor(_outputs[name]);

    public static Tensor ToTensor(JsonElement element)
    {
        var shape = element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var data = element.GetProperty("data");
        return element.GetProperty("dtype").GetString() switch
        {
            "float32" => tensor(data.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(), shape),
            "int64" => tensor(data.EnumerateArray().Select(e => e.GetInt64()).ToArray(), shape),
            "bool" => tensor(data.EnumerateArray().Select(e => e.GetBoolean()).ToArray(), shape),
            var other => throw new InvalidDataException($"unexpected dtype {other}"),
        };
    }
}
