using System.Diagnostics;

namespace VisRL.Torch.Tests;

/// <summary>Runs Debian's Python PyTorch (/usr/bin/python3 with python3-torch) as the reference implementation.</summary>
internal static class PythonTorch
{
    public const string Interpreter = "/usr/bin/python3";

    public static string ScriptPath(string name) => Path.Combine(AppContext.BaseDirectory, "Python", name);

    /// <summary>Runs a script from the Python folder and returns its standard output; fails the test on any error.</summary>
    public static string Run(string script, params string[] arguments)
    {
        if (!File.Exists(Interpreter))
            throw new InvalidOperationException(
                $"{Interpreter} is missing. The Torch tests compare against Debian's Python PyTorch: run infra/install.sh (it installs python3-torch).");
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath(script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Python's torch must not inherit the thread setting of the test process by accident.
        start.Environment.Remove("OMP_NUM_THREADS");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start python");
        var errorTask = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var error = errorTask.Result;
        if (process.ExitCode != 0)
        {
            if (error.Contains("No module named 'torch'", StringComparison.Ordinal))
                throw new InvalidOperationException($"{Interpreter} has no torch module: run infra/install.sh (it installs python3-torch).\n{error}");
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}:\n{error}");
        }
        return output;
    }
}
