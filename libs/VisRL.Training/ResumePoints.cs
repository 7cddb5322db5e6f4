using VisRL.Modeling;
using VisRL.Platform.Blobs;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Training;

namespace VisRL.Training;

/// <summary>
/// A training job's resumable checkpoints in blob storage (stage "{phase}-resume", tagged with the
/// job id): each one the Trainer writes is published, and before a job runs its newest one is put
/// back where the Trainer looks, so a job run again after a crash goes on from there.
/// </summary>
public sealed class ResumePoints(CheckpointStore checkpoints, TrainingJournal journal, Guid jobId, string workFolder)
{
    /// <summary>
    /// The local folder of the phase's step-NNNNNN checkpoints, with the newest stored one that can be read back restored
    /// into it. One whose files are damaged or gone gives way to the one before it (the job replays the steps between,
    /// and records the step it passed over as the metric resume_skipped_step); when the phase has checkpoints and none can
    /// be read, the job fails naming them, since starting the phase over could start it from weights it never had.
    /// </summary>
    public async Task<string> RestoreAsync(string phase, CancellationToken cancellationToken)
    {
        var root = Path.Combine(workFolder, jobId.ToString("N"), phase);
        var unreadable = new List<string>();
        foreach (var point in await checkpoints.OfJobAsync(jobId, Stage(phase), cancellationToken: cancellationToken))
        {
            if (Directory.Exists(StepFolder(root, point))) return root;
            try
            {
                Restore(await checkpoints.FetchAsync(point, Path.Combine(workFolder, "cache"), cancellationToken), StepFolder(root, point));
                return root;
            }
            catch (Exception e) when (e is InvalidDataException or BlobIntegrityException or BlobMissingException)
            {
                unreadable.Add($"step {point.Step}: {e.Message}");
                await journal.RecordAsync(jobId, point.Step, new Dictionary<string, double> { ["resume_skipped_step"] = point.Step }, cancellationToken);
            }
        }
        if (unreadable.Count > 0)
            throw new InvalidDataException($"no resumable checkpoint of phase {phase} can be read back: {string.Join("; ", unreadable)}");
        return root;
    }

    private static string StepFolder(string root, CheckpointRef point) => Path.Combine(root, $"step-{point.Step:D6}");

    private static void Restore(string fetched, string target)
    {
        // Copied beside it and moved into place, as the Trainer saves: a crash mid-copy leaves a .partial
        // folder that the Trainer skips and the next restore replaces, never a half-copied step folder.
        var partial = target + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        foreach (var file in Directory.GetFiles(fetched)) File.Copy(file, Path.Combine(partial, Path.GetFileName(file)));
        Directory.Move(partial, target);
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
