using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>Zeroes elements with probability p while training (scaling the rest by 1/(1-p)); identity in eval mode.</summary>
public sealed class Dropout(double p = 0.5) : nn.Module<Tensor, Tensor>(nameof(Dropout))
{
    public double P { get; } = p;

    public override Tensor forward(Tensor input) => nn.functional.dropout(input, P, training);
}
