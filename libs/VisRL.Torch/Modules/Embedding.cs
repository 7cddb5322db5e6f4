using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>A lookup table of <c>dimensions</c>-sized rows, initialised N(0, 1) as in PyTorch.</summary>
public sealed class Embedding : nn.Module<Tensor, Tensor>
{
    private readonly long? _paddingIdx;

    public Embedding(long count, long dimensions, long? paddingIdx = null) : base(nameof(Embedding))
    {
        _paddingIdx = paddingIdx;
        var initial = randn([count, dimensions]);
        if (paddingIdx is { } pad)
        {
            using var noGrad = no_grad();
            using var row = initial.select(0, pad).DetachFromDisposeScope();
            row.zero_();
        }
        weight = register_parameter(nameof(weight), initial);
    }

    public Tensor weight { get; }

    public override Tensor forward(Tensor input) => nn.functional.embedding(input, weight, _paddingIdx);
}
