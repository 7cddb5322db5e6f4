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

    /// <summary>
    /// The same with the focus cell of each response box counted as one more response token:
    /// <paramref name="cellLogProbs"/> (B) log p(cell), <paramref name="cellResponse"/> (B) 1 where it counts.
    /// </summary>
    public static Tensor MaskedCrossEntropy(Tensor logits, Tensor targets, Tensor responseMask, Tensor? cellLogProbs, Tensor? cellResponse)
    {
        if (cellLogProbs is null || cellResponse is null) return MaskedCrossEntropy(logits, targets, responseMask);
        var count = (responseMask.sum() + cellResponse.sum()).clamp_min(1.0);
        return -((TokenLogProbs(logits, targets) * responseMask).sum() + (cellLogProbs * cellResponse).sum()) / count;
    }

    /// <summary><see cref="SequenceLogProbs(Tensor, Tensor, Tensor)"/> plus log p(focus cell) where the box is a response: the box's latent first step.</summary>
    public static Tensor SequenceLogProbs(Tensor logits, Tensor targets, Tensor responseMask, Tensor? cellLogProbs, Tensor? cellResponse)
    {
        var tokens = SequenceLogProbs(logits, targets, responseMask);
        return cellLogProbs is null || cellResponse is null ? tokens : tokens + cellLogProbs * cellResponse;
    }

    /// <summary>Sigmoid DPO loss, mean over pairs: -log σ(β·((π_w − ref_w) − (π_l − ref_l))).</summary>
    public static Tensor Dpo(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta = 0.1) =>
        DpoWithRewards(policyChosen, policyRejected, referenceChosen, referenceRejected, beta).Loss;

    /// <summary>
    /// Sigmoid DPO with the implicit rewards TRL reports: chosen = β·(π_w − ref_w), rejected =
    /// β·(π_l − ref_l) per pair (detached), loss = mean −log σ(chosen − rejected).
    /// </summary>
    public static DpoTerms DpoWithRewards(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected, double beta = 0.1)
    {
        var chosen = (policyChosen - referenceChosen) * beta;
        var rejected = (policyRejected - referenceRejected) * beta;
        return new DpoTerms(-nn.functional.logsigmoid(chosen - rejected).mean(), chosen.detach(), rejected.detach());
    }
}

/// <summary>A DPO term: the loss (with gradients) and the per-pair implicit rewards (detached).</summary>
public sealed record DpoTerms(Tensor Loss, Tensor ChosenRewards, Tensor RejectedRewards)
{
    /// <summary>TRL's metrics: rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins (means over pairs).</summary>
    public IEnumerable<KeyValuePair<string, double>> Metrics(string prefix)
    {
        yield return new($"{prefix}rewards/chosen", ChosenRewards.mean().item<float>());
        yield return new($"{prefix}rewards/rejected", RejectedRewards.mean().item<float>());
        yield return new($"{prefix}rewards/accuracies", ChosenRewards.gt(RejectedRewards).to(ScalarType.Float32).mean().item<float>());
        yield return new($"{prefix}rewards/margins", (ChosenRewards - RejectedRewards).mean().item<float>());
    }
}
