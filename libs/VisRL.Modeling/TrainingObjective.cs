using VisRL.Torch;

namespace VisRL.Modeling;

/// <summary>What a <see cref="Trainer"/> minimises: the loss of one micro-batch of example indices.</summary>
public interface ITrainingObjective
{
    /// <summary>How many examples there are to draw from.</summary>
    int Count { get; }

    /// <summary>The micro-batch's loss (a scalar with gradients); adds the objective's own values (means over the micro-batch) to <paramref name="values"/>.</summary>
    Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values);

    /// <summary>The weights to train (with any heads of the objective's own); null trains the whole model.</summary>
    IReadOnlyList<Tensor>? Parameters => null;
}

/// <summary>Supervised training: the masked cross-entropy of the sequences' response tokens (a response box's focus cell counts as one).</summary>
public sealed class SequenceObjective(VisRLTiny model, IReadOnlyList<TokenSequence> examples) : ITrainingObjective
{
    public int Count => examples.Count;

    public Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values)
    {
        var batch = Batch.Build([.. indices.Select(i => examples[i])], model.Config, model.Tokenizer.PadId, model.Model.Device);
        var logits = model.Model.forward(batch.Input, null, out var cells);
        return Losses.MaskedCrossEntropy(logits, batch.Targets, batch.ResponseMask, cells, batch.CellResponse);
    }
}
