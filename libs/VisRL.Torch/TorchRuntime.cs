using System.Diagnostics;
using System.Runtime.InteropServices;
using VisRL.Torch.Native;

namespace VisRL.Torch;

/// <summary>
/// Process-wide facts and settings of the libtorch runtime, for `visrl doctor` and hosts. Touching
/// any member loads libtorch.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Intra-op thread count for this process, e.g. 1 for a replica that must take one core.</summary>
    public const string ThreadsVariable = "VISRL__TORCH__THREADS";

    /// <summary>MiB of freed CPU tensor memory kept for reuse (read at load); 0 gives it back to malloc at once.</summary>
    public const string CpuCacheVariable = "VISRL__TORCH__CPUCACHEMB";

    public const long DefaultCpuCacheMegabytes = 1024;

    /// <summary>
    /// Loads libtorch now (it otherwise loads on first use). Loading sets OPENBLAS_CORETYPE and
    /// OMP_WAIT_POLICY and applies <see cref="ThreadsVariable"/>, whichever call comes first.
    /// </summary>
    public static void Initialize() => EnsureLoaded();

    /// <summary>OPENBLAS_CORETYPE in effect: the user's value, or the one chosen from the CPU's features (null: left to OpenBLAS).</summary>
    public static string? OpenBlasCoreType
    {
        get
        {
            EnsureLoaded();
            return NativeLibraryLoader.CoreType;
        }
    }

    /// <summary>The OpenBLAS core this CPU's features call for (AVX-512 → SkylakeX, AVX2 → Haswell; null: neither), whatever is in effect.</summary>
    public static string? OpenBlasCoreTypeForThisCpu => NativeLibraryLoader.CoreTypeForThisCpu();

    /// <summary>
    /// Null, or why the user's OPENBLAS_CORETYPE is not the core this CPU calls for. A machine-wide
    /// Haswell on an AVX-512 CPU halved the matmuls (199 against 423 GFLOP/s on 2026-11-23).
    /// </summary>
    public static string? OpenBlasCoreTypeWarning =>
        OpenBlasCoreTypeFromUser && OpenBlasCoreTypeForThisCpu is { } forCpu && !string.Equals(forCpu, OpenBlasCoreType, StringComparison.OrdinalIgnoreCase)
            ? $"this CPU calls for {forCpu}, not the {OpenBlasCoreType} that OPENBLAS_CORETYPE asks for"
            : null;

    /// <summary>True when OPENBLAS_CORETYPE came from the user rather than from CPU detection.</summary>
    public static bool OpenBlasCoreTypeFromUser
    {
        get
        {
            EnsureLoaded();
            return NativeLibraryLoader.CoreTypeFromUser;
        }
    }

    /// <summary>Bytes of freed CPU tensor memory kept for the next tensors; -1 when the cache is off (<see cref="CpuCacheVariable"/>=0).</summary>
    public static long KeptCpuMemoryBytes
    {
        get
        {
            EnsureLoaded();
            return NativeMethods.vt_kept_cpu_memory();
        }
    }

    /// <summary>OMP_WAIT_POLICY in the native environment libtorch's OpenMP read: PASSIVE unless the user set a policy (or GOMP_SPINCOUNT).</summary>
    public static string? OpenMpWaitPolicy
    {
        get
        {
            EnsureLoaded();
            return NativeLibraryLoader.GetNativeEnvironment(NativeLibraryLoader.WaitPolicyVariable);
        }
    }

    /// <summary>The kernel set OpenBLAS reports it is using; empty when libtorch's BLAS is not OpenBLAS.</summary>
    public static string BlasCoreName => Marshal.PtrToStringUTF8(NativeMethods.vt_blas_core_name()) ?? "";

    public static string LibtorchVersion => Marshal.PtrToStringUTF8(NativeMethods.vt_version()) ?? "unknown";

    public static bool CudaAvailable => NativeMethods.vt_cuda_is_available() != 0;

    public static int CudaDeviceCount => NativeMethods.vt_cuda_device_count();

    /// <summary>Waits until the current CUDA device has run everything queued on it (time GPU work only after this).</summary>
    public static void CudaSynchronize() => NativeMethods.Check(NativeMethods.vt_cuda_synchronize());

    /// <summary>Whether cuDNN may run float32 convolutions in TF32 (libtorch's default: yes; faster, ~1e-3 relative error).</summary>
    public static bool CudnnAllowTf32
    {
        get => NativeMethods.vt_cudnn_allow_tf32(-1) != 0;
        set => NativeMethods.vt_cudnn_allow_tf32(value ? 1 : 0);
    }

    public static int NumThreads => NativeMethods.vt_get_num_threads();

    /// <summary>The seed libtorch's CPU generator gets when the library loads (PyTorch's default_rng_seed_val), until a manual_seed.</summary>
    public const long DefaultSeed = 67280421310721;

    /// <summary>Sets libtorch's intra-op threads (and OpenBLAS's, when it is the BLAS) for the whole process.</summary>
    public static void SetNumThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        NativeMethods.Check(NativeMethods.vt_set_num_threads(threads));
    }

    /// <summary>GFLOP/s of an n×n float32 matmul on the CPU: best of <paramref name="repeats"/> after one warm-up.</summary>
    public static double MeasureMatmulGflops(int n = 1024, int repeats = 10)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var a = torch.randn([n, n]);
        var b = torch.randn([n, n]);
        a.matmul(b).Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var start = Stopwatch.GetTimestamp();
            a.matmul(b).Dispose();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return 2.0 * n * n * (double)n / best / 1e9;
    }

    private static void EnsureLoaded() => _ = NativeMethods.vt_get_num_threads();
}
