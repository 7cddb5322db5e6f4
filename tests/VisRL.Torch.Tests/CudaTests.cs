using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class CudaTests
{
    [CudaFact]
    public void Tensors_move_to_the_gpu_and_back()
    {
        using var scope = NewDisposeScope();
        var x = Values.Float([3, 4], 0.3);
        var onGpu = x.cuda();
        Assert.Equal(DeviceType.CUDA, onGpu.device.type);
        Assert.Equal(x.ToArray<float>(), onGpu.cpu().ToArray<float>());
        Assert.Equal(x.ToArray<float>(), onGpu.ToArray<float>());
    }

    [CudaFact]
    public void Gpu_matmul_and_attention_match_the_cpu()
    {
        using var scope = NewDisposeScope();
        var a = Values.Float([64, 32], 0.1);
        var b = Values.Float([32, 16], 0.9);
        TensorAssert.Close(a.matmul(b), a.cuda().matmul(b.cuda()).cpu(), atol: 1e-3, rtol: 1e-3);
        var q = Values.Float([2, 4, 8, 16], 0.2);
        var k = Values.Float([2, 4, 8, 16], 0.5);
        var v = Values.Float([2, 4, 8, 16], 0.8);
        var cpu = nn.functional.scaled_dot_product_attention(q, k, v, is_causal: true);
        var gpu = nn.functional.scaled_dot_product_attention(q.cuda(), k.cuda(), v.cuda(), is_causal: true).cpu();
        TensorAssert.Close(cpu, gpu, atol: 1e-3, rtol: 1e-3);
    }

    [CudaFact]
    public void A_module_trains_on_the_gpu()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new TinyMlp();
        model.to(CUDA);
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device.type));
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);
        var x = randn([8, 8], device: CUDA);
        var y = randint(0, 4, [8], device: CUDA);
        var first = nn.functional.cross_entropy(model.call(x), y).item<float>();
        for (var i = 0; i < 50; i++)
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        Assert.True(nn.functional.cross_entropy(model.call(x), y).item<float>() < first);
    }

    [CudaFact]
    public void Without_tf32_a_gpu_convolution_matches_the_cpu()
    {
        using var scope = NewDisposeScope();
        using var exact = new CudnnTf32Off();
        manual_seed(3);
        using var conv = nn.Conv2d(3, 16, 5, padding: 2);
        var images = randn(4, 3, 32, 32);
        var cpu = conv.call(images);
        conv.to(CUDA);
        TensorAssert.Close(cpu, conv.call(images.cuda()).cpu(), atol: 1e-5, rtol: 1e-5);
    }
}

