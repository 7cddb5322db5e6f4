using VisRL.Torch.Native;

namespace VisRL.Torch;

public sealed unsafe partial class Tensor
{
    private Tensor ShapeOp(ShapeOp op, ReadOnlySpan<long> args)
    {
        fixed (long* p = args)
            return Wrap(NativeMethods.vt_shape_op((int)op, Handle, p, args.Length, out var r), r);
    }

    public Tensor reshape(params long[] shape) => ShapeOp(Native.ShapeOp.Reshape, shape);
    public Tensor view(params long[] shape) => ShapeOp(Native.ShapeOp.View, shape);
    public Tensor permute(params long[] dims) => ShapeOp(Native.ShapeOp.Permute, dims);
    public Tensor expand(params long[] shape) => ShapeOp(Native.ShapeOp.Expand, shape);
    public Tensor repeat(params long[] repeats) => ShapeOp(Native.ShapeOp.Repeat, repeats);
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => ShapeOp(Native.ShapeOp.Flatten, [start_dim, end_dim]);
    public Tensor transpose(long dim0, long dim1) => ShapeOp(Native.ShapeOp.Transpose, [dim0, dim1]);

    /// <summary>The last two dimensions swapped (matrix transpose).</summary>
    public Tensor mT => transpose(-2, -1);

    public Tensor narrow(long dim, long start, long length) => ShapeOp(Native.ShapeOp.Narrow, [dim, start, length]);

    /// <summary>Elements start, start+step, ... before end along dim (Python's <c>t[..., start:end:step]</c>).</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => ShapeOp(Native.ShapeOp.Slice, [dim, start, end, step]);

    /// <summary>The sub-tensor at one index of a dimension, which is removed.</summary>
    public Tensor select(long dim, long index) => ShapeOp(Native.ShapeOp.Select, [dim, index]);

    public Tensor this[long index] => select(0, index);

    public Tensor unsqueeze(long dim) => ShapeOp(Native.ShapeOp.Unsqueeze, [dim]);
    public Tensor squeeze() => ShapeOp(Native.ShapeOp.Squeeze, default);
    public Tensor squeeze(long dim) => ShapeOp(Native.ShapeOp.Squeeze, [dim]);
    public Tensor tril(long diagonal = 0) => ShapeOp(Native.ShapeOp.Tril, [diagonal]);
    public Tensor triu(long diagonal = 0) => ShapeOp(Native.ShapeOp.Triu, [diagonal]);

    public Tensor index_select(long dim, Tensor index) => Wrap(NativeMethods.vt_index_op(0, Handle, dim, index.Handle, out var r), r);
    public Tensor gather(long dim, Tensor index) => Wrap(NativeMethods.vt_index_op(1, Handle, dim, index.Handle, out var r), r);

    public Tensor scatter(long dim, Tensor index, Tensor source) =>
        Wrap(NativeMethods.vt_scatter(Handle, dim, index.Handle, source.Handle, 0, out var r), r);

    public Tensor scatter_add(long dim, Tensor index, Tensor source) =>
        Wrap(NativeMethods.vt_scatter(Handle, dim, index.Handle, source.Handle, 1, out var r), r);

    /// <summary>Python's <c>t[index]</c> with an integer or boolean index tensor.</summary>
    public Tensor index(Tensor index) => Wrap(NativeMethods.vt_index(Handle, index.Handle, out var r), r);

    /// <summary>Python's <c>t[index] = values</c> (or <c>+=</c> when accumulating), in place.</summary>
    public Tensor index_put_(Tensor index, Tensor values, bool accumulate = false)
    {
        NativeMethods.Check(NativeMethods.vt_index_put(Handle, index.Handle, values.Handle, accumulate ? 1 : 0));
        return this;
    }

    public Tensor[] split(long split_size, long dim = 0) => Split(split_size, dim, chunks: false);
    public Tensor[] chunk(long chunks, long dim = 0) => Split(chunks, dim, chunks: true);

    private Tensor[] Split(long size, long dim, bool chunks)
    {
        var length = this.size((int)dim);
        var capacity = (int)(chunks ? size : (length + size - 1) / Math.Max(size, 1));
        capacity = Math.Max(capacity, 1);
        var outputs = new IntPtr[capacity];
        int count;
        fixed (IntPtr* p = outputs)
            NativeMethods.Check(NativeMethods.vt_split(Handle, size, dim, chunks ? 1 : 0, p, capacity, out count));
        var result = new Tensor[count];
        for (var i = 0; i < count; i++) result[i] = new Tensor(outputs[i]);
        return result;
    }
}
