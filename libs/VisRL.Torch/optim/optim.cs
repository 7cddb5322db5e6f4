using VisRL.Torch.Optimizers;

namespace VisRL.Torch;

public static partial class torch
{
    public static class optim
    {
        /// <summary>AdamW with PyTorch's defaults (weight decay 0.01).</summary>
        public static Optimizers.AdamW AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, double weight_decay = 0.01, bool amsgrad = false) =>
            new([new ParamGroup(parameters, weight_decay)], lr, beta1, beta2, eps, amsgrad);

        /// <summary>AdamW over parameter groups with their own weight decay; lr, betas and eps are shared.</summary>
        public static Optimizers.AdamW AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
            double eps = 1e-8, bool amsgrad = false) =>
            new(groups.ToList(), lr, beta1, beta2, eps, amsgrad);

        public static class lr_scheduler
        {
            public static CosineWithWarmup CosineWithWarmup(Optimizers.AdamW optimizer, long warmupSteps, long totalSteps, double minRatio = 0.0) =>
                new(optimizer, warmupSteps, totalSteps, minRatio);
        }
    }
}
