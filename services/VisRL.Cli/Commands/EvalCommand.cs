using System.CommandLine;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Modeling;
using VisRL.Training;

namespace VisRL.Cli.Commands;

/// <summary>`visrl eval`: answer and detection accuracy of a checkpoint, per question family, stored and printed.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (hash prefix or id)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Stored dataset name", Required = true };
        var split = new Option<string>("--split") { Description = "Split", DefaultValueFactory = _ => "test" };
        var items = new Option<int?>("--items") { Description = "Only the first N items" };
        var mode = new Option<string>("--mode") { Description = "cot, no-cot or both", DefaultValueFactory = _ => "both" };
        mode.AcceptOnlyFromAmong("cot", "no-cot", "both");
        var threads = ThreadsOption.Create("its evaluations then score every item as this one does");
        var command = new Command("eval", "Evaluate a checkpoint (Visual-CoT style: IoU > 0.5 for detection).") { checkpoint, dataset, split, items, mode, threads };
        command.SetAction(async (parse, ct) =>
        {
            ThreadsOption.Apply(parse, threads);
            var stores = new CliStores();
            var modes = parse.GetValue(mode) switch { "both" => new[] { Evaluator.NoCot, Evaluator.Cot }, var m => [m!] };
            var reports = await AnsiConsole.Status().StartAsync("evaluating…", _ =>
                new ModelEvaluation(stores.Datasets, stores.Checkpoints).RunAsync(parse.GetValue(checkpoint)!, parse.GetValue(dataset)!,
                    parse.GetValue(split)!, parse.GetValue(items), modes, Path.Combine(stores.WorkFolder, "cache"), ct));
            var table = new Table().Border(TableBorder.Rounded).AddColumns("mode", "family", "items", "answer acc.", "detection acc.");
            foreach (var report in reports)
                foreach (var g in report.Families.Append(report.Overall))
                    table.AddRow(report.Mode, g.Group, g.Count.ToString(), $"{g.AnswerAccuracy:P1}", g.DetectionAccuracy is { } d ? $"{d:P1}" : "—");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
