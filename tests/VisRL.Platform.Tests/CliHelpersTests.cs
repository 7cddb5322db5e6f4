using VisRL.Benchmarks;
using VisRL.Cli.Commands;
using VisRL.Cli.Infrastructure;

namespace VisRL.Platform.Tests;

public class CliHelpersTests
{
    [Fact]
    public void BenchmarkSectionsAreReplacedInPlaceOrAppended()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.md");
        try
        {
            BenchCommand.WriteSection(path, new BenchmarkReport("torch", "old torch", new Dictionary<string, double>()));
            BenchCommand.WriteSection(path, new BenchmarkReport("imaging", "imaging $1 numbers", new Dictionary<string, double>()));
            BenchCommand.WriteSection(path, new BenchmarkReport("torch", "new torch", new Dictionary<string, double>()));
            var text = File.ReadAllText(path);
            Assert.DoesNotContain("old torch", text);
            Assert.Contains("imaging $1 numbers", text);
            Assert.True(text.IndexOf("new torch", StringComparison.Ordinal) < text.IndexOf("imaging", StringComparison.Ordinal));
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "<!-- bench:torch -->"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new string[0], 0)]
    [InlineData(new[] { "--iterations", "2" }, 0)]
    [InlineData(new[] { "--iterations", "0" }, 1)]
    public void RunStartTakesOneIterationByDefaultAndRefusesFewer(string[] extra, int errors)
    {
        var run = RunCommand.Create();
        var result = run.Parse(["start", "--dataset", "d", "--policy", "p", "--judge", "j", .. extra]);
        Assert.Equal(errors, result.Errors.Count);
        if (errors > 0) Assert.Contains("--iterations must be ≥ 1", result.Errors[0].Message);
    }

    [Theory]
    [InlineData(new string[0], 0)]
    [InlineData(new[] { "--seeds", "3" }, 0)]
    [InlineData(new[] { "--seeds", "0" }, 1)]
    public void TheDemoRunsOneSeedByDefaultAndRefusesFewer(string[] extra, int errors)
    {
        var result = DemoCommand.Create().Parse(extra);
        Assert.Equal(errors, result.Errors.Count);
        if (errors > 0) Assert.Contains("--seeds must be ≥ 1", result.Errors[0].Message);
    }

    [Fact]
    public void StackEnvFilesBecomeConfigurationKeys()
    {
        var path = Path.Combine(Path.GetTempPath(), $"stack-{Guid.NewGuid():N}.env");
        File.WriteAllLines(path, ["# comment", "VISRL__MESSAGING__PORT=5682",
            "VISRL__DATABASE__CONNECTIONSTRING=Host=127.0.0.1;Port=5442;Password=a=b", "OTHER=1"]);
        try
        {
            var values = CliSettings.ReadEnvFile(path);
            Assert.Equal(2, values.Count);
            Assert.Equal("5682", values["Messaging:Port"]);
            Assert.Equal("Host=127.0.0.1;Port=5442;Password=a=b", values["Database:ConnectionString"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BenchCudaOnAMachineWithoutAGpuSaysWhatIsMissingAndHowToBuildForOne()
    {
        // On a GPU worker the benchmark runs instead; its numbers are in docs/benchmarks.md.
        if (VisRL.Torch.TorchRuntime.CudaAvailable) return;
        var error = Assert.Throws<InvalidOperationException>(() =>
            VisRL.Benchmarks.Modeling.CudaBenchmark.Run(new BenchmarkContext(Path.GetTempPath(), Path.GetTempPath(), Quick: true, _ => { })));
        Assert.Contains("sees no CUDA device", error.Message);
        Assert.Contains("LIBTORCH_DIR=", error.Message);
    }
}

public class DataSynthSplitTests
{
    [Theory]
    [InlineData("base", 0)] // what `visrl train base` reads by default, and the demo makes
    [InlineData("sft", 0)]
    [InlineData("rl", 0)]
    [InlineData("test", 0)]
    [InlineData("dev", 1)]
    public void SynthTakesTheSplitsTheTrainingCommandsRead(string split, int errors)
    {
        var result = DataCommand.Create().Parse(["synth", "--name", "d", "--split", split, "--count", "1"]);
        Assert.Equal(errors, result.Errors.Count);
    }
}
