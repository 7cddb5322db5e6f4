using System.Runtime.InteropServices;

namespace VisRL.Torch.Native;

/// <summary>Owns one <c>at::Tensor*</c> of the shim; releasing it drops libtorch's reference.</summary>
internal sealed class TensorHandle : SafeHandle
{
    /// <summary>Stands for "no tensor" in optional arguments (bias, mask); never released.</summary>
    internal static readonly TensorHandle Null = new();

    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal TensorHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.vt_free(handle);
        return true;
    }
}
