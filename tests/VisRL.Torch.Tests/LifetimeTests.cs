using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class LifetimeTests
{
    [Fact]
    public void Tensor_used_after_dispose_throws_ObjectDisposedException()
    {
        var t = ones(2, 2);
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.sum());
        Assert.Throws<ObjectDisposedException>(() => t.shape);
        using var other = ones(2, 2);
        Assert.Throws<ObjectDisposedException>(() => other + t);
        Assert.Throws<ObjectDisposedException>(() => cat([other, t]));
        t.Dispose(); // a second dispose is harmless
    }

    [Fact]
    public void Dispose_scope_disposes_what_was_created_inside_it()
    {
        Tensor inner, kept;
        using var outside = ones(3);
        using (var scope = NewDisposeScope())
        {
            inner = outside * 2.0;
            kept = (inner + 1.0).MoveToOuterDisposeScope();
            Assert.Equal(1, scope.Count);
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.False(outside.IsDisposed);
        Assert.Equal([3f, 3f, 3f], kept.ToArray<float>());
        kept.Dispose();
    }

    [Fact]
    public void Nested_scopes_hand_results_outwards()
    {
        Tensor result;
        using (var outer = NewDisposeScope())
        {
            using (NewDisposeScope())
                result = ones(2).MoveToOuterDisposeScope();
            Assert.False(result.IsDisposed);
            Assert.Equal(1, outer.Count);
        }
        Assert.True(result.IsDisposed);
    }

    [Fact]
    public void No_grad_stops_tracking_and_restores_the_previous_mode()
    {
        using var scope = NewDisposeScope();
        var x = ones([2], requires_grad: true);
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            Assert.False((x * 2.0).requires_grad);
        }
        Assert.True(is_grad_enabled());
        Assert.True((x * 2.0).requires_grad);
    }

    [Fact]
    public void Shape_mismatch_raises_TorchException_with_libtorchs_message()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<TorchException>(() => ones(2, 3).matmul(ones(4, 5)));
        Assert.Contains("cannot be multiplied", error.Message);
        Assert.Contains("2x3", error.Message);
        var broadcast = Assert.Throws<TorchException>(() => ones(2, 3) + ones(4));
        Assert.Contains("must match the size", broadcast.Message);
    }

    [Fact]
    public void Dtype_mismatch_raises_TorchException_with_libtorchs_message()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<TorchException>(() => ones(2, 2).matmul(ones([2, 2], int64)));
        // 1.13: "expected scalar type Float but found Long"; 2.x: "... same dtype, but got: float != long int".
        Assert.Contains("float", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("long", error.Message, StringComparison.OrdinalIgnoreCase);
        var index = Assert.Throws<TorchException>(() => ones(3).index_select(0, ones(2)));
        Assert.Contains("index", index.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Error_leaves_the_binding_usable()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<TorchException>(() => ones(2).view(3));
        Assert.Equal(4f, ones(2, 2).sum().item<float>());
    }
}
