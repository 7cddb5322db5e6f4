using System.Diagnostics;
using System.Globalization;
using System.Text;
using VisRL.Imaging.Synthetic;
using VisRL.Modeling;
using VisRL.Torch;
using static VisRL.Benchmarks.Statistics;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Modeling;

/// <summary>
/// `visrl bench cuda`, on a GPU worker: VisRL-Tiny on the GPU against the same machine's CPU (all its
/// cores) and against Python PyTorch on the same GPU and libtorch, in one run. (a) The SFT step of
/// `bench modeling` (batch 32, no focus head, as the Python peer) and the same at batch 256;
/// (b) greedy generation with the KV cache, batch 16 and 256; (c) the Trainer's DPO stage-2 step
/// (full model, frozen reference, box and answer terms, batch 16); (d) parity: one batch's loss and
/// the greedy tokens on the CPU and the GPU. GPU times are read after cuda.synchronize(); cuDNN's
/// TF32 is off on both sides, as in the services (Torch:Tf32).
/// </summary>
public static class CudaBenchmark
{
    private const int GenTokens = 32;

    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        TorchRuntime.Initialize();
        if (!TorchRuntime.CudaAvailable)
            throw new InvalidOperationException($"bench cuda needs a GPU, and libtorch {TorchRuntime.LibtorchVersion} sees no CUDA device " +
                "(a CPU build of libtorch, or no GPU). On a GPU worker, build the binding against a CUDA libtorch: " +
                "LIBTORCH_DIR=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') dotnet build (libs/VisRL.Torch/README.md).");
        string python = Environment.GetEnvironmentVariable("VISRL_PYTHON") ?? "python3";
        TorchRuntime.CudnnAllowTf32 = false; // as the services run (Torch:Tf32); the Python peer follows
        int rounds = ctx.Quick ? 2 : 5, perRound = ctx.Quick ? 2 : 5, threads = TorchRuntime.NumThreads;
        ctx.Progress($"libtorch {TorchRuntime.LibtorchVersion}, {threads} CPU thread(s), CUDA devices: {TorchRuntime.CudaDeviceCount}");

        using var onCpu = VisRLTiny.Create(new ModelConfig { FocusDim = 0 }, seed: 0);
        using var onGpu = VisRLTiny.Create(new ModelConfig { FocusDim = 0 }, seed: 0);
        var config = onCpu.Config; // with the tokenizer's vocabulary size filled in
        onGpu.Model.to(CUDA);
        var generator = new SyntheticGenerator(seed: 42);
        var sft = SyntheticData.SftExamples(onCpu.Protocol, generator, 0, 256, 0);
        var items = generator.Generate(1000, 256).ToList();
        var prompts = items.Select(i => onCpu.Protocol.BoxTurn(onCpu.GlobalView(i.Image), i.Question)).ToList();

        // (d) parity, on the untrained weights both copies share
        double LossOf(VisRLTiny m)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var b = Batch.Build(sft.Take(32).ToList(), m.Config, m.Tokenizer.PadId, m.Model.Device);
            return Losses.MaskedCrossEntropy(m.Model.forward(b.Input), b.Targets, b.ResponseMask).item<float>();
        }
        var (cpuLoss, gpuLoss) = (LossOf(onCpu), LossOf(onGpu));
        var generation = new SamplingOptions { MaxNewTokens = GenTokens, StopToken = -1 };
        IReadOnlyList<GenerationResult> Generate(VisRLTiny m, int batch) =>
            Generation.Generate(m.Model, m.Tokenizer, prompts.Take(batch).ToList(), [.. Enumerable.Range(0, batch)], generation);
        var (cpuTokens, gpuTokens) = (Generate(onCpu, 64), Generate(onGpu, 64));
        int sameRequests = cpuTokens.Zip(gpuTokens).Count(p => p.First.Tokens.SequenceEqual(p.Second.Tokens));

        // (b) generation, tokens/s
        double GenSeconds(VisRLTiny m, int batch)
        {
            var sw = Stopwatch.StartNew();
            Generate(m, batch);
            return sw.Elapsed.TotalSeconds;
        }
        var (gen16Cpu, gen16Gpu) = AlternatingMedians(rounds, () => GenSeconds(onCpu, 16), () => GenSeconds(onGpu, 16), r => ctx.Progress($"generation round {r + 1}/{rounds}"));
        var (gen256Cpu, gen256Gpu) = AlternatingMedians(ctx.Quick ? 1 : 3, () => GenSeconds(onCpu, 256), () => GenSeconds(onGpu, 256));

        // (a) SFT steps: C# on the CPU and the GPU, Python on the CPU and the GPU, in turn each round
        var rows = new List<StepRow>();
        foreach (int batch in new[] { 32, 256 })
        {
            var examples = sft.Take(batch).ToList();
            var (cpuBatch, gpuBatch) = (Batch.Build(examples, config, onCpu.Tokenizer.PadId, CPU), Batch.Build(examples, config, onGpu.Tokenizer.PadId, CUDA));
            int width = cpuBatch.Width;
            using var cpuStep = new SftStep(onCpu);
            using var gpuStep = new SftStep(onGpu);
            using var cpuPeer = new ModelingPeer(python, ctx.RepositoryRoot, threads, config.ToJson(), batch, width, 2, "cpu");
            using var gpuPeer = new ModelingPeer(python, ctx.RepositoryRoot, threads, config.ToJson(), batch, width, 2, "cuda");
            var timers = new Func<int, List<double>>[] { n => cpuStep.Time(cpuBatch, n), n => gpuStep.Time(gpuBatch, n), cpuPeer.Time, gpuPeer.Time };
            var times = timers.Select(_ => new List<double>()).ToArray();
            foreach (var time in timers) time(2); // warm-up
            for (int r = 0; r < rounds; r++)
            {
                ctx.Progress($"SFT step, batch {batch}, round {r + 1}/{rounds}");
                for (int t = 0; t < timers.Length; t++) times[t].AddRange(timers[t](batch > 32 ? Math.Max(1, perRound / 2) : perRound));
            }
            rows.Add(new StepRow(batch, width, Median(times[0]), Median(times[1]), Median(times[2]), Median(times[3]), gpuPeer.TorchVersion));
        }

        // (c) the Trainer's DPO stage-2 step
        var (dpoCpu, dpoGpu) = AlternatingMedians(ctx.Quick ? 1 : 3, () => DpoStepSeconds(items, CPU), () => DpoStepSeconds(items, CUDA),
            r => ctx.Progress($"DPO round {r + 1}"));

        var numbers = new Dictionary<string, double>
        {
            ["parity_loss_cpu"] = cpuLoss,
            ["parity_loss_gpu"] = gpuLoss,
            ["parity_greedy_requests_same"] = sameRequests,
            ["generation_16_speedup"] = gen16Cpu / gen16Gpu,
            ["generation_256_speedup"] = gen256Cpu / gen256Gpu,
            ["dpo_step_ms_cpu"] = dpoCpu * 1e3,
            ["dpo_step_ms_gpu"] = dpoGpu * 1e3,
        };
        foreach (var row in rows)
        {
            numbers[$"sft_{row.Batch}_ms_cpu"] = row.CsCpu * 1e3;
            numbers[$"sft_{row.Batch}_ms_gpu"] = row.CsGpu * 1e3;
            numbers[$"sft_{row.Batch}_ms_python_gpu"] = row.PyGpu * 1e3;
            numbers[$"sft_{row.Batch}_time_ratio_gpu"] = row.CsGpu / row.PyGpu;
        }

        var ci = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("## VisRL-Tiny on a GPU: CUDA against the same machine's CPU and against Python PyTorch");
        md.AppendLine();
        md.AppendLine(string.Create(ci, $"libtorch {TorchRuntime.LibtorchVersion} (Python: torch {rows[0].PythonTorch}) on {GpuName()}; CPU side: {threads} thread(s) of {Environment.ProcessorCount} CPUs. Model as in `bench modeling` (default shape, no focus head) unless noted. Medians over {rounds} rounds; each round times every variant in turn."));
        md.AppendLine();
        md.AppendLine("| measurement | CPU, C# | CUDA, C# | CUDA speed-up | CPU, Python | CUDA, Python | C# / Python time, CUDA |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            md.AppendLine(string.Create(ci, $"| SFT step, batch {r.Batch} × {r.Width} tokens, ms | {r.CsCpu * 1e3:F1} | {r.CsGpu * 1e3:F1} | **{r.CsCpu / r.CsGpu:F1}×** | {r.PyCpu * 1e3:F1} | {r.PyGpu * 1e3:F1} | **{r.CsGpu / r.PyGpu:F2}** |"));
        md.AppendLine(string.Create(ci, $"| greedy generation, batch 16, {GenTokens} tokens, KV cache, tokens/s | {16 * GenTokens / gen16Cpu:F0} | {16 * GenTokens / gen16Gpu:F0} | **{gen16Cpu / gen16Gpu:F1}×** | | | |"));
        md.AppendLine(string.Create(ci, $"| same, batch 256, tokens/s | {256 * GenTokens / gen256Cpu:F0} | {256 * GenTokens / gen256Gpu:F0} | **{gen256Cpu / gen256Gpu:F1}×** | | | |"));
        md.AppendLine(string.Create(ci, $"| Trainer DPO stage-2 step, full model, batch 16, frozen reference, ms | {dpoCpu * 1e3:F0} | {dpoGpu * 1e3:F0} | **{dpoCpu / dpoGpu:F1}×** | | | |"));
        md.AppendLine();
        md.AppendLine(string.Create(ci, $"Parity on the same weights: the loss of one batch of 32 is {cpuLoss:F6} on the CPU and {gpuLoss:F6} on the GPU (|Δ| {Math.Abs(cpuLoss - gpuLoss):G2}; TF32 off on both sides, as the services run); greedy generation gives the same {GenTokens} tokens for {sameRequests} of 64 requests."));
        return new BenchmarkReport("cuda", md.ToString(), numbers);
    }

    private sealed record StepRow(int Batch, int Width, double CsCpu, double CsGpu, double PyCpu, double PyGpu, string PythonTorch);

    /// <summary>Seconds per step of a 6-step DPO stage 2 run by the Trainer on <paramref name="device"/> (pairs built and scored each step, as in the service).</summary>
    private static double DpoStepSeconds(IReadOnlyList<SyntheticItem> items, Device device)
    {
        const int steps = 6;
        using var policy = VisRLTiny.Create(new ModelConfig(), seed: 1);
        using var frozen = VisRLTiny.Create(new ModelConfig(), seed: 1);
        policy.Model.to(device);
        frozen.Model.to(device);
        var rng = new Random(0);
        var pairs = items.Take(64).Select((s, i) => new PreferencePair(s.Image, s.Question, s.GtBox, SyntheticData.OffTarget(s.GtBox, rng),
            s.Answer, items[(i + 1) % 64].Answer)).ToList();
        var objective = new PreferenceObjective(policy, pairs, new DpoConfig { WithAnswer = true }, frozen);
        var sw = Stopwatch.StartNew();
        new Trainer(policy, new TrainerConfig { Steps = steps, BatchSize = 16, LogEvery = steps, WarmupSteps = 1 }, objective).Run();
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        return sw.Elapsed.TotalSeconds / steps;
    }

    private static string GpuName()
    {
        try
        {
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true });
            string name = smi!.StandardOutput.ReadToEnd().Trim();
            smi.WaitForExit();
            return name.Length > 0 ? name : "a CUDA device";
        }
        catch (System.ComponentModel.Win32Exception) { return "a CUDA device"; }
    }
}
