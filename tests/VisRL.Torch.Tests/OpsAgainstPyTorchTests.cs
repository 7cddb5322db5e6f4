using static VisRL.Torch.torch;
using F = VisRL.Torch.torch.nn.functional;

namespace VisRL.Torch.Tests;

/// <summary>Every op against PyTorch on the same inputs (Python/reference_ops.py computes the expected values).</summary>
public sealed class OpsAgainstPyTorchTests(ReferenceFixture reference) : IClassFixture<ReferenceFixture>
{
    private delegate Tensor Op(Func<string, Tensor> input);

    private static readonly Dictionary<string, Op> Cases = new()
    {
        ["add"] = i => i("a") + i("b"),
        ["sub_broadcast"] = i => i("a") - i("v"),
        ["mul_broadcast"] = i => i("a") * i("v"),
        ["div"] = i => i("a") / i("pos"),
        ["add_scalar"] = i => i("a") + 2.5,
        ["rsub_scalar"] = i => 1.0 - i("a"),
        ["matmul"] = i => i("a").matmul(i("c")),
        ["bmm"] = i => bmm(i("bat1"), i("bat2")),
        ["sum_all"] = i => i("a").sum(),
        ["sum_dim"] = i => i("a").sum(1),
        ["mean_keepdim"] = i => i("a").mean(0, keepdim: true),
        ["max_all"] = i => i("a").max(),
        ["max_dim_values"] = i => i("a").max(1).values,
        ["max_dim_indices"] = i => i("a").max(1).indexes,
        ["argmax"] = i => i("a").argmax(1),
        ["topk_values"] = i => i("logits").topk(3).values,
        ["topk_indices"] = i => i("logits").topk(3).indexes,
        ["sort_values"] = i => i("a").sort(-1, descending: true).values,
        ["cumsum"] = i => i("a").cumsum(1),
        ["logsumexp"] = i => i("logits").logsumexp(1),
        ["std"] = i => i("a").std(1),
        ["exp"] = i => i("a").exp(),
        ["log"] = i => i("pos").log(),
        ["sqrt"] = i => i("pos").sqrt(),
        ["pow"] = i => i("pos").pow(1.5),
        ["clamp"] = i => i("a").clamp(-0.5, 0.5),
        ["softmax"] = i => i("logits").softmax(-1),
        ["log_softmax"] = i => i("logits").log_softmax(-1),
        ["sigmoid"] = i => i("a").sigmoid(),
        ["logsigmoid"] = i => F.logsigmoid(i("logits")),
        ["relu"] = i => F.relu(i("a")),
        ["gelu"] = i => F.gelu(i("logits")),
        ["gelu_tanh"] = i => F.gelu(i("logits"), approximate: "tanh"),
        ["silu"] = i => F.silu(i("logits")),
        ["tanh"] = i => i("a").tanh(),
        ["layer_norm"] = i => F.layer_norm(i("a"), [4], i("ln_w"), i("ln_b")),
        ["embedding"] = i => F.embedding(i("tokens"), i("emb_w")),
        ["linear"] = i => F.linear(i("a"), i("lin_w"), i("lin_b")),
        ["conv2d_patches"] = i => F.conv2d(i("img"), i("conv_w"), i("conv_b"), stride: [4, 4]),
        ["conv2d_padded"] = i => F.conv2d(i("img"), i("conv_w"), null, padding: [1, 1]),
        ["max_pool2d"] = i => F.max_pool2d(i("img"), [2, 2]),
        ["max_pool2d_strided"] = i => F.max_pool2d(i("img"), [3, 3], stride: [2, 2], padding: [1, 1]),
        ["sdpa_causal"] = i => F.scaled_dot_product_attention(i("q"), i("k"), i("val"), is_causal: true),
        ["sdpa_mask"] = i => F.scaled_dot_product_attention(i("q"), i("k"), i("val"), attn_mask: i("attn_mask")),
        ["sdpa_plain"] = i => F.scaled_dot_product_attention(i("q"), i("k"), i("val")),
        ["cross_entropy_ignore"] = i => F.cross_entropy(i("logits"), i("targets"), ignore_index: -100),
        ["cross_entropy_sum"] = i => F.cross_entropy(i("logits"), i("targets").clamp(min: 0), reduction: nn.Reduction.Sum),
        ["cross_entropy_none"] = i => F.cross_entropy(i("logits"), i("targets"), reduction: nn.Reduction.None),
        ["reshape"] = i => i("bat1").reshape(4, 6),
        ["permute"] = i => i("bat1").permute(2, 0, 1).contiguous(),
        ["transpose"] = i => i("a").transpose(0, 1).contiguous(),
        ["narrow"] = i => i("a").narrow(1, 1, 2).contiguous(),
        ["slice_step"] = i => i("logits").slice(1, 1, 9, 3).contiguous(),
        ["select"] = i => i("bat1")[1],
        ["index_select"] = i => i("a").index_select(1, i("sel")),
        ["gather"] = i => i("a").gather(1, i("idx")),
        ["cat"] = i => cat([i("a"), i("b")], 0),
        ["stack"] = i => stack([i("a"), i("b")], 1),
        ["expand"] = i => i("v").unsqueeze(0).expand(3, 4).contiguous(),
        ["masked_fill"] = i => i("a").masked_fill(i("mask"), -1e9),
        ["where"] = i => where(i("mask"), i("a"), i("b")),
        ["tril"] = i => i("a").tril(),
        ["triu"] = i => i("a").triu(1),
        ["unsqueeze_squeeze"] = i => i("a").unsqueeze(1).squeeze(1),
        ["repeat"] = i => i("v").repeat(2, 3),
        ["flatten"] = i => i("bat1").flatten(1),
        ["amax"] = i => i("bat1").amax(2),
        ["min_dim_values"] = i => i("a").min(0).values,
        ["argmin"] = i => i("a").argmin(0),
        ["var"] = i => i("a").var(0),
        ["norm"] = i => i("a").norm(),
        ["prod"] = i => i("pos").prod(1),
        ["rsqrt"] = i => i("pos").rsqrt(),
        ["abs"] = i => i("a").abs(),
        ["maximum"] = i => maximum(i("a"), i("b")),
        ["sort_indices"] = i => i("a").sort(-1).indexes,
        ["scatter_add"] = i => zeros(3, 4).scatter_add(1, i("idx"), i("b").narrow(1, 0, 2).contiguous()),
        ["mse_loss"] = i => F.mse_loss(i("a"), i("b")),
        ["cross_entropy_smoothing"] = i => F.cross_entropy(i("logits"), i("targets"), label_smoothing: 0.1),
        ["dpo_logps"] = i => (i("logits").log_softmax(-1).gather(1, i("targets").clamp(min: 0).unsqueeze(1)).squeeze(1)
                              * i("targets").ne(-100)).sum(),
        ["any_all"] = i => stack([i("mask").any(), i("mask").all()]),
        ["eq_scalar"] = i => i("idx").eq(1),
        ["lt"] = i => i("a").lt(i("b")),
        ["seeded_randn"] = _ => Seeded(() => randn(2, 3)),
        ["seeded_rand"] = _ => Seeded(() => rand(4)),
    };

    private static Tensor Seeded(Func<Tensor> draw)
    {
        manual_seed(1234);
        return draw();
    }

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Matches_pytorch(string name)
    {
        using var scope = NewDisposeScope();
        var expected = reference.Expected(name);
        var actual = Cases[name](reference.Input);
        TensorAssert.Close(expected, actual, what: name);
    }

    [Fact]
    public void Every_reference_output_has_a_case()
    {
        Assert.Empty(reference.OutputNames.Except(Cases.Keys));
    }
}
