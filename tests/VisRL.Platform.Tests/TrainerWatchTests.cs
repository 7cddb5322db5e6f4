using System.Diagnostics;
using VisRL.Cli.Infrastructure;
using VisRL.Platform.Diagnostics;

namespace VisRL.Platform.Tests;

/// <summary>The demo stops waiting for a Trainer job, with the job and the Trainer's log named, instead of waiting forever.</summary>
public sealed class TrainerWatchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("visrl-replicas-").FullName;
    private readonly Guid _job = Guid.NewGuid();
    private TimeSpan _now;

    public TrainerWatchTests()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "pids"));
        Directory.CreateDirectory(Path.Combine(_folder, "logs"));
        File.WriteAllText(Path.Combine(_folder, "logs", "trainer-1.log"), "");
    }

    private TrainerWatch Watch(bool withReplicas = true) => new(_job, "sft", withReplicas ? new ServiceReplicas(_folder) : null, () => _now);

    private void Trainer(int pid) => File.WriteAllText(Path.Combine(_folder, "pids", "trainer-1.pid"), $"{pid}\n");

    private static int ExitedPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id;
    }

    [Fact]
    public void ALiveTrainerIsWaitedForUntilTheJobLimit()
    {
        Trainer(Environment.ProcessId);
        var watch = Watch();
        _now = TrainerWatch.NoJobLimit - TimeSpan.FromSeconds(1);
        Assert.Null(watch.Problem(jobStarted: false));
        _now = TrainerWatch.NoJobLimit;
        var problem = watch.Problem(jobStarted: false);
        Assert.NotNull(problem);
        Assert.Contains(_job.ToString(), problem);
        Assert.Contains($"the Trainer runs (pid {Environment.ProcessId})", problem);
        Assert.Contains(Path.Combine(_folder, "logs", "trainer-1.log"), problem);
        Assert.Null(Watch().Problem(jobStarted: true)); // a started job is followed as long as it takes
    }

    [Fact]
    public void ADeadTrainerEndsTheWaitAfterAShortGrace()
    {
        Trainer(ExitedPid());
        var watch = Watch();
        Assert.Null(watch.Problem(jobStarted: true));
        _now = TrainerWatch.NoReplicaLimit;
        var problem = watch.Problem(jobStarted: true);
        Assert.NotNull(problem);
        Assert.Contains("no Trainer replica is running", problem);
        Assert.Contains(_job.ToString(), problem);
        Assert.Contains("trainer-1.log", problem);
    }

    [Fact]
    public void WithoutServicesShReplicasOnlyTheJobLimitCounts()
    {
        var watch = Watch(withReplicas: false);
        _now = TimeSpan.FromMinutes(4);
        Assert.Null(watch.Problem(jobStarted: false));
        _now = TrainerWatch.NoJobLimit;
        Assert.Contains("within 5 minutes", watch.Problem(jobStarted: false));
    }

    [Fact]
    public void AZombieOrAnExitedProcessIsNotAlive()
    {
        Assert.True(ServiceReplicas.IsAlive(Environment.ProcessId));
        Assert.False(ServiceReplicas.IsAlive(ExitedPid()));
        // `sleep 0` exits under a parent that exec'd into `sleep 2` and never reaps it: a zombie for 2 s.
        using var parent = Process.Start(new ProcessStartInfo("bash", ["-c", "sleep 0 & echo $!; exec sleep 2"]) { RedirectStandardOutput = true })!;
        var zombie = int.Parse(parent.StandardOutput.ReadLine()!);
        Thread.Sleep(300);
        Assert.StartsWith("Z", File.ReadAllText($"/proc/{zombie}/stat").Split(") ")[1]);
        Assert.False(ServiceReplicas.IsAlive(zombie));
        parent.WaitForExit();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
