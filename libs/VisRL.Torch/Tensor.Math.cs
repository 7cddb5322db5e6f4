using VisRL.Torch.Native;

namespace VisRL.Torch;

public sealed unsafe partial class Tensor
{
    internal Tensor Unary(UnaryOp op) => Wrap(NativeMethods.vt_unary((int)op, Handle, out var r), r);
    internal Tensor Binary(BinaryOp op, Tensor other) => Wrap(NativeMethods.vt_binary((int)op, Handle, other.Handle, out var r), r);
    internal Tensor Binary(BinaryOp op, double scalar) => Wrap(NativeMethods.vt_binary_scalar((int)op, Handle, scalar, 0, out var r), r);
    internal Tensor Binary(BinaryOp op, long scalar) => Wrap(NativeMethods.vt_binary_scalar((int)op, Handle, scalar, 1, out var r), r);

    // ----- element-wise -----------------------------------------------------------------------

    public Tensor neg() => Unary(UnaryOp.Neg);
    public Tensor exp() => Unary(UnaryOp.Exp);
    public Tensor log() => Unary(UnaryOp.Log);
    public Tensor log1p() => Unary(UnaryOp.Log1p);
    public Tensor expm1() => Unary(UnaryOp.Expm1);
    public Tensor sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor abs() => Unary(UnaryOp.Abs);
    public Tensor sign() => Unary(UnaryOp.Sign);
    public Tensor square() => Unary(UnaryOp.Square);
    public Tensor sin() => Unary(UnaryOp.Sin);
    public Tensor cos() => Unary(UnaryOp.Cos);
    public Tensor tanh() => Unary(UnaryOp.Tanh);
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor relu() => Unary(UnaryOp.Relu);
    public Tensor floor() => Unary(UnaryOp.Floor);
    public Tensor ceil() => Unary(UnaryOp.Ceil);
    public Tensor round() => Unary(UnaryOp.Round);
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot);
    public Tensor isnan() => Unary(UnaryOp.IsNan);
    public Tensor isfinite() => Unary(UnaryOp.IsFinite);

    /// <summary>A new tensor with the same data, still part of the autograd graph.</summary>
    public Tensor clone() => Unary(UnaryOp.Clone);

    /// <summary>A view of the same data outside the autograd graph.</summary>
    public Tensor detach() => Unary(UnaryOp.Detach);

    public Tensor contiguous() => Unary(UnaryOp.Contiguous);

    /// <summary>
    /// The same (N, C, H, W) tensor stored channels-last (NHWC strides). libtorch's CPU convolutions and
    /// pooling skip their layout reorders on it: same values, faster steps (ModelingBenchmark measures it).
    /// </summary>
    public Tensor contiguous_channels_last() => Unary(UnaryOp.ChannelsLast);

    public Tensor add(Tensor other) => Binary(BinaryOp.Add, other);
    public Tensor add(double other) => Binary(BinaryOp.Add, other);
    public Tensor sub(Tensor other) => Binary(BinaryOp.Sub, other);
    public Tensor sub(double other) => Binary(BinaryOp.Sub, other);
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor mul(double other) => Binary(BinaryOp.Mul, other);
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor div(double other) => Binary(BinaryOp.Div, other);
    public Tensor pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor remainder(long other) => Binary(BinaryOp.Remainder, other);
    public Tensor floor_divide(long other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor matmul(Tensor other) => Binary(BinaryOp.Matmul, other);
    public Tensor bmm(Tensor other) => Binary(BinaryOp.Bmm, other);
    public Tensor maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor logical_and(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Binary(BinaryOp.LogicalOr, other);

    public Tensor eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor eq(double other) => Binary(BinaryOp.Eq, other);
    public Tensor ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor ne(double other) => Binary(BinaryOp.Ne, other);
    public Tensor lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor lt(double other) => Binary(BinaryOp.Lt, other);
    public Tensor le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor le(double other) => Binary(BinaryOp.Le, other);
    public Tensor gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor gt(double other) => Binary(BinaryOp.Gt, other);
    public Tensor ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor ge(double other) => Binary(BinaryOp.Ge, other);

    /// <summary>Limits every element to [min, max]; a null bound is open.</summary>
    public Tensor clamp(double? min = null, double? max = null) =>
        Wrap(NativeMethods.vt_clamp(Handle, min.HasValue ? 1 : 0, min ?? 0, max.HasValue ? 1 : 0, max ?? 0, out var r), r);

    public Tensor clamp_min(double min) => clamp(min, null);
    public Tensor clamp_max(double max) => clamp(null, max);

    public Tensor masked_fill(Tensor mask, double value) =>
        Wrap(NativeMethods.vt_masked_fill(Handle, mask.Handle, value, out var r), r);

    /// <summary>Elements of this tensor where <paramref name="condition"/> holds, else of <paramref name="other"/>.</summary>
    public Tensor where(Tensor condition, Tensor other) => torch.where(condition, this, other);

    // ----- in place (used for parameter updates and caches; not for tensors autograd needs) ----

    private Tensor Inplace(InplaceOp op, Tensor other)
    {
        NativeMethods.Check(NativeMethods.vt_inplace((int)op, Handle, other.Handle));
        return this;
    }

    private Tensor Inplace(InplaceOp op, double value, bool integral)
    {
        NativeMethods.Check(NativeMethods.vt_inplace_scalar((int)op, Handle, value, integral ? 1 : 0));
        return this;
    }

    public Tensor add_(Tensor other) => Inplace(InplaceOp.Add, other);
    public Tensor add_(double other) => Inplace(InplaceOp.Add, other, false);
    public Tensor sub_(Tensor other) => Inplace(InplaceOp.Sub, other);
    public Tensor mul_(Tensor other) => Inplace(InplaceOp.Mul, other);
    public Tensor mul_(double other) => Inplace(InplaceOp.Mul, other, false);
    public Tensor div_(Tensor other) => Inplace(InplaceOp.Div, other);
    public Tensor div_(double other) => Inplace(InplaceOp.Div, other, false);
    public Tensor copy_(Tensor source) => Inplace(InplaceOp.Copy, source);
    public Tensor fill_(double value) => Inplace(InplaceOp.Fill, value, false);
    public Tensor zero_() => Inplace(InplaceOp.Fill, 0, true);

    // ----- reductions -------------------------------------------------------------------------

    private Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool keepdim)
    {
        fixed (long* p = dims)
            return Wrap(NativeMethods.vt_reduce((int)op, Handle, p, dims.Length, keepdim ? 1 : 0, out var r), r);
    }

    public Tensor sum() => Reduce(ReduceOp.Sum, default, false);
    public Tensor sum(long dim, bool keepdim = false) => Reduce(ReduceOp.Sum, [dim], keepdim);
    public Tensor sum(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Sum, dims, keepdim);
    public Tensor mean() => Reduce(ReduceOp.Mean, default, false);
    public Tensor mean(long dim, bool keepdim = false) => Reduce(ReduceOp.Mean, [dim], keepdim);
    public Tensor mean(long[] dims, bool keepdim = false) => Reduce(ReduceOp.Mean, dims, keepdim);
    public Tensor prod() => Reduce(ReduceOp.Prod, default, false);
    public Tensor prod(long dim, bool keepdim = false) => Reduce(ReduceOp.Prod, [dim], keepdim);
    public Tensor std() => Reduce(ReduceOp.Std, default, false);
    public Tensor std(long dim, bool keepdim = false) => Reduce(ReduceOp.Std, [dim], keepdim);
    public Tensor var() => Reduce(ReduceOp.Var, default, false);
    public Tensor var(long dim, bool keepdim = false) => Reduce(ReduceOp.Var, [dim], keepdim);
    public Tensor norm() => Reduce(ReduceOp.Norm, default, false);
    public Tensor norm(long dim, bool keepdim = false) => Reduce(ReduceOp.Norm, [dim], keepdim);
    public Tensor logsumexp(long dim, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, [dim], keepdim);
    public Tensor all() => Reduce(ReduceOp.All, default, false);
    public Tensor any() => Reduce(ReduceOp.Any, default, false);
    public Tensor amax(long dim, bool keepdim = false) => Reduce(ReduceOp.Amax, [dim], keepdim);
    public Tensor amin(long dim, bool keepdim = false) => Reduce(ReduceOp.Amin, [dim], keepdim);

    /// <summary>The largest element.</summary>
    public Tensor max() => Reduce(ReduceOp.Amax, default, false);

    /// <summary>The smallest element.</summary>
    public Tensor min() => Reduce(ReduceOp.Amin, default, false);

    /// <summary>Largest values along a dimension and where they are.</summary>
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
    {
        NativeMethods.Check(NativeMethods.vt_max_dim(Handle, dim, keepdim ? 1 : 0, 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false)
    {
        NativeMethods.Check(NativeMethods.vt_max_dim(Handle, dim, keepdim ? 1 : 0, 1, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax() => Wrap(NativeMethods.vt_arg_reduce(0, Handle, 0, 0, 0, out var r), r);
    public Tensor argmax(long dim, bool keepdim = false) => Wrap(NativeMethods.vt_arg_reduce(0, Handle, 1, dim, keepdim ? 1 : 0, out var r), r);
    public Tensor argmin() => Wrap(NativeMethods.vt_arg_reduce(1, Handle, 0, 0, 0, out var r), r);
    public Tensor argmin(long dim, bool keepdim = false) => Wrap(NativeMethods.vt_arg_reduce(1, Handle, 1, dim, keepdim ? 1 : 0, out var r), r);

    public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        NativeMethods.Check(NativeMethods.vt_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false)
    {
        NativeMethods.Check(NativeMethods.vt_sort(Handle, dim, descending ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor cumsum(long dim) => Wrap(NativeMethods.vt_cumsum(Handle, dim, out var r), r);

    public Tensor softmax(long dim) => Wrap(NativeMethods.vt_softmax(0, Handle, dim, out var r), r);
    public Tensor log_softmax(long dim) => Wrap(NativeMethods.vt_softmax(1, Handle, dim, out var r), r);
}
