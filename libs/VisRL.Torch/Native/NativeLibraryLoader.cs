using System.Reflection;
using System.Runtime.InteropServices;

namespace VisRL.Torch.Native;

/// <summary>
/// Loads libvisrl_torch (and through it libtorch and BLAS) only after the native environment is
/// right: OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, and misdetects this project's
/// CPUs, running an SSE3 kernel ~5x slower. .NET's Environment.SetEnvironmentVariable does not
/// reach the native environment on Linux, so libc setenv is called directly. OMP_WAIT_POLICY is set
/// to PASSIVE the same way (libgomp reads it when it is loaded) unless the user chose a policy.
/// Once loaded, CPU tensors get memory that freed tensors left (vt_keep_cpu_memory).
/// </summary>
internal static unsafe partial class NativeLibraryLoader
{
    internal const string CoreTypeVariable = "OPENBLAS_CORETYPE";
    internal const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    internal const string NativePathVariable = "VISRL_TORCH_NATIVE";
    private const string FileName = "libvisrl_torch.so";
    private static int _registered;

    /// <summary>The core type chosen for OpenBLAS, or null when none was needed or the CPU has neither AVX2 nor AVX-512.</summary>
    internal static string? CoreType { get; private set; }

    /// <summary>True when the user had set OPENBLAS_CORETYPE before the process loaded libtorch.</summary>
    internal static bool CoreTypeFromUser { get; private set; }

    internal static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
    }

    private static readonly Lock LoadGate = new();
    private static IntPtr _library;

    // The runtime calls the resolver for each P/Invoke it binds, so the library is loaded and set up
    // once: setting up again reseeded the generator in the middle of a seeded model's first
    // initialization, and put back the environment's thread count over a later SetNumThreads.
    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != "visrl_torch") return IntPtr.Zero;
        lock (LoadGate)
        {
            if (_library == IntPtr.Zero) _library = LoadAndSetUp(assembly, searchPath);
            return _library;
        }
    }

    private static IntPtr LoadAndSetUp(Assembly assembly, DllImportSearchPath? searchPath)
    {
        FixEnvironment();
        IntPtr library = IntPtr.Zero;
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate)) continue;
            library = NativeLibrary.Load(candidate);
            break;
        }
        if (library == IntPtr.Zero) library = NativeLibrary.Load(FileName, assembly, searchPath);
        ApplyThreadsFromEnvironment(library);
        KeepFreedCpuMemory(library);
        SeedDefaultGenerator(library);
        return library;
    }

    // libtorch as packaged here seeds its CPU generator from the OS at start, so anything drawn
    // before a manual_seed (a module made after loading a checkpoint) differed from process to
    // process. PyTorch's default seed makes every fresh process draw the same numbers.
    private static unsafe void SeedDefaultGenerator(IntPtr library)
    {
        var manualSeed = (delegate* unmanaged<ulong, int>)NativeLibrary.GetExport(library, "vt_manual_seed");
        manualSeed(unchecked((ulong)TorchRuntime.DefaultSeed));
    }

    // Before the first tensor, so every CPU tensor's memory comes back to the cache when freed.
    private static unsafe void KeepFreedCpuMemory(IntPtr library)
    {
        var requested = Environment.GetEnvironmentVariable(TorchRuntime.CpuCacheVariable);
        long megabytes = long.TryParse(requested, out var value) && value >= 0 ? value : TorchRuntime.DefaultCpuCacheMegabytes;
        if (megabytes == 0) return;
        var keep = (delegate* unmanaged<long, int>)NativeLibrary.GetExport(library, "vt_keep_cpu_memory");
        keep(megabytes << 20);
    }

    // Runs inside the resolver, before any P/Invoke into the shim can be bound, so it calls the
    // export through a function pointer instead of through NativeMethods.
    private static unsafe void ApplyThreadsFromEnvironment(IntPtr library)
    {
        var requested = Environment.GetEnvironmentVariable(TorchRuntime.ThreadsVariable);
        if (!int.TryParse(requested, out var threads) || threads < 1) return;
        var setThreads = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "vt_set_num_threads");
        setThreads(threads);
    }

    private static IEnumerable<string> Candidates()
    {
        var fromUser = Environment.GetEnvironmentVariable(NativePathVariable);
        if (!string.IsNullOrEmpty(fromUser)) yield return fromUser;
        var assemblyDirectory = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDirectory)) yield return Path.Combine(assemblyDirectory, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
    }

    internal static void FixEnvironment()
    {
        FixOpenBlasCoreType();
        FixOpenMpWaitPolicy();
    }

    private static void FixOpenBlasCoreType()
    {
        var existing = GetNativeEnvironment(CoreTypeVariable);
        if (!string.IsNullOrEmpty(existing))
        {
            CoreType = existing;
            CoreTypeFromUser = true;
            return;
        }
        CoreType = CoreTypeForThisCpu();
        if (CoreType is null) return;
        SetNativeEnvironment(CoreTypeVariable, CoreType);
    }

    // libgomp's threads spin after each parallel region, and OpenBLAS keeps its own threads for the
    // matmuls in between: with 2 threads on 2 cores the spinners took the cores from the workers and
    // an SFT step took 330–400 ms, against 162–190 ms with passive waiting (and 203–225 ms on one thread).
    private static void FixOpenMpWaitPolicy()
    {
        if (!string.IsNullOrEmpty(GetNativeEnvironment(WaitPolicyVariable)) || !string.IsNullOrEmpty(GetNativeEnvironment("GOMP_SPINCOUNT"))) return;
        SetNativeEnvironment(WaitPolicyVariable, "PASSIVE");
    }

    private static void SetNativeEnvironment(string name, string value)
    {
        if (!OperatingSystem.IsLinux()) return;
        setenv(name, value, 0);
        Environment.SetEnvironmentVariable(name, value); // keep the managed view consistent
    }

    /// <summary>OpenBLAS core names for what the CPU reports; null lets OpenBLAS decide.</summary>
    internal static string? CoreTypeForThisCpu()
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return "SkylakeX";
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) return "Haswell";
        return null;
    }

    internal static string? GetNativeEnvironment(string name)
    {
        if (!OperatingSystem.IsLinux()) return Environment.GetEnvironmentVariable(name);
        var value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
