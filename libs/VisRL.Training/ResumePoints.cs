using VisRL.Modeling;
using VisRL.Platform.Checkpoints;

namespace VisRL.Training;

/// <summary>
/// A training job's resumable checkpoints in blob storage (stage "{phase}-resume", tagged with the
/// job id): each one the Trainer writes is published, and before a job runs its newest one is put
/// back where the Trainer looks, so a job run again after a crash goes on from there.
/// </summary>
public sealed class ResumePoints(CheckpointStore checkpoints, Guid jobId, string workFolder)
{
    /// <summary>The local folder of the phase's step-NNNNNN checkpoints, with the newest stored one restored into it.</summary>
    public async Task<string> RestoreAsync(string phase, CancellationToken cancellationToken)
    {
        var root = Path.Combine(workFolder, jobId.ToString("N"), phase);
        var latest = await checkpoints.LatestOfJobAsync(jobId, Stage(phase), cancellationToken);
        if (latest is null) return root;
        var target = Path.Combine(root, $"step-{latest.Step:D6}");
        if (Directory.Exists(target)) return root;
        var fetched = await checkpoints.FetchAsync(latest, Path.Combine(workFolder, "cache"), cancellationToken);
        // Copied beside it and moved into place, as the Trainer saves: a crash mid-copy leaves a .partial
        // folder that the Trainer skips and the next restore replaces, never a half-copied step folder.
        var partial = target + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        foreach (var file in Directory.GetFiles(fetched)) File.Copy(file, Path.Combine(partial, Path.GetFileName(file)));
        Directory.Move(partial, target);
        return root;
    }

    /// <summary>Publishes a checkpoint the Trainer just wrote (the Trainer's OnCheckpoint).</summary>
    public void Publish(TrainingCheckpoint checkpoint, CancellationToken cancellationToken) =>
        checkpoints.PublishAsync(checkpoint.Folder, checkpoint.ContentHash, Stage(checkpoint.Phase), checkpoint.Step,
            trainingJobId: jobId, cancellationToken: cancellationToken).GetAwaiter().GetResult();

    /// <summary>A fresh folder for the job's final model.</summary>
    public string FinalFolder()
    {
        var final = Path.Combine(workFolder, jobId.ToString("N"), "final");
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        return final;
    }

    private static string Stage(string phase) => $"{phase}-resume";
}
