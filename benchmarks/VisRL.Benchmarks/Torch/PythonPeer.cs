using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VisRL.Torch;

namespace VisRL.Benchmarks.Torch;

/// <summary>
/// torch_peer.py kept running, so Python's measurements can be interleaved with the binding's:
/// on a shared machine the load drifts, and alternating rounds exposes both sides to it alike.
/// </summary>
internal sealed class PythonPeer : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;

    public PythonPeer(string repositoryRoot, int threads, int? openBlasThreads)
    {
        var script = Path.Combine(repositoryRoot, "benchmarks", "VisRL.Benchmarks", "Torch", "torch_peer.py");
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: run infra/install.sh (it installs python3-torch), the peer of this benchmark.");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
        // Same BLAS kernel on both sides, or the comparison measures OpenBLAS's CPU detection.
        if (TorchRuntime.OpenBlasCoreType is { } core) start.Environment["OPENBLAS_CORETYPE"] = core;
        // The binding sets OpenBLAS's pool only when a thread count was chosen; then so does Python.
        if (openBlasThreads is { } blas) start.Environment["OPENBLAS_NUM_THREADS"] = blas.ToString(CultureInfo.InvariantCulture);
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start python");
        using var hello = JsonDocument.Parse(ReadLine());
        TorchVersion = hello.RootElement.GetProperty("torch").GetString() ?? "?";
        Threads = hello.RootElement.GetProperty("threads").GetInt32();
    }

    public string TorchVersion { get; }
    public int Threads { get; }

    /// <summary>Runs <paramref name="what"/> ("matmul" or "block") <paramref name="repeats"/> times in Python; seconds per run.</summary>
    public List<double> Time(string what, int repeats)
    {
        _process.StandardInput.WriteLine($"{what} {repeats.ToString(CultureInfo.InvariantCulture)}");
        _process.StandardInput.Flush();
        return JsonSerializer.Deserialize<List<double>>(ReadLine()) ?? [];
    }

    private string ReadLine() =>
        _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"torch_peer.py exited (code {(_process.HasExited ? _process.ExitCode : -1)})");

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
    }
}
