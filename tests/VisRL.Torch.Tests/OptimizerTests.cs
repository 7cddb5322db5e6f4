using System.Text.Json;
using VisRL.Torch.Optimizers;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class OptimizerTests
{
    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    [Fact]
    public void AdamW_with_clipping_matches_pytorch_step_by_step()
    {
        using var json = JsonDocument.Parse(PythonTorch.Run("reference_adamw.py"));
        var root = json.RootElement;
        using var scope = NewDisposeScope();
        var w = tensor(Floats(root.GetProperty("initial").GetProperty("w")), [3, 4], requires_grad: true);
        var b = tensor(Floats(root.GetProperty("initial").GetProperty("b")), [4], requires_grad: true);
        var x = tensor(Floats(root.GetProperty("x")), [5, 3]);
        var target = tensor(Floats(root.GetProperty("target")), [5, 4]);
        using var optimizer = optim.AdamW([w, b], lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1);

        var norms = root.GetProperty("norms").EnumerateArray().Select(n => n.GetDouble()).ToArray();
        var steps = root.GetProperty("steps").EnumerateArray().ToArray();
        for (var step = 0; step < steps.Length; step++)
        {
            optimizer.zero_grad();
            var y = (x.matmul(w) + b).tanh();
            var loss = (y - target).pow(2).sum() * 3.0;
            loss.backward();
            var norm = nn.utils.clip_grad_norm_([w, b], max_norm: 1.5);
            Assert.Equal(norms[step], norm, 4);
            optimizer.step();
            TensorAssert.Close(tensor(Floats(steps[step].GetProperty("w")), [3, 4]), w.detach(), atol: 2e-6, what: $"w after step {step + 1}");
            TensorAssert.Close(tensor(Floats(steps[step].GetProperty("b")), [4]), b.detach(), atol: 2e-6, what: $"b after step {step + 1}");
        }
    }

    [Fact]
    public void AdamW_decays_weights_even_with_zero_gradient()
    {
        // With a zero gradient Adam's update is 0, so only the decoupled decay acts: p ← p·(1 − lr·wd).
        using var scope = NewDisposeScope();
        var p = full([3], 2.0, requires_grad: true);
        using var optimizer = optim.AdamW([p], lr: 0.1, weight_decay: 0.5);
        (p * 0.0).sum().backward();
        optimizer.step();
        Assert.All(p.ToArray<float>(), v => Assert.Equal(2.0 * (1 - 0.1 * 0.5), v, 5));
    }

    [Fact]
    public void Param_groups_have_their_own_weight_decay()
    {
        using var scope = NewDisposeScope();
        var decayed = full([2], 2.0, requires_grad: true);
        var kept = full([2], 2.0, requires_grad: true);
        using var optimizer = optim.AdamW([new ParamGroup([decayed], 0.5), new ParamGroup([kept], 0.0)], lr: 0.1);
        ((decayed + kept) * 0.0).sum().backward();
        optimizer.step();
        Assert.All(decayed.ToArray<float>(), v => Assert.Equal(2.0 * (1 - 0.1 * 0.5), v, 5));
        Assert.All(kept.ToArray<float>(), v => Assert.Equal(2.0, v, 5));
        optimizer.LearningRate = 0.01;
        Assert.Equal(0.01, optimizer.LearningRate, 12);
    }

    [Fact]
    public void Optimizer_state_round_trips_through_safetensors_and_resumes_exactly()
    {
        using var scope = NewDisposeScope();
        var x = Values.Float([6, 8], 0.4);
        void Train(TinyMlp model, Optimizers.AdamW optimizer, int steps)
        {
            for (var i = 0; i < steps; i++)
            {
                using var step = NewDisposeScope();
                optimizer.zero_grad();
                model.call(x).pow(2).mean().backward();
                optimizer.step();
            }
        }

        manual_seed(21);
        using var original = new TinyMlp();
        original.eval();
        using var optimizer = optim.AdamW(original.parameters(), lr: 0.01);
        Assert.Empty(optimizer.state_dict());
        Train(original, optimizer, 3);

        var path = Path.Combine(Path.GetTempPath(), $"visrl-adamw-{Guid.NewGuid():N}.safetensors");
        var state = optimizer.state_dict();
        Safetensors.Save(path, state);
        foreach (var t in state.Values) t.Dispose();

        using var resumed = new TinyMlp();
        resumed.eval();
        resumed.load_state_dict(original.state_dict());
        using var resumedOptimizer = optim.AdamW(resumed.parameters(), lr: 0.01);
        var loaded = Safetensors.Load(path);
        File.Delete(path);
        resumedOptimizer.load_state_dict(loaded);
        Assert.Equal(3L, loaded["0.step"].item<long>());

        using var fresh = new TinyMlp();
        fresh.eval();
        fresh.load_state_dict(original.state_dict());
        using var freshOptimizer = optim.AdamW(fresh.parameters(), lr: 0.01);

        Train(original, optimizer, 2);
        Train(resumed, resumedOptimizer, 2);
        Train(fresh, freshOptimizer, 2);
        foreach (var ((name, a), ((_, b), (_, c))) in original.named_parameters().Zip(resumed.named_parameters().Zip(fresh.named_parameters())))
        {
            Assert.True(a.ToArray<float>().SequenceEqual(b.ToArray<float>()), $"{name} differs after resuming");
            if (name == "hidden.weight") Assert.False(a.ToArray<float>().SequenceEqual(c.ToArray<float>()), "state must matter");
        }
        foreach (var t in loaded.Values) t.Dispose();
    }

    [Fact]
    public void Zero_grad_drops_gradients()
    {
        using var scope = NewDisposeScope();
        var p = ones([2], requires_grad: true);
        using var optimizer = optim.AdamW([p]);
        (p * 3.0).sum().backward();
        Assert.NotNull(p.grad);
        optimizer.zero_grad();
        Assert.Null(p.grad);
    }

    [Theory]
    // Hand-computed: warm-up 10 steps then a half cosine to step 110.
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.5)]
    [InlineData(85, 0.14644660940672627)] // 0.5·(1 + cos(3π/4))
    [InlineData(110, 0.0)]
    public void Cosine_with_warmup_factor(long step, double expected)
    {
        Assert.Equal(expected, CosineWithWarmup.Factor(step, 10, 110), 12);
    }

    [Fact]
    public void Scheduler_sets_the_optimizer_learning_rate()
    {
        using var scope = NewDisposeScope();
        var p = ones([2], requires_grad: true);
        using var optimizer = optim.AdamW([p], lr: 0.2);
        var schedule = optim.lr_scheduler.CosineWithWarmup(optimizer, warmupSteps: 4, totalSteps: 8);
        Assert.Equal(0.0, optimizer.LearningRate, 12);
        for (var i = 0; i < 2; i++) schedule.step();
        Assert.Equal(0.1, optimizer.LearningRate, 12);
        for (var i = 0; i < 4; i++) schedule.step();
        Assert.Equal(0.1, optimizer.LearningRate, 12); // progress 0.5 → cosine factor 0.5
        Assert.Equal(6, schedule.StepCount);
    }
}
