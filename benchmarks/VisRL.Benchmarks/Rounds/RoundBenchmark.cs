using System.Diagnostics;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.DataGeneration;
using VisRL.Filter;
using VisRL.Modeling;
using VisRL.Orchestrator.Rounds;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Diagnostics;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;
using VisRL.Torch;

namespace VisRL.Benchmarks.Rounds;

/// <summary>
/// `visrl bench round`: data-generation rounds through the real services on a "bench" stack of
/// its own (infra/stack.sh, other ports; stopped at the end), with VisRL-Tiny at its default shape
/// (random weights: the work per candidate is what counts, not the answers).
/// (a) Candidates sampled and scored per second (StartIteration → Paired) with 1 and with 2 Sampler
/// and Critic replicas, 1 torch thread each (infra/services.sh scale); goal ≥ 1.8×.
/// (b) Orchestration overhead: each configuration's round against the same work called in-process
/// without the bus, with as many sampling and scoring threads as there are replicas, a batch scored
/// as soon as it is sampled, as the Orchestrator does (ItemLoader → CandidateSampler → CandidateWriter;
/// SelfCritic → ScoreWriter; then PairSetBuilder); goal ≤ 5 %. The in-process 2/1 ratio shows what
/// this machine's cores allow the work itself.
/// Each configuration runs <see cref="WarmUps"/> full-size warm-up rounds first (and as many in-process
/// runs), so that every replica has loaded the model and the JIT has tiered up the code that runs once
/// per message, not only the model's (a single warm-up left the next round 30 % slower); then <see cref="Repeats"/> rounds
/// through the bus alternate with as many in-process runs; the overhead is the median of each round
/// against the in-process run after it, the times are medians.
/// (c) Each service alone: a round whose Critic replicas are stopped (SIGSTOP) until every batch is
/// sampled, then resumed (SIGCONT), so the Sampler replicas and then the Critic replicas have the
/// cores to themselves; the same two phases in-process, one after the other. The round in (a) overlaps
/// the two services, so with 1 + 1 replicas the Critic already runs on the second core and 2 + 2 can add
/// only what the Sampler leaves; (c) shows what a second replica of each service gives on its own.
/// (d) Where the cores went: CPU seconds of each service, server and this process (<see cref="ProcessCpu"/>)
/// during each measured round of (a) and each sampling phase of (c), against all cores × the wall time.
/// Batches of 8 items: per-batch costs (a message each way, the saga's row lock, the consumers'
/// idempotency queries) are fixed, so the batch size sets how much they weigh.
/// </summary>
public static class RoundBenchmark
{
    private const int PortOffset = 20, Attempts = 3, BatchSize = 8, WarmUps = 2, Repeats = 5;
    private static readonly int BatchTaper = new RoundConfig().BatchTaper; // the rounds' default, in-process too

    private static readonly Dictionary<string, string> StackVariables = new()
    {
        ["VISRL_STACK_NAME"] = "bench",
        ["VISRL_RABBITMQ_PORT"] = (5682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_RABBITMQ_MGMT_PORT"] = (15682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_RABBITMQ_DIST_PORT"] = (25682 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_EPMD_PORT"] = (4379 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_POSTGRES_PORT"] = (5442 + PortOffset).ToString(CultureInfo.InvariantCulture),
        ["VISRL_AZURITE_PORT"] = (10010 + PortOffset).ToString(CultureInfo.InvariantCulture),
    };

    public static BenchmarkReport Run(BenchmarkContext ctx) => RunAsync(ctx).GetAwaiter().GetResult();

    private static async Task<BenchmarkReport> RunAsync(BenchmarkContext ctx)
    {
        int items = ctx.Quick ? 16 : 96, warmUps = ctx.Quick ? 1 : WarmUps, repeats = ctx.Quick ? 1 : Repeats;
        var root = ctx.RepositoryRoot;
        ctx.Progress("starting the bench stack (infra/stack.sh up, ports +20)");
        Script(root, "infra/stack.sh", ["up"], StackVariables, ctx);
        var scripts = new Dictionary<string, string>(StackVariables);
        Script(root, "infra/services.sh", ["down"], scripts, ctx, check: false); // replicas of an earlier run hold another database
        try
        {
            var stackEnv = ReadEnv(Path.Combine(root, ".visrl", "stack-bench", "stack.env"));
            var database = await CreateDatabaseAsync(stackEnv["VISRL__DATABASE__CONNECTIONSTRING"]);
            var blobs = new BlobOptions { ConnectionString = stackEnv["VISRL__BLOBS__CONNECTIONSTRING"] };
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database)) await db.Database.MigrateAsync();
            scripts["VISRL__DATABASE__CONNECTIONSTRING"] = database.ConnectionString;

            ctx.Progress($"seeding {items} synthetic items and a VisRL-Tiny checkpoint (default shape, random weights)");
            var storage = DatasetStorage.Create(database, blobs);
            var dataset = $"bench-{Guid.NewGuid():N}"[..20];
            var synth = await new SyntheticDatasetWriter(storage).WriteAsync(dataset, "rl", items, SyntheticSplitSpec.Create(5, sceneSize: 224, minObjects: 4, maxObjects: 6));
            var folder = Path.Combine(Path.GetTempPath(), $"visrl-bench-round-{Guid.NewGuid():N}");
            string hash;
            using (var model = VisRLTiny.Create(seed: 0)) hash = ModelCheckpoint.Save(model, folder);
            await new CheckpointStore(new VisRLDbContextFactory(database), storage.Blobs, blobs.CheckpointsContainer).PublishAsync(folder, hash, "sft", 0);
            List<long> itemIds;
            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                itemIds = await db.Items.Where(i => i.DatasetId == synth.DatasetId).OrderBy(i => i.Ordinal).Select(i => i.Id).ToListAsync();

            using var bus = StartBus(int.Parse(stackEnv["VISRL__MESSAGING__PORT"], CultureInfo.InvariantCulture));
            await bus.StartAsync();
            var measured = new Dictionary<int, Measurement>();
            int threads = TorchRuntime.NumThreads;
            TorchRuntime.SetNumThreads(1); // the in-process runs: one thread per sampling or scoring worker, as each replica has
            try
            {
                foreach (int replicas in new[] { 1, 2 })
                {
                    ctx.Progress($"services: sampler={replicas} critic={replicas} (1 torch thread each)");
                    Script(root, "infra/services.sh", ["up"], scripts, ctx);
                    Script(root, "infra/services.sh", ["scale", $"sampler={replicas}", $"critic={replicas}"], scripts, ctx);
                    // A message published before a service has bound its queue would be lost: wait for every consumer.
                    await WaitForConsumersAsync(int.Parse(stackEnv["VISRL__MESSAGING__MANAGEMENTPORT"], CultureInfo.InvariantCulture), replicas);
                    using var workers = new InProcessWorkers(folder, replicas);
                    var warmUpRounds = new List<RoundResult>();
                    for (int warmUp = 1; warmUp <= warmUps; warmUp++)
                    {
                        warmUpRounds.Add(await RoundAsync(bus, database, dataset, hash, items, ctx, $"warm-up {warmUp} ({replicas} replica(s))"));
                        await InProcessAsync(workers, hash, storage, database, synth.DatasetId, itemIds, pipelined: true);
                    }
                    var rounds = new List<RoundResult>();
                    var inProcess = new List<double>();
                    for (int repeat = 1; repeat <= repeats; repeat++)
                    {
                        rounds.Add(await RoundAsync(bus, database, dataset, hash, items, ctx, $"through the bus, {replicas} + {replicas} replica(s), run {repeat}"));
                        inProcess.Add((await InProcessAsync(workers, hash, storage, database, synth.DatasetId, itemIds, pipelined: true)).Seconds);
                        ctx.Progress(string.Create(CultureInfo.InvariantCulture, $"in-process, {replicas} + {replicas} thread(s), run {repeat}: {inProcess[^1]:F2} s"));
                    }
                    var phased = new List<Phases>();
                    var phasedInProcess = new List<Phases>();
                    var critics = ReplicaPids(root, "critic");
                    for (int repeat = 1; repeat <= repeats; repeat++)
                    {
                        phased.Add(await PhasedRoundAsync(bus, database, dataset, hash, items, critics, ctx, $"one service at a time, {replicas} + {replicas} replica(s), run {repeat}"));
                        phasedInProcess.Add(await InProcessAsync(workers, hash, storage, database, synth.DatasetId, itemIds, pipelined: false));
                        ctx.Progress(string.Create(CultureInfo.InvariantCulture, $"in-process, sampling then scoring, {replicas} thread(s) each, run {repeat}: {phasedInProcess[^1].Sampling:F2} s + {phasedInProcess[^1].Scoring:F2} s"));
                    }
                    measured[replicas] = new Measurement(warmUpRounds[0], rounds, inProcess, phased, phasedInProcess);
                }
            }
            finally
            {
                TorchRuntime.SetNumThreads(threads);
                Script(root, "infra/services.sh", ["down"], scripts, ctx, check: false);
                await bus.StopAsync();
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            }
            await DropDatabaseAsync(stackEnv["VISRL__DATABASE__CONNECTIONSTRING"], database); // a failed run keeps its database for a look
            return Report(items, warmUps, measured[1], measured[2]);
        }
        finally
        {
            ctx.Progress("stopping the bench stack");
            Script(root, "infra/stack.sh", ["down"], StackVariables, ctx, check: false);
        }
    }

    /// <summary>A round through the bus, and the CPU seconds each part of the machine spent meanwhile.</summary>
    private sealed record RoundResult(double Seconds, int Candidates, int Scores, int Pairs, Dictionary<string, double> Cpu);

    /// <summary>
    /// A round's phases: every batch sampled (StartIteration → Scoring), every batch scored (→ Filtering), the pair set built (→ Paired);
    /// through the bus, the CPU seconds of the sampling phase too.
    /// </summary>
    private sealed record Phases(double Sampling, double Scoring, double Pairing, Dictionary<string, double>? SamplingCpu = null)
    {
        public double Seconds => Sampling + Scoring + Pairing;
    }

    /// <summary>StartIteration through the bus, then the iterations table polled every 50 ms until Paired.</summary>
    private static async Task<RoundResult> RoundAsync(IHost bus, DatabaseOptions database, string dataset, string hash, int items,
        BenchmarkContext ctx, string label)
    {
        var cpu = ProcessCpu.Take();
        var clock = Stopwatch.StartNew();
        var iterationId = await StartRoundAsync(bus, dataset, hash, items);
        await WaitForStateAsync(database, iterationId, clock, label, "Paired");
        double seconds = clock.Elapsed.TotalSeconds;
        var used = ProcessCpu.Take().Since(cpu);
        var (candidates, scores, pairs) = await CountAsync(database, iterationId);
        ctx.Progress($"{label}: {items} items, {candidates} candidates, {scores} scores, {pairs} pairs in {seconds:F2} s ({candidates / seconds:F1} candidates/s)");
        return new RoundResult(seconds, candidates, scores, pairs, used);
    }

    /// <summary>
    /// A round with the Critic replicas stopped (SIGSTOP) until the iteration reaches Scoring (every batch
    /// sampled; the score commands wait in their queue), then resumed (SIGCONT) until Filtering (every
    /// batch scored; polled every 50 ms, so Paired counts too where Filtering was shorter) and Paired.
    /// </summary>
    private static async Task<Phases> PhasedRoundAsync(IHost bus, DatabaseOptions database, string dataset, string hash, int items,
        IReadOnlyList<int> criticPids, BenchmarkContext ctx, string label)
    {
        Signal(criticPids, "STOP");
        Guid iterationId;
        double sampling;
        Dictionary<string, double> samplingCpu;
        var cpu = ProcessCpu.Take();
        var clock = Stopwatch.StartNew();
        try
        {
            iterationId = await StartRoundAsync(bus, dataset, hash, items);
            await WaitForStateAsync(database, iterationId, clock, label, "Scoring");
            sampling = clock.Elapsed.TotalSeconds;
            samplingCpu = ProcessCpu.Take().Since(cpu);
        }
        finally
        {
            Signal(criticPids, "CONT");
        }
        await WaitForStateAsync(database, iterationId, clock, label, "Filtering", "Paired");
        double scored = clock.Elapsed.TotalSeconds;
        await WaitForStateAsync(database, iterationId, clock, label, "Paired");
        var phases = new Phases(sampling, scored - sampling, clock.Elapsed.TotalSeconds - scored, samplingCpu);
        var (candidates, scores, _) = await CountAsync(database, iterationId);
        if (candidates != items * Attempts * 2 || scores != candidates)
            throw new InvalidOperationException($"bench round {label}: {candidates} candidates and {scores} scores, not {items * Attempts * 2} of each");
        ctx.Progress(string.Create(CultureInfo.InvariantCulture,
            $"{label}: sampling {phases.Sampling:F2} s ({candidates / phases.Sampling:F1} candidates/s), scoring {phases.Scoring:F2} s ({scores / phases.Scoring:F1} scores/s), pair set {phases.Pairing:F2} s"));
        return phases;
    }

    private static async Task<Guid> StartRoundAsync(IHost bus, string dataset, string hash, int items)
    {
        var config = $"{{\"batchSize\":{BatchSize},\"batchTaper\":{BatchTaper},\"sampling\":{{\"attempts\":{Attempts}}}}}";
        var start = new StartIteration(NewId.NextGuid(), NewId.NextGuid(), 1, dataset, hash, hash, items, config);
        await bus.Services.GetRequiredService<IBus>().Publish(start);
        return start.IterationId;
    }

    /// <summary>
    /// Polls the iteration's state every 50 ms on one open connection with a prepared query: the bench's own
    /// CPU is taken from the machine it measures (a new EF context per poll cost this process ~0.3 CPU-s a round).
    /// </summary>
    private static async Task WaitForStateAsync(DatabaseOptions database, Guid iterationId, Stopwatch clock, string label, params string[] states)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT state, failure_reason FROM iterations WHERE id = $1", connection) { Parameters = { new() { Value = iterationId } } };
        await query.PrepareAsync();
        while (true)
        {
            string? state = null, reason = null;
            await using (var row = await query.ExecuteReaderAsync())
                if (await row.ReadAsync()) (state, reason) = (row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1));
            if (state == "Failed") throw new InvalidOperationException($"bench round failed: {reason}");
            if (state is not null && states.Contains(state)) return;
            if (clock.Elapsed > TimeSpan.FromMinutes(20)) throw new TimeoutException($"bench round {label} did not reach {string.Join(" or ", states)} in 20 minutes ({state})");
            await Task.Delay(50);
        }
    }

    private static async Task<(int Candidates, int Scores, int Pairs)> CountAsync(DatabaseOptions database, Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        int candidates = await db.Candidates.CountAsync(c => c.IterationId == iterationId);
        int scores = await db.Scores.CountAsync(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iterationId));
        int pairs = (await db.PairSets.AsNoTracking().SingleAsync(p => p.IterationId == iterationId)).PairCount;
        return (candidates, scores, pairs);
    }

    /// <summary>The PIDs of a service's replicas (infra/services.sh's PID files of the bench stack).</summary>
    private static IReadOnlyList<int> ReplicaPids(string root, string service) =>
        new ServiceReplicas(Path.Combine(root, ".visrl", "stack-bench", "services")).Pids(service);

    private static void Signal(IReadOnlyList<int> pids, string signal)
    {
        var start = new ProcessStartInfo("kill") { UseShellExecute = false };
        start.ArgumentList.Add($"-{signal}");
        foreach (var pid in pids) start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start kill");
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {string.Join(' ', pids)} failed ({process.ExitCode})");
    }

    /// <summary>A configuration's rounds: the first after its replicas started (a warm-up), the measured ones, and the in-process runs.</summary>
    private sealed record Measurement(RoundResult First, List<RoundResult> Rounds, List<double> InProcess, List<Phases> Phased, List<Phases> PhasedInProcess)
    {
        public double Sampling => Statistics.Median(Phased.Select(p => p.Sampling));
        public double Scoring => Statistics.Median(Phased.Select(p => p.Scoring));
        public double SamplingInProcess => Statistics.Median(PhasedInProcess.Select(p => p.Sampling));
        public double ScoringInProcess => Statistics.Median(PhasedInProcess.Select(p => p.Scoring));
        public RoundResult Bus => Rounds.OrderBy(r => r.Seconds).ElementAt(Rounds.Count / 2);
        public double InProcessMedian => Statistics.Median(InProcess);
        /// <summary>
        /// The median over the repeats of each bus round against the in-process run right after it: neighbours
        /// in time share the machine's state, so drifts of the shared machine (±10 % between runs) cancel.
        /// </summary>
        public double Overhead => Statistics.Median(Rounds.Select((r, i) => r.Seconds / InProcess[i] - 1));
    }

    /// <summary>One model per in-process worker, as each replica loads its own: samplers, then critics.</summary>
    private sealed class InProcessWorkers(string folder, int perStage) : IDisposable
    {
        public VisRLTiny[] Samplers { get; } = [.. Enumerable.Range(0, perStage).Select(_ => ModelCheckpoint.Load(folder))];
        public VisRLTiny[] Critics { get; } = [.. Enumerable.Range(0, perStage).Select(_ => ModelCheckpoint.Load(folder))];

        public void Dispose()
        {
            foreach (var model in Samplers.Concat(Critics)) model.Dispose();
        }
    }

    /// <summary>
    /// What the Sampler, Critic and Filter do for a round, in this process: sampling threads take the
    /// batches in turn and hand each sampled batch to the scoring threads, at once when
    /// <paramref name="pipelined"/>, else once every batch is sampled; then the pair set.
    /// </summary>
    private static async Task<Phases> InProcessAsync(InProcessWorkers workers, string hash, DatasetStorage storage, DatabaseOptions database, Guid datasetId, List<long> itemIds,
        bool pipelined)
    {
        var iterationId = NewId.NextGuid();
        var now = DateTimeOffset.UtcNow;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            var runId = NewId.NextGuid();
            db.Runs.Add(new Run { Id = runId, Name = "bench-in-process", Status = "running", CreatedAt = now, UpdatedAt = now });
            db.Iterations.Add(new Iteration
            {
                Id = iterationId, RunId = runId, Number = 1, DatasetId = datasetId, PolicyCheckpoint = hash, JudgeCheckpoint = hash, JudgeId = hash,
                State = "Sampling", ItemCount = itemIds.Count, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        var settings = new SamplingSettings(Attempts: Attempts);
        var batches = new System.Collections.Concurrent.ConcurrentQueue<long[]>(BatchPlan.Cut(itemIds, BatchSize, BatchTaper));
        var sampled = System.Threading.Channels.Channel.CreateUnbounded<long[]>();

        void Sample(VisRLTiny model)
        {
            while (batches.TryDequeue(out var chunk))
            {
                var load = ItemLoader.LoadAsync(storage, chunk).GetAwaiter().GetResult();
                var candidates = new CandidateSampler(model).Sample([.. load.Loaded.Select(i => new SampleItem(i.Row.Id, i.Image, i.Row.Question))], settings);
                using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                    CandidateWriter.WriteAsync(db, iterationId, candidates).GetAwaiter().GetResult();
                sampled.Writer.TryWrite(chunk);
            }
        }

        void Score(VisRLTiny model)
        {
            while (sampled.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                if (!sampled.Reader.TryRead(out var chunk)) continue;
                using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                var rows = db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId && chunk.Contains(c.ItemId)).ToList();
                var loaded = ItemLoader.LoadAsync(storage, chunk).GetAwaiter().GetResult().Loaded.ToDictionary(i => i.Row.Id);
                var inputs = rows.Where(c => loaded.ContainsKey(c.ItemId)).Select(c =>
                {
                    var item = loaded[c.ItemId];
                    return new CriticInput(c.Id, item.Image, item.Row.Question, item.Row.StandardAnswer, c.ParsedBox(), c.Answer);
                }).ToList();
                ScoreWriter.WriteAsync(db, hash, new SelfCritic(model).Score(inputs, useBoxCritic: true)).GetAwaiter().GetResult();
            }
        }

        // Dedicated threads, as each replica's consumer has its own: the model calls block.
        Task[] StartScoring() => [.. workers.Critics.Select(m => Task.Factory.StartNew(() => Score(m), TaskCreationOptions.LongRunning))];
        var clock = Stopwatch.StartNew();
        var samplers = workers.Samplers.Select(m => Task.Factory.StartNew(() => Sample(m), TaskCreationOptions.LongRunning)).ToArray();
        var critics = pipelined ? StartScoring() : [];
        try
        {
            await Task.WhenAll(samplers);
        }
        finally
        {
            sampled.Writer.Complete();
        }
        double sampling = clock.Elapsed.TotalSeconds;
        if (!pipelined) critics = StartScoring();
        await Task.WhenAll(critics);
        double scored = clock.Elapsed.TotalSeconds;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
            await new PairSetBuilder(db).BuildAsync(iterationId, new FilterThresholds(), CancellationToken.None);
        return new Phases(sampling, scored - sampling, clock.Elapsed.TotalSeconds - scored);
    }

    private static BenchmarkReport Report(int items, int warmUps, Measurement one, Measurement two)
    {
        double rate1 = one.Bus.Candidates / one.Bus.Seconds, rate2 = two.Bus.Candidates / two.Bus.Seconds;
        double ratio = rate2 / rate1, ceiling = one.InProcessMedian / two.InProcessMedian;
        var md = new StringBuilder();
        md.AppendLine("## Round: data generation through the services");
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"VisRL-Tiny (default shape, random weights), {items} synthetic items (224 px), {Attempts} attempts × 2 candidates, batches of at most {BatchSize} (the last ones smaller, taper {BatchTaper}: {BatchPlan.Sizes(items, BatchSize, BatchTaper).Count} batches); ")
            + string.Create(CultureInfo.InvariantCulture, $"services as local processes (infra/services.sh) on a bench stack; this machine has {Environment.ProcessorCount} cores shared with the stack's servers and the Orchestrator and Filter. ")
            + "Wall time from StartIteration published to Paired. Each configuration: "
            + string.Create(CultureInfo.InvariantCulture, $"{warmUps} full-size warm-up rounds (and in-process runs), then {one.Rounds.Count} rounds through the bus alternating with {one.InProcess.Count} in-process runs of the same work; medians (all runs in brackets)."));
        md.AppendLine();
        md.AppendLine("| Sampler + Critic replicas (1 thread each) | candidates | scores | through the bus (s) | candidates/s | in-process, as many threads (s) | overhead: median of the paired runs (of the medians) |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (label, m) in new[] { ("1 + 1", one), ("2 + 2", two) })
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {m.Bus.Candidates} | {m.Bus.Scores} | {m.Bus.Seconds:F2} ({Runs(m.Rounds.Select(r => r.Seconds))}) | {m.Bus.Candidates / m.Bus.Seconds:F1} | {m.InProcessMedian:F2} ({Runs(m.InProcess)}) | {m.Overhead * 100:F1} % ({(m.Bus.Seconds / m.InProcessMedian - 1) * 100:F1} %) |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Scaling 2 replicas / 1, the whole round: **{ratio:F2}×** (goal ≥ 1.8×; {(ratio >= 1.8 ? "met" : "not met")}). For reference, the same work in-process scales {ceiling:F2}× from 1 + 1 to 2 + 2 threads on these {Environment.ProcessorCount} cores.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"The first round after the services start (1 + 1, not in the medians) took {one.First.Seconds:F2} s, {one.First.Seconds / one.Bus.Seconds:F1}× a warm one.");
        md.AppendLine();
        double samplingRatio = one.Sampling / two.Sampling, scoringRatio = one.Scoring / two.Scoring;
        md.AppendLine("Each service alone (the Critic replicas stopped until every batch is sampled, then resumed; in-process: the sampling threads, then the scoring threads); medians of the runs. Sampling ends when the iteration reaches Scoring, scoring when it reaches Filtering (polled every 50 ms); "
            + string.Create(CultureInfo.InvariantCulture, $"the Filter's pair set after that, one step of one service, took at most {one.Phased.Concat(two.Phased).Max(p => p.Pairing):F2} s in these rounds."));
        md.AppendLine();
        md.AppendLine("| replicas of the working service (1 thread each) | sampling (s) | candidates sampled/s | in-process (s) | scoring (s) | candidates scored/s | in-process (s) |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (label, m) in new[] { ("1", one), ("2", two) })
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {label} | {m.Sampling:F2} ({Runs(m.Phased.Select(p => p.Sampling))}) | {m.Bus.Candidates / m.Sampling:F1} | {m.SamplingInProcess:F2} | {m.Scoring:F2} ({Runs(m.Phased.Select(p => p.Scoring))}) | {m.Bus.Scores / m.Scoring:F1} | {m.ScoringInProcess:F2} |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Scaling 2 replicas / 1, each service alone: Sampler **{samplingRatio:F2}×**, Critic **{scoringRatio:F2}×** (goal ≥ 1.8×; {(Math.Min(samplingRatio, scoringRatio) >= 1.8 ? "met by both" : "not met by both")}; in-process, as many threads: {one.SamplingInProcess / two.SamplingInProcess:F2}× and {one.ScoringInProcess / two.ScoringInProcess:F2}×).");
        md.AppendLine();
        md.AppendLine(CpuTable(one, two));
        md.AppendLine(CultureInfo.InvariantCulture, $"Orchestration overhead (1 + 1 replicas against 1 + 1 threads in-process, the median of each round against the in-process run after it): **{one.Overhead * 100:F1} %** (goal ≤ 5 %; {(one.Overhead <= 0.05 ? "met" : "not met")}).");
        return new BenchmarkReport("round", md.ToString(), new Dictionary<string, double>
        {
            ["candidates_per_s_1"] = rate1, ["candidates_per_s_2"] = rate2, ["scaling_ratio"] = ratio, ["scaling_ceiling_in_process"] = ceiling,
            ["round_s_bus"] = one.Bus.Seconds, ["round_s_in_process"] = one.InProcessMedian, ["overhead"] = one.Overhead, ["overhead_2"] = two.Overhead, ["first_round_s"] = one.First.Seconds,
            ["sampler_scaling_alone"] = samplingRatio, ["critic_scaling_alone"] = scoringRatio,
            ["cpu_seconds_round_1"] = Statistics.Median(one.Rounds.Select(r => r.Cpu.Values.Sum())), ["cpu_seconds_round_2"] = Statistics.Median(two.Rounds.Select(r => r.Cpu.Values.Sum())),
        });
    }

    /// <summary>
    /// Where the cores went: CPU seconds of each part of the machine during the measured rounds (medians), their
    /// sum, and that sum's share of all cores × the wall time. What the replicas do not get, the rest took or nobody used.
    /// </summary>
    private static string CpuTable(Measurement one, Measurement two)
    {
        var rows = new (string Label, List<(double Wall, Dictionary<string, double> Cpu)> Runs)[]
        {
            ("round, 1 + 1", [.. one.Rounds.Select(r => (r.Seconds, r.Cpu))]),
            ("round, 2 + 2", [.. two.Rounds.Select(r => (r.Seconds, r.Cpu))]),
            ("sampling alone, 1 Sampler", [.. one.Phased.Select(p => (p.Sampling, p.SamplingCpu!))]),
            ("sampling alone, 2 Samplers", [.. two.Phased.Select(p => (p.Sampling, p.SamplingCpu!))]),
        };
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Where the {Environment.ProcessorCount} cores went: CPU seconds (user + system, from /proc) of each part of the machine during the rounds above, medians; \"bench\" is this process (its bus client and the 50 ms polls), \"other\" everything else on the machine.");
        md.AppendLine();
        md.AppendLine($"| rounds | wall (s) | {string.Join(" | ", ProcessCpu.Components.Select(c => c == ProcessCpu.ThisProcess ? "bench" : c))} | all | of {Environment.ProcessorCount} cores × wall |");
        md.AppendLine($"| --- | ---: |{string.Concat(Enumerable.Repeat(" ---: |", ProcessCpu.Components.Count + 2))}");
        foreach (var (label, runs) in rows)
        {
            var cells = ProcessCpu.Components.Select(c => Statistics.Median(runs.Select(r => r.Cpu.GetValueOrDefault(c))).ToString("F2", CultureInfo.InvariantCulture));
            double all = Statistics.Median(runs.Select(r => r.Cpu.Values.Sum()));
            double share = Statistics.Median(runs.Select(r => r.Cpu.Values.Sum() / (r.Wall * Environment.ProcessorCount)));
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {Statistics.Median(runs.Select(r => r.Wall)):F2} | {string.Join(" | ", cells)} | {all:F2} | {share * 100:F0} % |");
        }
        return md.ToString();
    }

    private static string Runs(IEnumerable<double> seconds) => string.Join(", ", seconds.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)));

    /// <summary>Until the sampler and critic queues have <paramref name="replicas"/> consumers and the orchestrator and filter theirs (RabbitMQ management API).</summary>
    private static async Task WaitForConsumersAsync(int managementPort, int replicas)
    {
        var until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var consumers = await BrokerQueues.ConsumersAsync(managementPort);
            if (consumers.GetValueOrDefault("sampler-sample-batch") == replicas && consumers.GetValueOrDefault("critic-score-batch") == replicas
                && consumers.GetValueOrDefault("filter-build-pairs") >= 1
                && consumers.Count(q => q.Key.StartsWith("orchestrator-", StringComparison.Ordinal) && q.Value > 0) >= 2)
                return;
            if (DateTime.UtcNow > until) throw new TimeoutException("the services did not all start consuming within 2 minutes (see .visrl/stack-bench/services/logs)");
            await Task.Delay(200);
        }
    }

    private static IHost StartBus(int port)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Log:MinimumLevel"] = "Warning",
        });
        builder.AddVisRLServiceDefaults("bench");
        builder.AddVisRLMessaging();
        return builder.Build();
    }

    private static async Task<DatabaseOptions> CreateDatabaseAsync(string connectionString)
    {
        var name = $"visrl_bench_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new DatabaseOptions { ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString };
    }

    private static async Task DropDatabaseAsync(string serverConnectionString, DatabaseOptions database)
    {
        NpgsqlConnection.ClearAllPools(); // the bench's own pooled connections would hold the database open
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync();
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadLines(path).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    private static void Script(string root, string script, string[] arguments, IDictionary<string, string> environment, BenchmarkContext ctx, bool check = true)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {script}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        foreach (var line in (stdout + stderr.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries)) ctx.Progress(line);
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed ({process.ExitCode})");
    }
}
