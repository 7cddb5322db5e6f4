using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Data;
using VisRL.Data.Export;
using VisRL.Data.Import;
using VisRL.Data.Preview;
using VisRL.Data.Synthetic;
using VisRL.Imaging;
using VisRL.Imaging.Datasets;
using VisRL.Platform.Configuration;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl data synth|import|export|show`: datasets in storage (items in PostgreSQL, images in
/// blob storage). The work lives in VisRL.Data; this class parses options and prints.
/// </summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "Datasets in storage: make synthetic splits, import, export, preview items.")
    {
        Synth(), Import(), Export(), Show(),
    };

    private static Command Synth()
    {
        var name = new Option<string>("--name") { Description = "Dataset name.", Required = true };
        var split = new Option<string>("--split") { Description = "base (M_org's scenes, what `visrl train base` reads), sft, rl or test.", Required = true };
        split.AcceptOnlyFromAmong("base", "sft", "rl", "test");
        var count = new Option<int>("--count") { Description = "Items in the split.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Generator seed; item i depends only on the knobs, the seed and i.", DefaultValueFactory = _ => 0 };
        var sceneSize = new Option<int?>("--scene-size") { Description = "Scene width and height in pixels (default 448)." };
        var minObjects = new Option<int?>("--min-objects") { Description = "Fewest objects per scene (default 6)." };
        var maxObjects = new Option<int?>("--max-objects") { Description = "Most objects per scene (default 10)." };
        var glyphScale = new Option<int?>("--glyph-scale") { Description = "Scale of the 5x7 glyph font (default 2: 10x14 px)." };
        var families = new Option<string?>("--families") { Description = "Question family weights, e.g. glyph_by_attributes=1,glyph_by_relation=2 (default: all three at 1)." };
        var clutter = new Option<int?>("--clutter") { Description = "Distractor specks and strokes per scene (default 40)." };
        var batch = new Option<int>("--batch-size") { Description = "Items per database transaction.", DefaultValueFactory = _ => 256 };
        var command = new Command("synth", "Generate a synthetic split: PNGs to blob storage, items to PostgreSQL. Resumable and idempotent.")
        {
            name, split, count, seed, sceneSize, minObjects, maxObjects, glyphScale, families, clutter, batch,
        };
        command.SetAction(async (parse, ct) =>
        {
            var spec = SyntheticSplitSpec.Create(parse.GetValue(seed), parse.GetValue(sceneSize), parse.GetValue(minObjects), parse.GetValue(maxObjects),
                parse.GetValue(glyphScale), parse.GetValue(families), parse.GetValue(clutter));
            string n = parse.GetValue(name)!, s = parse.GetValue(split)!;
            int total = parse.GetValue(count);
            var writer = new SyntheticDatasetWriter(Storage()) { BatchSize = Math.Max(1, parse.GetValue(batch)) };
            var result = await WithProgress($"synth {n}/{s}", total, progress => writer.WriteAsync(n, s, total, spec, progress, ct));
            AnsiConsole.MarkupLine($"[green]{Markup.Escape($"{n}/{s}: {result.Written} items written, {result.AlreadyPresent} already present")}[/]");
            AnsiConsole.MarkupLine($"[grey]config {Markup.Escape(spec.ToJson().ToJsonString())}[/]");
            return 0;
        });
        return command;
    }

    private static Command Import()
    {
        var format = FormatOption();
        var path = new Option<string>("--path") { Description = "llamafactory: the dataset_info.json; viscot: the JSON or JSON-lines file.", Required = true };
        var datasetName = new Option<string?>("--dataset-name") { Description = "llamafactory: the dataset's name inside dataset_info.json." };
        var images = new Option<string?>("--images") { Description = "Folder that relative image paths start from (default: the file's folder)." };
        var name = new Option<string>("--name") { Description = "Dataset name to import into.", Required = true };
        var split = new Option<string>("--split") { Description = "Split to import into (sft, rl, test, …).", Required = true };
        var command = new Command("import", "Import a LLaMA-Factory or Visual-CoT dataset; bad rows are listed with their index and reason.")
        {
            format, path, datasetName, images, name, split,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new ImportRequest(DatasetFileFormats.Parse(parse.GetValue(format)!), parse.GetValue(path)!, parse.GetValue(datasetName),
                parse.GetValue(images), parse.GetValue(name)!, parse.GetValue(split)!);
            var importer = new DatasetImporter(Storage());
            var report = await WithProgress($"import {request.Name}/{request.Split}", null, progress => importer.ImportAsync(request, progress, ct));
            if (report.Failures.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("row", "reason");
                foreach (var failure in report.Failures) table.AddRow(failure.SourceIndex.ToString(CultureInfo.InvariantCulture), Markup.Escape(failure.Reason));
                AnsiConsole.Write(table);
            }
            string color = report.AnyStored ? "green" : "red";
            AnsiConsole.MarkupLine($"[{color}]{Markup.Escape($"{request.Name}/{request.Split}: {report.Summary}")}[/]");
            return report.AnyStored ? 0 : 1;
        });
        return command;
    }

    private static Command Export()
    {
        var name = new Option<string>("--name") { Description = "Dataset name.", Required = true };
        var split = new Option<string>("--split") { Description = "Split to export.", Required = true };
        var format = FormatOption();
        var output = new Option<string>("--out") { Description = "Output folder (images/ and the dataset files).", Required = true };
        var toBlob = new Option<bool>("--to-blob") { Description = "Also upload the files to the exports container under NAME/SPLIT/." };
        var command = new Command("export", "Export a split as a LLaMA-Factory or Visual-CoT dataset that imports again.")
        {
            name, split, format, output, toBlob,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new ExportRequest(parse.GetValue(name)!, parse.GetValue(split)!, DatasetFileFormats.Parse(parse.GetValue(format)!),
                parse.GetValue(output)!, parse.GetValue(toBlob));
            var exporter = new DatasetExporter(Storage());
            var report = await WithProgress($"export {request.Name}/{request.Split}", null, progress => exporter.ExportAsync(request, progress, ct));
            AnsiConsole.MarkupLine($"[green]{Markup.Escape($"{report.ItemCount} items exported to {Path.GetFullPath(request.OutFolder)}; data file {report.DataFile}")}[/]");
            if (request.Format == DatasetFileFormat.LlamaFactory)
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape($"re-import: visrl data import --format llamafactory --path {report.DataFile} --dataset-name {report.DataName} --name NEW --split {request.Split}")}[/]");
            if (report.BlobKeys.Count > 0)
                AnsiConsole.MarkupLine($"[green]{Markup.Escape($"{report.BlobKeys.Count} files uploaded to the exports container under {request.Name}/{request.Split}/")}[/]");
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "Item id (items.id)." };
        var output = new Option<string?>("--out") { Description = "PNG to write (default item-ID.png)." };
        var command = new Command("show", "Render an item with its GT box outlined to a PNG, and print its question and answer.") { id, output };
        command.SetAction(async (parse, ct) =>
        {
            long itemId = parse.GetValue(id);
            string file = parse.GetValue(output) ?? $"item-{itemId}.png";
            var (item, rendered) = await new ItemPreview(Storage()).RenderAsync(itemId, cancellationToken: ct);
            await File.WriteAllBytesAsync(file, ImageCodec.EncodePng(rendered), ct);
            var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
            table.AddRow("item", Markup.Escape($"{item.Id} ({item.Split} #{item.Ordinal}, {item.ImageWidth}x{item.ImageHeight}, {item.ImageBlobKey})"));
            table.AddRow("question", Markup.Escape(item.Question));
            table.AddRow("answer", Markup.Escape(item.StandardAnswer));
            table.AddRow("family", Markup.Escape(item.Family ?? "-"));
            table.AddRow("GT box", item.GtBox() is { } box ? $"[magenta]{Markup.Escape(box.ToString())}[/]" : "none");
            table.AddRow("written", Markup.Escape(Path.GetFullPath(file)));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Option<string> FormatOption()
    {
        var format = new Option<string>("--format") { Description = "llamafactory or viscot.", Required = true };
        format.AcceptOnlyFromAmong("llamafactory", "viscot");
        return format;
    }

    private static DatasetStorage Storage()
    {
        var settings = CliSettings.Load();
        return DatasetStorage.Create(settings.GetVisRLSettings<DatabaseOptions>(), settings.GetVisRLSettings<BlobOptions>());
    }

    /// <summary>A progress bar with the item rate; <paramref name="total"/> null grows the bar as items come.</summary>
    private static async Task<T> WithProgress<T>(string label, int? total, Func<IProgress<int>, Task<T>> work)
    {
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total ?? 1));
                var clock = Stopwatch.StartNew();
                int done = 0;
                var progress = new Increments(n =>
                {
                    int now = Interlocked.Add(ref done, n);
                    if (total is null && now > task.MaxValue) task.MaxValue = now;
                    task.Increment(n);
                    double rate = now / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                    task.Description = Markup.Escape($"{label} {now}{(total is null ? "" : $"/{total}")} ({rate:F1} items/s)");
                });
                var result = await work(progress);
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post increments out of order).</summary>
    private sealed class Increments(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
