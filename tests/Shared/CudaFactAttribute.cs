using VisRL.Torch;
using Xunit;

namespace VisRL.Testing;

/// <summary>
/// A fact that runs only where libtorch sees a CUDA device; elsewhere it is reported as skipped, with
/// the reason. One source file, compiled into each test project that has GPU tests.
/// </summary>
internal sealed class CudaFactAttribute : FactAttribute
{
    private static readonly string? SkipReason = ComputeSkipReason();

    public CudaFactAttribute()
    {
        if (SkipReason is not null) Skip = SkipReason;
    }

    private static string? ComputeSkipReason()
    {
        try
        {
            if (TorchRuntime.CudaAvailable) return null;
            return $"CUDA is not available to libtorch {TorchRuntime.LibtorchVersion} on this machine " +
                   "(a CPU build of libtorch or no GPU; build with LIBTORCH_DIR pointing at a CUDA libtorch on a GPU worker)";
        }
        catch (Exception error)
        {
            return $"libtorch could not be loaded to look for CUDA: {error.Message}";
        }
    }
}

/// <summary>Turns cuDNN's TF32 convolutions off until disposed, so that GPU results can be held to the CPU's.</summary>
internal sealed class CudnnTf32Off : IDisposable
{
    private readonly bool _before = TorchRuntime.CudnnAllowTf32;

    public CudnnTf32Off() => TorchRuntime.CudnnAllowTf32 = false;

    public void Dispose() => TorchRuntime.CudnnAllowTf32 = _before;
}
