using System.Runtime.InteropServices;
using System.Text;
using VisRL.Torch.Native;

namespace VisRL.Torch;

/// <summary>
/// A libtorch tensor. Owns one native reference through a SafeHandle; <see cref="Dispose"/> frees
/// it at once (the finalizer would, later). A tensor created while a <see cref="DisposeScope"/> is
/// open on this thread is disposed with that scope. Using a disposed tensor throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;

    internal Tensor(IntPtr native)
    {
        if (native == IntPtr.Zero) throw new TorchException("libtorch returned no tensor");
        _handle = new TensorHandle(native);
        DisposeScope.Current?.Add(this);
    }

    internal DisposeScope? Scope { get; set; }

    internal TensorHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    public void Dispose()
    {
        Scope?.Remove(this);
        _handle.Dispose();
    }

    /// <summary>Takes the tensor out of its dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        return this;
    }

    /// <summary>Moves the tensor to the scope enclosing its current one, so it survives that scope.</summary>
    public Tensor MoveToOuterDisposeScope() => Scope is null ? this : Scope.MoveToOuter(this);

    internal static Tensor Wrap(int status, IntPtr result)
    {
        NativeMethods.Check(status);
        return new Tensor(result);
    }

    // ----- properties -------------------------------------------------------------------------

    public int dim() => NativeMethods.vt_dim(Handle);

    public int ndim => dim();

    public long[] shape
    {
        get
        {
            var result = new long[dim()];
            fixed (long* p = result) NativeMethods.vt_shape(Handle, p);
            return result;
        }
    }

    public long size(int dimension)
    {
        var s = shape;
        var d = dimension < 0 ? dimension + s.Length : dimension;
        if (d < 0 || d >= s.Length) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"tensor has {s.Length} dimensions");
        return s[d];
    }

    public long numel() => NativeMethods.vt_numel(Handle);

    public ScalarType dtype => (ScalarType)NativeMethods.vt_dtype(Handle);

    public Device device
    {
        get
        {
            NativeMethods.vt_device(Handle, out var type, out var index);
            return type == 1 ? Device.CUDA(index) : Device.CPU;
        }
    }

    public bool is_contiguous() => NativeMethods.vt_is_contiguous(Handle) != 0;

    public bool requires_grad
    {
        get => NativeMethods.vt_requires_grad(Handle) != 0;
        set => NativeMethods.Check(NativeMethods.vt_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    // ----- autograd ---------------------------------------------------------------------------

    public void backward(Tensor? gradient = null, bool retain_graph = false) =>
        NativeMethods.Check(NativeMethods.vt_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retain_graph ? 1 : 0));

    /// <summary>The accumulated gradient, or null when none has been computed. Setting null drops it.</summary>
    public Tensor? grad
    {
        get
        {
            NativeMethods.Check(NativeMethods.vt_grad(Handle, out var result));
            return result == IntPtr.Zero ? null : new Tensor(result);
        }
        set => NativeMethods.Check(NativeMethods.vt_set_grad(Handle, value?.Handle ?? TensorHandle.Null));
    }

    /// <summary>Drops the gradient (PyTorch's set_to_none behaviour).</summary>
    public void zero_grad() => grad = null;

    // ----- conversion and data ----------------------------------------------------------------

    public Tensor to(ScalarType type, bool copy = false) =>
        Wrap(NativeMethods.vt_to(Handle, (int)type, -1, -1, copy ? 1 : 0, out var r), r);

    public Tensor to(Device target, bool copy = false) =>
        Wrap(NativeMethods.vt_to(Handle, -1, (int)target.type, target.NativeIndex, copy ? 1 : 0, out var r), r);

    public Tensor to(Device target, ScalarType type, bool copy = false) =>
        Wrap(NativeMethods.vt_to(Handle, (int)type, (int)target.type, target.NativeIndex, copy ? 1 : 0, out var r), r);

    public Tensor to(string target) => to(Device.Parse(target));
    public Tensor cpu() => to(Device.CPU);
    public Tensor cuda(int index = 0) => to(Device.CUDA(index));
    public Tensor @float() => to(ScalarType.Float32);
    public Tensor @long() => to(ScalarType.Int64);
    public Tensor @bool() => to(ScalarType.Bool);
    public Tensor half() => to(ScalarType.Float16);
    public Tensor bfloat16() => to(ScalarType.BFloat16);

    /// <summary>Replaces this tensor's data in place, keeping its identity (Python's <c>p.data = x</c>).</summary>
    public void set_data(Tensor source) => NativeMethods.Check(NativeMethods.vt_set_data(Handle, source.Handle));

    /// <summary>The single element, converted to <typeparamref name="T"/>.</summary>
    public T item<T>() where T : unmanaged
    {
        var wanted = ScalarTypes.Of<T>();
        if (dtype != wanted)
        {
            using var converted = to(wanted).DetachFromDisposeScope();
            return converted.item<T>();
        }
        if (numel() != 1) throw new InvalidOperationException($"item() needs a tensor with one element, this one has {numel()}");
        T value = default;
        NativeMethods.Check(NativeMethods.vt_copy_to(Handle, &value, sizeof(T)));
        return value;
    }

    /// <summary>All elements in row-major order (copied to the CPU first), converted to <typeparamref name="T"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var wanted = ScalarTypes.Of<T>();
        if (dtype != wanted)
        {
            using var converted = to(wanted).DetachFromDisposeScope();
            return converted.ToArray<T>();
        }
        var result = new T[checked((int)numel())];
        fixed (T* p = result) NativeMethods.Check(NativeMethods.vt_copy_to(Handle, p, (long)result.Length * sizeof(T)));
        return result;
    }

    /// <summary>TorchSharp's name for <see cref="ToArray{T}"/>.</summary>
    public T[] data<T>() where T : unmanaged => ToArray<T>();

    /// <summary>Copies the raw little-endian element bytes (row-major, on the CPU) into <paramref name="destination"/>.</summary>
    public void CopyBytesTo(Span<byte> destination)
    {
        fixed (byte* p = destination) NativeMethods.Check(NativeMethods.vt_copy_to(Handle, p, destination.Length));
    }

    public long ByteCount => numel() * dtype.ElementSize();

    public override string ToString()
    {
        if (IsDisposed) return "Tensor(disposed)";
        var text = new StringBuilder("Tensor([");
        text.Append(string.Join(", ", shape)).Append("], ").Append(dtype).Append(", ").Append(device);
        if (requires_grad) text.Append(", requires_grad");
        return text.Append(')').ToString();
    }
}
