using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Modeling;
using VisRL.Training;

namespace VisRL.Cli.Commands;

/// <summary>`visrl train base|sft`: M_org without CoT, or the SFT warm-up with boxes, on a stored dataset.</summary>
internal static class TrainCommand
{
    public static Command Create() => new("train", "Train VisRL-Tiny on a stored dataset: checkpoints to blob storage, metrics to PostgreSQL.")
    {
        Stage("base", TrainingStageKind.Base, "M_org: no CoT, scenes at several zoom levels (the critic)."),
        Stage("sft", TrainingStageKind.Sft, "SFT warm-up with boxes: the two-turn focus protocol, from a base checkpoint."),
    };

    private static Command Stage(string name, TrainingStageKind kind, string description)
    {
        var dataset = new Option<string>("--dataset") { Description = "Stored dataset name", Required = true };
        var split = new Option<string>("--split") { Description = "Split to train on", DefaultValueFactory = _ => kind == TrainingStageKind.Base ? "base" : "sft" };
        var items = new Option<int?>("--items") { Description = "Use the first N items of the split" };
        var from = new Option<string?>("--from") { Description = "Start checkpoint (hash prefix; SFT default: the latest base)" };
        var config = new Option<FileInfo?>("--config") { Description = "JSON of the experiment options (model shape, steps, learning rates, seeds)" };
        var job = new Option<Guid?>("--job") { Description = "Job id: run the same job again to resume it after a crash" };
        var threads = ThreadsOption.Create("a step's two micro-batches then run at once, one per core");
        var command = new Command(name, description) { dataset, split, items, from, config, job, threads };
        command.SetAction(async (parse, ct) =>
        {
            ThreadsOption.Apply(parse, threads);
            var options = parse.GetValue(config) is { } file
                ? JsonSerializer.Deserialize<ExperimentOptions>(File.ReadAllText(file.FullName), JsonSerializerOptions.Web) ?? new ExperimentOptions()
                : new ExperimentOptions();
            var stores = new CliStores();
            var request = new StageRequest(kind, parse.GetValue(dataset)!, parse.GetValue(split)!, parse.GetValue(items), parse.GetValue(from),
                parse.GetValue(job) ?? Guid.NewGuid(), options, stores.WorkFolder);
            AnsiConsole.MarkupLine($"[grey]job {request.JobId} (run again with --job {request.JobId} to resume)[/]");
            var training = new StageTraining(stores.Datasets, stores.Checkpoints, stores.Journal);
            var result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask($"{name}: loading data", maxValue: 1);
                    // As the Trainer service: an outage of PostgreSQL or blob storage is waited out, and the job
                    // goes on from its last checkpoint.
                    return await stores.Journal.WaitOutOutagesAsync(request.JobId, token => Task.Run(() => training.RunAsync(request, m =>
                        {
                            task.MaxValue = m.TotalSteps;
                            task.Value = m.Step;
                            task.Description = $"{m.Phase} loss {m.Loss:F3} ({m.SamplesPerSecond:F0} samples/s)";
                        }, token), token),
                        stores.OutagePatience,
                        (reason, pause) =>
                        {
                            task.Description = Markup.Escape($"waiting for {reason} (again in {pause.TotalSeconds:0} s)");
                            AnsiConsole.MarkupLine(Markup.Escape($"{name} job {request.JobId} waits for {reason}; it goes on from its last checkpoint in {pause.TotalSeconds:0} s"));
                        }, ct,
                        () =>
                        {
                            task.Description = "waiting for the job's other run";
                            AnsiConsole.MarkupLine(Markup.Escape($"{name} job {request.JobId} is running elsewhere; waiting for it to end, then going on from where it got"));
                        });
                });
            AnsiConsole.MarkupLine($"[green]{name} checkpoint[/] {result.ContentHash} (step {result.Step})");
            return 0;
        });
        return command;
    }
}
