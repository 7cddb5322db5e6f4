using VisRL.Imaging.Synthetic;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

/// <summary>
/// VisRL-Tiny on a GPU computes what it computes on the CPU. cuDNN's TF32 convolutions are switched
/// off here, so the two differ only by the order of float32 sums.
/// </summary>
public sealed class CudaTests : IDisposable
{
    private readonly CudnnTf32Off _exact = new();

    public void Dispose() => _exact.Dispose();

    [CudaFact]
    public void A_training_pass_gives_the_cpus_loss_and_gradients()
    {
        (float Loss, Dictionary<string, float[]> Gradients) Pass(Device device)
        {
            using var m = Tiny.Model(seed: 3);
            m.Model.to(device);
            using var scope = NewDisposeScope();
            var examples = SyntheticData.SftExamples(m.Protocol, new SyntheticGenerator(seed: 4), 0, 8, seed: 0);
            var batch = Batch.Build(examples, m.Config, m.Tokenizer.PadId, device);
            var loss = Losses.MaskedCrossEntropy(m.Model.forward(batch.Input), batch.Targets, batch.ResponseMask);
            loss.backward();
            // Parameters this pass does not reach (the focus head's, without a box turn) have no gradient.
            return (loss.item<float>(), m.Model.named_parameters().Where(p => p.parameter.grad is not null)
                .ToDictionary(p => p.name, p => Tiny.Floats(p.parameter.grad!)));
        }
        var (cpu, gpu) = (Pass(CPU), Pass(CUDA));
        Assert.Equal(cpu.Loss, gpu.Loss, 1e-4);
        Assert.Equal(cpu.Gradients.Keys.Order(), gpu.Gradients.Keys.Order());
        foreach (var (name, gradient) in cpu.Gradients)
        {
            double scale = gradient.Max(Math.Abs);
            double worst = gradient.Zip(gpu.Gradients[name], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-3 * scale + 1e-7, $"{name}: gradients differ by {worst:G3} (largest {scale:G3})");
        }
    }

    [CudaFact]
    public void A_dpo_stage_ends_where_the_cpus_does()
    {
        var config = new TrainerConfig { Steps = 4, BatchSize = 4, LearningRate = 3e-3, WarmupSteps = 1, LogEvery = 1, Seed = 9 };
        List<TrainingMetrics> Train(Device device)
        {
            using var policy = Tiny.Model(seed: 5);
            using var frozen = Tiny.Model(seed: 5);
            policy.Model.to(device);
            frozen.Model.to(device);
            var metrics = new List<TrainingMetrics>();
            var objective = new PreferenceObjective(policy, PreferenceTests.Pairs(), new DpoConfig { WithAnswer = true, SftWeight = 0.5 }, frozen);
            new Trainer(policy, config, objective) { OnMetrics = metrics.Add }.Run();
            Assert.All(policy.Model.parameters(), p => Assert.Equal(device.type, p.device.type));
            return metrics;
        }
        var (cpu, gpu) = (Train(CPU), Train(CUDA));
        Assert.Equal(config.Steps, gpu.Count);
        string Trace(List<TrainingMetrics> metrics) => string.Join(", ", metrics.Select(m => $"{m.Loss:F5}/{m.Values["rewards/margins"]:F5}"));
        foreach (var (c, g) in cpu.Zip(gpu))
            Assert.True(Math.Abs(c.Loss - g.Loss) <= 1e-3 && Math.Abs(c.Values["rewards/margins"] - g.Values["rewards/margins"]) <= 1e-3,
                $"loss/margin per step: CPU {Trace(cpu)}; GPU {Trace(gpu)}");
    }

    [CudaFact]
    public void Greedy_boxes_are_the_cpus()
    {
        IReadOnlyList<GenerationResult> Generate(Device device)
        {
            using var m = Tiny.Model(seed: 3);
            m.Model.to(device);
            var prompts = Tiny.Prompts(m, count: 8);
            return Generation.Generate(m.Model, m.Tokenizer, prompts, [.. Enumerable.Range(0, 8)],
                SamplingOptions.Greedy with { MaxNewTokens = 5 }, new BoxConstraint(m.Tokenizer));
        }
        var (cpu, gpu) = (Generate(CPU), Generate(CUDA));
        Assert.Equal(cpu.Select(r => string.Join(' ', r.Tokens)), gpu.Select(r => string.Join(' ', r.Tokens)));
    }
}
