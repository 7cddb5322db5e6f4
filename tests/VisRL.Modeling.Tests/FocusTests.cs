using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public sealed class FocusTests
{
    [Fact]
    public void TheCodeOfABinCenterIsThatLocationTokensCode()
    {
        var c = Tiny.Config;
        using var scope = NewDisposeScope();
        var vocab = Tiny.Floats(CoordinateCode.Vocab(c));
        var centers = Enumerable.Range(0, c.LocationBins).Select(bin => (float)((bin + 0.5) / c.LocationBins)).ToArray();
        var values = Tiny.Floats(CoordinateCode.Values(tensor(centers, [c.LocationBins]), c));
        for (int bin = 0; bin < c.LocationBins; bin++)
            for (int d = 0; d < c.Dim; d++)
                Assert.True(Math.Abs(vocab[(c.FirstLocationToken + bin) * c.Dim + d] - values[bin * c.Dim + d]) < 1e-5, $"bin {bin}, channel {d}");
    }

    [Fact]
    public void TheFocusBoxEntersWhereTurn1sBoxIsPredictedAndNowhereBefore()
    {
        using var m = Tiny.Model(seed: 3);
        var item = Tiny.Scenes[0];
        var sequence = m.Protocol.AnswerTurn(m.GlobalView(item.Image), item.Question, item.GtBox, m.CropView(item.Image, item.GtBox), item.Answer);
        int assistant = sequence.Focus!.AssistantIndex;
        Assert.Equal(m.Tokenizer.AssistantId, sequence.Tokens[assistant]);
        Assert.Equal(m.Tokenizer.BoxRequestId, sequence.Tokens[assistant - 1]);
        Assert.Null(Batch.Build([m.Protocol.NoCot(m.GlobalView(item.Image), item.Question, item.Answer)], m.Config, m.Tokenizer.PadId, CPU).Input.Focus);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = Batch.Build([sequence], m.Config, m.Tokenizer.PadId, CPU).Input;
        var before = m.Model.forward(input)[0];
        // Move the focus head's box: only positions from turn 1's <assistant> on may change.
        m.Model.named_parameters().Single(p => p.name == "focus.box.bias").parameter.add_(tensor(new float[] { 0.4f, 0.3f, -0.2f, 0.5f }));
        var after = m.Model.forward(input)[0];
        float Change(int position) => (before[position] - after[position]).abs().max().item<float>();
        for (int i = 0; i < assistant; i++) Assert.True(Change(i) < 1e-6, $"position {i} (before <assistant> at {assistant}) changed by {Change(i)}");
        for (int k = 0; k < 4; k++) Assert.True(Change(assistant + k) > 1e-3, $"box token {k}'s logits did not follow the focus box");
    }

    [Fact]
    public void AResponseBoxsLogProbCountsItsFocusCellAndAGivenBoxUsesItsCentersCell()
    {
        using var m = Tiny.Model(seed: 6);
        var items = Tiny.Scenes.Take(3).ToList();
        var boxTurns = items.Select(i => m.Protocol.BoxTurn(m.GlobalView(i.Image), i.Question, i.GtBox)).ToList();
        Assert.All(boxTurns.Zip(items), x => Assert.Equal(m.Config.FocusCell(x.Second.GtBox), x.First.Focus!.Cell));
        Assert.Null(m.Protocol.BoxTurn(m.GlobalView(items[0].Image), items[0].Question).Focus!.Cell);

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var withCell = Tiny.Floats(m.SequenceLogProbs(boxTurns));
        var batch = Batch.Build(boxTurns, m.Config, m.Tokenizer.PadId, CPU);
        var tokensOnly = Tiny.Floats(Losses.SequenceLogProbs(m.Model.forward(batch.Input), batch.Targets, batch.ResponseMask));
        var focusLogits = Tiny.Floats(m.Model.FocusLogits(batch.Input));
        int cells = m.Config.PatchGrid * m.Config.PatchGrid;
        for (int r = 0; r < items.Count; r++)
        {
            var row = focusLogits.AsSpan(r * cells, cells).ToArray().Select(x => (double)x).ToArray();
            double max = row.Max(), logSum = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            double expected = row[boxTurns[r].Focus!.Cell!.Value] - logSum;
            Assert.True(Math.Abs(withCell[r] - tokensOnly[r] - expected) < 1e-4, $"row {r}: {withCell[r] - tokensOnly[r]} vs log p(cell) {expected}");
        }

        // Turn 2's answer alone is the response: no cell term.
        var answerTurn = m.Protocol.AnswerTurn(m.GlobalView(items[0].Image), items[0].Question, items[0].GtBox, m.CropView(items[0].Image, items[0].GtBox), items[0].Answer);
        var answerBatch = Batch.Build([answerTurn], m.Config, m.Tokenizer.PadId, CPU);
        Assert.Equal(0f, Tiny.Floats(answerBatch.CellResponse!)[0]);
    }

    [Fact]
    public void TheFocusStageLearnsWhichOfTwoSquaresTheQuestionAsksAbout()
    {
        // 32 px views, a 4×4 cell grid; a red and a blue square at random cells; the question names one.
        var config = Tiny.Config with { ImageSize = 32, FocusDim = 32, FocusHeads = 2, FocusLayers = 1 };
        using var m = Tiny.Model(seed: 4, config);
        var train = TwoSquares(m, 0, 512).Select(x => x.Example).ToList();
        var result = FocusTraining.Run(m, new TrainerConfig { Phase = "focus", Steps = 150, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 10 }, train);
        Assert.True(result.Steps == 150);

        int hits = FocusBoxHits(m, TwoSquares(m, 10_000, 64));
        Assert.True(hits >= 0.9 * 64, $"{hits}/64 focus boxes with IoU > 0.5");
    }

    [Fact]
    public void AnchoredSftAddsTheFocusStagesLossAtTheGivenBoxToTheSequenceLossAndKeepsTheFocusBoxOnTheObject()
    {
        var config = Tiny.Config with { ImageSize = 32, FocusDim = 32, FocusHeads = 2, FocusLayers = 1 };
        using var m = Tiny.Model(seed: 4, config);
        var train = TwoSquares(m, 0, 512);
        var focus = train.Select(x => x.Example).ToList();
        FocusTraining.Run(m, new TrainerConfig { Phase = "focus", Steps = 150, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 10 }, focus);
        var sequences = train.Select(x => m.Protocol.BoxTurn(x.Example.GlobalView, x.Question, x.Example.GtBox)).ToList();
        var anchored = FocusTraining.AnchoredSft(m, sequences, 2.5);

        int[] indices = [3, 17, 40];
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var values = new Dictionary<string, double>();
            double total = anchored.Loss(indices, values).item<float>();
            double sequence = new SequenceObjective(m, sequences).Loss(indices, new Dictionary<string, double>()).item<float>();
            using var plainFocus = new FocusObjective(m, focus, headSeed: 0); // the two squares carry no objects: center + box terms only
            double focusLoss = plainFocus.Loss(indices, new Dictionary<string, double>()).item<float>();
            Assert.True(focusLoss > 0);
            Assert.Equal(sequence + 2.5 * focusLoss, total, 3);
            Assert.Equal(focusLoss, values["sft/focus_loss"], 3);
        }

        new Trainer(m, new TrainerConfig { Phase = "sft", Steps = 150, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 10 }, anchored).Run();
        int hits = FocusBoxHits(m, TwoSquares(m, 10_000, 64));
        Assert.True(hits >= 0.9 * 64, $"after anchored SFT {hits}/64 focus boxes with IoU > 0.5");
    }

    [Fact]
    public void AnchoredSftNeedsSequencesThatGiveTheirBox()
    {
        using var m = Tiny.Model(seed: 4);
        var scenes = Tiny.Scenes.Take(3).ToList();
        var sequences = scenes.Select(i => m.Protocol.BoxTurn(m.GlobalView(i.Image), i.Question, i.GtBox)).ToList();
        sequences[2] = m.Protocol.BoxTurn(m.GlobalView(scenes[2].Image), scenes[2].Question); // a prompt: the model picks the box
        var e = Assert.Throws<ArgumentException>(() => FocusTraining.AnchoredSft(m, sequences, 1.0));
        Assert.Contains("SFT sequence 2 does not give turn 1's box", e.Message);
    }

    /// <summary>How many of <paramref name="test"/>'s focus boxes at the most likely cell fit the asked-about square (IoU &gt; 0.5).</summary>
    private static int FocusBoxHits(VisRLTiny m, IReadOnlyList<(FocusExample Example, string Question)> test)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = Batch.Build([.. test.Select(x => m.Protocol.BoxTurn(x.Example.GlobalView, x.Question))], m.Config, m.Tokenizer.PadId, CPU);
        var f = batch.Input.Focus!;
        var (logits, boxes) = m.Model.Focus(batch.Input.Images!.index_select(0, f.Image), f.Words, f.WordMask, out _);
        var picked = Tiny.Floats(FocusHead.BoxAt(boxes, logits.argmax(1)));
        return Enumerable.Range(0, test.Count).Count(i => BoxIou.Iou(new Box(picked[4 * i], picked[4 * i + 1], picked[4 * i + 2], picked[4 * i + 3]), test[i].Example.GtBox) > 0.5);
    }

    [Fact]
    public void ALongQuestionGivesTheFocusHeadItsLastWordsAndTheDecoderAllOfThem()
    {
        using var m = Tiny.Model(seed: 7);
        var item = Tiny.Scenes[0];
        string question = string.Join(" ", Enumerable.Repeat("what is on the", 5)) + " " + item.Question; // well past FocusWords
        var words = m.Tokenizer.Encode(question);
        Assert.True(words.Length > m.Config.FocusWords);
        var sequence = m.Protocol.BoxTurn(m.GlobalView(item.Image), question, item.GtBox);
        Assert.Equal(words[^m.Config.FocusWords..], sequence.Focus!.Question);
        Assert.True(Enumerable.Range(0, sequence.Length - words.Length + 1).Any(i => sequence.Tokens.AsSpan(i, words.Length).SequenceEqual(words)), "the decoder's prompt holds the whole question");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Assert.True(float.IsFinite(Tiny.Floats(m.SequenceLogProbs([sequence]))[0]));
    }

    [Fact]
    public void TheFocusStageEndsAtTheSameWeightsWhateverLibtorchsGeneratorHeldBefore()
    {
        // A model loaded from a checkpoint leaves the generator wherever the process left it; the
        // attribute head the stage adds must not start from there.
        var config = Tiny.Config with { ImageSize = 32, FocusDim = 32, FocusHeads = 2, FocusLayers = 1 };
        float[] FocusWeightsAfterTraining(long generatorState)
        {
            using var m = Tiny.Model(seed: 3, config);
            var examples = FocusTraining.Examples(m.Protocol, [.. Tiny.Scenes.Select(LabeledScene.From)]);
            Assert.All(examples, e => Assert.NotNull(e.Objects)); // so the attribute head takes part
            manual_seed(generatorState);
            FocusTraining.Run(m, new TrainerConfig { Phase = "focus", Steps = 3, BatchSize = 4, WarmupSteps = 1, Seed = 9 }, examples);
            return FocusWeights(m);
        }
        static float[] FocusWeights(VisRLTiny m) => [.. m.Model.named_parameters().Where(p => FocusTraining.IsFocus(p.name)).SelectMany(p => Tiny.Floats(p.parameter))];

        var first = FocusWeightsAfterTraining(1);
        Assert.Equal(first, FocusWeightsAfterTraining(2));
        using var untrained = Tiny.Model(seed: 3, config);
        Assert.NotEqual(first, FocusWeights(untrained)); // the stage did train
    }

    [Fact]
    public void AModelWithoutAFocusHeadSaysSo()
    {
        using var m = Tiny.Model(seed: 5, Tiny.Config with { FocusDim = 0 });
        var e = Assert.Throws<ArgumentException>(() => FocusTraining.Run(m, new TrainerConfig { Steps = 1 }, [.. TwoSquares(m, 0, 2).Select(x => x.Example)]));
        Assert.Contains("no focus head", e.Message);
    }

    private static List<(FocusExample Example, string Question)> TwoSquares(VisRLTiny m, int seed, int count)
    {
        int size = m.Config.ImageSize, grid = m.Config.PatchGrid, cell = size / grid;
        var examples = new List<(FocusExample, string)>();
        for (int n = 0; n < count; n++)
        {
            var rng = new Random(seed + n);
            var image = RgbImage.Filled(size, size, new Rgb(220, 220, 220));
            int red = rng.Next(grid * grid), blue = (red + 1 + rng.Next(grid * grid - 1)) % (grid * grid);
            Box Paint(int at, Rgb color)
            {
                int x0 = at % grid * cell + rng.Next(cell - 4), y0 = at / grid * cell + rng.Next(cell - 4);
                for (int y = y0; y < y0 + 4; y++)
                    for (int x = x0; x < x0 + 4; x++) image[x, y] = color;
                return new Box((double)x0 / size, (double)y0 / size, (x0 + 4.0) / size, (y0 + 4.0) / size);
            }
            var redBox = Paint(red, new Rgb(225, 60, 55));
            var blueBox = Paint(blue, new Rgb(80, 130, 240));
            bool askRed = rng.Next(2) == 0;
            var question = askRed ? "What character is on the red square?" : "What character is on the blue square?";
            examples.Add((new FocusExample(image, m.Tokenizer.Encode(question), askRed ? redBox : blueBox, null), question));
        }
        return examples;
    }
}
