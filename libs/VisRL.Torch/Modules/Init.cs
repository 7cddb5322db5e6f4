namespace VisRL.Torch.Modules;

/// <summary>PyTorch's default initialisations, drawn from libtorch's generator so manual_seed applies.</summary>
internal static class Init
{
    /// <summary>Uniform in [-bound, bound): PyTorch's default for Linear and Conv weights and biases (bound = 1/√fan_in).</summary>
    internal static Tensor Uniform(long[] shape, double bound)
    {
        using var noGrad = torch.no_grad();
        using var unit = torch.rand(shape).DetachFromDisposeScope();
        using var centered = unit.sub(0.5).DetachFromDisposeScope();
        return centered.mul(2 * bound).DetachFromDisposeScope();
    }
}
