using System.Diagnostics;

namespace VisRL.Platform.Tests;

/// <summary>
/// infra/services.sh in a sandbox: a copy of the script in a temporary root, its own stack folder, and a
/// stand-in `dotnet` first on PATH that records builds and runs each "replica" as a loop that ends with code 0 on
/// TERM, as a service does, and with code 3 when the file crash-now appears (the Critic's exits at once, as a service
/// does on an unknown setting). No server starts and no port is opened.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // a bash script and Unix file modes
public sealed class ServicesScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("visrl-services-").FullName;

    public ServicesScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "infra"));
        Directory.CreateDirectory(Path.Combine(_root, "stack"));
        Directory.CreateDirectory(Path.Combine(_root, "stub"));
        File.Copy(Path.Combine(RepositoryPaths.Root, "infra", "services.sh"), Path.Combine(_root, "infra", "services.sh"));
        File.WriteAllText(Path.Combine(_root, "stack", "stack.env"), "VISRL__MESSAGING__PORT=1\n");
        var dotnet = Path.Combine(_root, "stub", "dotnet");
        File.WriteAllText(dotnet, $$"""
            #!/bin/bash
            if [ "$1" = build ]; then
              echo "build $(grep -o 'VisRL\.[A-Za-z]*\.csproj' "$2" | tr '\n' ' ')" >> {{_root}}/builds
              for p in Orchestrator Sampler Critic Filter Trainer; do
                out={{_root}}/services/VisRL.$p/bin/Release/net10.0
                grep -q "VisRL.$p.csproj" "$2" && mkdir -p $out && touch $out/VisRL.$p.dll
              done
              exit 0
            fi
            case "$1" in
              *Critic.dll) [ -f {{_root}}/critic-fails ] && { echo "error: Unknown setting VISRL__BOGUS__X"; exit 2; } ;;
            esac
            trap 'exit 0' TERM
            while :; do
              [ -f {{_root}}/crash-now ] && { rm -f {{_root}}/crash-now; echo "crashing"; exit 3; }
              sleep 0.1
            done
            """.Replace("\r", ""));
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int ExitCode, string Output) Services(params string[] arguments) => ServicesWithRestart(null, arguments);

    private (int ExitCode, string Output) ServicesWithRestart(string? restartPolicy, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(_root, "infra", "services.sh"), .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root,
        };
        start.Environment["PATH"] = $"{Path.Combine(_root, "stub")}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["VISRL_STACK_DIR"] = Path.Combine(_root, "stack");
        start.Environment["VISRL_SERVICES_START_GRACE"] = "1";
        if (restartPolicy is not null) start.Environment["VISRL_SERVICES_RESTART"] = restartPolicy;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    /// <summary>`up` arguments that start only the given services.</summary>
    private static string[] Only(params string[] counts) =>
        ["up", .. new[] { "orchestrator", "sampler", "critic", "filter", "trainer" }.Select(s => counts.FirstOrDefault(c => c.StartsWith(s + "=")) ?? $"{s}=0")];

    private string[] Builds() => File.Exists(Path.Combine(_root, "builds")) ? File.ReadAllLines(Path.Combine(_root, "builds")) : [];

    private string PidFile(string replica) => Path.Combine(_root, "stack", "services", "pids", replica + ".pid");

    private int Pid(string replica) => int.Parse(File.ReadAllText(PidFile(replica)).Trim());

    private string Log(string replica) => File.ReadAllText(Path.Combine(_root, "stack", "services", "logs", replica + ".log"));

    private static bool Alive(int pid) => VisRL.Platform.Diagnostics.ServiceReplicas.IsAlive(pid);

    /// <summary>Polls <paramref name="condition"/> every 50 ms for up to <paramref name="seconds"/> s.</summary>
    private static bool Until(Func<bool> condition, int seconds = 5)
    {
        for (var waited = 0; waited < seconds * 20 && !condition(); waited++) Thread.Sleep(50);
        return condition();
    }

    /// <summary>Waits until the replica's PID file names a live process other than <paramref name="before"/>.</summary>
    private int NextPid(string replica, int before)
    {
        var pid = 0;
        return Until(() => File.Exists(PidFile(replica)) && (pid = Pid(replica)) != before && Alive(pid), seconds: 10)
            ? pid
            : throw new Xunit.Sdk.XunitException($"{replica} was not started again within 10 s\n{Log(replica)}");
    }

    [Fact]
    public void UpFailsWithTheLogOfAReplicaThatExitsAtStartAndDoesNotRestartIt()
    {
        File.WriteAllText(Path.Combine(_root, "critic-fails"), "");
        var (exitCode, output) = Services(Only("sampler=1", "critic=1"));
        Assert.Equal(1, exitCode);
        Assert.Contains("critic #1 exited within 1 s of its start (stopped, not restarted)", output);
        Assert.Contains("error: Unknown setting VISRL__BOGUS__X", output);
        Assert.DoesNotContain("sampler #1 exited", output);
        // The supervisor may have tried it once more within the grace; after `up` it tries no more.
        var tries = Log("critic-1").Split('\n').Count(l => l.Contains("Unknown setting"));
        Thread.Sleep(2500);
        Assert.Equal(tries, Log("critic-1").Split('\n').Count(l => l.Contains("Unknown setting")));
        Assert.DoesNotContain("critic #1", Services("status").Output);
    }

    [Fact]
    public void AReplicaThatCrashesOrIsKilledIsStartedAgainAndDownStopsItForGood()
    {
        Assert.Equal(0, Services(Only("sampler=1")).ExitCode);
        var first = Pid("sampler-1");
        File.WriteAllText(Path.Combine(_root, "crash-now"), "");
        var second = NextPid("sampler-1", first);
        Assert.Matches(@"sampler #1 exited with code 3 after \d+ s; restart 1 in 1 s", Log("sampler-1"));

        Process.GetProcessById(second).Kill();
        var third = NextPid("sampler-1", second);
        Assert.Matches(@"sampler #1 exited by signal 9 after \d+ s; restart 2 in 2 s", Log("sampler-1"));
        Assert.Contains($"sampler #1: alive (pid {third}", Services("status").Output);

        Assert.Equal(0, Services(Only("filter=1")).ExitCode);
        var filter = Pid("filter-1");
        var (code, output) = Services("down");
        Assert.True(code == 0, output);
        Assert.Contains($"sampler #1 stopped (pid {third})", output);
        Assert.Contains($"filter #1 stopped (pid {filter})", output);
        Thread.Sleep(1500);
        Assert.False(Alive(third) || Alive(filter));
        Assert.False(File.Exists(PidFile("sampler-1")));
        Assert.DoesNotContain("restart 3", Log("sampler-1"));
        Assert.DoesNotContain("services.sh: filter #1 exited", Log("filter-1"));
    }

    [Fact]
    public void DownStopsAReplicaWaitingToBeRestarted()
    {
        Assert.Equal(0, Services(Only("sampler=1")).ExitCode);
        var supervisor = int.Parse(File.ReadAllText(Path.ChangeExtension(PidFile("sampler-1"), ".supervisor")).Trim());
        var first = Pid("sampler-1");
        Process.GetProcessById(first).Kill();
        Process.GetProcessById(NextPid("sampler-1", first)).Kill(); // the second wait is 2 s: time for status and down
        Assert.True(Until(() => Log("sampler-1").Contains("restart 2 in 2 s")));
        Assert.Contains("sampler #1: restarting", Services("status").Output);

        var (code, output) = Services("down");
        Assert.True(code == 0, output);
        Assert.Contains("sampler #1 stopped (it was waiting to be restarted)", output);
        Assert.False(Alive(supervisor));
        Assert.DoesNotContain("sampler #1", Services("status").Output);
    }

    [Fact]
    public void AReplicaThatStopsWithCode0OrUnderRestartNoStaysDown()
    {
        Assert.Equal(0, Services(Only("sampler=1")).ExitCode);
        var sampler = Pid("sampler-1");
        Process.Start("kill", ["-TERM", sampler.ToString()]).WaitForExit(); // the service's own clean stop
        Assert.True(Until(() => !Alive(sampler)));
        Thread.Sleep(1500);
        Assert.Contains("sampler #1 exited with code 0 (a stop as asked): not restarted", Log("sampler-1"));
        var (statusCode, status) = Services("status");
        Assert.Equal(1, statusCode);
        Assert.Contains("sampler #1: dead", status);

        Assert.Equal(0, ServicesWithRestart("no", Only("filter=1")).ExitCode);
        var filter = Pid("filter-1");
        File.WriteAllText(Path.Combine(_root, "crash-now"), "");
        Assert.True(Until(() => !Alive(filter)));
        Thread.Sleep(1500);
        Assert.Contains("filter #1 exited with code 3 after", Log("filter-1"));
        Assert.Contains("not restarted (VISRL_SERVICES_RESTART=no)", Log("filter-1"));
        Assert.Equal(filter, Pid("filter-1"));
    }

    [Fact]
    public void UpBuildsTheServicesItStartsEvenWhenTheirDllExists()
    {
        Assert.Equal(0, Services(Only("sampler=1")).ExitCode);
        Assert.Equal(0, Services("down").ExitCode);
        var (exitCode, output) = Services(Only("sampler=1"));
        Assert.True(exitCode == 0, output);
        Assert.Equal(2, Builds().Length);
        Assert.Equal("build VisRL.Sampler.csproj", Builds()[1].Trim());
    }

    [Fact]
    public void AServiceWithARunningReplicaIsNotRebuiltButChangedSourcesAreNamed()
    {
        Assert.Equal(0, Services(Only("sampler=1")).ExitCode);
        var source = Path.Combine(_root, "libs", "VisRL.Method", "Rule.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllText(source, "");
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes(1));
        var (exitCode, output) = Services("scale", "sampler=2");
        Assert.True(exitCode == 0, output);
        Assert.Single(Builds());
        Assert.Contains("sampler's sources changed since its running replicas were built", output);
    }

    [Theory]
    [InlineData("sampler=010")] // bash arithmetic reads it as octal 8
    [InlineData("sampler=08")]
    [InlineData("sampler=-1")]
    [InlineData("sampler=two")]
    public void ACountThatIsNotAPlainNumberIsRefusedBeforeAnythingStarts(string count)
    {
        var (exitCode, output) = Services("scale", count);
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"'{count}': the count must be a number ≥ 0, without leading zeros", output);
        Assert.Empty(Builds());
    }

    public void Dispose()
    {
        Services("down");
        Directory.Delete(_root, recursive: true);
    }
}
