using VisRL.Torch.Native;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public void OpenBlas_core_type_follows_the_cpu_unless_the_user_chose_one()
    {
        var coreType = TorchRuntime.OpenBlasCoreType;
        if (TorchRuntime.OpenBlasCoreTypeFromUser)
        {
            Assert.Equal(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE"), coreType);
            return;
        }
        string? expected = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "SkylakeX"
            : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "Haswell" : null;
        Assert.Equal(expected, coreType);
        Assert.Equal(expected, Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE"));
    }

    [Fact]
    public void OpenBlas_runs_the_kernel_that_was_asked_for()
    {
        var name = TorchRuntime.BlasCoreName;
        if (name.Length == 0) return; // libtorch's BLAS is not OpenBLAS: nothing to misdetect
        Assert.NotNull(TorchRuntime.OpenBlasCoreType);
        Assert.Equal(TorchRuntime.OpenBlasCoreType!, name, ignoreCase: true);
    }

    [Fact]
    public void Version_and_cuda_queries_answer()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", TorchRuntime.LibtorchVersion);
        Assert.Equal(TorchRuntime.CudaDeviceCount > 0, cuda.is_available());
    }

    [Fact]
    public void The_cudnn_tf32_switch_holds_what_was_set()
    {
        bool original = TorchRuntime.CudnnAllowTf32;
        try
        {
            TorchRuntime.CudnnAllowTf32 = !original;
            Assert.Equal(!original, TorchRuntime.CudnnAllowTf32);
        }
        finally { TorchRuntime.CudnnAllowTf32 = original; }
        Assert.Equal(original, TorchRuntime.CudnnAllowTf32);
    }

    [Fact]
    public void Synchronizing_cuda_without_a_gpu_is_an_error_that_says_so()
    {
        if (cuda.is_available())
        {
            cuda.synchronize();
            return;
        }
        var error = Assert.Throws<TorchException>(cuda.synchronize);
        Assert.Contains("CUDA", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Thread_count_can_be_set_per_process()
    {
        var original = TorchRuntime.NumThreads;
        try
        {
            TorchRuntime.SetNumThreads(1);
            Assert.Equal(1, TorchRuntime.NumThreads);
            TorchRuntime.SetNumThreads(2);
            Assert.Equal(2, get_num_threads());
        }
        finally
        {
            TorchRuntime.SetNumThreads(original);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.SetNumThreads(0));
    }

    [Fact]
    public void Matmul_gflops_measurement_is_positive_and_finite()
    {
        var gflops = TorchRuntime.MeasureMatmulGflops(n: 256, repeats: 3);
        Assert.True(gflops > 0 && double.IsFinite(gflops), $"{gflops}");
    }

    [Fact]
    public void Core_type_choice_is_null_only_without_avx2()
    {
        var choice = NativeLibraryLoader.CoreTypeForThisCpu();
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, choice is not null);
    }
}
