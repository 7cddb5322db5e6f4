namespace VisRL.Torch;

/// <summary>A device such as <c>cpu</c> or <c>cuda:0</c>.</summary>
public sealed record Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);

    public static Device CUDA(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string description)
    {
        var text = description.Trim().ToLowerInvariant();
        if (text == "cpu") return CPU;
        if (text == "cuda") return CUDA(0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out var index) && index >= 0)
            return CUDA(index);
        throw new ArgumentException($"unknown device '{description}'; expected cpu, cuda or cuda:N", nameof(description));
    }

    internal int NativeIndex => type == DeviceType.CUDA ? Math.Max(index, 0) : -1;

    public override string ToString() => type == DeviceType.CPU ? "cpu" : $"cuda:{NativeIndex}";
}
