using static VisRL.Torch.torch;

namespace VisRL.Torch.Modules;

/// <summary>Normalises over the trailing <c>normalizedShape</c> dimensions, with learned scale and shift.</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly long[] _shape;
    private readonly double _eps;

    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true) : base(nameof(LayerNorm))
    {
        _shape = normalizedShape;
        _eps = eps;
        if (!elementwiseAffine) return;
        weight = register_parameter(nameof(weight), ones(normalizedShape));
        bias = register_parameter(nameof(bias), zeros(normalizedShape));
    }

    public Tensor? weight { get; }
    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.layer_norm(input, _shape, weight, bias, _eps);
}
