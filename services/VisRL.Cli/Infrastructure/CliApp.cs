using System.CommandLine;
using Spectre.Console;
using VisRL.Cli.Commands;

namespace VisRL.Cli.Infrastructure;

/// <summary>The `visrl` command tree and how it runs: settings check, parse, invoke, one place for uncaught errors.</summary>
internal static class CliApp
{
    public static RootCommand CreateRoot() => new("VisRL.Workflow: self-evolving preference data and step-level DPO for intention-driven visual perception.")
    {
        StackCommand.Create(),
        DbCommand.Create(),
        DoctorCommand.Create(),
        SmokeCommand.Create(),
        BenchCommand.Create(),
        DataCommand.Create(),
        RoundCommand.Create(),
        RunCommand.Create(),
        DemoCommand.Create(),
        ReportCommand.Create(),
        StatsCommand.Create(),
        ErrorsCommand.Create(),
        TrainCommand.Create(),
        EvalCommand.Create(),
        GenerateCommand.Create(),
        ServeCommand.Create(),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var unknown = CliSettings.Catalog().FindUnknown(Environment.GetEnvironmentVariables().Keys.Cast<string>());
        if (unknown.Count > 0)
        {
            foreach (var error in unknown) Console.Error.WriteLine($"error: {error}");
            return 2;
        }
        // Piped, Spectre.Console draws 80 columns whatever the reader's width; COLUMNS, where set, says otherwise.
        if (Console.IsOutputRedirected && int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0)
            AnsiConsole.Profile.Width = columns;
        return await InvokeAsync(args, Console.Error, CliErrors.DebugRequested);
    }

    /// <summary>
    /// Runs a command line. System.CommandLine's own handler would print any uncaught exception
    /// with its stack trace; it is off, and <see cref="CliErrors"/> prints one line instead.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter error, bool debug)
    {
        try
        {
            return await CreateRoot().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error });
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, error, debug);
        }
    }
}
