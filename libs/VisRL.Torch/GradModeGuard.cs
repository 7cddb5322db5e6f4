using VisRL.Torch.Native;

namespace VisRL.Torch;

/// <summary>Sets libtorch's thread-local grad mode and restores the previous one when disposed.</summary>
internal sealed class GradModeGuard : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    internal GradModeGuard(bool enabled) => _previous = NativeMethods.vt_set_grad_enabled(enabled ? 1 : 0) != 0;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.vt_set_grad_enabled(_previous ? 1 : 0);
    }
}
