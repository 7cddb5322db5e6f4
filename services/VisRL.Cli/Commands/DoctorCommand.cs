using System.CommandLine;
using Spectre.Console;
using VisRL.Cli.Doctor;
using VisRL.Cli.Infrastructure;

namespace VisRL.Cli.Commands;

/// <summary>`visrl doctor`: is everything this machine needs there and reachable? Non-zero exit on any failure.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--no-matmul") { Description = "Skip the matmul GFLOP/s measurement." };
        var command = new Command("doctor", "Check broker, database, blob storage, libtorch, JPEG and GPU; say how to fix each failure.") { quick };
        command.SetAction(async (parse, ct) => await RunAsync(!parse.GetValue(quick), ct));
        return command;
    }

    public static async Task<int> RunAsync(bool measureMatmul, CancellationToken cancellationToken)
    {
        var results = await new DoctorChecks(CliSettings.Load()).RunAsync(measureMatmul, cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("check", "status", "detail");
        foreach (var r in results)
        {
            var status = r.Status switch
            {
                CheckStatus.Ok => "[green]ok[/]",
                CheckStatus.Info => "[blue]info[/]",
                CheckStatus.Warning => "[yellow]warning[/]",
                _ => "[red]FAILED[/]",
            };
            var detail = Markup.Escape(r.Detail) + (r.Fix is null ? "" : $"\n[yellow]fix:[/] {Markup.Escape(r.Fix)}");
            table.AddRow(Markup.Escape(r.Name), status, detail);
        }
        AnsiConsole.Write(table);
        // Failures again as whole lines: the table wraps, and logs and scripts grep for these.
        foreach (var r in results.Where(r => r.Status == CheckStatus.Failed))
            Console.Error.WriteLine($"FAILED {r.Name}: {r.Detail}\n  fix: {r.Fix}");
        var failed = results.Count(r => r.Status == CheckStatus.Failed);
        if (failed > 0) AnsiConsole.MarkupLine($"[red]{failed} check(s) failed[/]");
        return failed == 0 ? 0 : 1;
    }
}
