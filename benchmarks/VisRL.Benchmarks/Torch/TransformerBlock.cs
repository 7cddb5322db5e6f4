using VisRL.Torch;
using VisRL.Torch.Modules;
using static VisRL.Torch.torch;

namespace VisRL.Benchmarks.Torch;

/// <summary>A pre-norm GPT block (causal self-attention + GELU MLP), written like torch_peer.py's Block.</summary>
internal sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly long _dim;
    private readonly long _heads;
    private readonly LayerNorm _ln1, _ln2;
    private readonly Linear _qkv, _proj, _fc, _out;

    public TransformerBlock(long dim, long heads) : base(nameof(TransformerBlock))
    {
        _dim = dim;
        _heads = heads;
        _ln1 = register_module("ln1", nn.LayerNorm(dim));
        _qkv = register_module("qkv", nn.Linear(dim, 3 * dim));
        _proj = register_module("proj", nn.Linear(dim, dim));
        _ln2 = register_module("ln2", nn.LayerNorm(dim));
        _fc = register_module("fc", nn.Linear(dim, 4 * dim));
        _out = register_module("out", nn.Linear(4 * dim, dim));
    }

    /// <summary>Multiply-add FLOPs of one forward pass (matmuls only) for a batch × sequence input.</summary>
    public static double ForwardFlops(long batch, long sequence, long dim) =>
        2.0 * batch * sequence * dim * (3 * dim + dim + 8 * dim) + 2.0 * 2.0 * batch * sequence * sequence * dim;

    public override Tensor forward(Tensor x)
    {
        var (b, t) = (x.size(0), x.size(1));
        var headDim = _dim / _heads;
        var qkv = _qkv.call(_ln1.call(x)).split(_dim, 2);
        var q = qkv[0].view(b, t, _heads, headDim).transpose(1, 2);
        var k = qkv[1].view(b, t, _heads, headDim).transpose(1, 2);
        var v = qkv[2].view(b, t, _heads, headDim).transpose(1, 2);
        var y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal: true).transpose(1, 2).reshape(b, t, _dim);
        x = x + _proj.call(y);
        return x + _out.call(nn.functional.gelu(_fc.call(_ln2.call(x))));
    }
}
