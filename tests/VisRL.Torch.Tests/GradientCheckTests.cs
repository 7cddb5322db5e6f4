using static VisRL.Torch.torch;
using F = VisRL.Torch.torch.nn.functional;

namespace VisRL.Torch.Tests;

/// <summary>
/// Autograd against central finite differences, in float64, for every differentiable op the
/// models use. The loss is Σ f(x)·w with irregular fixed weights w, so every output element's
/// gradient path counts.
/// </summary>
public sealed class GradientCheckTests
{
    private static Tensor D(long[] shape, double phase, double scale = 1.0) => Values.Double(shape, phase, scale);

    private static readonly Dictionary<string, (long[] Shape, Func<Tensor, Tensor> F, double Scale, double Offset)> Cases = new()
    {
        ["add_broadcast"] = ([3, 4], x => x + D([4], 0.3), 1, 0),
        ["mul_broadcast"] = ([3, 4], x => x * D([3, 1], 0.3), 1, 0),
        ["div"] = ([3, 4], x => D([3, 4], 0.9) / x, 0.5, 2.0),
        ["matmul_left"] = ([3, 4], x => x.matmul(D([4, 5], 0.2)), 1, 0),
        ["matmul_right"] = ([4, 5], x => D([3, 4], 0.2).matmul(x), 1, 0),
        ["bmm"] = ([2, 3, 4], x => x.bmm(D([2, 4, 2], 0.6)), 1, 0),
        ["linear_input"] = ([2, 3], x => F.linear(x, D([4, 3], 0.1), D([4], 0.5)), 1, 0),
        ["linear_weight"] = ([4, 3], w => F.linear(D([2, 3], 0.1), w, D([4], 0.5)), 1, 0),
        ["linear_bias"] = ([4], b => F.linear(D([2, 3], 0.1), D([4, 3], 0.7), b), 1, 0),
        ["layer_norm_input"] = ([2, 5], x => F.layer_norm(x, [5], D([5], 0.4, 0.5) + 1.0, D([5], 0.8)), 1, 0),
        ["layer_norm_weight"] = ([5], w => F.layer_norm(D([2, 5], 0.4), [5], w, D([5], 0.8)), 1, 0),
        ["gelu"] = ([3, 4], x => F.gelu(x), 2, 0),
        ["gelu_tanh"] = ([3, 4], x => F.gelu(x, "tanh"), 2, 0),
        ["silu"] = ([3, 4], x => F.silu(x), 2, 0),
        ["relu"] = ([3, 4], x => F.relu(x), 1, 0),
        ["tanh"] = ([3, 4], x => x.tanh(), 1, 0),
        ["sigmoid"] = ([3, 4], x => x.sigmoid(), 2, 0),
        ["logsigmoid"] = ([3, 4], x => F.logsigmoid(x), 3, 0),
        ["exp"] = ([3, 4], x => x.exp(), 1, 0),
        ["log"] = ([3, 4], x => x.log(), 0.5, 1.5),
        ["sqrt"] = ([3, 4], x => x.sqrt(), 0.5, 1.5),
        ["pow"] = ([3, 4], x => x.pow(3.0), 1, 0),
        ["softmax"] = ([2, 5], x => x.softmax(-1), 2, 0),
        ["log_softmax"] = ([2, 5], x => x.log_softmax(-1), 2, 0),
        ["logsumexp"] = ([2, 5], x => x.logsumexp(-1), 2, 0),
        ["sum_mean"] = ([3, 4], x => x.sum(0) + x.mean(1).sum(), 1, 0),
        ["clamp"] = ([3, 4], x => x.clamp(-0.5, 0.5), 1, 0),
        ["sdpa_causal_q"] = ([1, 2, 4, 3], q => F.scaled_dot_product_attention(q, D([1, 2, 4, 3], 0.5), D([1, 2, 4, 3], 0.9), is_causal: true), 1, 0),
        ["sdpa_causal_k"] = ([1, 2, 4, 3], k => F.scaled_dot_product_attention(D([1, 2, 4, 3], 0.1), k, D([1, 2, 4, 3], 0.9), is_causal: true), 1, 0),
        ["sdpa_causal_v"] = ([1, 2, 4, 3], v => F.scaled_dot_product_attention(D([1, 2, 4, 3], 0.1), D([1, 2, 4, 3], 0.5), v, is_causal: true), 1, 0),
        ["embedding_weight"] = ([6, 3], w => F.embedding(tensor(new long[] { 1, 4, 4, 0, 5 }, [5]), w), 1, 0),
        ["conv2d_input"] = ([1, 2, 4, 4], x => F.conv2d(x, D([3, 2, 2, 2], 0.3), D([3], 0.2), stride: [2, 2]), 1, 0),
        ["conv2d_weight"] = ([3, 2, 2, 2], w => F.conv2d(D([1, 2, 4, 4], 0.7), w, null, stride: [2, 2]), 1, 0),
        ["max_pool2d"] = ([1, 2, 4, 4], x => F.max_pool2d(x, [2, 2]), 1, 0),
        ["cross_entropy_ignore"] = ([4, 5], x => F.cross_entropy(x, tensor(new long[] { 2, -100, 0, 4 }, [4])), 2, 0),
        ["gather_log_probs"] = ([2, 3, 5], x => x.log_softmax(-1).gather(2, tensor(new long[] { 1, 0, 4, 2, 2, 3 }, [2, 3, 1])), 2, 0),
        ["masked_fill"] = ([3, 4], x => x.masked_fill(D([3, 4], 0.3).gt(0.2), 0.0), 1, 0),
        ["where"] = ([3, 4], x => where(D([3, 4], 0.3).gt(0.0), x * 2.0, x.exp()), 1, 0),
        ["cat_narrow"] = ([2, 3], x => cat([x, x * x], 1).narrow(1, 2, 3), 1, 0),
        ["reshape_permute_transpose"] = ([2, 3, 4], x => x.reshape(4, 6).transpose(0, 1).reshape(2, 3, 4).permute(2, 0, 1) * D([4, 2, 3], 0.5), 1, 0),
        ["index_select"] = ([4, 3], x => x.index_select(0, tensor(new long[] { 3, 1, 3 }, [3])), 1, 0),
        ["unsqueeze_expand"] = ([3], x => x.unsqueeze(0).expand(2, 3) * D([2, 3], 0.4), 1, 0),
        ["tril"] = ([4, 4], x => x.tril(), 1, 0),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Autograd_matches_finite_differences(string name)
    {
        using var scope = NewDisposeScope();
        var (shape, f, scale, offset) = Cases[name];
        var x0 = Values.Wave(shape.Aggregate(1L, (a, b) => a * b), 0.17, scale).Select(v => v + offset).ToArray();

        var x = tensor(x0, shape, requires_grad: true);
        var y = f(x);
        var weights = Values.Double(y.shape, 1.234);
        (y * weights).sum().backward();
        var analytic = x.grad!.ToArray<double>();

        double Loss(double[] values)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return (f(tensor(values, shape)) * weights).sum().item<double>();
        }

        const double h = 1e-6;
        for (var i = 0; i < x0.Length; i++)
        {
            var plus = (double[])x0.Clone();
            var minus = (double[])x0.Clone();
            plus[i] += h;
            minus[i] -= h;
            var numeric = (Loss(plus) - Loss(minus)) / (2 * h);
            var tolerance = 1e-6 + 1e-5 * Math.Abs(numeric);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance,
                $"{name}: d/dx[{i}] autograd {analytic[i]}, finite difference {numeric}");
        }
    }
}
