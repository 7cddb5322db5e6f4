"""Reference values for VisRL.Torch's op tests, computed by Python PyTorch.

Run by the tests themselves (ReferenceFixture) with Debian's /usr/bin/python3; prints one JSON
object: {"inputs": {name: tensor}, "outputs": {name: tensor}}, tensor = {"dtype", "shape", "data"}.
Inputs come from closed-form formulas (no RNG), so the C# side rebuilds them from the JSON
bit-for-bit; outputs are what PyTorch computes from them. Ops with no PyTorch 1.13 function
(scaled dot-product attention) are written out from their definition.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F


def wave(*shape, phase=0.0, scale=1.0):
    n = math.prod(shape)
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.731 + phase) * scale).float().reshape(shape)


inputs = {
    "a": wave(3, 4, phase=0.1),
    "b": wave(3, 4, phase=1.3),
    "c": wave(4, 5, phase=2.0),
    "v": wave(4, phase=0.7),
    "pos": wave(3, 4, phase=0.4).abs() + 0.5,
    "bat1": wave(2, 3, 4, phase=0.2),
    "bat2": wave(2, 4, 5, phase=0.9),
    "idx": torch.tensor([[0, 3], [2, 1], [1, 1]], dtype=torch.int64),
    "sel": torch.tensor([2, 0], dtype=torch.int64),
    "mask": wave(3, 4, phase=0.3) > 0.2,
    "logits": wave(6, 10, phase=0.5, scale=3.0),
    "targets": torch.tensor([1, 9, -100, 4, 0, -100], dtype=torch.int64),
    "q": wave(2, 2, 5, 8, phase=0.11),
    "k": wave(2, 2, 5, 8, phase=0.77),
    "val": wave(2, 2, 5, 8, phase=1.91),
    "attn_mask": torch.tensor([[True, True, False, True, True]] * 5),
    "img": wave(2, 3, 8, 8, phase=0.05),
    "conv_w": wave(4, 3, 4, 4, phase=0.6, scale=0.3),
    "conv_b": wave(4, phase=1.1),
    "emb_w": wave(10, 6, phase=0.8),
    "tokens": torch.tensor([[1, 4, 9, 0, 2], [3, 3, 7, 8, 5]], dtype=torch.int64),
    "lin_w": wave(5, 4, phase=0.35),
    "lin_b": wave(5, phase=2.5),
    "ln_w": wave(4, phase=0.15) + 1.0,
    "ln_b": wave(4, phase=0.45),
}
I = inputs


def attention(q, k, v, causal=False, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if causal:
        keep = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        scores = scores.masked_fill(~keep, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(-1) @ v


outputs = {
    "add": I["a"] + I["b"],
    "sub_broadcast": I["a"] - I["v"],
    "mul_broadcast": I["a"] * I["v"],
    "div": I["a"] / I["pos"],
    "add_scalar": I["a"] + 2.5,
    "rsub_scalar": 1.0 - I["a"],
    "matmul": I["a"] @ I["c"],
    "bmm": torch.bmm(I["bat1"], I["bat2"]),
    "sum_all": I["a"].sum(),
    "sum_dim": I["a"].sum(1),
    "mean_keepdim": I["a"].mean(0, keepdim=True),
    "max_all": I["a"].max(),
    "max_dim_values": I["a"].max(1).values,
    "max_dim_indices": I["a"].max(1).indices,
    "argmax": I["a"].argmax(1),
    "topk_values": I["logits"].topk(3, dim=-1).values,
    "topk_indices": I["logits"].topk(3, dim=-1).indices,
    "sort_values": I["a"].sort(dim=-1, descending=True).values,
    "cumsum": I["a"].cumsum(1),
    "logsumexp": I["logits"].logsumexp(1),
    "std": I["a"].std(1),
    "exp": I["a"].exp(),
    "log": I["pos"].log(),
    "sqrt": I["pos"].sqrt(),
    "pow": I["pos"].pow(1.5),
    "clamp": I["a"].clamp(-0.5, 0.5),
    "softmax": I["logits"].softmax(-1),
    "log_softmax": I["logits"].log_softmax(-1),
    "sigmoid": I["a"].sigmoid(),
    "logsigmoid": F.logsigmoid(I["logits"]),
    "relu": F.relu(I["a"]),
    "gelu": F.gelu(I["logits"]),
    "gelu_tanh": F.gelu(I["logits"], approximate="tanh"),
    "silu": F.silu(I["logits"]),
    "tanh": I["a"].tanh(),
    "layer_norm": F.layer_norm(I["a"], [4], I["ln_w"], I["ln_b"]),
    "embedding": F.embedding(I["tokens"], I["emb_w"]),
    "linear": F.linear(I["a"], I["lin_w"], I["lin_b"]),
    "conv2d_patches": F.conv2d(I["img"], I["conv_w"], I["conv_b"], stride=4),
    "conv2d_padded": F.conv2d(I["img"], I["conv_w"], None, stride=1, padding=1),
    "max_pool2d": F.max_pool2d(I["img"], 2),
    "max_pool2d_strided": F.max_pool2d(I["img"], 3, stride=2, padding=1),
    "sdpa_causal": attention(I["q"], I["k"], I["val"], causal=True),
    "sdpa_mask": attention(I["q"], I["k"], I["val"], mask=I["attn_mask"]),
    "sdpa_plain": attention(I["q"], I["k"], I["val"]),
    "cross_entropy_ignore": F.cross_entropy(I["logits"], I["targets"], ignore_index=-100),
    "cross_entropy_sum": F.cross_entropy(I["logits"], I["targets"].clamp(min=0), reduction="sum"),
    "cross_entropy_none": F.cross_entropy(I["logits"], I["targets"], reduction="none"),
    "reshape": I["bat1"].reshape(4, 6),
    "permute": I["bat1"].permute(2, 0, 1).contiguous(),
    "transpose": I["a"].transpose(0, 1).contiguous(),
    "narrow": I["a"].narrow(1, 1, 2).contiguous(),
    "slice_step": I["logits"][:, 1:9:3].contiguous(),
    "select": I["bat1"][1],
    "index_select": I["a"].index_select(1, I["sel"]),
    "gather": I["a"].gather(1, I["idx"]),
    "cat": torch.cat([I["a"], I["b"]], 0),
    "stack": torch.stack([I["a"], I["b"]], 1),
    "expand": I["v"].unsqueeze(0).expand(3, 4).contiguous(),
    "masked_fill": I["a"].masked_fill(I["mask"], -1e9),
    "where": torch.where(I["mask"], I["a"], I["b"]),
    "tril": I["a"].tril(),
    "triu": I["a"].triu(1),
    "unsqueeze_squeeze": I["a"].unsqueeze(1).squeeze(1),
    "repeat": I["v"].repeat(2, 3),
    "flatten": I["bat1"].flatten(1),
    "amax": I["bat1"].amax(2),
    "min_dim_values": I["a"].min(0).values,
    "argmin": I["a"].argmin(0),
    "var": I["a"].var(0),
    "norm": I["a"].norm(),
    "prod": I["pos"].prod(1),
    "rsqrt": I["pos"].rsqrt(),
    "abs": I["a"].abs(),
    "maximum": torch.maximum(I["a"], I["b"]),
    "sort_indices": I["a"].sort(dim=-1).indices,
    "scatter_add": torch.zeros(3, 4).scatter_add(1, I["idx"], I["b"][:, :2].contiguous()),
    "mse_loss": F.mse_loss(I["a"], I["b"]),
    "cross_entropy_smoothing": F.cross_entropy(I["logits"], I["targets"], label_smoothing=0.1),
    "dpo_logps": (I["logits"].log_softmax(-1).gather(1, I["targets"].clamp(min=0).unsqueeze(1)).squeeze(1)
                  * (I["targets"] != -100)).sum(),
    "any_all": torch.stack([I["mask"].any(), I["mask"].all()]),
    "eq_scalar": I["idx"] == 1,
    "lt": I["a"] < I["b"],
}

# libtorch's CPU generator is the same code in Python and in the binding: same seed, same numbers.
torch.manual_seed(1234)
outputs["seeded_randn"] = torch.randn(2, 3)
torch.manual_seed(1234)
outputs["seeded_rand"] = torch.rand(4)


def encode(t):
    t = t.detach()
    dtype = {torch.float32: "float32", torch.int64: "int64", torch.bool: "bool"}[t.dtype]
    data = t.reshape(-1).tolist()
    if dtype == "float32":
        data = [float(x) for x in data]
    return {"dtype": dtype, "shape": list(t.shape), "data": data}


json.dump({"inputs": {k: encode(v) for k, v in inputs.items()},
           "outputs": {k: encode(v) for k, v in outputs.items()}},
          sys.stdout, allow_nan=True)
