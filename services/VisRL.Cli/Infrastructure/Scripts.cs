using System.Diagnostics;

namespace VisRL.Cli.Infrastructure;

/// <summary>Runs the project's bash scripts (infra/*.sh) with their output going straight to the console.</summary>
internal static class Scripts
{
    public static async Task<int> RunAsync(string script, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Repository.PathOf(script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start bash for {script}.");
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }
}
