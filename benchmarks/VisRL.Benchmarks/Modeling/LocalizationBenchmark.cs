using System.Globalization;
using System.Text;
using VisRL.Imaging.Synthetic;
using VisRL.Modeling;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Modeling;

/// <summary>
/// `./visrl bench localize`: does VisRL-Tiny learn to point (LocalizationProbe)? Two tasks, each on a
/// fresh model: one red square on a flat scene, and the benchmark's attribute questions
/// ("What character is on the green triangle?"). The baseline, measured in the same run, is the
/// entropy a model blind to the image reaches; a model that localizes ends far below it.
/// </summary>
public static class LocalizationBenchmark
{
    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        set_num_threads(2);
        var o = ctx.Quick ? new LocalizationProbeOptions { Steps = 30, Items = 200, TestItems = 64 } : new LocalizationProbeOptions();
        var attributes = new SyntheticGenerator(new SyntheticOptions
        {
            FamilyWeights = new Dictionary<string, double> { [QuestionFamily.GlyphByAttributes] = 1 },
        }, seed: 1001);
        // The SFT's learning rate (2e-3) and a tenth of it: selective attention forms only at the lower one.
        var slow = o with { LearningRate = o.LearningRate / 10 };
        var results = new[]
        {
            LocalizationProbe.Run("one red square, flat background", i => LocalizationProbe.SingleSquare(i), o),
            LocalizationProbe.Run("one red square, flat background", i => LocalizationProbe.SingleSquare(i), slow),
            LocalizationProbe.Run("attribute questions (synthetic benchmark)", i => LabeledScene.From(attributes.Generate(i)), slow),
        };
        var md = new StringBuilder()
            .AppendLine("## Localization probe")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"A fresh VisRL-Tiny trained on turn 1 alone (global view + question → box) for {o.Steps} steps of {o.BatchSize} on {o.Items} scenes (cosine schedule, 20 warmup steps); {o.TestItems} test scenes{(ctx.Quick ? " (quick run)" : "")}. x1 NLL: teacher-forced, nats, of the box's first token. Blind: the entropy of x1's marginal over the training labels (what a model that ignores the image reaches). Goal: the ratio well below 1.")
            .AppendLine()
            .AppendLine("| task | learning rate | x1 NLL | blind | ratio | uniform | detection (IoU > 0.5) | time |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Task} | {r.LearningRate:G2} | {r.FirstTokenNll:F2} | {r.BlindEntropy:F2} | {r.FirstTokenNll / r.BlindEntropy:F2} | {r.UniformEntropy:F2} | {r.Detection:P1} | {r.Seconds:F0} s |");
        return new BenchmarkReport("localize", md.ToString(), new Dictionary<string, double>
        {
            ["square_ratio"] = results[0].FirstTokenNll / results[0].BlindEntropy,
            ["square_slow_ratio"] = results[1].FirstTokenNll / results[1].BlindEntropy,
            ["attributes_slow_ratio"] = results[2].FirstTokenNll / results[2].BlindEntropy,
        });
    }
}
