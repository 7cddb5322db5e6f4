using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

/// <summary>Deterministic, irregular test values (no RNG, so failures reproduce exactly).</summary>
internal static class Values
{
    public static double[] Wave(long count, double phase, double scale = 1.0) =>
        Enumerable.Range(0, (int)count).Select(i => Math.Sin(i * 0.731 + phase) * scale).ToArray();

    public static Tensor Double(long[] shape, double phase, double scale = 1.0) =>
        tensor(Wave(shape.Aggregate(1L, (a, b) => a * b), phase, scale), shape);

    public static Tensor Float(long[] shape, double phase, double scale = 1.0) =>
        tensor(Wave(shape.Aggregate(1L, (a, b) => a * b), phase, scale).Select(v => (float)v).ToArray(), shape);
}
