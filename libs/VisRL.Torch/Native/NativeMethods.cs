using System.Runtime.InteropServices;

namespace VisRL.Torch.Native;

/// <summary>
/// P/Invoke surface of libvisrl_torch. Functions returning <c>int</c> return a status (0 = ok);
/// <see cref="Check"/> turns a failure into a <see cref="TorchException"/> carrying libtorch's
/// message. The static constructor installs the library resolver, which fixes the process
/// environment (OPENBLAS_CORETYPE) before libtorch is loaded.
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Library = "visrl_torch";

    static NativeMethods() => NativeLibraryLoader.Register();

    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(LastError());
    }

    internal static string LastError() => Marshal.PtrToStringUTF8(vt_last_error()) ?? "unknown libtorch error";

    [LibraryImport(Library)] internal static partial IntPtr vt_last_error();
    [LibraryImport(Library)] internal static partial void vt_free(IntPtr tensor);
    [LibraryImport(Library)] internal static partial IntPtr vt_version();
    [LibraryImport(Library)] internal static partial int vt_cuda_is_available();
    [LibraryImport(Library)] internal static partial int vt_cuda_device_count();
    [LibraryImport(Library)] internal static partial int vt_cuda_synchronize();
    [LibraryImport(Library)] internal static partial int vt_cudnn_allow_tf32(int allow);
    [LibraryImport(Library)] internal static partial int vt_set_num_threads(int n);
    [LibraryImport(Library)] internal static partial int vt_get_num_threads();
    [LibraryImport(Library)] internal static partial IntPtr vt_blas_core_name();
    [LibraryImport(Library)] internal static partial int vt_manual_seed(ulong seed);
    [LibraryImport(Library)] internal static partial long vt_kept_cpu_memory();
    [LibraryImport(Library)] internal static partial int vt_set_grad_enabled(int enabled);
    [LibraryImport(Library)] internal static partial int vt_is_grad_enabled();

    [LibraryImport(Library)] internal static partial int vt_create(int kind, long* shape, int ndim, double value, int dtype, int devType, int devIndex, int requiresGrad, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_randint(long low, long high, long* shape, int ndim, int dtype, int devType, int devIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_arange(double start, double end, double step, int dtype, int devType, int devIndex, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, out IntPtr result);

    [LibraryImport(Library)] internal static partial int vt_dim(TensorHandle t);
    [LibraryImport(Library)] internal static partial void vt_shape(TensorHandle t, long* buffer);
    [LibraryImport(Library)] internal static partial long vt_numel(TensorHandle t);
    [LibraryImport(Library)] internal static partial int vt_dtype(TensorHandle t);
    [LibraryImport(Library)] internal static partial void vt_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Library)] internal static partial int vt_requires_grad(TensorHandle t);
    [LibraryImport(Library)] internal static partial int vt_set_requires_grad(TensorHandle t, int value);
    [LibraryImport(Library)] internal static partial int vt_is_contiguous(TensorHandle t);
    [LibraryImport(Library)] internal static partial int vt_copy_to(TensorHandle t, void* destination, long nbytes);
    [LibraryImport(Library)] internal static partial int vt_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial int vt_to(TensorHandle t, int dtype, int devType, int devIndex, int copy, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_set_data(TensorHandle destination, TensorHandle source);

    [LibraryImport(Library)] internal static partial int vt_backward(TensorHandle t, TensorHandle grad, int retainGraph);
    [LibraryImport(Library)] internal static partial int vt_grad(TensorHandle t, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Library)] internal static partial int vt_clip_grad_norm(IntPtr* parameters, int count, double maxNorm, double normType, out double totalNorm);

    [LibraryImport(Library)] internal static partial int vt_unary(int op, TensorHandle a, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_binary(int op, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_binary_scalar(int op, TensorHandle a, double scalar, int isIntegral, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_inplace(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial int vt_inplace_scalar(int op, TensorHandle a, double scalar, int isIntegral);
    [LibraryImport(Library)] internal static partial int vt_clamp(TensorHandle a, int hasMin, double min, int hasMax, double max, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_where(TensorHandle condition, TensorHandle a, TensorHandle b, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_masked_fill(TensorHandle a, TensorHandle mask, double value, out IntPtr result);

    [LibraryImport(Library)] internal static partial int vt_reduce(int op, TensorHandle a, long* dims, int ndim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_arg_reduce(int op, TensorHandle a, int hasDim, long dim, int keepdim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_max_dim(TensorHandle a, long dim, int keepdim, int isMin, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int vt_topk(TensorHandle a, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int vt_sort(TensorHandle a, long dim, int descending, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial int vt_cumsum(TensorHandle a, long dim, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_softmax(int kind, TensorHandle a, long dim, out IntPtr result);

    [LibraryImport(Library)] internal static partial int vt_shape_op(int op, TensorHandle a, long* args, int nargs, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_index_op(int op, TensorHandle a, long dim, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_scatter(TensorHandle a, long dim, TensorHandle index, TensorHandle source, int add, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_index(TensorHandle a, TensorHandle index, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_index_put(TensorHandle a, TensorHandle index, TensorHandle values, int accumulate);
    [LibraryImport(Library)] internal static partial int vt_cat(IntPtr* tensors, int count, long dim, int stack, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_split(TensorHandle a, long size, long dim, int chunks, IntPtr* outputs, int capacity, out int count);

    [LibraryImport(Library)] internal static partial int vt_linear(TensorHandle x, TensorHandle weight, TensorHandle bias, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_layer_norm(TensorHandle x, long* shape, int ndim, TensorHandle weight, TensorHandle bias, double eps, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_dropout(TensorHandle x, double p, int train, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_conv2d(TensorHandle x, TensorHandle weight, TensorHandle bias, long* stride, long* padding, long* dilation, long groups, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_max_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_sdpa(TensorHandle q, TensorHandle k, TensorHandle v, TensorHandle mask, double dropoutP, int isCausal, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_cross_entropy(TensorHandle logits, TensorHandle target, TensorHandle weight, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_mse_loss(TensorHandle input, TensorHandle target, int reduction, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_multinomial(TensorHandle probs, long numSamples, int replacement, out IntPtr result);

    [LibraryImport(Library)] internal static partial int vt_adamw_new(IntPtr* parameters, int* groups, int count, double* weightDecays, int groupCount, double lr, double beta1, double beta2, double eps, int amsgrad, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_adamw_step(OptimizerHandle optimizer);
    [LibraryImport(Library)] internal static partial int vt_adamw_zero_grad(OptimizerHandle optimizer);
    [LibraryImport(Library)] internal static partial int vt_adamw_set_lr(OptimizerHandle optimizer, double lr);
    [LibraryImport(Library)] internal static partial double vt_adamw_get_lr(OptimizerHandle optimizer);
    [LibraryImport(Library)] internal static partial int vt_adamw_get_state(OptimizerHandle optimizer, int index, int kind, out long step, out IntPtr result);
    [LibraryImport(Library)] internal static partial int vt_adamw_set_state(OptimizerHandle optimizer, int index, long step, TensorHandle expAvg, TensorHandle expAvgSq, TensorHandle maxExpAvgSq);
    [LibraryImport(Library)] internal static partial void vt_adamw_free(IntPtr optimizer);
}
