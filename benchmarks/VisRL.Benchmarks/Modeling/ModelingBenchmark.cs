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
/// `visrl bench modeling`: VisRL-Tiny at its default shape. (a) Batched greedy generation, tokens/s
/// with and without the KV cache (goal ≥ 10×); (b) SFT training step (two-turn sequences, batch 32):
/// samples/s and achieved GFLOP/s against the measured sgemm peak; (c) the same step in Debian's
/// Python PyTorch (modeling_peer.py, the model written op for op like TinyVlm.cs) on the same
/// libtorch, as a time ratio (goal ≤ 0.8). C# and Python steps alternate in rounds. (d) The Trainer
/// on the demo's SFT shape (the full model, batch 16 as two micro-batches of 8) with its two
/// micro-batches run in turn, then at once, one libtorch and OpenBLAS thread each, as the Trainer
/// service runs; alternating rounds, a time ratio. (e) The two convolutional stacks (the ViT's stem and
/// the focus head's CNN) forward and backward on 16 images, fed NCHW against channels-last as TinyVlm
/// feeds them, a time ratio, and whether outputs and weight gradients are the same bit for bit.
/// </summary>
public static class ModelingBenchmark
{
    private const int TrainBatch = 32, GenBatch = 16, GenTokens = 32;

    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        TorchRuntime.Initialize();
        int threads = TorchRuntime.NumThreads;
        int rounds = ctx.Quick ? 2 : 5, perRound = ctx.Quick ? 2 : 4, warmup = ctx.Quick ? 1 : 2;
        ctx.Progress($"libtorch {TorchRuntime.LibtorchVersion}, {threads} thread(s), OpenBLAS core '{TorchRuntime.BlasCoreName}'");

        // The LLaVA-shaped model the peer builds: the peer has no focus head, so both sides leave it out
        // (it adds its forward and backward, ~0.05 s at batch 16, to an SFT step).
        using var m = VisRLTiny.Create(new ModelConfig { FocusDim = 0 }, seed: 0);
        var c = m.Config;
        var generator = new SyntheticGenerator(seed: 42);
        var sft = SyntheticData.SftExamples(m.Protocol, generator, 0, TrainBatch, 0);
        var batch = Batch.Build(sft, c, m.Tokenizer.PadId, CPU);
        int width = batch.Width;

        // (a) generation
        var items = generator.Generate(100, GenBatch).ToList();
        var prompts = items.Select(i => m.Protocol.BoxTurn(m.GlobalView(i.Image), i.Question)).ToList();
        var seeds = Enumerable.Range(0, GenBatch).ToList();
        var genOptions = new SamplingOptions { MaxNewTokens = GenTokens, StopToken = -1 };
        double GenSeconds(bool cache)
        {
            var sw = Stopwatch.StartNew();
            Generation.Generate(m.Model, m.Tokenizer, prompts, seeds, genOptions with { UseKvCache = cache });
            return sw.Elapsed.TotalSeconds;
        }
        var (cached, uncached) = AlternatingMedians(rounds, () => GenSeconds(true), () => GenSeconds(false),
            r => ctx.Progress($"generation round {r + 1}/{rounds}"));
        double tokens = GenBatch * GenTokens;

        // (b) training step on a prebuilt batch, and with batch building (what the Trainer does)
        using var step = new SftStep(m);
        using var peer = new ModelingPeer(ModelingPeer.DebianPython, ctx.RepositoryRoot, threads, c.ToJson(), TrainBatch, width, 2);
        step.Time(batch, warmup);
        peer.Time(warmup);
        var (cs, csFull, py) = (new List<double>(), new List<double>(), new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            ctx.Progress($"training round {r + 1}/{rounds}");
            cs.AddRange(step.Time(batch, perRound));
            for (int i = 0; i < perRound; i++)
            {
                var sw = Stopwatch.StartNew();
                step.Run(Batch.Build(sft, c, m.Tokenizer.PadId, CPU));
                csFull.Add(sw.Elapsed.TotalSeconds);
            }
            py.AddRange(peer.Time(perRound));
        }
        double peak = TorchRuntime.MeasureMatmulGflops();
        var (inTurn, atOnce) = MicroBatchSeconds(ctx, generator, rounds);
        var layouts = ConvolutionLayouts(ctx, new ModelConfig(), rounds); // with the focus head this section's model leaves out
        double flops = 3 * ForwardFlops(c, TrainBatch, width, 2);
        double csStep = Median(cs), csFullStep = Median(csFull), pyStep = Median(py);
        var numbers = new Dictionary<string, double>
        {
            ["generation_tokens_per_s_cached"] = tokens / cached,
            ["generation_tokens_per_s_uncached"] = tokens / uncached,
            ["generation_cache_speedup"] = uncached / cached,
            ["train_step_ms_binding"] = csStep * 1e3,
            ["train_step_ms_binding_with_batching"] = csFullStep * 1e3,
            ["train_step_ms_python"] = pyStep * 1e3,
            ["train_step_time_ratio"] = csStep / pyStep,
            ["train_samples_per_s"] = TrainBatch / csFullStep,
            ["train_gflops"] = flops / csStep / 1e9,
            ["sgemm_peak_gflops"] = peak,
            ["train_share_of_peak"] = flops / csStep / 1e9 / peak,
            ["threads"] = threads,
            ["micro_batches_in_turn_ms"] = inTurn * 1e3,
            ["micro_batches_at_once_ms"] = atOnce * 1e3,
            ["micro_batches_speedup"] = inTurn / atOnce,
            ["convolutions_nchw_ms"] = layouts.Nchw * 1e3,
            ["convolutions_channels_last_ms"] = layouts.ChannelsLast * 1e3,
            ["convolutions_channels_last_speedup"] = layouts.Nchw / layouts.ChannelsLast,
            ["convolutions_channels_last_identical"] = layouts.Identical ? 1 : 0,
        };
        var ci = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("## VisRL.Modeling: VisRL-Tiny generation and training");
        md.AppendLine();
        md.AppendLine(string.Create(ci, $"libtorch {TorchRuntime.LibtorchVersion} (Python: torch {peer.TorchVersion}), {threads} thread(s), {Environment.ProcessorCount} CPUs visible, load average {LoadAverage()}. Model: image {c.ImageSize} px / patch {c.PatchSize} ({c.PatchGrid * c.PatchGrid} ViT tokens, pooled to {c.ImageTokens} decoder tokens per image), vision d={c.VisionDim}×{c.VisionLayers}, decoder d={c.Dim}×{c.Layers}, vocab {c.VocabSize}. Medians over {rounds} rounds."));
        md.AppendLine();
        md.AppendLine("| measurement | value |");
        md.AppendLine("| --- | ---: |");
        md.AppendLine(string.Create(ci, $"| greedy generation, batch {GenBatch}, {GenTokens} new tokens after a ~{prompts[0].Length}-token prompt, KV cache | {numbers["generation_tokens_per_s_cached"]:F0} tokens/s |"));
        md.AppendLine(string.Create(ci, $"| same without KV cache | {numbers["generation_tokens_per_s_uncached"]:F0} tokens/s |"));
        md.AppendLine(string.Create(ci, $"| KV cache speed-up | **{numbers["generation_cache_speedup"]:F1}×** (goal ≥ 10×) |"));
        md.AppendLine(string.Create(ci, $"| SFT training step, batch {TrainBatch} × {width} tokens, 2 images per row (C#) | {csStep * 1e3:F0} ms ({csFullStep * 1e3:F0} ms with batch building) |"));
        md.AppendLine(string.Create(ci, $"| same step in Python PyTorch | {pyStep * 1e3:F0} ms |"));
        md.AppendLine(string.Create(ci, $"| time ratio C# / Python | **{csStep / pyStep:F2}** (goal ≤ 0.8) |"));
        md.AppendLine(string.Create(ci, $"| training samples/s (with batch building) | {TrainBatch / csFullStep:F1} |"));
        md.AppendLine(string.Create(ci, $"| achieved GFLOP/s vs sgemm peak {peak:F0} GFLOP/s | {flops / csStep / 1e9:F1} ({flops / csStep / 1e9 / peak * 100:F0} %) |"));
        md.AppendLine(string.Create(ci, $"| Trainer step, full model, batch 16 as 2 micro-batches of 8, in turn | {inTurn * 1e3:F0} ms |"));
        md.AppendLine(string.Create(ci, $"| same, the two micro-batches at once (one thread each, {Environment.ProcessorCount} CPUs) | {atOnce * 1e3:F0} ms: **{inTurn / atOnce:F2}×** |"));
        md.AppendLine(string.Create(ci, $"| ViT stem and focus CNN forward + backward, {ConvolutionImages} images fed NCHW | {layouts.Nchw * 1e3:F1} ms |"));
        md.AppendLine(string.Create(ci, $"| same, fed channels-last (as TinyVlm does) | {layouts.ChannelsLast * 1e3:F1} ms: **{layouts.Nchw / layouts.ChannelsLast:F2}×**, outputs and gradients {(layouts.Identical ? "bit-identical" : "DIFFERENT")} |"));
        md.AppendLine();
        md.AppendLine(string.Create(ci, $"FLOPs per step: {flops / 1e9:F2} GFLOP, 3× the forward matmul FLOPs (vision, projector, decoder incl. attention and tied head)."));
        return new BenchmarkReport("modeling", md.ToString(), numbers);
    }

    /// <summary>Median seconds per Trainer step with the two micro-batches in turn and at once (libtorch and OpenBLAS at one thread meanwhile).</summary>
    private static (double InTurn, double AtOnce) MicroBatchSeconds(BenchmarkContext ctx, SyntheticGenerator generator, int rounds)
    {
        int original = TorchRuntime.NumThreads;
        TorchRuntime.SetNumThreads(1);
        try
        {
            using var model = VisRLTiny.Create(new ModelConfig(), seed: 0);
            var examples = SyntheticData.SftExamples(model.Protocol, generator, 1000, 64, 0);
            const int steps = 6;
            var config = new TrainerConfig { Steps = steps, BatchSize = 8, GradAccumulation = 2, LogEvery = steps, WarmupSteps = 1 };
            double Seconds(bool atOnce)
            {
                var sw = Stopwatch.StartNew();
                new Trainer(model, config, examples) { ConcurrentMicroBatches = atOnce }.Run();
                return sw.Elapsed.TotalSeconds / steps;
            }
            return AlternatingMedians(rounds, () => Seconds(false), () => Seconds(true), r => ctx.Progress($"micro-batch round {r + 1}/{rounds}"));
        }
        finally { TorchRuntime.SetNumThreads(original); }
    }

    private const int ConvolutionImages = 16;

    /// <summary>
    /// Median seconds of the ViT's stem and the focus head's CNN (as the config builds them, one thread)
    /// forward and backward with their input in the default NCHW layout and channels-last, and whether
    /// the two give the same outputs and weight gradients bit for bit (TinyVlm's checkpoints rely on it).
    /// </summary>
    private static (double Nchw, double ChannelsLast, bool Identical) ConvolutionLayouts(BenchmarkContext ctx, ModelConfig c, int rounds)
    {
        int original = TorchRuntime.NumThreads;
        TorchRuntime.SetNumThreads(1);
        try
        {
            manual_seed(0);
            var stacks = new[] { c.StemConvolutions(), c.FocusConvolutions() }
                .Select(layers => layers.Select(s => nn.Conv2d(s.In, s.Out, s.Kernel, stride: s.Stride, padding: s.Padding)).ToList()).ToList();
            var parameters = stacks.SelectMany(stack => stack.SelectMany(conv => conv.parameters())).ToList();
            using var images = randn(ConvolutionImages, 3, c.ImageSize, c.ImageSize);
            // Forward and backward; the outputs and gradients as floats when asked (outside the timed passes).
            float[]? Pass(bool channelsLast, bool read = false)
            {
                using var scope = NewDisposeScope();
                foreach (var p in parameters) p.grad = null;
                var input = channelsLast ? images.contiguous_channels_last() : images;
                var outputs = stacks.Select(stack => stack.Aggregate(input, (x, conv) => nn.functional.max_pool2d(conv.call(x), [2, 2]).relu())).ToList();
                (outputs[0].square().sum() + outputs[1].square().sum()).backward();
                return read ? [.. outputs.SelectMany(o => o.ToArray<float>()), .. parameters.SelectMany(p => p.grad!.ToArray<float>())] : null;
            }
            bool identical = Pass(false, read: true)!.AsSpan().SequenceEqual(Pass(true, read: true));
            double Seconds(bool channelsLast)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 4; i++) Pass(channelsLast);
                return sw.Elapsed.TotalSeconds / 4;
            }
            var (nchw, channelsLastSeconds) = AlternatingMedians(rounds, () => Seconds(false), () => Seconds(true), r => ctx.Progress($"layout round {r + 1}/{rounds}"));
            foreach (var conv in stacks.SelectMany(stack => stack)) conv.Dispose();
            return (nchw, channelsLastSeconds, identical);
        }
        finally { TorchRuntime.SetNumThreads(original); }
    }

    /// <summary>Multiply-add FLOPs of one forward pass (matmuls, convolutions, attention, head).</summary>
    public static double ForwardFlops(ModelConfig c, int batch, int width, int imagesPerRow)
    {
        double grid = c.PatchGrid, n = grid * grid, pooled = c.ImageTokens, images = batch * imagesPerRow;
        double block(double d, double t) => 2 * t * (4 * d * d + 2 * c.MlpRatio * d * d) + 2 * 2 * t * t * d;
        double stem = StemFlops(c);
        double vision = images * (stem + c.VisionLayers * block(c.VisionDim, n) + 2 * pooled * (c.VisionDim * c.Dim + c.Dim * c.Dim));
        double decoder = batch * (c.Layers * block(c.Dim, width) + 2.0 * width * c.Dim * c.VocabSize);
        return vision + decoder;
    }

    /// <summary>Multiply-add FLOPs of one image through the ViT's convolutional stem.</summary>
    private static double StemFlops(ModelConfig c)
    {
        double flops = 0;
        int side = c.ImageSize;
        foreach (var conv in c.StemConvolutions())
        {
            side = (side + 2 * conv.Padding - conv.Kernel) / conv.Stride + 1;
            flops += 2.0 * side * side * conv.Out * conv.In * conv.Kernel * conv.Kernel;
            if (conv.PoolAfter) side /= 2;
        }
        return flops;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "unknown"; }
    }
}
