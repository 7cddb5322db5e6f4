using VisRL.Torch;

namespace VisRL.Modeling;

/// <summary>What a <see cref="Trainer"/> minimises: the loss of one micro-batch of example indices.</summary>
public interface ITrainingObjective
{
    /// <summary>How many examples there are to draw from.</summary>
    int Count { get; }

    /// <summary>
    /// The micro-batch's loss (a scalar with gradients); adds the objective's own values (means over the
    /// micro-batch) to <paramref name="values"/>. The Trainer may call it from two threads at once (a
    /// step's two micro-batches), so it must leave shared state alone.
    /// </summary>
    Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values);

    /// <summary>The weights to train (with any heads of the objective's own); null trains the whole model.</summary>
    IReadOnlyList<Tensor>? Parameters => null;
}

/// <summary>
/// Supervised training: the masked cross-entropy of the sequences' response tokens (a response box's
/// focus cell counts as one), plus with <paramref name="focusWeight"/> &gt; 0 that weight × the focus
/// stage's loss at each sequence's given box — −log p(its cell) + L1 of that cell's box, in cells —
/// from the same forward (anchored SFT: make it with <see cref="FocusTraining.AnchoredSft"/>).
/// </summary>
public sealed class SequenceObjective(VisRLTiny model, IReadOnlyList<TokenSequence> examples, double focusWeight = 0) : ITrainingObjective
{
    public int Count => examples.Count;

    public Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values)
    {
        var batch = Batch.Build([.. indices.Select(i => examples[i])], model.Config, model.Tokenizer.PadId, model.Model.Device);
        var logits = model.Model.forward(batch.Input, null, out var cells, out var boxes);
        var loss = Losses.MaskedCrossEntropy(logits, batch.Targets, batch.ResponseMask, cells, batch.CellResponse);
        if (focusWeight <= 0) return loss;
        var anchor = -cells!.mean() + (boxes! - batch.Input.Focus!.Box).abs().mean() * model.Config.PatchGrid;
        values["sft/focus_loss"] = anchor.item<float>(); // not "focus/loss": the focus stage reports that
        return loss + anchor * focusWeight;
    }
}
