using Microsoft.EntityFrameworkCore;
using VisRL.Imaging.Datasets;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data.Export;

/// <summary>
/// Writes a stored split as files that re-import: the images (the stored bytes, hash-checked on
/// download) under images/, and a LLaMA-Factory two-turn SFT dataset (GT box in turn 1 where
/// present) or Visual-CoT metadata; optionally uploads the files to the exports container.
/// </summary>
public sealed class DatasetExporter(DatasetStorage storage)
{
    public const string ImagesFolder = "images";
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <exception cref="DatasetNotFoundException">No such dataset, or an empty split.</exception>
    public async Task<ExportReport> ExportAsync(ExportRequest request, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        DatasetNames.Validate(request.DataName, "export file name");
        var items = await LoadItemsAsync(request, cancellationToken);
        string folder = Path.GetFullPath(request.OutFolder);
        Directory.CreateDirectory(Path.Combine(folder, ImagesFolder));

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(items, parallel, async (item, token) =>
        {
            await storage.Blobs.DownloadToFileAsync(storage.ImagesContainer, item.ImageBlobKey, Path.Combine(folder, ImageFile(item)), token);
            progress?.Report(1);
        });

        var files = items.Select(ImageFile).ToList();
        string dataFile;
        if (request.Format == DatasetFileFormat.LlamaFactory)
        {
            var examples = items.Select(i => new SftExample(Row(i, Path.Combine(folder, ImageFile(i)))));
            ShareGptWriter.WriteSft(folder, request.DataName, examples, twoTurn: true);
            dataFile = Path.Combine(folder, "dataset_info.json");
            files.Add(request.DataName + ".json");
            files.Add("dataset_info.json");
        }
        else
        {
            dataFile = Path.Combine(folder, request.DataName + ".json");
            VisCotExportFile.Write(dataFile, items.Select(i => (Row(i, ImageFile(i)), i.ImageWidth, i.ImageHeight)));
            files.Add(request.DataName + ".json");
        }

        var keys = request.ToBlob ? await UploadAsync(request, folder, files, cancellationToken) : [];
        return new ExportReport(items.Count, dataFile, request.DataName, files, keys);
    }

    private async Task<List<Item>> LoadItemsAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        await using var db = storage.CreateDb();
        var dataset = await db.Datasets.AsNoTracking().SingleOrDefaultAsync(d => d.Name == request.Name, cancellationToken)
            ?? throw new DatasetNotFoundException($"no dataset named '{request.Name}'");
        var items = await db.Items.AsNoTracking()
            .Where(i => i.DatasetId == dataset.Id && i.Split == request.Split)
            .OrderBy(i => i.Ordinal)
            .ToListAsync(cancellationToken);
        if (items.Count == 0) throw new DatasetNotFoundException($"dataset '{request.Name}' has no items in split '{request.Split}'");
        return items;
    }

    private async Task<List<string>> UploadAsync(ExportRequest request, string folder, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        await storage.Blobs.EnsureContainersAsync(cancellationToken);
        var keys = new List<string>();
        foreach (var file in files)
        {
            string key = $"{request.Name}/{request.Split}/{file}";
            await storage.Blobs.PutFileAsync(storage.ExportsContainer, key, Path.Combine(folder, file), ContentType(file), cancellationToken);
            keys.Add(key);
        }
        return keys;
    }

    /// <summary>images/000042.png (the stored key's extension: PNG or JPEG bytes are kept as they are).</summary>
    private static string ImageFile(Item item) => $"{ImagesFolder}/{item.Ordinal:D6}{Path.GetExtension(item.ImageBlobKey)}";

    private static DatasetRow Row(Item item, string imagePath) =>
        new(imagePath, item.Question, item.StandardAnswer, item.GtBox(), item.Family, item.Ordinal);

    private static string ContentType(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
