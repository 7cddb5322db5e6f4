using System.Runtime.InteropServices;

namespace VisRL.Torch.Native;

/// <summary>Owns one native AdamW optimizer (its parameter references and moment buffers).</summary>
internal sealed class OptimizerHandle : SafeHandle
{
    public OptimizerHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal OptimizerHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.vt_adamw_free(handle);
        return true;
    }
}
