using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Import;
using VisRL.Data.Synthetic;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// One set of processes for the HTTP-backend rounds (they share it to keep the suite short): the
/// Orchestrator, Sampler, Critic and Filter as separate processes on the real test stack, `visrl serve`
/// as another process serving the stored tiny checkpoint the local rounds use (by hash prefix), a synthetic split, the real
/// images of ../shared/fixtures as a dataset, a <see cref="FaultyEndpoint"/>, and a bus to start rounds.
/// </summary>
public sealed partial class HttpRoundFixture : IAsyncLifetime
{
    public const int SyntheticItems = 6;

    private readonly TestStack _stack = new();
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"visrl-http-{Guid.NewGuid():N}");
    private ServiceFleet? _fleet;
    private IHost? _bus;

    public string Prefix { get; } = $"ht{Guid.NewGuid().ToString("N")[..8]}-";
    public DatabaseOptions Database { get; private set; } = null!;
    public DatasetStorage Storage { get; private set; } = null!;
    public string Hash { get; private set; } = "";
    public string Synthetic { get; private set; } = "";
    public string RealImages { get; private set; } = "";
    public string ServeUrl { get; private set; } = "";
    public string ModelId => $"visrl-tiny-{Hash[..12]}";
    public ChildProcess.Running Serve { get; private set; } = null!;
    public FaultyEndpoint Faults { get; private set; } = null!;

    /// <summary>The tiny checkpoint's local folder (as saved before it was published).</summary>
    public string CheckpointFolder => Path.Combine(_scratch, "ckpt");

    /// <summary>What the faulty endpoint answers (mode, messages' text); tests set it before their round.</summary>
    public Func<string, string, Task<(int Status, string Body)>> FaultHandler { get; set; } = (_, _) => Task.FromResult((500, "{}"));

    public IBus Bus => _bus!.Services.GetRequiredService<IBus>();

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync(); // no process outlives a fixture that did not start
            throw;
        }
    }

    private async Task StartAsync()
    {
        Directory.CreateDirectory(_scratch);
        Database = await TestStack.CreateEmptyDatabaseAsync();
        _fleet = new ServiceFleet(_stack, Database, Prefix, _scratch);
        await _fleet.StartOrchestratorAsync();
        await SeedAsync();
        Serve = StartServe();
        foreach (var service in new[] { "sampler", "critic", "filter" }) _fleet.Start(service);
        Faults = new FaultyEndpoint((mode, text) => FaultHandler(mode, text));

        var bus = TestStack.ServiceHost(Prefix + "test");
        bus.AddVisRLMessaging();
        _bus = bus.Build();
        await _bus.StartAsync();
        await ServiceFleet.WaitUntilAsync(async () =>
        {
            _fleet.AssertAlive();
            if (ServeUrl.Length == 0 && ServingAt().Match(Serve.Output) is { Success: true } m) ServeUrl = m.Groups[1].Value;
            var queues = await ServiceFleet.QueuesAsync();
            int Consumers(string queue) => queues.GetValueOrDefault(Prefix + queue);
            return ServeUrl.Length > 0 && Consumers("sampler-sample-batch") == 1 && Consumers("critic-score-batch") == 1 && Consumers("filter-build-pairs") == 1
                && queues.Count(q => q.Key.StartsWith(Prefix + "orchestrator-", StringComparison.Ordinal) && q.Value > 0) >= 2;
        }, TimeSpan.FromSeconds(90), "the services and visrl serve did not all start");
    }

    [GeneratedRegex(@"serving \S+ \(checkpoint [0-9a-f]+\) at (http://\S+/v1)")]
    private static partial Regex ServingAt();

    public async Task DisposeAsync()
    {
        if (_bus is not null) await _bus.StopAsync();
        Faults?.Dispose();
        _fleet?.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }

    /// <summary>Output of every process, for failure messages.</summary>
    public string Logs => _fleet?.Output ?? "";

    // ---- processes ----

    /// <summary>`visrl serve` on the stored checkpoint (a hash prefix, resolved and fetched through the stack), any free port (it prints its address).</summary>
    private ChildProcess.Running StartServe()
    {
        var environment = _stack.ServiceEnvironment(Database);
        environment["VISRL_ROOT"] = TestStack.Root;
        return _fleet!.Start(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), environment,
            "serve", "--checkpoint", Hash[..12], "--port", "0", "--threads", "1"));
    }

    // ---- data ----

    private async Task SeedAsync()
    {
        Storage = DatasetStorage.Create(Database, _stack.Blobs);
        Synthetic = $"hs-{Guid.NewGuid():N}"[..20];
        await new SyntheticDatasetWriter(Storage).WriteAsync(Synthetic, "rl", SyntheticItems, SyntheticSplitSpec.Create(31, sceneSize: 224, minObjects: 4, maxObjects: 6));
        var folder = Path.Combine(_scratch, "ckpt");
        using (var model = VisRLTiny.Create(TinyModel.Config, seed: 9)) Hash = ModelCheckpoint.Save(model, folder);
        await new CheckpointStore(new VisRLDbContextFactory(Database), Storage.Blobs, _stack.Blobs.CheckpointsContainer).PublishAsync(folder, Hash, "sft", 0);

        // The real photos and figures with the questions the VisRL examples ask of them (README of the fixtures).
        // Their standard answers are unknown here; the tiny model's answers are nonsense anyway: the plumbing is under test.
        var questions = new Dictionary<string, string>
        {
            ["bike.jpg"] = "What is the man leaning against the wall next to the bicycle doing?",
            ["podium.jpg"] = "What letters are written on the logo in front of the podium?",
            ["sculpture.jpg"] = "What sport is the green sculpture engaged in?",
            ["shedule.jpg"] = "According to the calendar, what is scheduled for October 12th? What is the specific time?",
            ["tel.jpg"] = "What is the applicant's phone number?",
            ["waterview.jpg"] = "What is in the water?",
            ["pipeline.png"] = "What does the figure show?",
        };
        var file = Path.Combine(_scratch, "real.json");
        await File.WriteAllTextAsync(file, new JsonArray([.. questions.Select(q => (JsonNode)new JsonObject
            { ["image"] = q.Key, ["question"] = q.Value, ["answer"] = "unknown" })]).ToJsonString());
        RealImages = $"hr-{Guid.NewGuid():N}"[..20];
        var report = await new DatasetImporter(Storage).ImportAsync(new ImportRequest(DatasetFileFormat.VisCot, file, null, SharedFixtures.RealImages, RealImages, "rl"));
        Assert.True(report.Imported == questions.Count, $"real images: {report}");
    }

    // ---- rounds ----

    /// <summary>A round config: batch size, attempts, temperature, and the policy/judge endpoints (null = local); batchTaper null = the default.</summary>
    public static string Config(int batchSize, int attempts, double temperature, object? policy = null, object? judge = null, int maxBatchAttempts = 3,
        int? batchTaper = null) =>
        JsonSerializer.Serialize(new { batchSize, batchTaper, maxBatchAttempts, sampling = new { attempts, temperature }, policy, judge },
            new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

    /// <summary>An HTTP endpoint of a round config; short timeouts and backoff for the fault tests.</summary>
    public static object Http(string baseUrl, string model, double timeoutSeconds = 60, int maxRetries = 2) =>
        new { kind = "http", baseUrl, model, timeoutSeconds, maxRetries, retryDelaySeconds = 0.05 };

    public async Task<StartIteration> StartRoundAsync(string dataset, int items, string config)
    {
        var start = new StartIteration(NewId.NextGuid(), NewId.NextGuid(), 1, dataset, Hash, Hash, items, config);
        await Bus.Publish(start);
        return start;
    }

    /// <summary>Waits until the round is Paired or Failed (a round that ends either way has ended).</summary>
    public async Task<Iteration> WaitForEndAsync(StartIteration start, TimeSpan timeout)
    {
        var began = DateTime.UtcNow;
        while (true)
        {
            _fleet!.AssertAlive();
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(Database))
            {
                var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == start.IterationId);
                if (iteration?.State is "Paired" or "Failed") return iteration;
                if (DateTime.UtcNow - began > timeout) throw new TimeoutException($"round {start.IterationId} is {iteration?.State ?? "absent"} after {timeout}\n{Logs}");
            }
            await Task.Delay(250);
        }
    }

    public async Task<List<long>> ItemIdsAsync(string dataset)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(Database);
        return await db.Items.AsNoTracking().Where(i => db.Datasets.Any(d => d.Id == i.DatasetId && d.Name == dataset)).OrderBy(i => i.Ordinal).Select(i => i.Id).ToListAsync();
    }
}
