using VisRL.Torch.Native;

namespace VisRL.Torch;

public static unsafe partial class torch
{
    public static partial class nn
    {
        /// <summary>Loss reductions, with libtorch's codes.</summary>
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        /// <summary>Stateless neural-network functions, as <c>torch.nn.functional</c>.</summary>
        public static class functional
        {
            public static Tensor relu(Tensor x) => x.relu();
            public static Tensor sigmoid(Tensor x) => x.sigmoid();
            public static Tensor tanh(Tensor x) => x.tanh();
            public static Tensor logsigmoid(Tensor x) => x.Unary(UnaryOp.LogSigmoid);
            public static Tensor silu(Tensor x) => x.Unary(UnaryOp.Silu);

            /// <summary>GELU; <paramref name="approximate"/> "tanh" selects the tanh approximation (GPT-2).</summary>
            public static Tensor gelu(Tensor x, string approximate = "none") => approximate switch
            {
                "none" => x.Unary(UnaryOp.Gelu),
                "tanh" => x.Unary(UnaryOp.GeluTanh),
                _ => throw new ArgumentException($"approximate must be 'none' or 'tanh', not '{approximate}'", nameof(approximate)),
            };

            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                Tensor.Wrap(NativeMethods.vt_linear(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, out var r), r);

            /// <summary>Rows of <paramref name="weight"/> at <paramref name="input"/>; rows at <paramref name="padding_idx"/> get no gradient.</summary>
            public static Tensor embedding(Tensor input, Tensor weight, long? padding_idx = null) =>
                Tensor.Wrap(NativeMethods.vt_embedding(weight.Handle, input.Handle, padding_idx ?? -1, out var r), r);

            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                fixed (long* shape = normalized_shape)
                    return Tensor.Wrap(NativeMethods.vt_layer_norm(input.Handle, shape, normalized_shape.Length,
                        weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null, eps, out var r), r);
            }

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) =>
                Tensor.Wrap(NativeMethods.vt_dropout(input.Handle, p, training ? 1 : 0, out var r), r);

            public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null, long[]? padding = null, long[]? dilation = null, long groups = 1)
            {
                ReadOnlySpan<long> s = stride ?? [1, 1], p = padding ?? [0, 0], d = dilation ?? [1, 1];
                if (s.Length != 2 || p.Length != 2 || d.Length != 2) throw new ArgumentException("conv2d takes two values for stride, padding and dilation");
                fixed (long* sp = s)
                fixed (long* pp = p)
                fixed (long* dp = d)
                    return Tensor.Wrap(NativeMethods.vt_conv2d(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, sp, pp, dp, groups, out var r), r);
            }

            /// <summary>Maximum over <paramref name="kernel_size"/> windows of (N, C, H, W); the stride defaults to the kernel.</summary>
            public static Tensor max_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null)
            {
                ReadOnlySpan<long> k = kernel_size, s = stride ?? kernel_size, p = padding ?? [0, 0];
                if (k.Length != 2 || s.Length != 2 || p.Length != 2) throw new ArgumentException("max_pool2d takes two values for kernel, stride and padding");
                fixed (long* kp = k)
                fixed (long* sp = s)
                fixed (long* pp = p)
                    return Tensor.Wrap(NativeMethods.vt_max_pool2d(input.Handle, kp, sp, pp, out var r), r);
            }

            /// <summary>
            /// softmax(q·kᵀ/√E + mask)·v over (..., L, E) queries and (..., S, E) keys and values.
            /// A boolean <paramref name="attn_mask"/> marks positions that may be attended; a float one is
            /// added. <paramref name="is_causal"/> applies the top-left aligned lower-triangular mask
            /// (as PyTorch 2.x), so a decoding step with a KV cache passes false.
            /// </summary>
            public static Tensor scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask = null, double dropout_p = 0.0, bool is_causal = false) =>
                Tensor.Wrap(NativeMethods.vt_sdpa(query.Handle, key.Handle, value.Handle, attn_mask?.Handle ?? TensorHandle.Null, dropout_p, is_causal ? 1 : 0, out var r), r);

            /// <summary>Cross entropy of (N, C) or (N, C, d...) logits against class indexes; targets equal to <paramref name="ignore_index"/> do not count.</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean, double label_smoothing = 0.0) =>
                Tensor.Wrap(NativeMethods.vt_cross_entropy(input.Handle, target.Handle, weight?.Handle ?? TensorHandle.Null, (int)reduction, ignore_index, label_smoothing, out var r), r);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.Wrap(NativeMethods.vt_mse_loss(input.Handle, target.Handle, (int)reduction, out var r), r);
        }
    }
}
