using System.Diagnostics;
using System.Globalization;
using System.Text;
using VisRL.Torch;
using static VisRL.Benchmarks.Statistics;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Torch;

/// <summary>
/// `visrl bench torch`: the binding against Debian's Python PyTorch on the same libtorch, in the
/// same run, with the same thread count and OpenBLAS core type: (a) 1024² fp32 matmul GFLOP/s,
/// (b) one transformer block (d=256, 4 heads, sequence 128, batch 16) forward + backward + AdamW
/// step, as a time ratio (goal ≤ 1.0) and as GFLOP/s against the measured sgemm peak.
/// Both sides warm up, then run in alternating rounds; medians are over all rounds.
/// </summary>
public static class TorchBenchmark
{
    private const long Batch = 16, Sequence = 128, Dim = 256, Heads = 4;
    private const int MatmulSize = 1024;

    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        // libtorch's own default thread count (or VISRL__TORCH__THREADS, applied at load), and
        // the same count on the Python side. Forcing all CPUs oversubscribes a shared machine,
        // because OpenBLAS runs its own pool beside libtorch's.
        TorchRuntime.Initialize();
        var threads = TorchRuntime.NumThreads;
        var openBlasThreads = Environment.GetEnvironmentVariable(TorchRuntime.ThreadsVariable) is { Length: > 0 } ? threads : (int?)null;
        var rounds = ctx.Quick ? 2 : 8;
        var perRound = ctx.Quick ? 3 : 6;
        var warmup = ctx.Quick ? 2 : 4;

        ctx.Progress($"libtorch {TorchRuntime.LibtorchVersion}, {threads} thread(s), OpenBLAS core '{TorchRuntime.BlasCoreName}' (OPENBLAS_CORETYPE={TorchRuntime.OpenBlasCoreType ?? "unset"})");
        using var peer = new PythonPeer(ctx.RepositoryRoot, threads, openBlasThreads);

        manual_seed(0);
        using var a = randn(MatmulSize, MatmulSize);
        using var b = randn(MatmulSize, MatmulSize);
        using var block = new TransformerBlock(Dim, Heads);
        using var optimizer = optim.AdamW(block.parameters(), lr: 1e-4);
        using var x = randn(Batch, Sequence, Dim);

        void Matmul()
        {
            using var noGrad = no_grad();
            a.matmul(b).Dispose();
        }

        void BlockStep()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            block.call(x).pow(2).mean().backward();
            optimizer.step();
        }

        var (csMatmul, pyMatmul, csBlock, pyBlock) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        Time(Matmul, warmup);
        peer.Time("matmul", warmup);
        Time(BlockStep, warmup);
        peer.Time("block", warmup);
        for (var round = 1; round <= rounds; round++)
        {
            ctx.Progress($"round {round}/{rounds}");
            csMatmul.AddRange(Time(Matmul, perRound * 2));
            pyMatmul.AddRange(peer.Time("matmul", perRound * 2));
            csBlock.AddRange(Time(BlockStep, perRound));
            pyBlock.AddRange(peer.Time("block", perRound));
        }

        const double matmulFlops = 2.0 * MatmulSize * MatmulSize * MatmulSize;
        var stepFlops = 3 * TransformerBlock.ForwardFlops(Batch, Sequence, Dim); // backward ≈ 2× forward
        var r = new Results(
            CsMatmulBest: matmulFlops / csMatmul.Min() / 1e9, CsMatmulMedian: matmulFlops / Median(csMatmul) / 1e9,
            PyMatmulBest: matmulFlops / pyMatmul.Min() / 1e9, PyMatmulMedian: matmulFlops / Median(pyMatmul) / 1e9,
            CsBlock: Median(csBlock), PyBlock: Median(pyBlock), StepFlops: stepFlops);
        var peak = Math.Max(r.CsMatmulBest, r.PyMatmulBest);

        var numbers = new Dictionary<string, double>
        {
            ["matmul_gflops_binding_best"] = r.CsMatmulBest,
            ["matmul_gflops_binding_median"] = r.CsMatmulMedian,
            ["matmul_gflops_python_best"] = r.PyMatmulBest,
            ["matmul_gflops_python_median"] = r.PyMatmulMedian,
            ["block_ms_binding"] = r.CsBlock * 1e3,
            ["block_ms_python"] = r.PyBlock * 1e3,
            ["block_time_ratio"] = r.CsBlock / r.PyBlock,
            ["block_gflops_binding"] = stepFlops / r.CsBlock / 1e9,
            ["block_gflops_python"] = stepFlops / r.PyBlock / 1e9,
            ["block_share_of_sgemm_peak"] = stepFlops / r.CsBlock / 1e9 / peak,
            ["threads"] = threads,
        };
        var setup = $"libtorch {TorchRuntime.LibtorchVersion} (Python: torch {peer.TorchVersion}), {threads} intra-op thread(s) on both sides (Python reports {peer.Threads}), " +
                    $"OpenBLAS core `{TorchRuntime.BlasCoreName}` (OPENBLAS_CORETYPE={TorchRuntime.OpenBlasCoreType ?? "unset"}), {Environment.ProcessorCount} CPUs visible, load average {LoadAverage()}. " +
                    $"{warmup} warm-up runs each, then {rounds} alternating rounds (C#, then Python) of {perRound * 2} matmuls and {perRound} block steps; medians over all rounds.";
        return new BenchmarkReport("torch", Markdown(r, peak, setup), numbers);
    }

    private sealed record Results(double CsMatmulBest, double CsMatmulMedian, double PyMatmulBest, double PyMatmulMedian, double CsBlock, double PyBlock, double StepFlops);

    private static string Markdown(Results r, double peak, string setup)
    {
        var ci = CultureInfo.InvariantCulture;
        var csGflops = r.StepFlops / r.CsBlock / 1e9;
        var pyGflops = r.StepFlops / r.PyBlock / 1e9;
        var md = new StringBuilder();
        md.AppendLine("## VisRL.Torch: binding vs Python PyTorch on the same libtorch");
        md.AppendLine();
        md.AppendLine(setup);
        md.AppendLine();
        md.AppendLine("| measurement | binding (C#) | Python PyTorch | C# / Python |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        md.AppendLine(string.Create(ci, $"| 1024² fp32 matmul, GFLOP/s (best) | {r.CsMatmulBest:F1} | {r.PyMatmulBest:F1} | {r.CsMatmulBest / r.PyMatmulBest:F2} |"));
        md.AppendLine(string.Create(ci, $"| 1024² fp32 matmul, GFLOP/s (median) | {r.CsMatmulMedian:F1} | {r.PyMatmulMedian:F1} | {r.CsMatmulMedian / r.PyMatmulMedian:F2} |"));
        md.AppendLine(string.Create(ci, $"| transformer block step, ms (median) | {r.CsBlock * 1e3:F1} | {r.PyBlock * 1e3:F1} | **{r.CsBlock / r.PyBlock:F2}** (time ratio, goal ≤ 1.0) |"));
        md.AppendLine(string.Create(ci, $"| transformer block step, GFLOP/s | {csGflops:F1} | {pyGflops:F1} | |"));
        md.AppendLine(string.Create(ci, $"| block step vs measured sgemm peak ({peak:F0} GFLOP/s) | {csGflops / peak * 100:F0} % | {pyGflops / peak * 100:F0} % | |"));
        md.AppendLine();
        md.AppendLine(string.Create(ci, $"Block: d={Dim}, {Heads} heads, sequence {Sequence}, batch {Batch}; pre-norm causal self-attention + GELU MLP, loss mean(y²), AdamW. {r.StepFlops / 1e9:F2} GFLOP per step, counted as 3× the forward matmul FLOPs. The sgemm peak is the best 1024² matmul of either side."));
        return md.ToString();
    }

    private static List<double> Time(Action action, int repeats)
    {
        var times = new List<double>(repeats);
        for (var i = 0; i < repeats; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return times;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
