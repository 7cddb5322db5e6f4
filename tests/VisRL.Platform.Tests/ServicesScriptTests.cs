using System.Diagnostics;

namespace VisRL.Platform.Tests;

/// <summary>
/// infra/services.sh in a sandbox: a copy of the script in a temporary root, its own stack folder, and a
/// stand-in `dotnet` first on PATH that records builds and runs each "replica" as a sleep (the Critic's
/// exits at once, as a service does on an unknown setting). No server starts and no port is opened.
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
              *Critic.dll) [ -f {{_root}}/critic-fails ] && { echo "error: Unknown setting VISRL__BOGUS__X"; exit 2; }; exec sleep 300 ;;
              *) exec sleep 300 ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int ExitCode, string Output) Services(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(_root, "infra", "services.sh"), .. arguments])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root,
        };
        start.Environment["PATH"] = $"{Path.Combine(_root, "stub")}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["VISRL_STACK_DIR"] = Path.Combine(_root, "stack");
        start.Environment["VISRL_SERVICES_START_GRACE"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    /// <summary>`up` arguments that start only the given services (each replica costs about 2 s to stop here).</summary>
    private static string[] Only(params string[] counts) =>
        ["up", .. new[] { "orchestrator", "sampler", "critic", "filter", "trainer" }.Select(s => counts.FirstOrDefault(c => c.StartsWith(s + "=")) ?? $"{s}=0")];

    private string[] Builds() => File.Exists(Path.Combine(_root, "builds")) ? File.ReadAllLines(Path.Combine(_root, "builds")) : [];

    [Fact]
    public void UpFailsWithTheLogOfAReplicaThatExitsAtStart()
    {
        File.WriteAllText(Path.Combine(_root, "critic-fails"), "");
        var (exitCode, output) = Services(Only("sampler=1", "critic=1"));
        Assert.Equal(1, exitCode);
        Assert.Contains("critic #1 exited within 1 s of its start", output);
        Assert.Contains("error: Unknown setting VISRL__BOGUS__X", output);
        Assert.DoesNotContain("sampler #1 exited", output);
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

    public void Dispose()
    {
        Services("down");
        Directory.Delete(_root, recursive: true);
    }
}
