using VisRL.Platform.Diagnostics;

namespace VisRL.Cli.Infrastructure;

/// <summary>
/// Decides when a command waiting for a Trainer job stops waiting: no job row after
/// <see cref="NoJobLimit"/>, or no Trainer replica alive (of those infra/services.sh started) for
/// <see cref="NoReplicaLimit"/>. The message names the job and the Trainer's log.
/// </summary>
internal sealed class TrainerWatch(Guid jobId, string stage, ServiceReplicas? replicas, Func<TimeSpan> elapsed)
{
    public const string Service = "trainer";

    /// <summary>A Trainer that runs takes a TrainStage within seconds, unless an earlier one still trains.</summary>
    public static readonly TimeSpan NoJobLimit = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Time for a Trainer to be back (its supervisor restarts a crashed one within 1 s, and waits up to 30 s between
    /// tries of one that keeps crashing; infra/services.sh up starts one that was stopped) before the wait is given up.
    /// </summary>
    public static readonly TimeSpan NoReplicaLimit = TimeSpan.FromSeconds(30);

    private TimeSpan? _noReplicaSince;

    /// <summary>Null while waiting still makes sense; otherwise why it does not.</summary>
    public string? Problem(bool jobStarted)
    {
        var now = elapsed();
        // Replicas are judged only where services.sh started some (not for a Trainer in Docker or elsewhere).
        if (replicas is not null && replicas.Pids(Service).Count > 0 && replicas.AlivePids(Service).Count == 0)
        {
            _noReplicaSince ??= now;
            if (now - _noReplicaSince >= NoReplicaLimit)
                return $"no Trainer replica is running, so job {jobId} ({stage}) cannot {(jobStarted ? "go on" : "start")}: see {LogHint()}; "
                    + "infra/services.sh status tells whether its supervisor still restarts it, infra/services.sh up starts a stopped one, "
                    + "and the job resumes where it stopped";
        }
        else
        {
            _noReplicaSince = null;
        }
        if (!jobStarted && now >= NoJobLimit)
        {
            var alive = replicas?.AlivePids(Service) ?? [];
            var state = alive.Count > 0 ? $"the Trainer runs (pid {string.Join(", ", alive)}) but did not start it: busy with an earlier job, or stuck"
                : replicas is null || replicas.Pids(Service).Count == 0 ? "no Trainer replica was started by infra/services.sh here"
                : "no Trainer replica is running";
            return $"no Trainer started job {jobId} ({stage}) within {NoJobLimit.TotalMinutes:0} minutes: {state}; see {LogHint()}";
        }
        return null;
    }

    private string LogHint() =>
        replicas?.Logs(Service) is { Count: > 0 } logs ? string.Join(", ", logs) : "the Trainer's log (infra/services.sh status lists the logs)";
}
