using VisRL.Cli.Infrastructure;

// `visrl`: the command line of VisRL.Workflow (run it through ./visrl at the repository root).
return await CliApp.RunAsync(args);
