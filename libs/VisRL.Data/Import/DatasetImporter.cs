using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using VisRL.Imaging;
using VisRL.Imaging.Datasets;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data.Import;

/// <summary>
/// Imports a LLaMA-Factory or Visual-CoT file: the pure readers parse it, each image is decoded
/// (for its size, and to catch corrupt files) and uploaded, items go in one transaction per batch.
/// A bad row is reported with its index and reason and never stops the import; the ordinal is the
/// row's index in the file, so a rerun skips what is stored.
/// </summary>
public sealed class DatasetImporter(DatasetStorage storage)
{
    public int BatchSize { get; init; } = 256;
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <exception cref="DatasetFormatException">The file as a whole cannot be read.</exception>
    public async Task<ImportReport> ImportAsync(ImportRequest request, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        DatasetNames.Validate(request.Name, "dataset name");
        DatasetNames.Validate(request.Split, "split");
        var read = Read(request);
        var datasetId = await DatasetRegistry.EnsureSplitAsync(storage, request.Name, request.Format.Name(), request.Split,
            SplitConfig(request), distinctFromOtherSplits: false, cancellationToken);
        await storage.Blobs.EnsureContainersAsync(cancellationToken);

        var failures = new ConcurrentBag<DatasetFailure>(read.Failures);
        int imported = 0, present = 0;
        foreach (var batch in read.Rows.Chunk(BatchSize))
        {
            var existing = await ItemBatchWriter.ExistingOrdinalsAsync(storage, datasetId, request.Split, batch.Select(r => r.SourceIndex).ToList(), cancellationToken);
            present += existing.Count;
            if (existing.Count > 0) progress?.Report(existing.Count);
            var items = new ConcurrentBag<Item>();
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(batch.Where(r => !existing.Contains(r.SourceIndex)), parallel, async (row, token) =>
            {
                var (item, failure) = await UploadAsync(row, datasetId, request, token);
                if (item is not null) items.Add(item);
                else failures.Add(failure!);
                progress?.Report(1);
            });
            imported += await ItemBatchWriter.InsertMissingAsync(storage, items.OrderBy(i => i.Ordinal).ToList(), cancellationToken);
        }
        return new ImportReport(datasetId, imported, present, failures.OrderBy(f => f.SourceIndex).ToList());
    }

    private static DatasetReadResult Read(ImportRequest request)
    {
        try
        {
            return request.Format switch
            {
                DatasetFileFormat.LlamaFactory => ShareGptReader.Read(request.Path,
                    request.SourceDatasetName ?? throw new DatasetFormatException("llamafactory import needs the dataset's name inside dataset_info.json (--dataset-name)"),
                    request.ImagesFolder),
                _ => VisualCotReader.Read(request.Path, request.ImagesFolder ?? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(request.Path))!),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException($"{request.Path}: cannot read ({e.Message})", e);
        }
    }

    /// <summary>The import recorded for the split: another file into the same split is refused.</summary>
    private static JsonObject SplitConfig(ImportRequest request) => new()
    {
        ["format"] = request.Format.Name(),
        ["path"] = Path.GetFullPath(request.Path),
        ["dataset_name"] = request.SourceDatasetName,
        ["images"] = request.ImagesFolder is null ? null : Path.GetFullPath(request.ImagesFolder),
    };

    private async Task<(Item? Item, DatasetFailure? Failure)> UploadAsync(DatasetRow row, Guid datasetId, ImportRequest request, CancellationToken token)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(row.ImagePath, token);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, new DatasetFailure(row.SourceIndex, $"missing image: {row.ImagePath} ({e.Message})"));
        }
        RgbImage image;
        try
        {
            // A full decode, not just the header: a truncated file must fail here, not in training.
            image = ImageCodec.Decode(bytes, Path.GetFileName(row.ImagePath));
        }
        catch (ImageDecodeException e)
        {
            return (null, new DatasetFailure(row.SourceIndex, $"corrupt image: {e.Message}"));
        }
        var format = ImageCodec.Sniff(bytes);
        var key = ImageKeys.For(request.Name, request.Split, row.SourceIndex, format);
        await storage.Blobs.PutAsync(storage.ImagesContainer, key, bytes, ImageKeys.ContentType(format), token);
        var item = new Item
        {
            DatasetId = datasetId, Split = request.Split, Ordinal = row.SourceIndex, ImageBlobKey = key,
            ImageWidth = image.Width, ImageHeight = image.Height,
            Question = row.Question, StandardAnswer = row.Answer, Family = row.Family,
        };
        item.SetGtBox(row.GtBox);
        return (item, null);
    }
}
