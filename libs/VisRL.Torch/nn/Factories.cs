using VisRL.Torch.Modules;

namespace VisRL.Torch;

public static partial class torch
{
    public static partial class nn
    {
        // Factory methods in TorchSharp's style: `nn.Linear(256, 1024)`.
        public static Modules.Linear Linear(long inputSize, long outputSize, bool hasBias = true) => new(inputSize, outputSize, hasBias);
        public static Modules.Embedding Embedding(long count, long dimensions, long? padding_idx = null) => new(count, dimensions, padding_idx);
        public static Modules.LayerNorm LayerNorm(long normalizedSize, double eps = 1e-5, bool elementwise_affine = true) => new([normalizedSize], eps, elementwise_affine);
        public static Modules.LayerNorm LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwise_affine = true) => new(normalizedShape, eps, elementwise_affine);
        public static Modules.Dropout Dropout(double p = 0.5) => new(p);
        public static ModuleList<T> ModuleList<T>(params IEnumerable<T> modules) where T : Module => new(modules);
        public static Conv2d Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true) =>
            new(inChannels, outChannels, kernelSize, stride, padding, bias);
    }
}
