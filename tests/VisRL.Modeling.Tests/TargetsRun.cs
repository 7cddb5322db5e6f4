using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

/// <summary>
/// The targets as a measurement (not a timed test): VISRL_MODELING_EXPERIMENT=1 dotnet test
/// tests/VisRL.Modeling.Tests --filter Targets. Sizes can be overridden with VISRL_TARGETS_* variables;
/// the report is printed and written to VISRL_TARGETS_OUT (default: artifacts/modeling-targets.json).
/// </summary>
public sealed class TargetsRun(ITestOutputHelper output)
{
    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("VISRL_TARGETS_" + name), CultureInfo.InvariantCulture, out int v) ? v : fallback;

    private static double EnvD(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable("VISRL_TARGETS_" + name), CultureInfo.InvariantCulture, out double v) ? v : fallback;

    [ExperimentFact]
    public void Targets()
    {
        set_num_threads(Env("THREADS", 2));
        var d = new ExperimentOptions();
        var o = d with
        {
            Model = d.Model with { PatchSize = Env("PATCH", d.Model.PatchSize), Dim = Env("DIM", d.Model.Dim), VisionDim = Env("DIM", d.Model.VisionDim), Layers = Env("LAYERS", d.Model.Layers), VisionLayers = Env("VLAYERS", d.Model.VisionLayers) },
            BaseItems = Env("BASE_ITEMS", d.BaseItems),
            SftItems = Env("SFT_ITEMS", d.SftItems),
            TestItems = Env("TEST_ITEMS", d.TestItems),
            BaseReading = d.BaseReading with { Steps = Env("READ_STEPS", d.BaseReading.Steps) },
            Base = d.Base with { Steps = Env("BASE_STEPS", d.Base.Steps), BatchSize = Env("BATCH", d.Base.BatchSize), LearningRate = EnvD("BASE_LR", d.Base.LearningRate) },
            Sft = d.Sft with { Steps = Env("SFT_STEPS", d.Sft.Steps), BatchSize = Env("BATCH", d.Sft.BatchSize), LearningRate = EnvD("SFT_LR", d.Sft.LearningRate) },
        };
        var lines = new StringBuilder();
        var report = Experiments.RunTargets(o, line => { output.WriteLine(line); lines.AppendLine(line); Console.Error.WriteLine(line); });
        var path = Environment.GetEnvironmentVariable("VISRL_TARGETS_OUT") ?? Path.Combine(FindRoot(), "artifacts", "modeling-targets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(new { options = o, report = report with { Metrics = [] }, log = lines.ToString() }, new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine(JsonSerializer.Serialize(report with { Metrics = [] }, new JsonSerializerOptions { WriteIndented = true }));
        Assert.True(report.TrainSeconds > 0);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VisRL.Workflow.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Path.GetTempPath();
    }
}
