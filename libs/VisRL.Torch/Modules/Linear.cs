using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>y = x·Wᵀ + b with W of shape (out, in).</summary>
public sealed class Linear : nn.Module<Tensor, Tensor>
{
    public Linear(long inputSize, long outputSize, bool hasBias = true) : base(nameof(Linear))
    {
        var bound = 1.0 / Math.Sqrt(inputSize);
        weight = register_parameter(nameof(weight), Init.Uniform([outputSize, inputSize], bound));
        if (hasBias) bias = register_parameter(nameof(bias), Init.Uniform([outputSize], bound));
    }

    public Tensor weight { get; }
    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.linear(input, weight, bias);
}
