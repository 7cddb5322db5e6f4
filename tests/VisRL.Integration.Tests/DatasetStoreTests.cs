using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Data.Export;
using VisRL.Data.Import;
using VisRL.Data.Preview;
using VisRL.Data.Synthetic;
using VisRL.Imaging;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;
using VisRL.Platform.Blobs;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>Datasets through the real PostgreSQL and Azurite: synth, resume, import, export, show.</summary>
[Collection(StackCollection.Name)]
public class DatasetStoreTests(TestStack stack)
{
    private static readonly string Cli = ChildProcess.ProjectDll("VisRL.Cli", "visrl");

    // Small scenes keep the tests quick; the knobs are the same code path as the defaults.
    private static SyntheticSplitSpec Spec(ulong seed) => SyntheticSplitSpec.Create(seed, sceneSize: 224, minObjects: 4, maxObjects: 6);

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<(DatabaseOptions Database, DatasetStorage Storage)> FreshStorageAsync()
    {
        var database = await TestStack.CreateMigratedDatabaseAsync();
        return (database, DatasetStorage.Create(database, stack.Blobs));
    }

    private static async Task<List<Item>> ItemsAsync(DatasetStorage storage, string name, string split)
    {
        await using var db = storage.CreateDb();
        var dataset = await db.Datasets.SingleAsync(d => d.Name == name);
        return await db.Items.AsNoTracking().Where(i => i.DatasetId == dataset.Id && i.Split == split).OrderBy(i => i.Ordinal).ToListAsync();
    }

    private static async Task<List<string>> BlobHashesAsync(DatasetStorage storage, IEnumerable<Item> items)
    {
        var hashes = new List<string>();
        foreach (var item in items)
            hashes.Add(ContentHash.Of(await storage.Blobs.GetAsync(storage.ImagesContainer, item.ImageBlobKey))); // GetAsync checks the recorded hash
        return hashes;
    }

    [Fact]
    public async Task SynthWritesEveryItemAndBlob_AndTheSameSeedGivesTheSameBlobs()
    {
        var (_, storage) = await FreshStorageAsync();
        string first = UniqueName("synth"), twin = UniqueName("twin"), other = UniqueName("other");
        var result = await new SyntheticDatasetWriter(storage) { BatchSize = 16 }.WriteAsync(first, "sft", 40, Spec(7));
        Assert.Equal(40, result.Written);

        var items = await ItemsAsync(storage, first, "sft");
        Assert.Equal(Enumerable.Range(0, 40), items.Select(i => i.Ordinal));
        var blobs = await storage.Blobs.ListAsync(storage.ImagesContainer, $"datasets/{first}/sft/");
        Assert.Equal(40, blobs.Count);
        Assert.Equal(items.Select(i => i.ImageBlobKey).Order(), blobs.Order());
        var hashes = await BlobHashesAsync(storage, items);
        Assert.Equal(40, hashes.Distinct().Count());

        // Each stored item is the generator's item at its ordinal.
        var generator = new SyntheticGenerator(Spec(7).Options, 7);
        foreach (var item in items.Where(i => i.Ordinal % 13 == 0))
        {
            var expected = generator.Generate(item.Ordinal);
            Assert.Equal(expected.Question, item.Question);
            Assert.Equal(expected.Answer, item.StandardAnswer);
            Assert.Equal(expected.GtBox.X1, item.GtX1!.Value, 5);
            Assert.Equal(ContentHash.Of(ImageCodec.EncodePng(expected.Image)), hashes[item.Ordinal]);
        }

        // The split's recorded knobs remake its generator (the focus stage's object labels come from it).
        var remade = await SyntheticSplits.GeneratorAsync(storage, first, "sft");
        Assert.NotNull(remade);
        Assert.Equal(generator.Generate(13).Objects, remade.Layout(13).Objects);
        Assert.Null(await SyntheticSplits.GeneratorAsync(storage, first, "test"));

        await new SyntheticDatasetWriter(storage).WriteAsync(twin, "sft", 40, Spec(7));
        Assert.Equal(hashes, await BlobHashesAsync(storage, await ItemsAsync(storage, twin, "sft")));
        await new SyntheticDatasetWriter(storage).WriteAsync(other, "sft", 40, Spec(8));
        Assert.NotEqual(hashes, await BlobHashesAsync(storage, await ItemsAsync(storage, other, "sft")));

        // The same command again changes nothing.
        string configBefore;
        await using (var db = storage.CreateDb()) configBefore = (await db.Datasets.SingleAsync(d => d.Name == first)).ConfigJson;
        var again = await new SyntheticDatasetWriter(storage).WriteAsync(first, "sft", 40, Spec(7));
        Assert.Equal((0, 40), (again.Written, again.AlreadyPresent));
        Assert.Equal(items.Select(i => (i.Id, i.ImageBlobKey)), (await ItemsAsync(storage, first, "sft")).Select(i => (i.Id, i.ImageBlobKey)));
        await using (var db = storage.CreateDb())
        {
            var dataset = await db.Datasets.SingleAsync(d => d.Name == first);
            Assert.Equal(configBefore, dataset.ConfigJson);
            Assert.Contains("\"seed\": \"7\"", dataset.ConfigJson);
            Assert.Contains("\"scene_size\": 224", dataset.ConfigJson);
        }
    }

    [Fact]
    public async Task AnInterruptedSynthResumesToExactlyTheRequestedItems()
    {
        var (_, storage) = await FreshStorageAsync();
        string name = UniqueName("resume");
        var writer = new SyntheticDatasetWriter(storage) { BatchSize = 8, Parallelism = 2 };
        using var cancel = new CancellationTokenSource();
        int reported = 0;
        var stopAt20 = new Increments(n => { if (Interlocked.Add(ref reported, n) >= 20) cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync(name, "rl", 40, Spec(3), stopAt20, cancel.Token));

        int kept = (await ItemsAsync(storage, name, "rl")).Count;
        Assert.InRange(kept, 8, 32);
        Assert.Equal(0, kept % 8); // a batch is one transaction: all of it or none

        var resumed = await writer.WriteAsync(name, "rl", 40, Spec(3));
        Assert.Equal((40 - kept, kept), (resumed.Written, resumed.AlreadyPresent));
        var items = await ItemsAsync(storage, name, "rl");
        Assert.Equal(Enumerable.Range(0, 40), items.Select(i => i.Ordinal));

        // Growing a split (20, then 40) adds only the new ordinals, and they match a one-go run.
        string grown = UniqueName("grown");
        Assert.Equal(20, (await writer.WriteAsync(grown, "rl", 20, Spec(3))).Written);
        Assert.Equal(20, (await writer.WriteAsync(grown, "rl", 40, Spec(3))).Written);
        var grownItems = await ItemsAsync(storage, grown, "rl");
        Assert.Equal(items.Select(i => (i.Ordinal, i.Question, i.StandardAnswer)), grownItems.Select(i => (i.Ordinal, i.Question, i.StandardAnswer)));
        Assert.Equal(await BlobHashesAsync(storage, items), await BlobHashesAsync(storage, grownItems));
    }

    [Fact]
    public async Task ReusingANameWithOtherKnobsOrSeedIsRefused()
    {
        var (_, storage) = await FreshStorageAsync();
        string name = UniqueName("refuse");
        var writer = new SyntheticDatasetWriter(storage);
        await writer.WriteAsync(name, "sft", 3, Spec(1));

        var otherSeed = await Assert.ThrowsAsync<DatasetConflictException>(() => writer.WriteAsync(name, "sft", 3, Spec(2)));
        Assert.Contains($"'{name}' split 'sft' was made with other settings: seed recorded \"1\", asked \"2\".", otherSeed.Message);
        var otherKnob = await Assert.ThrowsAsync<DatasetConflictException>(() =>
            writer.WriteAsync(name, "sft", 3, SyntheticSplitSpec.Create(1, sceneSize: 224, minObjects: 4, maxObjects: 6, clutter: 0)));
        Assert.Contains("clutter recorded 40, asked 0.", otherKnob.Message);
        var repeat = await Assert.ThrowsAsync<DatasetConflictException>(() => writer.WriteAsync(name, "test", 3, Spec(1)));
        Assert.Contains("would repeat", repeat.Message);

        Assert.Equal(3, (await writer.WriteAsync(name, "test", 3, Spec(9))).Written); // another split, another seed: fine
        Assert.Equal(3, (await ItemsAsync(storage, name, "sft")).Count);
    }

    [Theory]
    [InlineData(64, null)] // the smallest scene allowed holds one object, and a question needs three
    [InlineData(448, 25)]  // objects larger than the scene
    public async Task SettingsThatMakeNoSceneAreRefusedNamingTheKnobs_AndRecordNothing(int sceneSize, int? glyphScale)
    {
        var (_, storage) = await FreshStorageAsync();
        string name = UniqueName("nospace");
        var writer = new SyntheticDatasetWriter(storage);
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            writer.WriteAsync(name, "rl", 3, SyntheticSplitSpec.Create(1, sceneSize: sceneSize, glyphScale: glyphScale)));
        Assert.Contains($"split 'rl' of '{name}': these settings make no scene", error.Message);
        Assert.Contains($"a larger --scene-size than {sceneSize}", error.Message);
        // Nothing recorded: the same name and split take workable settings.
        Assert.Equal(3, (await writer.WriteAsync(name, "rl", 3, Spec(1))).Written);
    }

    /// <summary>A source folder in the format: synthetic PNGs, one JPEG, one row without a box.</summary>
    private static string WriteSourceFiles(DatasetFileFormat format, string folder)
    {
        Directory.CreateDirectory(folder);
        var generator = new SyntheticGenerator(Spec(11).Options, 11);
        var rows = new List<DatasetRow>();
        for (int i = 0; i < 5; i++)
        {
            var item = generator.Generate(i);
            string file = Path.Combine(folder, i == 2 ? $"scene{i}.jpg" : $"scene{i}.png");
            ImageCodec.Save(item.Image, file);
            rows.Add(new DatasetRow(file, item.Question, item.Answer, i == 4 ? null : item.GtBox, item.Family, i));
        }
        if (format == DatasetFileFormat.LlamaFactory)
        {
            ShareGptWriter.WriteSft(folder, "source", rows.Select(r => new SftExample(r)));
            return Path.Combine(folder, "dataset_info.json");
        }
        VisualCotWriter.Write(Path.Combine(folder, "source.json"), folder, rows);
        return Path.Combine(folder, "source.json");
    }

    [Theory]
    [InlineData(DatasetFileFormat.LlamaFactory)]
    [InlineData(DatasetFileFormat.VisCot)]
    public async Task ImportExportReimportKeepsQuestionsAnswersBoxesAndPixels(DatasetFileFormat format)
    {
        var (_, storage) = await FreshStorageAsync();
        string work = Directory.CreateTempSubdirectory("visrl-roundtrip-").FullName;
        try
        {
            string source = WriteSourceFiles(format, Path.Combine(work, "source"));
            string imported = UniqueName("imported"), reimported = UniqueName("reimported");
            var importer = new DatasetImporter(storage);
            var first = await importer.ImportAsync(new ImportRequest(format, source, "source", null, imported, "test"));
            Assert.Equal((5, 0), (first.Imported, first.Failures.Count));

            string exportFolder = Path.Combine(work, "export");
            var export = await new DatasetExporter(storage).ExportAsync(new ExportRequest(imported, "test", format, exportFolder, ToBlob: true));
            Assert.Equal(5, export.ItemCount);
            var uploaded = await storage.Blobs.ListAsync(storage.ExportsContainer, $"{imported}/test/");
            Assert.Equal(export.Files.Select(f => $"{imported}/test/{f}").Order(), uploaded.Order());
            string dataFileKey = $"{imported}/test/{export.DataName}.json";
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(exportFolder, export.DataName + ".json")), await storage.Blobs.GetAsync(storage.ExportsContainer, dataFileKey));

            var second = await importer.ImportAsync(new ImportRequest(format, export.DataFile, export.DataName, exportFolder, reimported, "test"));
            Assert.Equal((5, 0), (second.Imported, second.Failures.Count));

            var before = await ItemsAsync(storage, imported, "test");
            var after = await ItemsAsync(storage, reimported, "test");
            Assert.Equal(5, after.Count);
            Assert.Equal(4, after.Count(i => i.GtBox() is not null));
            Assert.Contains(after, i => i.ImageBlobKey.EndsWith(".jpg", StringComparison.Ordinal));
            foreach (var (a, b) in before.Zip(after))
            {
                Assert.Equal(a.Question, b.Question);
                Assert.Equal(a.StandardAnswer, b.StandardAnswer);
                Assert.Equal(a.Family, b.Family);
                Assert.Equal((a.ImageWidth, a.ImageHeight), (b.ImageWidth, b.ImageHeight));
                Assert.Equal(a.GtBox() is null, b.GtBox() is null);
                if (a.GtBox() is { } boxA && b.GtBox() is { } boxB)
                {
                    Assert.InRange(Math.Abs(boxA.X1 - boxB.X1), 0, 1e-3);
                    Assert.InRange(Math.Abs(boxA.Y1 - boxB.Y1), 0, 1e-3);
                    Assert.InRange(Math.Abs(boxA.X2 - boxB.X2), 0, 1e-3);
                    Assert.InRange(Math.Abs(boxA.Y2 - boxB.Y2), 0, 1e-3);
                }
                var pixelsA = ImageCodec.Decode(await storage.Blobs.GetAsync(storage.ImagesContainer, a.ImageBlobKey)).Pixels;
                var pixelsB = ImageCodec.Decode(await storage.Blobs.GetAsync(storage.ImagesContainer, b.ImageBlobKey)).Pixels;
                Assert.Equal(pixelsA, pixelsB);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Visual-CoT JSON: rows 0, 2, 6 good; 1 missing image; 3 corrupt image; 4 malformed box; 5 no question.</summary>
    private static string WriteFileWithBadRows(string folder)
    {
        Directory.CreateDirectory(folder);
        var generator = new SyntheticGenerator(Spec(5).Options, 5);
        for (int i = 0; i < 3; i++) ImageCodec.Save(generator.Generate(i).Image, Path.Combine(folder, $"good{i}.png"));
        var png = ImageCodec.EncodePng(generator.Generate(3).Image);
        File.WriteAllBytes(Path.Combine(folder, "truncated.png"), png[..(png.Length / 2)]);
        string json = """
            [
              {"image": "good0.png", "question": "What character is on the red circle?", "answer": "A", "bboxs": [[10, 10, 60, 60]]},
              {"image": "gone.png", "question": "q1", "answer": "B"},
              {"image": "good1.png", "question": "What character is on the blue square?", "answer": "7"},
              {"image": "truncated.png", "question": "q3", "answer": "C", "bboxs": [[0.1, 0.1, 0.2, 0.2]]},
              {"image": "good1.png", "question": "q4", "answer": "D", "bboxs": [[1, 2, 3]]},
              {"image": "good2.png", "answer": "E"},
              {"image": "good2.png", "question": "What character is on the leftmost shape?", "answer": "K", "bboxs": [[0.5, 0.25, 0.75, 0.5]]}
            ]
            """;
        File.WriteAllText(Path.Combine(folder, "mixed.json"), json);
        return Path.Combine(folder, "mixed.json");
    }

    [Fact]
    public async Task AnImportWithBadRowsStoresTheGoodOnesAndReportsEachBadOne()
    {
        var (database, storage) = await FreshStorageAsync();
        string work = Directory.CreateTempSubdirectory("visrl-badrows-").FullName;
        try
        {
            string file = WriteFileWithBadRows(work);
            string name = UniqueName("mixed");
            var report = await new DatasetImporter(storage).ImportAsync(new ImportRequest(DatasetFileFormat.VisCot, file, null, null, name, "test"));

            Assert.Equal(3, report.Imported);
            Assert.Equal(new[] { 1, 3, 4, 5 }, report.Failures.Select(f => f.SourceIndex));
            Assert.StartsWith("missing image:", report.Failures[0].Reason);
            Assert.StartsWith("corrupt image:", report.Failures[1].Reason);
            Assert.Contains("truncated.png", report.Failures[1].Reason);
            Assert.StartsWith("bad box:", report.Failures[2].Reason);
            Assert.StartsWith("missing field: 'question'", report.Failures[3].Reason);
            Assert.Contains("3 imported", report.Summary);
            Assert.Contains("4 failures", report.Summary);

            var items = await ItemsAsync(storage, name, "test");
            Assert.Equal(new[] { 0, 2, 6 }, items.Select(i => i.Ordinal));
            Assert.Equal(new Box(10 / 224.0, 10 / 224.0, 60 / 224.0, 60 / 224.0), items[0].GtBox()!.Value, new BoxComparer(1e-6));
            Assert.Null(items[1].GtBox());

            // The CLI: exit 0 with the failures listed; a rerun stores nothing twice; an unreadable file is an error.
            var (exitCode, output) = await CliAsync(database, "data", "import", "--format", "viscot", "--path", file, "--name", name, "--split", "test");
            Assert.True(exitCode == 0, output);
            Assert.Contains("0 imported, 3 already present, 4 failures", output);
            foreach (var reason in new[] { "missing image", "corrupt image", "bad box", "missing field" }) Assert.Contains(reason, output);
            Assert.Equal(3, (await ItemsAsync(storage, name, "test")).Count);

            var (missingExit, missingOutput) = await CliAsync(database, "data", "import", "--format", "viscot", "--path", Path.Combine(work, "nope.json"), "--name", UniqueName("none"), "--split", "test");
            Assert.Equal(1, missingExit);
            Assert.Contains("not found", missingOutput);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task ShowWritesAPngWithTheGtBoxOutlined()
    {
        var (database, storage) = await FreshStorageAsync();
        string name = UniqueName("show");
        await new SyntheticDatasetWriter(storage).WriteAsync(name, "test", 2, Spec(21));
        var item = (await ItemsAsync(storage, name, "test"))[1];
        string file = Path.Combine(Path.GetTempPath(), $"visrl-show-{Guid.NewGuid():N}.png");
        try
        {
            var (exitCode, output) = await CliAsync(database, "data", "show", item.Id.ToString(), "--out", file);
            Assert.True(exitCode == 0, output);
            Assert.Contains(item.Question, output);
            Assert.Contains(item.StandardAnswer, output);

            var rendered = ImageCodec.Load(file);
            var original = ImageCodec.Decode(await storage.Blobs.GetAsync(storage.ImagesContainer, item.ImageBlobKey));
            Assert.Equal((original.Width, original.Height), (rendered.Width, rendered.Height));
            var box = item.GtBox()!.Value;
            int x1 = (int)Math.Round(box.X1 * rendered.Width), x2 = (int)Math.Round(box.X2 * rendered.Width) - 1;
            int y1 = (int)Math.Round(box.Y1 * rendered.Height), y2 = (int)Math.Round(box.Y2 * rendered.Height) - 1;
            var magenta = PreviewOverlay.GroundTruthColor;
            for (int x = x1; x <= x2; x++)
            {
                Assert.Equal(magenta, rendered[x, y1]);
                Assert.Equal(magenta, rendered[x, y2]);
            }
            for (int y = y1; y <= y2; y++)
            {
                Assert.Equal(magenta, rendered[x1, y]);
                Assert.Equal(magenta, rendered[x2, y]);
            }
            Assert.NotEqual(magenta, original[x1, y1]);
            // Only the outline (and label) is drawn: the box's middle is the scene as stored.
            int cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
            Assert.Equal(original[cx, cy], rendered[cx, cy]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Task<(int ExitCode, string Output)> CliAsync(DatabaseOptions database, params string[] arguments)
    {
        return ChildProcess.RunAsync(ChildProcess.Dotnet(Cli, stack.CliEnvironment(database), arguments), TimeSpan.FromSeconds(120));
    }

    private sealed class Increments(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    private sealed class BoxComparer(double tolerance) : IEqualityComparer<Box>
    {
        public bool Equals(Box a, Box b) =>
            Math.Abs(a.X1 - b.X1) <= tolerance && Math.Abs(a.Y1 - b.Y1) <= tolerance && Math.Abs(a.X2 - b.X2) <= tolerance && Math.Abs(a.Y2 - b.Y2) <= tolerance;
        public int GetHashCode(Box box) => 0;
    }
}
