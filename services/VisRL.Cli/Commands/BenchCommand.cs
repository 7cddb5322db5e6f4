using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;
using VisRL.Benchmarks;
using VisRL.Benchmarks.Imaging;
using VisRL.Benchmarks.Modeling;
using VisRL.Benchmarks.Rounds;
using VisRL.Benchmarks.Torch;
using VisRL.Cli.Infrastructure;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl bench NAME|all`: runs a benchmark against its baseline measured in the same run,
/// prints it, and replaces that benchmark's section of docs/benchmarks.md.
/// </summary>
internal static class BenchCommand
{
    private static readonly Dictionary<string, Func<BenchmarkContext, BenchmarkReport>> Benchmarks = new()
    {
        ["torch"] = TorchBenchmark.Run,
        ["imaging"] = ImagingBenchmark.Run,
        ["modeling"] = ModelingBenchmark.Run,
        ["round"] = RoundBenchmark.Run,
        ["targets"] = TargetsBenchmark.Run,
        ["localize"] = LocalizationBenchmark.Run,
        ["cuda"] = CudaBenchmark.Run,
    };

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "torch, imaging, modeling, round, targets, localize, cuda (on a GPU worker) or all (all but cuda)" };
        name.AcceptOnlyFromAmong([.. Benchmarks.Keys, "all"]);
        var quick = new Option<bool>("--quick") { Description = "Fewer repeats: a smoke run, not numbers to publish." };
        var command = new Command("bench", "Run a benchmark and write its results to docs/benchmarks.md.") { name, quick };
        command.SetAction(parse => Run(parse.GetValue(name)!, parse.GetValue(quick)));
        return command;
    }

    private static int Run(string name, bool quick)
    {
        var fixtures = FindFixtures();
        var context = new BenchmarkContext(Repository.Root, fixtures, quick, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
        foreach (var (key, run) in Benchmarks.Where(b => b.Key == name || (name == "all" && b.Key != "cuda")))
        {
            AnsiConsole.MarkupLine($"[bold]bench {key}[/]");
            BenchmarkReport report;
            try { report = run(context); }
            catch (InvalidOperationException error) // what the machine lacks for this benchmark, said by the benchmark
            {
                AnsiConsole.MarkupLine($"[red]bench {key}: {Markup.Escape(error.Message)}[/]");
                return 1;
            }
            Console.WriteLine(report.Markdown);
            WriteSection(Repository.PathOf("docs", "benchmarks.md"), report);
        }
        return 0;
    }

    /// <summary>Replaces (or appends) the report's section between its markers.</summary>
    internal static void WriteSection(string path, BenchmarkReport report)
    {
        var begin = $"<!-- bench:{report.Name} -->";
        var end = $"<!-- /bench:{report.Name} -->";
        var section = $"{begin}\n{report.Markdown.Trim()}\n{end}";
        var text = File.Exists(path)
            ? File.ReadAllText(path)
            : "# Benchmarks\n\nWritten by `./visrl bench NAME`; each section is replaced by its benchmark's latest run.\n";
        var pattern = new Regex(Regex.Escape(begin) + ".*?" + Regex.Escape(end), RegexOptions.Singleline);
        text = pattern.IsMatch(text) ? pattern.Replace(text, section.Replace("$", "$$")) : text.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, text);
    }

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(Repository.Root); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures", "real-images");
            if (Directory.Exists(candidate)) return candidate;
        }
        return Path.Combine(Repository.Root, "..", "shared", "fixtures", "real-images");
    }
}
