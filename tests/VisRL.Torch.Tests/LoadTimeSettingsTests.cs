using System.Diagnostics;
using System.Text.Json;

namespace VisRL.Torch.Tests;

/// <summary>Settings applied when libtorch loads, checked in fresh processes (see <see cref="Program"/>).</summary>
public sealed class LoadTimeSettingsTests
{
    private static JsonElement Probe(IDictionary<string, string?> environment)
    {
        var assembly = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("probe");
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"probe failed ({process.ExitCode}): {error.Result}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string? ExpectedCoreType() =>
        System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "SkylakeX"
        : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "Haswell" : null;

    [Fact]
    public void Without_a_user_value_the_core_type_comes_from_the_cpu_and_openblas_uses_it()
    {
        var probe = Probe(new Dictionary<string, string?> { ["OPENBLAS_CORETYPE"] = null, [TorchRuntime.ThreadsVariable] = null });
        Assert.Equal(ExpectedCoreType(), probe.GetProperty("coreType").GetString());
        Assert.False(probe.GetProperty("fromUser").GetBoolean());
        var blas = probe.GetProperty("blas").GetString();
        if (!string.IsNullOrEmpty(blas)) Assert.Equal(ExpectedCoreType(), blas, ignoreCase: true);
    }

    [Fact]
    public void A_user_value_is_respected()
    {
        var probe = Probe(new Dictionary<string, string?> { ["OPENBLAS_CORETYPE"] = "Prescott" });
        Assert.Equal("Prescott", probe.GetProperty("coreType").GetString());
        Assert.True(probe.GetProperty("fromUser").GetBoolean());
        var blas = probe.GetProperty("blas").GetString();
        if (!string.IsNullOrEmpty(blas)) Assert.Equal("Prescott", blas, ignoreCase: true);
    }

    [Fact]
    public void OpenMp_threads_wait_passively_unless_the_user_chose_a_policy()
    {
        Assert.Equal("PASSIVE", Probe(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = null, ["GOMP_SPINCOUNT"] = null }).GetProperty("waitPolicy").GetString());
        Assert.Equal("ACTIVE", Probe(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "ACTIVE" }).GetProperty("waitPolicy").GetString());
        Assert.Equal(JsonValueKind.Null, Probe(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = null, ["GOMP_SPINCOUNT"] = "1000" }).GetProperty("waitPolicy").ValueKind);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    public void The_thread_count_comes_from_the_environment(string value, int expected)
    {
        var probe = Probe(new Dictionary<string, string?> { [TorchRuntime.ThreadsVariable] = value });
        Assert.Equal(expected, probe.GetProperty("threads").GetInt32());
        Assert.Equal(3, probe.GetProperty("threadsAfterSet").GetInt32());
    }

    [Fact]
    public void Freed_cpu_tensor_memory_is_kept_for_the_next_tensors_unless_turned_off()
    {
        var kept = Probe(new Dictionary<string, string?> { [TorchRuntime.CpuCacheVariable] = null });
        Assert.True(kept.GetProperty("keepsCpuMemory").GetBoolean());
        Assert.InRange(kept.GetProperty("pageFaultsPerBatch").GetDouble(), 0, 100);

        var off = Probe(new Dictionary<string, string?> { [TorchRuntime.CpuCacheVariable] = "0", ["MALLOC_TRIM_THRESHOLD_"] = "131072" });
        Assert.False(off.GetProperty("keepsCpuMemory").GetBoolean());
        Assert.True(off.GetProperty("pageFaultsPerBatch").GetDouble() > 3000, "without the cache, glibc (told to trim at 128 KiB) gives the pages back and they fault in again");
    }

    [Fact]
    public void A_fresh_process_draws_the_same_numbers_as_pytorchs_default_seed()
    {
        float[] Draws() => [.. Probe(new Dictionary<string, string?>()).GetProperty("draws").EnumerateArray().Select(d => d.GetSingle())];
        var first = Draws();
        Assert.Equal(first, Draws());
        torch.manual_seed(TorchRuntime.DefaultSeed);
        Assert.Equal(torch.rand(4).ToArray<float>(), first);
    }
}
