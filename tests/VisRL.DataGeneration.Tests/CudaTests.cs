using VisRL.Contracts.V1;
using VisRL.Modeling;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.DataGeneration.Tests;

/// <summary>
/// A Sampler or Critic replica on a GPU worker produces the CPU's candidates and scores: sampling
/// draws in C# from each item's own generator, so only the logits move to the GPU.
/// </summary>
public sealed class CudaTests : IDisposable
{
    // TF32 convolutions (cuDNN's default) would move the logits by ~1e-3 and, now and then, a draw.
    private readonly CudnnTf32Off _exact = new();

    public void Dispose() => _exact.Dispose();

    [CudaFact]
    public void The_sampler_and_the_critic_give_the_cpus_candidates_and_scores()
    {
        (IReadOnlyList<SampledCandidate> Candidates, IReadOnlyList<CriticResult> Scores) Run(Device device)
        {
            using var model = Tiny.Model(seed: 2);
            model.Model.to(device);
            var items = Tiny.SampleItems(3);
            var candidates = new CandidateSampler(model).Sample(items, new SamplingSettings());
            var scene = items.ToDictionary(i => i.ItemId);
            var inputs = candidates.Select((c, n) => new CriticInput(n, scene[c.ItemId].Scene, scene[c.ItemId].Question,
                Tiny.Items[(int)(c.ItemId - 100)].Answer, c.Box, c.Answer, c.ItemId)).ToList();
            return (candidates, new SelfCritic(model).Score(inputs, useBoxCritic: true));
        }
        var (cpu, gpu) = (Run(CPU), Run(CUDA));
        var differing = cpu.Candidates.Zip(gpu.Candidates).Where(p => (p.First.BoxText, p.First.Answer) != (p.Second.BoxText, p.Second.Answer))
            .Select(p => $"item {p.First.ItemId} attempt {p.First.Attempt} {p.First.Kind}: CPU {p.First.BoxText} '{p.First.Answer}' ({p.First.BoxLogProb:F4}), GPU {p.Second.BoxText} '{p.Second.Answer}' ({p.Second.BoxLogProb:F4})").ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} of {cpu.Candidates.Count} candidates differ: {string.Join("; ", differing)}");
        foreach (var (c, g) in cpu.Candidates.Zip(gpu.Candidates))
        {
            Assert.Equal(c.BoxLogProb ?? 0, g.BoxLogProb ?? 0, 0.01);
            Assert.Equal(c.AnswerLogProb ?? 0, g.AnswerLogProb ?? 0, 0.01);
        }
        foreach (var (c, g) in cpu.Scores.Zip(gpu.Scores))
        {
            Assert.Equal(c.AnswerScore ?? -1, g.AnswerScore ?? -1, 0.002);
            Assert.Equal(c.BoxScore ?? -1, g.BoxScore ?? -1, 0.002);
        }
    }
}
