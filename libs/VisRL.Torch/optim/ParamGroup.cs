namespace VisRL.Torch.Optimizers;

/// <summary>Parameters that share a weight decay (e.g. matrices decayed, biases and norms not).</summary>
public sealed record ParamGroup(IEnumerable<Tensor> Parameters, double WeightDecay);
