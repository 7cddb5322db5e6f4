using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class ModuleTests
{
    [Fact]
    public void Parameters_and_buffers_are_named_by_path()
    {
        using var model = new TinyMlp();
        Assert.Equal(
            ["scale", "norm.weight", "norm.bias", "hidden.weight", "hidden.bias", "out.weight", "out.bias"],
            model.named_parameters().Select(p => p.name));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        var state = model.state_dict();
        Assert.Contains("steps", state.Keys);
        Assert.DoesNotContain("scratch", state.Keys); // non-persistent buffers stay out of checkpoints
        Assert.Equal([16L, 8L], state["hidden.weight"].shape);
        Assert.Equal(["", "norm", "hidden", "out", "drop"], model.named_modules().Select(m => m.name));
    }

    [Fact]
    public void Parameters_survive_the_dispose_scope_they_were_created_in()
    {
        TinyMlp model;
        using (NewDisposeScope()) model = new TinyMlp();
        Assert.All(model.parameters(), p => Assert.False(p.IsDisposed));
        model.Dispose();
        Assert.All(model.parameters(), p => Assert.True(p.IsDisposed));
    }

    [Fact]
    public void Linear_initialisation_is_bounded_by_one_over_sqrt_fan_in()
    {
        using var linear = nn.Linear(100, 50);
        var values = linear.weight.ToArray<float>();
        Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, 0.1f));
        Assert.True(values.Max() > 0.09f && values.Min() < -0.09f, "uniform over the whole range");
    }

    [Fact]
    public void Load_state_dict_copies_values()
    {
        using var scope = NewDisposeScope();
        using var a = new TinyMlp();
        using var b = new TinyMlp();
        b.load_state_dict(a.state_dict());
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True(pa.ToArray<float>().SequenceEqual(pb.ToArray<float>()), name);
    }

    [Fact]
    public void Load_state_dict_names_missing_unexpected_and_misshaped_keys()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyMlp();
        var state = new Dictionary<string, Tensor>(model.state_dict());
        state.Remove("out.bias");
        state["extra.weight"] = ones(2);
        var error = Assert.Throws<StateDictMismatchException>(() => model.load_state_dict(state));
        Assert.Equal(["out.bias"], error.MissingKeys);
        Assert.Equal(["extra.weight"], error.UnexpectedKeys);
        Assert.Contains("Missing key(s): out.bias", error.Message);
        Assert.Contains("Unexpected key(s): extra.weight", error.Message);

        var lenient = model.load_state_dict(state, strict: false);
        Assert.Equal(["out.bias"], lenient.MissingKeys);

        state["hidden.weight"] = zeros(3, 3);
        var shape = Assert.Throws<StateDictMismatchException>(() => model.load_state_dict(state, strict: false));
        Assert.Contains("hidden.weight: checkpoint has [3, 3], model expects [16, 8]", shape.Message);
        Assert.NotEqual(0f, model.Hidden.weight.abs().sum().item<float>()); // nothing copied on failure
    }

    [Fact]
    public void Train_and_eval_switch_dropout()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyMlp();
        var x = Values.Float([64, 8], 0.3);
        model.eval();
        Assert.False(model.Drop.training);
        TensorAssert.Close(model.call(x), model.call(x), atol: 0, rtol: 0);
        model.train();
        Assert.True(model.Drop.training);
        Assert.NotEqual(model.call(x).ToArray<float>(), model.call(x).ToArray<float>());
    }

    [Fact]
    public void To_dtype_converts_in_place_and_optimizer_keeps_working()
    {
        using var scope = NewDisposeScope();
        using var model = new TinyMlp();
        var weight = model.Hidden.weight;
        using var optimizer = optim.AdamW(model.parameters(), lr: 0.01);
        model.to(float64);
        Assert.Same(weight, model.Hidden.weight);
        Assert.Equal(float64, weight.dtype);
        Assert.Equal(int64, model.state_dict()["steps"].dtype); // integer buffers keep their type
        model.to(Device.CPU);
        var before = weight.ToArray<double>();
        model.call(Values.Double([4, 8], 0.1)).pow(2).sum().backward();
        optimizer.step();
        Assert.NotEqual(before, weight.ToArray<double>());
    }

    [Fact]
    public void Embedding_padding_row_is_zero_and_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        using var embedding = nn.Embedding(5, 3, padding_idx: 0);
        Assert.Equal([0f, 0f, 0f], embedding.weight[0].ToArray<float>());
        embedding.call(tensor(new long[] { 0, 2, 0 })).sum().backward();
        Assert.Equal([0f, 0f, 0f], embedding.weight.grad![0].ToArray<float>());
        Assert.Equal([1f, 1f, 1f], embedding.weight.grad![2].ToArray<float>());
    }

    [Fact]
    public void Module_list_names_children_by_index()
    {
        using var layers = nn.ModuleList(nn.Linear(2, 2), nn.Linear(2, 3));
        Assert.Equal(2, layers.Count);
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], layers.named_parameters().Select(p => p.name));
        Assert.Equal([3L, 2L], layers[1].weight.shape);
    }

    [Fact]
    public void Conv2d_patchifies_an_image()
    {
        using var scope = NewDisposeScope();
        using var patches = nn.Conv2d(3, 32, kernelSize: 4, stride: 4);
        var output = patches.call(randn(2, 3, 16, 16));
        Assert.Equal([2L, 32L, 4L, 4L], output.shape);
        Assert.Equal([2L, 16L, 32L], output.flatten(2).transpose(1, 2).shape);
    }
}
