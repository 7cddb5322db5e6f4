using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>Pure loss functions over next-token logits; prompt and padding are excluded by the response mask.</summary>
public static class Losses
{
    /// <summary>
    /// log p(target) at every position: logits (B, T, V) of the model's output, of which the first
    /// T-1 positions predict <paramref name="targets"/> (B, T-1). Returns (B, T-1).
    /// </summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor targets)
    {
        var t = targets.size(1);
        var predicting = logits.narrow(1, 0, t);
        return predicting.log_softmax(-1).gather(2, targets.unsqueeze(2)).squeeze(2);
    }

    /// <summary>Σ over response tokens of log p(token) for each sequence: (B). The quantity DPO needs.</summary>
    public static Tensor SequenceLogProbs(Tensor logits, Tensor targets, Tensor responseMask) =>
        (TokenLogProbs(logits, targets) * responseMask).sum(1);

    /// <summary>Mean cross-entropy over the response tokens of the whole batch (each token weighs the same).</summary>
    public static Tensor MaskedCrossEntropy(Tensor logits, Tensor targets, Tensor responseMask)
    {
        var count = responseMask.sum().clamp_min(1.0);
        return -(TokenLogProbs(logits, targets) * responseMask).sum() / count;
    }

    /// <summary>Sigmoid DPO loss, mean over pairs: -log σ(β·((π_w − ref_w) − (π_l − ref_l))).</summary>
    public static Tensor Dpo(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta = 0.1)
    {
        var margin = (policyChosen - referenceChosen) - (policyRejected - referenceRejected);
        return -nn.functional.logsigmoid(margin * beta).mean();
    }
}
