namespace VisRL.Cli.Infrastructure;

/// <summary>Finds the repository root: $VISRL_ROOT (set by ./visrl), else the folder above that holds the solution.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var fromLauncher = Environment.GetEnvironmentVariable("VISRL_ROOT");
        if (!string.IsNullOrEmpty(fromLauncher)) return fromLauncher;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "VisRL.Workflow.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the VisRL.Workflow repository; run the CLI through ./visrl or set VISRL_ROOT.");
    }
}
