using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using VisRL.Torch;

namespace VisRL.Training;

/// <summary>
/// Where a training job ran, kept beside its config (training_jobs.machine_json). The same plan and
/// seeds train to the same weights on one machine, but other kernels or another libtorch thread
/// count round differently, and a few thousand steps later some test items come out the other way.
/// </summary>
public sealed record TrainingMachine(
    string Host, string Cpu, int LogicalCpus, string VectorIsa,
    string Libtorch, int TorchThreads, string? OpenBlasCoreType, string BlasCore, string Device)
{
    public static TrainingMachine Current(Device? device) => new(
        Environment.MachineName, CpuModel(), Environment.ProcessorCount, Isa(),
        TorchRuntime.LibtorchVersion, TorchRuntime.NumThreads, TorchRuntime.OpenBlasCoreType, TorchRuntime.BlasCoreName,
        device?.ToString() ?? "cpu");

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public string Describe() =>
        $"{Cpu} ({LogicalCpus} logical CPUs, {VectorIsa}), libtorch {Libtorch} on {Device} with {TorchThreads} thread(s), OpenBLAS kernels {(BlasCore.Length > 0 ? BlasCore : "none")}, host {Host}";

    private static string Isa() =>
        Avx512F.IsSupported ? "avx512" : Avx2.IsSupported ? "avx2" : Avx.IsSupported ? "avx" : RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (File.Exists(cpuInfo))
            foreach (var line in File.ReadLines(cpuInfo))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is > 0 and var colon)
                    return line[(colon + 1)..].Trim();
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
