using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VisRL.Torch;
using VisRL.Torch.Optimizers;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>Plain training configuration. Effective batch = BatchSize × GradAccumulation.</summary>
public sealed record TrainerConfig
{
    public string Phase { get; init; } = "train";
    public double LearningRate { get; init; } = 2e-3;
    public int WarmupSteps { get; init; } = 20;
    /// <summary>Where the cosine decay ends, as a share of the learning rate; 1 keeps it constant after warmup.</summary>
    public double MinLearningRateRatio { get; init; } = 0.05;
    public int Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 32;
    public int GradAccumulation { get; init; } = 1;
    public double ClipNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; } = 0.05;
    public long Seed { get; init; }
    public int LogEvery { get; init; } = 25;
    /// <summary>Save a resumable checkpoint every N steps (and at the end) when a checkpoint folder is set; 0 = only at the end.</summary>
    public int CheckpointEvery { get; init; }
}

/// <summary>Reported every LogEvery steps and at the last step.</summary>
public sealed record TrainingMetrics(string Phase, int Step, int TotalSteps, double Loss, double LearningRate, double GradNorm,
    double SamplesPerSecond, double ElapsedSeconds, long Samples)
{
    /// <summary>The objective's own values (e.g. DPO's rewards/margins), means over the reporting window.</summary>
    public IReadOnlyDictionary<string, double> Values { get; init; } = new Dictionary<string, double>();
}

/// <summary>A checkpoint written during training.</summary>
public sealed record TrainingCheckpoint(string Phase, int Step, string Folder, string ContentHash);

public sealed record TrainingResult(int Steps, int ResumedFromStep, double FinalLoss, double ElapsedSeconds, long Samples);

/// <summary>
/// Trains a <see cref="VisRLTiny"/> on an <see cref="ITrainingObjective"/> (by default the masked
/// cross-entropy of token sequences' response tokens): AdamW (decay on matrices only), cosine
/// schedule with warmup, gradient accumulation and clipping. Batches are a pure function of
/// (seed, step, micro-batch), so a run resumed from its last checkpoint (weights, AdamW moments,
/// step) sees the same data as an uninterrupted one and ends at the same step count.
/// </summary>
public sealed class Trainer(VisRLTiny model, TrainerConfig config, ITrainingObjective objective)
{
    public Trainer(VisRLTiny model, TrainerConfig config, IReadOnlyList<TokenSequence> examples)
        : this(model, config, new SequenceObjective(model, examples)) { }

    public Action<TrainingMetrics>? OnMetrics { get; init; }
    public Action<TrainingCheckpoint>? OnCheckpoint { get; init; }
    /// <summary>Whether a step's two micro-batches may run at once (see MicroBatches): by default on a CPU with two or more cores.</summary>
    public bool ConcurrentMicroBatches { get; init; } = Environment.ProcessorCount > 1 && model.Model.Device.type == DeviceType.CPU;
    /// <summary>Folder of step-NNNNNN checkpoints; the run resumes from the newest valid one there.</summary>
    public string? CheckpointRoot { get; init; }

    public TrainingResult Run(CancellationToken cancellation = default)
    {
        if (objective.Count == 0) throw new ArgumentException("no training examples");
        var trained = objective.Parameters ?? [.. model.Model.parameters()];
        var decay = trained.Where(p => p.dim() >= 2).ToList();
        var noDecay = trained.Where(p => p.dim() < 2).ToList();
        using var optimizer = optim.AdamW([new ParamGroup(decay, config.WeightDecay), new ParamGroup(noDecay, 0.0)], lr: config.LearningRate, beta2: 0.98);
        var schedule = optim.lr_scheduler.CosineWithWarmup(optimizer, Math.Min(config.WarmupSteps, config.Steps), config.Steps, minRatio: config.MinLearningRateRatio);
        int start = TryResume(optimizer);
        for (int i = 0; i < start; i++) schedule.step();
        model.Model.train();
        var clock = Stopwatch.StartNew();
        long samples = 0, windowSamples = 0;
        double windowLoss = 0, lastLoss = double.NaN, gradNorm = 0;
        int windowSteps = 0;
        var windowValues = new Dictionary<string, double>();
        var windowClock = Stopwatch.StartNew();
        for (int step = start + 1; step <= config.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                double stepLoss = 0;
                foreach (var (loss, values) in MicroBatches(step))
                {
                    foreach (var (name, value) in values)
                        windowValues[name] = windowValues.GetValueOrDefault(name) + value / config.GradAccumulation;
                    stepLoss += loss / config.GradAccumulation;
                }
                gradNorm = config.ClipNorm > 0 ? nn.utils.clip_grad_norm_(optimizer.Parameters, config.ClipNorm) : 0;
                optimizer.step();
                schedule.step();
                lastLoss = stepLoss;
            }
            samples += config.BatchSize * config.GradAccumulation;
            windowSamples += config.BatchSize * config.GradAccumulation;
            windowLoss += lastLoss;
            windowSteps++;
            if (step % Math.Max(1, config.LogEvery) == 0 || step == config.Steps)
            {
                OnMetrics?.Invoke(new TrainingMetrics(config.Phase, step, config.Steps, windowLoss / windowSteps, optimizer.LearningRate, gradNorm,
                    windowSamples / Math.Max(1e-9, windowClock.Elapsed.TotalSeconds), clock.Elapsed.TotalSeconds, samples)
                {
                    Values = windowValues.ToDictionary(v => v.Key, v => v.Value / windowSteps),
                });
                (windowLoss, windowSteps, windowSamples) = (0, 0, 0);
                windowValues.Clear();
                windowClock.Restart();
            }
            if (CheckpointRoot is not null && ((config.CheckpointEvery > 0 && step % config.CheckpointEvery == 0) || step == config.Steps))
                SaveCheckpoint(optimizer, step);
        }
        model.Model.eval();
        return new TrainingResult(config.Steps, start, lastLoss, clock.Elapsed.TotalSeconds, samples);
    }

    /// <summary>
    /// Runs the step's micro-batches (forward and backward; the gradients add up in the weights' .grad)
    /// and returns each one's loss and values in micro-batch order. Two micro-batches on a CPU with two
    /// or more cores run at once, one per thread: this model's operations are too small for libtorch's
    /// intra-op threads to use a second core, and the result is bit-identical to running them in turn,
    /// since each weight's gradient is then g0 + g1 in either order (autograd adds into .grad under a
    /// lock, and addition commutes). Three or more could add in any order, so they run in turn.
    /// </summary>
    private (float Loss, Dictionary<string, double> Values)[] MicroBatches(int step)
    {
        var results = new (float, Dictionary<string, double>)[config.GradAccumulation];
        void Run(int micro)
        {
            using var scope = NewDisposeScope(); // per thread: scopes are thread-local
            var values = new Dictionary<string, double>();
            var loss = objective.Loss(Sample(step, micro), values);
            (loss / config.GradAccumulation).backward();
            results[micro] = (loss.item<float>(), values);
        }
        if (config.GradAccumulation == 2 && ConcurrentMicroBatches) Parallel.Invoke(() => Run(0), () => Run(1));
        else for (int micro = 0; micro < config.GradAccumulation; micro++) Run(micro);
        return results;
    }

    /// <summary>The example indices of one micro-batch: a pure function of (seed, step, micro).</summary>
    internal IReadOnlyList<int> Sample(int step, int micro)
    {
        var rng = new Random(DeterministicSeed.Of(config.Seed, step, micro));
        return [.. Enumerable.Range(0, config.BatchSize).Select(_ => rng.Next(objective.Count))];
    }

    private void SaveCheckpoint(AdamW optimizer, int step)
    {
        var folder = Path.Combine(CheckpointRoot!, string.Create(CultureInfo.InvariantCulture, $"step-{step:D6}"));
        var temp = folder + ".partial";
        if (Directory.Exists(temp)) Directory.Delete(temp, true);
        Directory.CreateDirectory(temp);
        var state = optimizer.state_dict();
        try { Safetensors.Save(Path.Combine(temp, ModelCheckpoint.OptimizerFile), state); }
        finally { foreach (var t in state.Values) t.Dispose(); }
        File.WriteAllText(Path.Combine(temp, ModelCheckpoint.TrainerStateFile), JsonSerializer.Serialize(
            new TrainerState(config.Phase, step, config.Steps, config.Seed, config), ModelConfig.Json));
        var hash = ModelCheckpoint.Save(model, temp);
        // A crash mid-save leaves only a .partial folder, never a half-written step folder.
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        Directory.Move(temp, folder);
        OnCheckpoint?.Invoke(new TrainingCheckpoint(config.Phase, step, folder, hash));
    }

    private int TryResume(AdamW optimizer)
    {
        if (CheckpointRoot is null || !Directory.Exists(CheckpointRoot)) return 0;
        var latest = Directory.GetDirectories(CheckpointRoot, "step-*").Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)).OrderDescending(StringComparer.Ordinal).FirstOrDefault();
        if (latest is null) return 0;
        var statePath = Path.Combine(latest, ModelCheckpoint.TrainerStateFile);
        ModelCheckpoint.Verify(latest);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), ModelConfig.Json)
                    ?? throw new CheckpointException(statePath, "empty");
        if (state.TotalSteps != config.Steps || state.Seed != config.Seed)
            throw new CheckpointException(statePath, $"belongs to a run with {state.TotalSteps} steps and seed {state.Seed}, this run has {config.Steps} and {config.Seed}");
        using var saved = ModelCheckpoint.Load(latest);
        model.Model.load_state_dict(saved.Model.state_dict());
        var optimizerState = Safetensors.Load(Path.Combine(latest, ModelCheckpoint.OptimizerFile));
        try { optimizer.load_state_dict(optimizerState); }
        finally { foreach (var t in optimizerState.Values) t.Dispose(); }
        return state.Step;
    }

    private sealed record TrainerState(string Phase, int Step, int TotalSteps, long Seed, TrainerConfig Config);
}
