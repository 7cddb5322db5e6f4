namespace VisRL.Cli.Infrastructure;

/// <summary>
/// Finds the repository root: $VISRL_ROOT (set by ./visrl), else the folder above that holds the
/// solution. The Docker image holds only published output: there it has no root, and the commands
/// compose runs there (db migrate, serve) take their settings from VISRL__ variables alone.
/// </summary>
internal static class Repository
{
    /// <summary>The root, or null outside a checkout.</summary>
    public static string? RootOrNull { get; } = Find(Environment.GetEnvironmentVariable("VISRL_ROOT"),
        [Directory.GetCurrentDirectory(), AppContext.BaseDirectory]);

    /// <summary>The root, for commands that need the checkout (scripts, benchmarks, reports' default folder).</summary>
    public static string Root => RootOrNull
        ?? throw new InvalidOperationException("Cannot find the VisRL.Workflow repository; run the CLI through ./visrl or set VISRL_ROOT.");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    internal static string? Find(string? fromLauncher, IEnumerable<string> starts)
    {
        if (!string.IsNullOrEmpty(fromLauncher)) return fromLauncher;
        foreach (var start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "VisRL.Workflow.sln"))) return dir.FullName;
        }
        return null;
    }
}
