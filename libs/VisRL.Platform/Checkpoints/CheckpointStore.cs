using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Platform.Blobs;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Checkpoints;

/// <summary>
/// Checkpoint folders in blob storage, addressed by content hash: every file of a folder goes to
/// checkpoints/{hash}/{file}, and a row in `checkpoints` records stage, parent, job and step.
/// Publishing the same content twice is harmless (same address, one row). Fetching downloads into
/// a local cache folder named by the hash, so replicas load each checkpoint once.
/// </summary>
public sealed class CheckpointStore(IDbContextFactory<VisRLDbContext> contexts, IBlobStore blobs, string container)
{
    /// <summary>Uploads the folder's files and records the checkpoint; returns the existing record when the hash is known.</summary>
    public async Task<CheckpointRef> PublishAsync(string folder, string contentHash, string stage, int step,
        Guid? parentId = null, Guid? trainingJobId = null, string configJson = "{}", CancellationToken cancellationToken = default)
    {
        ValidateHash(contentHash);
        var prefix = $"{contentHash}/";
        foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
            await blobs.PutFileAsync(container, prefix + Path.GetFileName(file), file, "application/octet-stream", cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = new Checkpoint
        {
            Id = Guid.NewGuid(), ContentHash = contentHash, BlobKey = prefix, ParentId = parentId, Stage = stage,
            TrainingJobId = trainingJobId, Step = step, ConfigJson = configJson, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Checkpoints.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            db.ChangeTracker.Clear();
            row = await db.Checkpoints.AsNoTracking().SingleAsync(c => c.ContentHash == contentHash, cancellationToken);
        }
        return ToRef(row);
    }

    /// <summary>A checkpoint by full content hash, unique hash prefix (≥ 8 characters), or id.</summary>
    public async Task<CheckpointRef> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ResolveAsync(db, reference, cancellationToken);
    }

    /// <summary>As <see cref="ResolveAsync(string, CancellationToken)"/>, in the caller's context (a saga's transaction).</summary>
    /// <exception cref="KeyNotFoundException">No checkpoint matches.</exception>
    /// <exception cref="ArgumentException">Too short to be a prefix, or ambiguous.</exception>
    public static async Task<CheckpointRef> ResolveAsync(VisRLDbContext db, string reference, CancellationToken cancellationToken = default)
    {
        var query = Guid.TryParse(reference, out var id)
            ? db.Checkpoints.Where(c => c.Id == id)
            : reference.Length >= 8 ? db.Checkpoints.Where(c => c.ContentHash.StartsWith(reference.ToLowerInvariant()))
            : throw new ArgumentException($"checkpoint '{reference}': give a content hash (8+ characters) or an id");
        // Two rows tell unique from ambiguous; ordered, so EF Core does not warn of an unpredictable Take.
        var found = await query.AsNoTracking().OrderBy(c => c.ContentHash).Take(2).ToListAsync(cancellationToken);
        return found.Count switch
        {
            1 => ToRef(found[0]),
            0 => throw new KeyNotFoundException($"no checkpoint matches '{reference}'"),
            _ => throw new ArgumentException($"checkpoint '{reference}' is ambiguous: give more of the hash"),
        };
    }

    /// <summary>The newest checkpoint of a stage, if any.</summary>
    public async Task<CheckpointRef?> LatestAsync(string stage, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Checkpoints.AsNoTracking().Where(c => c.Stage == stage)
            .OrderByDescending(c => c.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : ToRef(row);
    }

    /// <summary>The newest checkpoint a training job wrote for a stage (its resume point), if any.</summary>
    public async Task<CheckpointRef?> LatestOfJobAsync(Guid trainingJobId, string stage, CancellationToken cancellationToken = default) =>
        (await OfJobAsync(trainingJobId, stage, 1, cancellationToken)).FirstOrDefault();

    /// <summary>The checkpoints a training job wrote for a stage, newest (highest step) first; at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<CheckpointRef>> OfJobAsync(Guid trainingJobId, string stage, int limit = int.MaxValue, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Checkpoints.AsNoTracking().Where(c => c.TrainingJobId == trainingJobId && c.Stage == stage)
            .OrderByDescending(c => c.Step).Take(limit).ToListAsync(cancellationToken);
        return [.. rows.Select(ToRef)];
    }

    /// <summary>
    /// The checkpoint's folder in <paramref name="cacheRoot"/>, downloaded when missing. The files
    /// are fetched into a temporary folder and moved in place whole, so a crash mid-download never
    /// leaves a half folder under the hash's name.
    /// </summary>
    /// <exception cref="InvalidDataException">Blob storage holds no file of it (deleted): nothing is cached, so the
    /// checkpoint loads once its files are back.</exception>
    /// <exception cref="BlobIntegrityException">A file is damaged.</exception>
    public async Task<string> FetchAsync(CheckpointRef checkpoint, string cacheRoot, CancellationToken cancellationToken = default)
    {
        var folder = Path.Combine(cacheRoot, checkpoint.ContentHash);
        if (Directory.Exists(folder)) return folder;
        var keys = await blobs.ListAsync(container, checkpoint.BlobPrefix, cancellationToken);
        if (keys.Count == 0)
            throw new InvalidDataException($"checkpoint {checkpoint.ContentHash[..12]} ({checkpoint.Stage}, step {checkpoint.Step}) has no files " +
                $"in blob storage under {container}/{checkpoint.BlobPrefix}: they were deleted");
        var partial = folder + $".partial-{Guid.NewGuid():N}";
        Directory.CreateDirectory(partial);
        try
        {
            foreach (var key in keys)
                await blobs.DownloadToFileAsync(container, key, Path.Combine(partial, key[checkpoint.BlobPrefix.Length..]), cancellationToken);
            try { Directory.Move(partial, folder); }
            catch (IOException) when (Directory.Exists(folder)) { Directory.Delete(partial, recursive: true); } // another replica won
            return folder;
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    private static void ValidateHash(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"'{hash}' is not a SHA-256 content hash (64 lower-case hex digits)");
    }

    private static CheckpointRef ToRef(Checkpoint c) => new(c.Id, c.ContentHash, c.BlobKey, c.Stage, c.Step);
}
