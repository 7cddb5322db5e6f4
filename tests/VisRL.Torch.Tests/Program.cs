using System.Text.Json;

namespace VisRL.Torch.Tests;

/// <summary>
/// The test assembly doubles as a probe process: `dotnet VisRL.Torch.Tests.dll probe` loads
/// libtorch in a fresh process and prints what the loader did, so tests can check settings that
/// only apply at load time (OPENBLAS_CORETYPE, OMP_WAIT_POLICY, VISRL__TORCH__THREADS, the generator's seed) under a chosen environment.
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
        };
        // A thread count set in code holds when later calls bind more of the library.
        TorchRuntime.SetNumThreads(3);
        using var bindsMore = torch.ones(2).matmul(torch.ones(2));
        settings["threadsAfterSet"] = TorchRuntime.NumThreads;
        Console.WriteLine(JsonSerializer.Serialize(settings));
        return 0;
    }
}
