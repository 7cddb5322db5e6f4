namespace VisRL.Integration.Tests;

/// <summary>`visrl doctor` against the real test stack, and against broken settings.</summary>
[Collection(StackCollection.Name)]
public class DoctorTests(TestStack stack)
{
    private static readonly string Cli = ChildProcess.ProjectDll("VisRL.Cli", "visrl");

    /// <summary>The doctor's output, flattened (<see cref="ChildProcess.Flattened"/>); <paramref name="environment"/> from <see cref="TestStack.CliEnvironment"/>.</summary>
    private static async Task<(int ExitCode, string Output)> DoctorAsync(Dictionary<string, string> environment)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(Cli, environment, "doctor", "--no-matmul"), TimeSpan.FromSeconds(120));
        return (exitCode, ChildProcess.Flattened(output));
    }

    [Fact]
    public async Task AHealthyStackPasses()
    {
        var database = await TestStack.CreateEmptyDatabaseAsync();
        var (exitCode, output) = await DoctorAsync(stack.CliEnvironment(database));
        Assert.True(exitCode == 0, output);
        Assert.Contains("RabbitMQ", output);
        Assert.Contains("migration(s) pending", output); // an empty database is reachable but not migrated
        Assert.Contains("error queues", output); // listed through the management API (other tests may have parked messages: ok or a warning)
        Assert.DoesNotContain("cannot list them", output);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Database=visrl;Username=visrl;Password=visrl", "unreachable")]
    [InlineData("Host=127.0.0.1;Port={port};Database=visrl;Username=visrl;Password=wrong", "password authentication failed")]
    [InlineData("this is not a connection string", "not a valid connection string")]
    public async Task ABadConnectionStringIsNamedWithItsProblem(string connectionString, string problem)
    {
        var environment = stack.CliEnvironment();
        environment["VISRL__DATABASE__CONNECTIONSTRING"] = connectionString.Replace("{port}", TestStack.PostgresPort.ToString());
        var (exitCode, output) = await DoctorAsync(environment);
        Assert.Equal(1, exitCode);
        Assert.Contains("VISRL__DATABASE__CONNECTIONSTRING", output);
        Assert.Contains(problem, output);
        Assert.Contains("fix:", output);
    }

    [Fact]
    public async Task AnOpenBlasCoreOtherThanTheOneThisCpuCallsForIsAWarning_AndTheRightOneIsNot_AndTheTensorCacheIsReported()
    {
        var forCpu = VisRL.Torch.TorchRuntime.OpenBlasCoreTypeForThisCpu;
        var environment = stack.CliEnvironment();
        environment["OPENBLAS_CORETYPE"] = "Prescott"; // OpenBLAS's SSE3 core: runs on any x86-64, the slowest
        var (exitCode, output) = await DoctorAsync(environment);
        Assert.True(exitCode == 0, output); // a warning, not a failure
        Assert.Contains("OPENBLAS_CORETYPE=Prescott (user)", output);
        Assert.Contains("CPU tensor cache on", output);
        Assert.Equal(forCpu is not null, output.Contains($"this CPU calls for {forCpu}", StringComparison.Ordinal));

        if (forCpu is null) return; // a CPU without AVX2: no core to call for, so no warning either way (asserted above)
        environment["OPENBLAS_CORETYPE"] = forCpu;
        environment[VisRL.Torch.TorchRuntime.CpuCacheVariable] = "0"; // a known setting: no warning about it either
        (exitCode, output) = await DoctorAsync(environment);
        Assert.True(exitCode == 0, output);
        Assert.Contains($"OPENBLAS_CORETYPE={forCpu} (user)", output);
        Assert.Contains("CPU tensor cache off", output);
        Assert.DoesNotContain("this CPU calls for", output);
    }

    [Fact]
    public async Task ADeadBrokerAndABadBlobKeyAreEachNamed()
    {
        var environment = stack.CliEnvironment();
        environment["VISRL__MESSAGING__PORT"] = "1";
        environment["VISRL__BLOBS__CONNECTIONSTRING"] = stack.Blobs.ConnectionString.Replace("AccountKey=Eby8", "AccountKey=AAAA");
        var (exitCode, output) = await DoctorAsync(environment);
        Assert.Equal(1, exitCode);
        Assert.Contains("127.0.0.1:1 is unreachable", output);
        Assert.Contains("VISRL__MESSAGING__PORT", output);
        Assert.Contains("VISRL__BLOBS__CONNECTIONSTRING", output);
        Assert.Contains("2 check(s) failed", output);
        Assert.Contains("not checked: the broker is not reachable", output);
    }
}
