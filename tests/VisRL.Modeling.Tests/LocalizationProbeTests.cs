using VisRL.Imaging.Geometry;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public class LocalizationProbeTests
{
    [Fact]
    public void Single_square_box_encloses_exactly_the_red_pixels()
    {
        var scene = LocalizationProbe.SingleSquare(3);
        int size = scene.Image.Width;
        var (minX, minY, maxX, maxY) = (size, size, -1, -1);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (scene.Image.Pixels[(y * size + x) * 3] == 225)
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
        var expected = Box.FromPixels(minX - 2, minY - 2, maxX + 1 + 2, maxY + 1 + 2, size, size);
        Assert.Equal(expected, scene.GtBox);
        Assert.InRange(maxX - minX + 1, 36, 52);
        Assert.Equal(scene.GtBox, LocalizationProbe.SingleSquare(3).GtBox);
        Assert.NotEqual(scene.GtBox, LocalizationProbe.SingleSquare(4).GtBox);
    }

    [Fact]
    public void Marginal_entropy_matches_hand_computed_values()
    {
        Assert.Equal(Math.Log(2), LocalizationProbe.MarginalEntropy([0, 0, 1, 1]), 12);
        Assert.Equal(0, LocalizationProbe.MarginalEntropy([5, 5, 5]), 12);
        Assert.Equal(-(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25)), LocalizationProbe.MarginalEntropy([1, 1, 1, 9]), 12);
    }

    [Fact]
    public void First_token_nll_is_the_prompt_only_log_softmax_of_x1()
    {
        using var m = Tiny.Model(seed: 5, Tiny.Config with { FocusDim = 0 }); // the probe's model: the decoder alone
        var scenes = Tiny.Scenes.Take(3).Select(LabeledScene.From).ToList();
        double expected = 0;
        foreach (var s in scenes)
        {
            using var noGrad = no_grad();
            var prompt = m.Protocol.BoxTurn(m.GlobalView(s.Image), s.Question);
            var logits = m.Model.forward(Batch.Build([prompt], m.Config, m.Tokenizer.PadId, m.Model.Device).Input);
            var last = logits.select(1, prompt.Length - 1).log_softmax(-1).squeeze(0);
            expected -= last[m.Tokenizer.EncodeBox(s.GtBox)[0]].item<float>();
        }
        Assert.Equal(expected / scenes.Count, LocalizationProbe.FirstTokenNll(m, scenes), 4);
    }
}
