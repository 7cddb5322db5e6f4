using VisRL.Imaging;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public sealed class ModelTests
{
    [Fact]
    public void LogitsHaveOneRowPerTokenAndTheMasksFollowThePadding()
    {
        using var m = Tiny.Model();
        var prompts = Tiny.Prompts(m);
        var batch = Batch.Build(prompts, m.Config, m.Tokenizer.PadId, CPU);
        int t = prompts.Max(p => p.Length);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = m.Model.forward(batch.Input);
        Assert.Equal([prompts.Count, t, m.Config.VocabSize], logits.shape);
        Assert.Equal([prompts.Count, 1, t, t], batch.Input.Mask.shape);
        var mask = batch.Input.Mask.to(ScalarType.Byte).ToArray<byte>();
        for (int r = 0; r < prompts.Count; r++)
        {
            int pad = t - prompts[r].Length;
            Assert.Equal(pad, batch.Padding[r]);
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                {
                    bool expected = j == i || (j < i && i >= pad && j >= pad);
                    Assert.Equal(expected, mask[(r * t + i) * t + j] == 1);
                }
        }
        // Image placeholders: ImageTokens per image, all routed to image vectors.
        Assert.Equal(m.Config.ImageTokens, prompts[0].Tokens.Count(x => x == m.Tokenizer.ImageId));
    }

    [Fact]
    public void ASequenceGivesTheSameLogitsAloneAndLeftPaddedInABatch()
    {
        using var m = Tiny.Model(seed: 1);
        var prompts = Tiny.Prompts(m);
        int shortest = Enumerable.Range(0, prompts.Count).MinBy(i => prompts[i].Length);
        Assert.True(prompts.Max(p => p.Length) > prompts[shortest].Length, "the fixture needs prompts of different lengths");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var alone = Tiny.Floats(m.Model.forward(Batch.Build([prompts[shortest]], m.Config, m.Tokenizer.PadId, CPU).Input));
        var batch = Batch.Build(prompts, m.Config, m.Tokenizer.PadId, CPU);
        var all = m.Model.forward(batch.Input);
        var row = Tiny.Floats(all[shortest].narrow(0, batch.Padding[shortest], prompts[shortest].Length));
        Assert.Equal(alone.Length, row.Length);
        for (int i = 0; i < row.Length; i++) Assert.True(Math.Abs(alone[i] - row[i]) < 1e-4, $"logit {i}: {alone[i]} vs {row[i]}");
    }

    [Fact]
    public void ImagesAndTokensOnlyInfluenceLaterPositions()
    {
        using var m = Tiny.Model(seed: 2);
        var item = Tiny.Scenes[0];
        var a = m.Protocol.NoCot(Tiny.Noise(16, 1), item.Question, item.Answer);
        var b = m.Protocol.NoCot(Tiny.Noise(16, 2), item.Question, item.Answer);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var la = Tiny.Floats(m.Model.forward(Batch.Build([a], m.Config, m.Tokenizer.PadId, CPU).Input));
        var lb = Tiny.Floats(m.Model.forward(Batch.Build([b], m.Config, m.Tokenizer.PadId, CPU).Input));
        int v = m.Config.VocabSize, firstImage = Array.IndexOf(a.Tokens, m.Tokenizer.ImageId);
        for (int i = 0; i < firstImage * v; i++) Assert.Equal(la[i], lb[i]);
        double diffAfter = 0;
        for (int i = firstImage * v; i < la.Length; i++) diffAfter += Math.Abs(la[i] - lb[i]);
        Assert.True(diffAfter > 1e-3, "a different image must change the logits from its position on");
    }

    [Fact]
    public void SequenceLogProbsEqualTheSumOfIndependentPerTokenLogSoftmax()
    {
        using var m = Tiny.Model(seed: 3);
        var seqs = Tiny.Scenes.Take(3).Select(i => m.Protocol.AnswerTurn(m.GlobalView(i.Image), i.Question, i.GtBox, m.CropView(i.Image, i.GtBox), i.Answer)).ToList();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var batched = m.SequenceLogProbs(seqs).to(ScalarType.Float64).ToArray<double>();
        for (int s = 0; s < seqs.Count; s++)
        {
            var seq = seqs[s];
            var logits = Tiny.Floats(m.Model.forward(Batch.Build([seq], m.Config, m.Tokenizer.PadId, CPU).Input));
            int v = m.Config.VocabSize;
            double expected = 0;
            int counted = 0;
            for (int pos = 1; pos < seq.Length; pos++)
            {
                if (!seq.Response[pos]) continue;
                var row = logits.AsSpan((pos - 1) * v, v);
                double max = double.NegativeInfinity;
                foreach (float x in row) max = Math.Max(max, x);
                double sum = 0;
                foreach (float x in row) sum += Math.Exp(x - max);
                expected += row[seq.Tokens[pos]] - max - Math.Log(sum);
                counted++;
            }
            Assert.Equal(seq.ResponseCount, counted);
            Assert.True(counted >= 2, "answer + eos");
            Assert.True(Math.Abs(expected - batched[s]) < 1e-3, $"sequence {s}: {expected} vs {batched[s]}");
        }
    }

    [Fact]
    public void CachedAndUncachedGreedyGenerationGiveIdenticalTokens()
    {
        using var m = Tiny.Model(seed: 4);
        var prompts = Tiny.Prompts(m);
        var options = new SamplingOptions { MaxNewTokens = 12, StopToken = m.Tokenizer.PadId };
        var cached = Generation.Generate(m.Model, m.Tokenizer, prompts, [0, 0, 0], options);
        var uncached = Generation.Generate(m.Model, m.Tokenizer, prompts, [0, 0, 0], options with { UseKvCache = false });
        for (int i = 0; i < prompts.Count; i++) Assert.Equal(uncached[i].Tokens, cached[i].Tokens);
        Assert.Contains(cached, r => r.Tokens.Length == 12 || r.Stopped);
    }

    [Fact]
    public void SamplingDependsOnTheRequestSeedNotOnTheBatch()
    {
        using var m = Tiny.Model(seed: 5);
        var prompts = Tiny.Prompts(m);
        var options = new SamplingOptions { MaxNewTokens = 10, Temperature = 2.0, TopK = 50, TopP = 0.98, StopToken = m.Tokenizer.PadId };
        var batch = Generation.Generate(m.Model, m.Tokenizer, prompts, [11, 12, 13], options);
        var alone = Generation.Generate(m.Model, m.Tokenizer, [prompts[1]], [12], options);
        Assert.Equal(alone[0].Tokens, batch[1].Tokens);
        var otherSeed = Generation.Generate(m.Model, m.Tokenizer, [prompts[1]], [99], options);
        Assert.NotEqual(alone[0].Tokens, otherSeed[0].Tokens);
        var topOne = Generation.Generate(m.Model, m.Tokenizer, prompts, [1, 2, 3], options with { TopK = 1 });
        var greedy = Generation.Generate(m.Model, m.Tokenizer, prompts, [1, 2, 3], options with { Temperature = 0 });
        for (int i = 0; i < prompts.Count; i++) Assert.Equal(greedy[i].Tokens, topOne[i].Tokens);
    }

    [Fact]
    public void ConstrainedDecodingAlwaysYieldsAWellFormedBox()
    {
        using var m = Tiny.Model(seed: 6);
        var requests = Tiny.Scenes.Select((i, k) => new BoxRequest(i.Image, i.Question, k)).ToList();
        var boxes = m.GenerateBox(requests, new SamplingOptions { Temperature = 3.0 });
        foreach (var b in boxes)
        {
            Assert.NotNull(b.Box);
            Assert.Equal(4, b.Tokens.Length);
            Assert.True(b.Box!.Value.X2 > b.Box.Value.X1 && b.Box.Value.Y2 > b.Box.Value.Y1);
            Assert.True(VisRL.Imaging.Geometry.BoxParser.Parse(b.Text).Success, b.Text);
        }
        // Unconstrained, an untrained model rarely produces exactly 4 location tokens then <eos>.
        var free = m.GenerateBox(requests, new SamplingOptions { Temperature = 3.0 }, constrained: false);
        Assert.Contains(free, b => b.Box is null);
    }
}
