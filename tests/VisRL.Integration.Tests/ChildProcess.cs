using System.Diagnostics;
using System.Text;

namespace VisRL.Integration.Tests;

/// <summary>Runs the project's programs as separate processes and captures what they print.</summary>
public static class ChildProcess
{
    /// <summary>The build output of a project of this repository, in the configuration the tests were built in.</summary>
    public static string ProjectDll(string project, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var path = Path.Combine(TestStack.Root, "services", project, "bin", configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is not built; build the solution first.", path);
        return path;
    }

    public static ProcessStartInfo Dotnet(string dll, IDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = TestStack.Root };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>Output with table borders dropped and whitespace collapsed, so a phrase wrapped inside a table cell still matches.</summary>
    public static string Flattened(string output) => System.Text.RegularExpressions.Regex.Replace(output.Replace('│', ' '), @"\s+", " ");

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>); returns exit code and stdout+stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var running = Start(start);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await running.Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            running.Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not end within {timeout}:\n{running.Output}");
        }
        return (running.Process.ExitCode, running.Output);
    }

    public static Running Start(ProcessStartInfo start)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
        var running = new Running(process);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    public sealed class Running(Process process) : IDisposable
    {
        private readonly StringBuilder _output = new();
        public Process Process { get; } = process;

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        internal void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
            Process.Dispose();
        }
    }
}
