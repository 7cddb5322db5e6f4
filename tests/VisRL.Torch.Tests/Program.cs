using System.Text.Json;

namespace VisRL.Torch.Tests;

/// <summary>
/// The test assembly doubles as a probe process: `dotnet VisRL.Torch.Tests.dll probe` loads
/// libtorch in a fresh process and prints what the loader did, so tests can check settings that
/// only apply at load time (OPENBLAS_CORETYPE, OMP_WAIT_POLICY, VISRL__TORCH__THREADS, the generator's seed, the CPU memory cache) under a chosen environment.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["probe"]) return 2;
        var settings = new Dictionary<string, object?>
        {
            ["threads"] = TorchRuntime.NumThreads,
            ["coreType"] = TorchRuntime.OpenBlasCoreType,
            ["fromUser"] = TorchRuntime.OpenBlasCoreTypeFromUser,
            ["blas"] = TorchRuntime.BlasCoreName,
            ["waitPolicy"] = TorchRuntime.OpenMpWaitPolicy,
            ["draws"] = torch.rand(4).ToArray<float>(),
            ["keepsCpuMemory"] = TorchRuntime.KeptCpuMemoryBytes >= 0,
            ["pageFaultsPerBatch"] = PageFaultsPerBatch(),
        };
        // A thread count set in code holds when later calls bind more of the library.
        TorchRuntime.SetNumThreads(3);
        using var bindsMore = torch.ones(2).matmul(torch.ones(2));
        settings["threadsAfterSet"] = TorchRuntime.NumThreads;
        Console.WriteLine(JsonSerializer.Serialize(settings));
        return 0;
    }

    /// <summary>
    /// Minor page faults per "batch" of three 8 MB tensors made and freed on one thread, as a model
    /// step does: memory given back to the kernel faults each page in again (glibc did, for 1,640-6,150 of the 6,144 pages).
    /// Counted for the whole process: libtorch fills a large tensor on its pool's threads, as many as the machine has cores.
    /// </summary>
    private static double PageFaultsPerBatch()
    {
        const int warmUp = 2, batches = 10;
        double perBatch = 0;
        void Batch()
        {
            using var scope = torch.NewDisposeScope();
            for (int i = 0; i < 3; i++) torch.ones(2 << 20);
        }
        var thread = new Thread(() =>
        {
            for (int i = 0; i < warmUp; i++) Batch();
            long before = MinorFaultsOfThisProcess();
            for (int i = 0; i < batches; i++) Batch();
            perBatch = (MinorFaultsOfThisProcess() - before) / (double)batches;
        });
        thread.Start();
        thread.Join();
        return perBatch;
    }

    private static long MinorFaultsOfThisProcess()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], System.Globalization.CultureInfo.InvariantCulture); // field 10, minflt
    }
}
