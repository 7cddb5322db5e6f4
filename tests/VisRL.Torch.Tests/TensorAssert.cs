namespace VisRL.Torch.Tests;

internal static class TensorAssert
{
    /// <summary>Same shape, same dtype and every element within atol + rtol·|expected|.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-4, string? what = null)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(expected.dtype, actual.dtype);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (var i = 0; i < e.Length; i++)
        {
            var tolerance = atol + rtol * Math.Abs(e[i]);
            var bothInfinite = double.IsInfinity(e[i]) && e[i] == a[i];
            if (!bothInfinite && !(Math.Abs(e[i] - a[i]) <= tolerance))
                Assert.Fail($"{what ?? "tensor"}: element {i} is {a[i]}, expected {e[i]} (tolerance {tolerance})");
        }
    }
}
