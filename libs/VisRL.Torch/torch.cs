using System.Runtime.InteropServices;
using VisRL.Torch.Native;

namespace VisRL.Torch;

/// <summary>
/// Entry point shaped like TorchSharp's <c>torch</c>: <c>using static VisRL.Torch.torch;</c> gives
/// <c>zeros(...)</c>, <c>nn.functional.*</c>, <c>optim.AdamW(...)</c>, <c>cuda.is_available()</c>.
/// </summary>
public static unsafe partial class torch
{
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType @bool = ScalarType.Bool;

    public static readonly Device CPU = Device.CPU;
    public static Device CUDA => Device.CUDA(0);

    public static Device device(string description) => Device.Parse(description);

    // ----- creation ---------------------------------------------------------------------------

    private static Tensor Create(CreateKind kind, ReadOnlySpan<long> shape, double value, ScalarType? dtype, Device? device, bool requires_grad)
    {
        var d = device ?? Device.CPU;
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.vt_create((int)kind, p, shape.Length, value, (int)(dtype ?? ScalarType.Float32),
                (int)d.type, d.NativeIndex, requires_grad ? 1 : 0, out var r), r);
    }

    public static Tensor zeros(long[] shape, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Zeros, shape, 0, dtype, device, requires_grad);

    public static Tensor zeros(params long[] shape) => zeros(shape, null);

    public static Tensor ones(long[] shape, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Ones, shape, 0, dtype, device, requires_grad);

    public static Tensor ones(params long[] shape) => ones(shape, null);

    public static Tensor empty(long[] shape, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Empty, shape, 0, dtype, device, requires_grad);

    public static Tensor full(long[] shape, double value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Full, shape, value, dtype, device, requires_grad);

    /// <summary>Standard normal samples from libtorch's generator (see <see cref="manual_seed"/>).</summary>
    public static Tensor randn(long[] shape, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Randn, shape, 0, dtype, device, requires_grad);

    public static Tensor randn(params long[] shape) => randn(shape, null);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(long[] shape, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) =>
        Create(CreateKind.Rand, shape, 0, dtype, device, requires_grad);

    public static Tensor rand(params long[] shape) => rand(shape, null);

    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor randint(long low, long high, long[] shape, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.vt_randint(low, high, p, shape.Length, (int)(dtype ?? ScalarType.Int64), (int)d.type, d.NativeIndex, out var r), r);
    }

    public static Tensor zeros_like(Tensor t) => t.Unary(UnaryOp.ZerosLike);
    public static Tensor ones_like(Tensor t) => t.Unary(UnaryOp.OnesLike);
    public static Tensor randn_like(Tensor t) => t.Unary(UnaryOp.RandnLike);
    public static Tensor rand_like(Tensor t) => t.Unary(UnaryOp.RandLike);

    /// <summary>Values start, start+step, ... below end; int64 unless a dtype is given, as in PyTorch for integer bounds.</summary>
    public static Tensor arange(long start, long end, long step = 1, ScalarType? dtype = null, Device? device = null) =>
        Arange(start, end, step, dtype ?? ScalarType.Int64, device);

    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);

    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null) =>
        Arange(start, end, step, dtype ?? ScalarType.Float32, device);

    private static Tensor Arange(double start, double end, double step, ScalarType dtype, Device? device)
    {
        var d = device ?? Device.CPU;
        return Tensor.Wrap(NativeMethods.vt_arange(start, end, step, (int)dtype, (int)d.type, d.NativeIndex, out var r), r);
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/>, shaped as given (an empty shape is a scalar).</summary>
    public static Tensor from_span<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device = null, bool requires_grad = false)
        where T : unmanaged
    {
        var dims = shape;
        Tensor result;
        fixed (T* p = data)
        fixed (long* s = dims)
            result = Tensor.Wrap(NativeMethods.vt_from_data(p, (long)data.Length * sizeof(T), s, dims.Length, (int)ScalarTypes.Of<T>(), out var r), r);
        return Finish(result, device, requires_grad);
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        from_span<T>(data, shape ?? [data.Length], device, requires_grad);

    public static Tensor tensor<T>(T[,] data, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        from_span<T>(MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length), [data.GetLength(0), data.GetLength(1)], device, requires_grad);

    /// <summary>A one-dimensional tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor from_span<T>(ReadOnlySpan<T> data) where T : unmanaged => from_span(data, [data.Length]);

    /// <summary>A scalar (zero-dimensional) tensor.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        full([], value, dtype, device);

    /// <summary>A tensor from raw little-endian element bytes of the given type (e.g. bfloat16 weights).</summary>
    public static Tensor frombuffer(ReadOnlySpan<byte> bytes, long[] shape, ScalarType dtype, Device? device = null)
    {
        Tensor result;
        fixed (byte* p = bytes)
        fixed (long* s = shape)
            result = Tensor.Wrap(NativeMethods.vt_from_data(p, bytes.Length, s, shape.Length, (int)dtype, out var r), r);
        return Finish(result, device, false);
    }

    private static Tensor Finish(Tensor cpuTensor, Device? device, bool requiresGrad)
    {
        var result = cpuTensor;
        if (device is not null && device.type != DeviceType.CPU)
        {
            result = cpuTensor.to(device);
            cpuTensor.Dispose();
        }
        if (requiresGrad) result.requires_grad = true;
        return result;
    }

    // ----- combining --------------------------------------------------------------------------

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Combine(tensors, dim, stack: false);
    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Combine(tensors, dim, stack: true);

    private static Tensor Combine(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        using var handles = new HandleList(tensors);
        fixed (IntPtr* p = handles.Pointers)
            return Tensor.Wrap(NativeMethods.vt_cat(p, tensors.Count, dim, stack ? 1 : 0, out var r), r);
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y) =>
        Tensor.Wrap(NativeMethods.vt_where(condition.Handle, x.Handle, y.Handle, out var r), r);

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor tril(Tensor t, long diagonal = 0) => t.tril(diagonal);
    public static Tensor triu(Tensor t, long diagonal = 0) => t.triu(diagonal);
    public static Tensor exp(Tensor t) => t.exp();
    public static Tensor log(Tensor t) => t.log();
    public static Tensor sqrt(Tensor t) => t.sqrt();
    public static Tensor pow(Tensor t, double exponent) => t.pow(exponent);
    public static Tensor clamp(Tensor t, double? min = null, double? max = null) => t.clamp(min, max);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor softmax(Tensor t, long dim) => t.softmax(dim);
    public static Tensor log_softmax(Tensor t, long dim) => t.log_softmax(dim);
    public static Tensor sigmoid(Tensor t) => t.sigmoid();
    public static Tensor tanh(Tensor t) => t.tanh();
    public static Tensor cumsum(Tensor t, long dim) => t.cumsum(dim);
    public static (Tensor values, Tensor indexes) topk(Tensor t, long k, long dim = -1, bool largest = true, bool sorted = true) => t.topk(k, dim, largest, sorted);
    public static (Tensor values, Tensor indexes) sort(Tensor t, long dim = -1, bool descending = false) => t.sort(dim, descending);
    public static Tensor argmax(Tensor t, long dim, bool keepdim = false) => t.argmax(dim, keepdim);
    public static Tensor gather(Tensor t, long dim, Tensor index) => t.gather(dim, index);

    /// <summary>Draws <paramref name="num_samples"/> indexes per row from the (unnormalised) probabilities.</summary>
    public static Tensor multinomial(Tensor probs, long num_samples, bool replacement = false) =>
        Tensor.Wrap(NativeMethods.vt_multinomial(probs.Handle, num_samples, replacement ? 1 : 0, out var r), r);

    // ----- runtime ----------------------------------------------------------------------------

    /// <summary>Seeds libtorch's CPU and CUDA generators.</summary>
    public static void manual_seed(long seed) => NativeMethods.Check(NativeMethods.vt_manual_seed(unchecked((ulong)seed)));

    /// <summary>Disables gradient tracking on this thread until the result is disposed.</summary>
    public static IDisposable no_grad() => new GradModeGuard(enabled: false);

    public static IDisposable enable_grad() => new GradModeGuard(enabled: true);

    public static bool is_grad_enabled() => NativeMethods.vt_is_grad_enabled() != 0;

    /// <summary>Opens a scope that disposes every tensor created on this thread until it is disposed.</summary>
    public static DisposeScope NewDisposeScope() => new();

    public static void set_num_threads(int threads) => TorchRuntime.SetNumThreads(threads);
    public static int get_num_threads() => TorchRuntime.NumThreads;

    public static class cuda
    {
        public static bool is_available() => TorchRuntime.CudaAvailable;
        public static int device_count() => TorchRuntime.CudaDeviceCount;
        public static void synchronize() => TorchRuntime.CudaSynchronize();
    }
}
