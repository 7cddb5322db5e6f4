using VisRL.Imaging;
using VisRL.Imaging.Synthetic;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data.Synthetic;

/// <summary>
/// Writes a synthetic split: PNGs to the images container, items to PostgreSQL, one transaction
/// per batch. Item i depends only on (knobs, seed, i), so a rerun regenerates exactly the missing
/// ordinals: resumable after a crash and idempotent when complete.
/// </summary>
public sealed class SyntheticDatasetWriter(DatasetStorage storage)
{
    public int BatchSize { get; init; } = 256;
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <param name="progress">Receives increments: items written or found present.</param>
    public async Task<SynthResult> WriteAsync(string name, string split, int count, SyntheticSplitSpec spec,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        DatasetNames.Validate(name, "dataset name");
        DatasetNames.Validate(split, "split");
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var generator = new SyntheticGenerator(spec.Options, spec.Seed);
        // Its first scene made before its settings are recorded: settings that make no scene would otherwise hold the
        // name and split for good (a rerun with other settings is refused), with nothing written.
        try { generator.Generate(0); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"split '{split}' of '{name}': these settings make no scene ({e.Message}); " +
                $"the objects need room: a larger --scene-size than {spec.Options.SceneSize}, a smaller --glyph-scale than {spec.Options.GlyphScale}, or fewer --min-objects", e);
        }
        var datasetId = await DatasetRegistry.EnsureSplitAsync(storage, name, "synthetic", split, spec.ToJson(), distinctFromOtherSplits: true, cancellationToken);
        await storage.Blobs.EnsureContainersAsync(cancellationToken);

        int written = 0, present = 0;
        for (int start = 0; start < count; start += BatchSize)
        {
            var ordinals = Enumerable.Range(start, Math.Min(BatchSize, count - start)).ToList();
            var existing = await ItemBatchWriter.ExistingOrdinalsAsync(storage, datasetId, split, ordinals, cancellationToken);
            present += existing.Count;
            if (existing.Count > 0) progress?.Report(existing.Count);
            var missing = ordinals.Where(o => !existing.Contains(o)).ToList();
            var items = new Item[missing.Count];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, missing.Count), parallel, async (slot, token) =>
            {
                items[slot] = await WriteImageAsync(generator, datasetId, name, split, missing[slot], token);
                progress?.Report(1);
            });
            written += await ItemBatchWriter.InsertMissingAsync(storage, items, cancellationToken);
        }
        return new SynthResult(datasetId, written, present);
    }

    private async Task<Item> WriteImageAsync(SyntheticGenerator generator, Guid datasetId, string name, string split, int ordinal, CancellationToken token)
    {
        var scene = generator.Generate(ordinal);
        var png = ImageCodec.EncodePng(scene.Image);
        var key = ImageKeys.For(name, split, ordinal, ImageFormat.Png);
        await storage.Blobs.PutAsync(storage.ImagesContainer, key, png, ImageKeys.ContentType(ImageFormat.Png), token);
        var item = new Item
        {
            DatasetId = datasetId, Split = split, Ordinal = ordinal, ImageBlobKey = key,
            ImageWidth = scene.Image.Width, ImageHeight = scene.Image.Height,
            Question = scene.Question, StandardAnswer = scene.Answer, Family = scene.Family,
        };
        item.SetGtBox(scene.GtBox);
        return item;
    }
}
