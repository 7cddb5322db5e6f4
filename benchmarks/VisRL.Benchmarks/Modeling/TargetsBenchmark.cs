using System.Globalization;
using System.Text;
using VisRL.Modeling;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Modeling;

/// <summary>
/// The VisRL-Tiny issue's targets as a measurement (`./visrl bench targets`, not a test): trains
/// M_org and the SFT policy on fresh synthetic splits and evaluates on a held-out split of 1,000
/// items (Experiments.RunTargets). Sizes can be overridden with VISRL_TARGETS_* variables
/// (READ_STEPS, BASE_STEPS, FOCUS_STEPS, FOCUS_LR, FOCUS_ITEMS, SFT_STEPS, BATCH, BASE_LR, SFT_LR, BASE_ITEMS, SFT_ITEMS, TEST_ITEMS, THREADS).
/// </summary>
public static class TargetsBenchmark
{
    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        set_num_threads(Env("THREADS", 2));
        var d = new ExperimentOptions();
        var o = d with
        {
            BaseItems = Env("BASE_ITEMS", ctx.Quick ? 200 : d.BaseItems),
            SftItems = Env("SFT_ITEMS", ctx.Quick ? 200 : d.SftItems),
            TestItems = Env("TEST_ITEMS", ctx.Quick ? 100 : d.TestItems),
            Vision = d.Vision with { Steps = Env("VISION_STEPS", ctx.Quick ? 20 : d.Vision.Steps), LearningRate = EnvD("VISION_LR", d.Vision.LearningRate) },
            BaseReading = d.BaseReading with { Steps = Env("READ_STEPS", ctx.Quick ? 20 : d.BaseReading.Steps), BatchSize = Env("BATCH", d.BaseReading.BatchSize), LearningRate = EnvD("READ_LR", d.BaseReading.LearningRate) },
            Base = d.Base with { Steps = Env("BASE_STEPS", ctx.Quick ? 20 : d.Base.Steps), BatchSize = Env("BATCH", d.Base.BatchSize), LearningRate = EnvD("BASE_LR", d.Base.LearningRate) },
            Sft = d.Sft with { Steps = Env("SFT_STEPS", ctx.Quick ? 20 : d.Sft.Steps), BatchSize = Env("BATCH", d.Sft.BatchSize), LearningRate = EnvD("SFT_LR", d.Sft.LearningRate) },
            Focus = d.Focus with { Steps = Env("FOCUS_STEPS", ctx.Quick ? 20 : d.Focus.Steps), LearningRate = EnvD("FOCUS_LR", d.Focus.LearningRate) },
            FocusItems = Env("FOCUS_ITEMS", ctx.Quick ? 200 : d.FocusItems),
        };
        var r = Experiments.RunTargets(o, ctx.Progress);
        double points = 100 * (r.SftCot.Overall.AnswerAccuracy - r.BaseNoCot.Overall.AnswerAccuracy);
        var md = new StringBuilder()
            .AppendLine("## VisRL-Tiny targets")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Base: vision stage {o.Vision.Steps} steps (batch {o.Vision.BatchSize}), then {o.BaseReading.Steps}+{o.Base.Steps} decoder steps on {o.BaseItems} scenes, SFT policy: focus stage {o.Focus.Steps} steps (batch {o.Focus.BatchSize}) on {o.FocusItems} scenes, then SFT {o.Sft.Steps} steps on {o.SftItems} scenes, batch {o.Base.BatchSize}; test split {o.TestItems} items{(ctx.Quick ? " (quick run: not the targets' sizes)" : "")}.")
            .AppendLine()
            .AppendLine("| quantity | value | target |")
            .AppendLine("| --- | ---: | --- |")
            .AppendLine(CultureInfo.InvariantCulture, $"| base + SFT training | {r.TrainSeconds:F0} s ({r.BaseTrainSeconds:F0} + {r.SftTrainSeconds:F0}) | ≤ 900 s |")
            .AppendLine(CultureInfo.InvariantCulture, $"| base no-CoT answer accuracy | {r.BaseNoCot.Overall.AnswerAccuracy:P1} | |")
            .AppendLine(CultureInfo.InvariantCulture, $"| SFT CoT answer accuracy | {r.SftCot.Overall.AnswerAccuracy:P1} ({points:+0.0;-0.0} points) | ≥ +15 points |")
            .AppendLine(CultureInfo.InvariantCulture, $"| SFT detection accuracy (IoU > 0.5) | {r.SftCot.Overall.DetectionAccuracy ?? 0:P1} | reported |")
            .AppendLine(CultureInfo.InvariantCulture, $"| critic: P(answer \\| GT crop) / P(answer \\| random crop) | {r.MeanProbabilityGtCrop:F4} / {r.MeanProbabilityRandomCrop:F4} = {r.CriticRatio:F2} | ≥ 3 |")
            .AppendLine()
            .AppendLine("| family | items | base no-CoT answer | SFT CoT answer | SFT detection |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var family in r.SftCot.Families)
        {
            var baseline = r.BaseNoCot.Families.FirstOrDefault(f => f.Group == family.Group);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {family.Group} | {family.Count} | {baseline?.AnswerAccuracy ?? 0:P1} | {family.AnswerAccuracy:P1} | {family.DetectionAccuracy ?? 0:P1} |");
        }
        return new BenchmarkReport("targets", md.ToString(), new Dictionary<string, double>
        {
            ["train_seconds"] = r.TrainSeconds, ["base_no_cot"] = r.BaseNoCot.Overall.AnswerAccuracy,
            ["sft_cot"] = r.SftCot.Overall.AnswerAccuracy, ["sft_detection"] = r.SftCot.Overall.DetectionAccuracy ?? 0, ["critic_ratio"] = r.CriticRatio,
        });
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("VISRL_TARGETS_" + name), CultureInfo.InvariantCulture, out int v) ? v : fallback;

    private static double EnvD(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable("VISRL_TARGETS_" + name), CultureInfo.InvariantCulture, out double v) ? v : fallback;
}
