using System.CommandLine;
using VisRL.Cli.Commands;
using VisRL.Cli.Infrastructure;

// `visrl`: the command line of VisRL.Workflow (run it through ./visrl at the repository root).
var root = new RootCommand("VisRL.Workflow: self-evolving preference data and step-level DPO for intention-driven visual perception.")
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
    TrainCommand.Create(),
    EvalCommand.Create(),
    GenerateCommand.Create(),
    ServeCommand.Create(),
};

var unknown = CliSettings.Catalog().FindUnknown(Environment.GetEnvironmentVariables().Keys.Cast<string>());
if (unknown.Count > 0)
{
    foreach (var error in unknown) Console.Error.WriteLine($"error: {error}");
    return 2;
}
return await root.Parse(args).InvokeAsync();
