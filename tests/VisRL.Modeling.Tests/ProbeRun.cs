using System.Globalization;
using VisRL.Imaging.Synthetic;
using Xunit.Abstractions;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

/// <summary>A short SFT-only run that reports detection accuracy: VISRL_MODELING_EXPERIMENT=1, filter SftProbe; VISRL_PROBE_* sizes.</summary>
public sealed class ProbeRun(ITestOutputHelper output)
{
    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("VISRL_PROBE_" + name), CultureInfo.InvariantCulture, out int v) ? v : fallback;

    [ExperimentFact]
    public void SftProbe()
    {
        set_num_threads(Env("THREADS", 2));
        using var m = VisRLTiny.Create(new ModelConfig { CoordinateFrequencies = Env("FREQ", 16) }, seed: 1);
        bool baseMode = Environment.GetEnvironmentVariable("VISRL_PROBE_MODE") == "base";
        bool cropOnly = Environment.GetEnvironmentVariable("VISRL_PROBE_CROPONLY") == "1";
        var data = cropOnly ? new SyntheticGenerator(seed: 1001).Generate(0, Env("ITEMS", 1000)).Select(i => m.Protocol.NoCot(m.CropView(i.Image, i.GtBox), i.Question, i.Answer)).ToList()
            : baseMode ? SyntheticData.BaseExamples(m.Protocol, new SyntheticGenerator(seed: 1001), 0, Env("ITEMS", 1000), 1)
                            : SyntheticData.SftExamples(m.Protocol, new SyntheticGenerator(seed: 2002), 0, Env("ITEMS", 1000), 2);
        void Log(string s) { output.WriteLine(s); Console.Error.WriteLine(s); }
        new Trainer(m, new TrainerConfig { Steps = Env("STEPS", 150), BatchSize = Env("BATCH", 32), LearningRate = Env("LR", 20) / 10000.0, LogEvery = 25 }, data)
        { OnMetrics = x => Log($"step {x.Step} loss {x.Loss:F3} {x.SamplesPerSecond:F1}/s") }.Run();
        if (baseMode)
        {
            var (gt, rnd) = Experiments.CriticProbabilities(m, new SyntheticGenerator(seed: 3003), 0, Env("TEST", 200));
            Log($"critic gt {gt:F4} random {rnd:F4} ratio {gt / rnd:F2}");
            return;
        }
        var report = Evaluator.Score(Evaluator.Cot, Evaluator.PredictCot(m, new SyntheticGenerator(seed: 3003), 0, Env("TEST", 200)));
        Log($"detection {report.Overall.DetectionAccuracy:P1} answer {report.Overall.AnswerAccuracy:P1} " + string.Join(", ", report.Families.Select(f => $"{f.Group} det {f.DetectionAccuracy:P0} ans {f.AnswerAccuracy:P0}")));
    }
}
