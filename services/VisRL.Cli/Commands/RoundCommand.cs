using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl round start`: one round of self-evolution data generation (DESIGN.md §4) through the
/// running services: checks the dataset and checkpoints, publishes StartIteration, and follows the
/// round in PostgreSQL until it is Paired (exit 0) or Failed (exit 1).
/// </summary>
internal static class RoundCommand
{
    public static Command Create() => new("round", "Rounds of self-evolution data generation through the running services.") { Start() };

    private static Command Start()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (see visrl data synth/import).", Required = true };
        var policy = new Option<string>("--policy") { Description = "Policy checkpoint: content hash, unique hash prefix (8+ characters) or id.", Required = true };
        var judge = new Option<string?>("--judge") { Description = "Judge checkpoint M_org (hash, prefix or id); required unless --judge-is-policy." };
        var items = new Option<int?>("--items") { Description = "Take only the first N items of the split." };
        var configFile = new Option<string?>("--config") { Description = "Round config JSON (split, batchSize, batchTaper, maxBatchAttempts, stuckAfterSeconds, sampling {…}, thresholds {…}); flags override it." };
        var noBoxCritic = new Option<bool>("--no-box-critic") { Description = "Ablation: no s_b; the pair rule uses s_r only (thresholds.useBoxCritic = false)." };
        var noDiversity = new Option<bool>("--no-diversity") { Description = "Ablation: the second candidate is a plain resample (sampling.diversityController = false)." };
        var judgeIsPolicy = new Option<bool>("--judge-is-policy") { Description = "The policy also judges (self-critique by the current policy instead of M_org)." };
        var timeout = new Option<int>("--timeout") { Description = "Stop following after this many seconds (exit 2; the round goes on); 0 waits for the end.", DefaultValueFactory = _ => 0 };
        var command = new Command("start", "Start a round (StartIteration) and follow it until it is Paired or Failed.")
        {
            dataset, policy, judge, items, configFile, noBoxCritic, noDiversity, judgeIsPolicy, timeout,
        };
        command.Validators.Add(result =>
        {
            bool isPolicy = result.GetValue(judgeIsPolicy);
            bool hasJudge = !string.IsNullOrWhiteSpace(result.GetValue(judge));
            if (!isPolicy && !hasJudge) result.AddError("give --judge CHECKPOINT or --judge-is-policy");
            if (isPolicy && hasJudge) result.AddError("--judge and --judge-is-policy exclude each other");
            if (result.GetValue(items) is < 1) result.AddError("--items must be ≥ 1");
        });
        command.SetAction(async (parse, ct) =>
        {
            var config = BuildConfig(parse.GetValue(configFile), parse.GetValue(noBoxCritic), parse.GetValue(noDiversity));
            return await StartAsync(parse.GetValue(dataset)!, parse.GetValue(policy)!, parse.GetValue(judge), parse.GetValue(judgeIsPolicy),
                parse.GetValue(items), config, parse.GetValue(timeout), ct);
        });
        return command;
    }

    /// <summary>The config file's JSON (or {}), with the ablation flags written over it.</summary>
    internal static JsonObject BuildConfig(string? file, bool noBoxCritic, bool noDiversity)
    {
        JsonObject config;
        if (file is null) config = [];
        else
        {
            if (!File.Exists(file)) throw new ArgumentException($"config file '{file}' does not exist");
            config = JsonNode.Parse(File.ReadAllText(file)) as JsonObject
                ?? throw new ArgumentException($"config file '{file}' must hold a JSON object");
        }
        if (noBoxCritic) Set(Section(config, "thresholds"), "useBoxCritic", false);
        if (noDiversity) Set(Section(config, "sampling"), "diversityController", false);
        return config;
    }

    /// <summary>The round reads its config case-insensitively: an existing key of any casing is replaced.</summary>
    private static JsonObject Section(JsonObject config, string name)
    {
        var key = config.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        if (key is not null && config[key] is JsonObject existing) return existing;
        if (key is not null) config.Remove(key);
        var section = new JsonObject();
        config[name] = section;
        return section;
    }

    private static void Set(JsonObject section, string name, JsonNode? value)
    {
        foreach (var key in section.Select(p => p.Key).Where(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)).ToList()) section.Remove(key);
        section[name] = value;
    }

    private static string SplitOf(JsonObject config) =>
        config.FirstOrDefault(p => string.Equals(p.Key, "split", StringComparison.OrdinalIgnoreCase)).Value switch
        {
            null => "rl",
            JsonValue v when v.TryGetValue(out string? split) => split,
            var other => throw new ArgumentException($"round config: split must be a split's name (a string), not {other.ToJsonString()}"),
        };

    private static async Task<int> StartAsync(string datasetName, string policyRef, string? judgeRef, bool judgeIsPolicy, int? itemLimit,
        JsonObject config, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var settings = CliSettings.Load();
        var database = settings.GetVisRLSettings<DatabaseOptions>();
        var blobs = settings.GetVisRLSettings<BlobOptions>();
        string split = SplitOf(config);

        // Everything the round needs is checked here, before anything is published.
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            var dataset = await db.Datasets.AsNoTracking().SingleOrDefaultAsync(d => d.Name == datasetName, cancellationToken)
                ?? throw new KeyNotFoundException($"dataset '{datasetName}' does not exist (see visrl data synth/import)");
            int count = await db.Items.CountAsync(i => i.DatasetId == dataset.Id && i.Split == split, cancellationToken);
            if (count == 0) throw new ArgumentException($"dataset '{datasetName}' has no items in split '{split}'");
        }
        var store = new CheckpointStore(new VisRLDbContextFactory(database), DatasetStorage.Create(database, blobs).Blobs, blobs.CheckpointsContainer);
        var policy = await store.ResolveAsync(policyRef, cancellationToken);
        var judge = judgeIsPolicy ? policy : await store.ResolveAsync(judgeRef!, cancellationToken);

        var start = new StartIteration(NewId.NextGuid(), NewId.NextGuid(), 1, datasetName, policy.ContentHash, judge.ContentHash, itemLimit,
            config.ToJsonString());
        await CliHost.PublishAsync(start, cancellationToken);
        AnsiConsole.MarkupLine(Markup.Escape($"round {start.IterationId} (run {start.RunId}): {datasetName}/{split}, policy {policy.ContentHash[..12]}, judge {judge.ContentHash[..12]}"));
        AnsiConsole.MarkupLine($"[grey]config {Markup.Escape(start.ConfigJson)}[/]");
        return await FollowAsync(database, start.IterationId, timeoutSeconds, cancellationToken);
    }

    private sealed record Snapshot(string State, string? FailureReason, int Items, int Batches, int Sampled, int SampleFailed, int Scored, int ScoreFailed, int ScoreBatches);

    private static async Task<Snapshot?> ReadAsync(DatabaseOptions database, Guid iterationId, CancellationToken cancellationToken)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        var iteration = await db.Iterations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == iterationId, cancellationToken);
        if (iteration is null) return null;
        var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == iterationId)
            .GroupBy(b => new { b.Stage, b.Status }).Select(g => new { g.Key.Stage, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        int Count(string stage, string? status = null) => batches.Where(b => b.Stage == stage && (status is null || b.Status == status)).Sum(b => b.Count);
        // Counted, not iteration.BatchCount: a quarantined part moved back joins its round as a sample batch of its own.
        return new Snapshot(iteration.State, iteration.FailureReason, iteration.ItemCount, Count("sample"),
            Count("sample", "done"), Count("sample", "failed"), Count("score", "done"), Count("score", "failed"), Count("score"));
    }

    /// <summary>A live display of the round, polled from the iterations and batches tables once a second.</summary>
    internal static async Task<int> FollowAsync(DatabaseOptions database, Guid iterationId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Snapshot? last = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var state = context.AddTask("waiting for the orchestrator", maxValue: 1);
                var sampling = context.AddTask("sampling", maxValue: 1);
                var scoring = context.AddTask("scoring", maxValue: 1);
                while (!cancellationToken.IsCancellationRequested)
                {
                    last = await ReadAsync(database, iterationId, cancellationToken) ?? last;
                    if (last is null && clock.Elapsed > TimeSpan.FromSeconds(15))
                        state.Description = "[yellow]waiting for the orchestrator: is it running? (visrl stack services)[/]";
                    if (last is not null)
                    {
                        int total = Math.Max(1, last.Batches);
                        state.Description = Markup.Escape($"state {last.State} ({last.Items} items, {last.Batches} batches)");
                        sampling.MaxValue = total;
                        sampling.Value = last.Sampled + last.SampleFailed;
                        sampling.Description = Markup.Escape($"sampled {last.Sampled}/{last.Batches}{(last.SampleFailed > 0 ? $" ({last.SampleFailed} failed)" : "")}");
                        scoring.MaxValue = Math.Max(1, last.ScoreBatches > 0 ? last.ScoreBatches : total);
                        scoring.Value = last.Scored + last.ScoreFailed;
                        scoring.Description = Markup.Escape($"scored {last.Scored}/{(last.ScoreBatches > 0 ? last.ScoreBatches : last.Batches)}{(last.ScoreFailed > 0 ? $" ({last.ScoreFailed} failed)" : "")}");
                        if (last.State is "Paired" or "Failed")
                        {
                            state.Value = state.MaxValue;
                            break;
                        }
                    }
                    if (timeoutSeconds > 0 && clock.Elapsed.TotalSeconds > timeoutSeconds) break;
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            });

        switch (last?.State)
        {
            case "Paired":
                await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                {
                    var sets = await db.PairSets.AsNoTracking().Where(p => p.IterationId == iterationId).OrderBy(p => p.Name).ToListAsync(cancellationToken);
                    foreach (var set in sets)
                        AnsiConsole.MarkupLine($"[green]{Markup.Escape($"Paired: {set.PairCount} pairs from {set.ItemCount} items (pair set '{set.Name}') in {clock.Elapsed.TotalSeconds:F1} s")}[/]");
                }
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape($"statistics: visrl stats {iterationId}")}[/]");
                return 0;
            case "Failed":
                AnsiConsole.MarkupLine($"[red]Failed:[/] {Markup.Escape(last.FailureReason ?? "(no reason recorded)")}");
                return 1;
            default:
                AnsiConsole.MarkupLine(last is null
                    ? "[yellow]the round was not picked up: is the orchestrator running? (visrl stack services)[/]"
                    : $"[yellow]{Markup.Escape($"stopped following after {timeoutSeconds} s; the round is {last.State}: visrl stats {iterationId}")}[/]");
                return 2;
        }
    }
}
