using System.Text.Json;
using VisRL.Contracts.V1;
using VisRL.Modeling;

namespace VisRL.Cli.Commands;

/// <summary>The demo's sizes and settings; recorded in the report, and its hash names the demo's jobs.</summary>
internal sealed record DemoPlan(
    string Name,
    string Dataset,
    ulong Seed,
    int BaseItems,
    int SftItems,
    int RlItems,
    int TestItems,
    int Samplers,
    int BatchSize,
    ExperimentOptions Training,
    DpoSettings Dpo,
    int TimeoutSeconds,
    FilterThresholds? Thresholds = null)
{
    /// <summary>
    /// Sized for about 15 minutes on a 2-core machine: the targets run's stages on half its scenes,
    /// shortened (reading 2,400 steps, focus 500 — the SFT split has 1,500 scenes —, SFT 800), with the
    /// focus loss kept on during SFT (FocusTraining.AnchoredSft: plain SFT let the focus box drift). s_b is
    /// M_org's probability of the standard answer given the crop, so the winner's box threshold is 0.5
    /// rather than the LLM judge's 0.8. DPO with an SFT term on the chosen responses and half the
    /// default learning rate: pure DPO at 2e-4 cost the answers 15 points in stage 2 (47.0 → 33.0 %).
    /// Localization also learns each scene mirrored (Mirroring, in the focus stage and SFT's turn 1): the
    /// policy had learned its 1,500 scenes by heart.
    /// Every batch is two micro-batches of half its size, which the Trainer runs at once on two cores.
    /// </summary>
    public static DemoPlan Quick { get; } = new("quick", "demo", 4242, BaseItems: 3000, SftItems: 1500, RlItems: 256, TestItems: 300,
        Samplers: 2, BatchSize: 8, Training: InTwo(QuickTraining(new ExperimentOptions())), Dpo: DemoDpo(), TimeoutSeconds: 1800,
        Thresholds: new FilterThresholds(MaxBox: 0.5));

    /// <summary>
    /// Both plans' DPO: an SFT term on the chosen responses, half the default learning rate, and stage 2's
    /// loser's answer scored under the winner's box and crop. Under its own far crop it is a reading of a
    /// crop without the object, and pushing that down cost answers: on the full plan's 1,000 test items
    /// scoring it under the winner's crop gained 29 answers and lost 6, every box the same.
    /// </summary>
    private static DpoSettings DemoDpo() => new(SftWeight: 1.0, LearningRate: 1e-4, Epochs: 3, BatchSize: 4, GradAccumulation: 2,
        RejectedAnswerContext: "chosen");

    private static ExperimentOptions QuickTraining(ExperimentOptions o) => o with
    {
        BaseReading = o.BaseReading with { Steps = 2400 },
        Focus = o.Focus with { Steps = 500 },
        Sft = o.Sft with { Steps = 800 },
        SftFocusWeight = 1.0,
        MirrorScenes = true,
    };

    /// <summary>Each phase's batch as two micro-batches of half its size: the same samples per step, both cores busy.</summary>
    private static ExperimentOptions InTwo(ExperimentOptions o)
    {
        static TrainerConfig Halve(TrainerConfig c) => c with { BatchSize = c.BatchSize / 2, GradAccumulation = 2 * c.GradAccumulation };
        return o with { Vision = Halve(o.Vision), BaseReading = Halve(o.BaseReading), Base = Halve(o.Base), Focus = Halve(o.Focus), Sft = Halve(o.Sft) };
    }

    public static DemoPlan Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"demo plan '{path}' does not exist");
        DemoPlan? plan;
        try { plan = JsonSerializer.Deserialize<DemoPlan>(File.ReadAllText(path), JsonSerializerOptions.Web); }
        catch (JsonException e) { throw new ArgumentException($"demo plan '{path}' is not a plan: {e.Message}", e); }
        if (plan is null) throw new ArgumentException($"demo plan '{path}' is empty");
        if (new[] { plan.BaseItems, plan.SftItems, plan.RlItems, plan.TestItems, plan.Samplers, plan.BatchSize }.Any(n => n < 1))
            throw new ArgumentException($"demo plan '{path}': split sizes, samplers and batchSize must be ≥ 1");
        // Checked here, before the stack starts, not minutes later where the names are first used.
        foreach (var (field, value) in new[] { ("name", plan.Name), ("dataset", plan.Dataset) })
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"demo plan '{path}': {field} is missing");
        return plan with { Training = plan.Training ?? new ExperimentOptions(), Dpo = plan.Dpo ?? new DpoSettings() };
    }

    /// <summary>
    /// The SFT policy's and its iteration's settings with each of their seeds moved by <paramref name="seed"/>:
    /// the focus head's first weights, the focus and SFT scene order, the Sampler's draws and the DPO
    /// order. M_org's are not: every seed starts from the same M_org, which also judges. Seed 0 is the plan.
    /// </summary>
    public (ExperimentOptions Training, SamplingSettings Sampling, DpoSettings Dpo) Replica(int seed)
    {
        var sampling = new SamplingSettings();
        return (Training with { Focus = Training.Focus with { Seed = Training.Focus.Seed + seed }, Sft = Training.Sft with { Seed = Training.Sft.Seed + seed } },
            sampling with { Seed = sampling.Seed + seed }, Dpo with { Seed = Dpo.Seed + seed });
    }

    /// <summary>The larger reproduction: the targets run's sizes.</summary>
    public static DemoPlan Full { get; } = new("full", "demo-full", 4242, BaseItems: 6000, SftItems: 3000, RlItems: 1000, TestItems: 1000,
        Samplers: 2, BatchSize: 16, Training: InTwo(new ExperimentOptions { SftFocusWeight = 1.0, MirrorScenes = true }), Dpo: DemoDpo(), TimeoutSeconds: 7200,
        Thresholds: new FilterThresholds(MaxBox: 0.5));
}
