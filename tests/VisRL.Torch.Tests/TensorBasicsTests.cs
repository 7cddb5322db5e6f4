using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

/// <summary>Creation, conversion and data access, checked against values known by construction.</summary>
public sealed class TensorBasicsTests
{
    [Fact]
    public void Creation_functions_fill_as_documented()
    {
        using var scope = NewDisposeScope();
        Assert.Equal([0f, 0f, 0f, 0f], zeros(2, 2).ToArray<float>());
        Assert.Equal([1f, 1f, 1f], ones(3).ToArray<float>());
        Assert.Equal([7.5, 7.5], full([2], 7.5, float64).ToArray<double>());
        Assert.Equal([2L, 5L, 8L], arange(2, 10, 3).ToArray<long>());
        Assert.Equal(int64, arange(4).dtype);
        Assert.Equal([0f, 0.5f, 1f], arange(0.0, 1.5, 0.5).ToArray<float>());
        var r = rand(1000).ToArray<float>();
        Assert.All(r, v => Assert.InRange(v, 0f, 1f));
        var n = randn(20000);
        Assert.InRange(n.mean().item<float>(), -0.05f, 0.05f);
        Assert.InRange(n.std().item<float>(), 0.95f, 1.05f);
        var ints = randint(3, 6, [500]).ToArray<long>();
        Assert.All(ints, v => Assert.InRange(v, 3L, 5L));
    }

    [Fact]
    public void Shape_dtype_and_device_are_reported()
    {
        using var scope = NewDisposeScope();
        var t = zeros([2, 3, 4], bfloat16);
        Assert.Equal([2L, 3L, 4L], t.shape);
        Assert.Equal(3, t.dim());
        Assert.Equal(24, t.numel());
        Assert.Equal(4, t.size(-1));
        Assert.Equal(bfloat16, t.dtype);
        Assert.Equal(Device.CPU, t.device);
    }

    [Fact]
    public void Conversions_between_dtypes_round_values_like_ieee()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0f, 1.0009765625f, 3.14159f, 65504f });
        Assert.Equal([1f, 1.0009765625f, 3.140625f, 65504f], x.to(float16).ToArray<float>());
        Assert.Equal([1f, 1f, 3.140625f, 65536f], x.to(bfloat16).ToArray<float>());
        Assert.Equal([1L, 1L, 3L, 65504L], x.to(int64).ToArray<long>());
        Assert.Equal([true, false, true], tensor(new[] { 2f, 0f, -1f }).to(ScalarType.Bool).ToArray<bool>());
        Assert.Equal((Half)1.5f, tensor(new[] { 1.5f }).to(float16).item<Half>());
    }

    [Fact]
    public void Item_converts_and_requires_one_element()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(6L, tensor(new[] { 6.7f }).item<long>());
        Assert.Equal(6.5, tensor(new long[] { 6 }).item<double>() + 0.5);
        Assert.Throws<InvalidOperationException>(() => ones(2).item<float>());
    }

    [Fact]
    public void Integer_scalars_keep_integer_dtype()
    {
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3 });
        Assert.Equal(int64, (ids + 1).dtype);
        Assert.Equal([2L, 3L, 4L], (ids + 1).ToArray<long>());
        Assert.Equal(float32, (ids * 0.5).dtype);
        Assert.Equal([0.5f, 1f, 1.5f], (ids / 2).ToArray<float>()); // true division, as Python's /
        Assert.Equal([0L, 1L, 1L], ids.floor_divide(2).ToArray<long>());
    }

    [Fact]
    public void Backward_accumulates_gradients_computed_by_hand()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
        (x * x).sum().backward();                  // d/dx Σx² = 2x
        Assert.Equal([2f, 4f, 6f], x.grad!.ToArray<float>());
        (x * 3.0).sum().backward();                 // accumulates +3
        Assert.Equal([5f, 7f, 9f], x.grad!.ToArray<float>());
        x.zero_grad();
        Assert.Null(x.grad);
        Assert.False(x.detach().requires_grad);
    }

    [Fact]
    public void Clip_grad_norm_scales_to_the_maximum()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 3f, 0f }, requires_grad: true);
        var b = tensor(new[] { 4f }, requires_grad: true);
        (a * a / 2.0).sum().backward();             // grad a = (3, 0)
        (b * b / 2.0).sum().backward();             // grad b = (4)   → joint norm 5
        var norm = nn.utils.clip_grad_norm_([a, b], max_norm: 1.0);
        Assert.Equal(5.0, norm, 5);
        Assert.Equal(0.6f, a.grad!.ToArray<float>()[0], 4);
        Assert.Equal(0.8f, b.grad!.ToArray<float>()[0], 4);
    }

    [Fact]
    public void Multinomial_follows_the_probabilities_and_the_seed()
    {
        using var scope = NewDisposeScope();
        var probs = tensor(new[] { 0.1f, 0.0f, 0.6f, 0.3f });
        manual_seed(7);
        var first = multinomial(probs, 20000, replacement: true).ToArray<long>();
        manual_seed(7);
        var second = multinomial(probs, 20000, replacement: true).ToArray<long>();
        Assert.Equal(first, second);
        Assert.DoesNotContain(1L, first);
        Assert.InRange(first.Count(v => v == 2) / 20000.0, 0.58, 0.62);
        Assert.InRange(first.Count(v => v == 3) / 20000.0, 0.28, 0.32);
        var rows = multinomial(tensor(new[] { 0f, 1f, 1f, 0f }, [2, 2]), 1).ToArray<long>();
        Assert.Equal([1L, 0L], rows);
    }

    [Fact]
    public void Dropout_zeroes_a_share_p_and_scales_the_rest()
    {
        using var scope = NewDisposeScope();
        var x = ones(100_000);
        var y = nn.functional.dropout(x, p: 0.3, training: true).ToArray<float>();
        Assert.InRange(y.Count(v => v == 0f) / 100_000.0, 0.29, 0.31);
        Assert.All(y.Where(v => v != 0f), v => Assert.Equal(1f / 0.7f, v, 5));
        Assert.Equal(x.ToArray<float>(), nn.functional.dropout(x, p: 0.3, training: false).ToArray<float>());
    }

    [Fact]
    public void View_shares_storage_and_refuses_incompatible_strides()
    {
        using var scope = NewDisposeScope();
        var t = arange(6).to(float32);
        var v = t.view(2, 3);
        v.select(1, 0).fill_(-1);                  // writes through the view
        Assert.Equal([-1f, 1f, 2f, -1f, 4f, 5f], t.ToArray<float>());
        var error = Assert.Throws<TorchException>(() => v.transpose(0, 1).view(6));
        Assert.Contains("view", error.Message);
    }

    [Fact]
    public void Split_chunk_and_index_put()
    {
        using var scope = NewDisposeScope();
        var parts = arange(7).split(3);
        Assert.Equal(3, parts.Length);
        Assert.Equal([6L], parts[2].ToArray<long>());
        Assert.Equal(2, arange(8).reshape(2, 4).chunk(2, 1).Length);
        var t = zeros([4]);
        t.index_put_(tensor(new long[] { 1, 3 }), tensor(new[] { 5f, 6f }));
        Assert.Equal([0f, 5f, 0f, 6f], t.ToArray<float>());
        Assert.Equal([5f, 6f], t.index(t.gt(0)).ToArray<float>());
    }

    [Fact]
    public void Channels_last_changes_the_layout_and_not_a_convolution_stack_or_its_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var images = randn(4, 3, 16, 16);
        var weights = new[] { (randn(8, 3, 5, 5) * 0.2).requires_grad_(), (randn(16, 8, 3, 3) * 0.2).requires_grad_() };
        (Tensor Output, float[][] Gradients) Run(Tensor input)
        {
            foreach (var w in weights) w.grad = null;
            var x = input;
            foreach (var w in weights) x = nn.functional.max_pool2d(nn.functional.conv2d(x, w, padding: [w.size(2) / 2, w.size(2) / 2]), [2, 2]).relu();
            x.square().sum().backward();
            return (x, [.. weights.Select(w => w.grad!.ToArray<float>())]);
        }

        var channelsLast = images.contiguous_channels_last();
        Assert.False(channelsLast.is_contiguous()); // NHWC strides: not the default layout…
        Assert.Equal(images.ToArray<float>(), channelsLast.ToArray<float>()); // …the same values
        Assert.True(channelsLast.contiguous().is_contiguous());

        var (nchw, nchwGradients) = Run(images);
        var (nhwc, nhwcGradients) = Run(channelsLast);
        if (TorchRuntime.LibtorchVersion.StartsWith("1.", StringComparison.Ordinal))
        {
            // Bit for bit on Debian's libtorch 1.13: TinyVlm's checkpoints and demo numbers rely on it.
            Assert.Equal(nchw.ToArray<float>(), nhwc.ToArray<float>());
            for (int i = 0; i < weights.Length; i++) Assert.Equal(nchwGradients[i], nhwcGradients[i]);
            return;
        }
        // libtorch 2.11 (pip, on a GPU worker) rounds the two layouts' kernels differently: ~1e-7 relative.
        TensorAssert.Close(nchw, nhwc, atol: 1e-4, rtol: 1e-5);
        for (int i = 0; i < weights.Length; i++) TensorAssert.Close(tensor(nchwGradients[i]), tensor(nhwcGradients[i]), atol: 1e-3, rtol: 1e-5);
    }
}
