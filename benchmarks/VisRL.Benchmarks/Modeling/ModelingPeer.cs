using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VisRL.Torch;

namespace VisRL.Benchmarks.Modeling;

/// <summary>
/// modeling_peer.py kept running so its training steps can alternate with the binding's: the same
/// VisRL-Tiny SFT step in Python PyTorch, on the CPU or a CUDA device.
/// </summary>
internal sealed class ModelingPeer : IDisposable
{
    /// <summary>Debian's python3-torch, on the same libtorch as the binding (infra/install.sh).</summary>
    public const string DebianPython = "/usr/bin/python3";

    private readonly Process _process;

    public ModelingPeer(string python, string root, int threads, string configJson, int batch, int width, int imagesPerRow, string device = "cpu")
    {
        var script = Path.Combine(root, "benchmarks", "VisRL.Benchmarks", "Modeling", "modeling_peer.py");
        if (Path.IsPathRooted(python) && !File.Exists(python))
            throw new InvalidOperationException($"{python} is missing: run infra/install.sh (python3-torch), the peer of this benchmark.");
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { script, Text(threads), configJson, Text(batch), Text(width), Text(imagesPerRow), device })
            start.ArgumentList.Add(a);
        if (TorchRuntime.OpenBlasCoreType is { } core) start.Environment["OPENBLAS_CORETYPE"] = core;
        // Python's torch.set_num_threads leaves OpenBLAS's own pool at one thread per CPU (a 1024² matmul
        // at "1 thread" ran 416 GFLOP/s alone, 2 × 205 with a second one beside it), unlike the binding.
        start.Environment["OPENBLAS_NUM_THREADS"] = Text(threads);
        start.Environment["VISRL_CUDNN_TF32"] = TorchRuntime.CudnnAllowTf32 ? "1" : "0";
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        using var hello = JsonDocument.Parse(ReadLine());
        TorchVersion = hello.RootElement.GetProperty("torch").GetString() ?? "?";
    }

    public string TorchVersion { get; }

    /// <summary>Seconds of each of <paramref name="repeats"/> steps (on a GPU, until its kernels finished).</summary>
    public List<double> Time(int repeats)
    {
        _process.StandardInput.WriteLine($"train {Text(repeats)}");
        _process.StandardInput.Flush();
        return JsonSerializer.Deserialize<List<double>>(ReadLine()) ?? [];
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private string ReadLine() => _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("modeling_peer.py exited");

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
    }
}
