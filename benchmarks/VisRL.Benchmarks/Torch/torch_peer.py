"""Python PyTorch peer of TorchBenchmark.cs: the same measurements on the same libtorch.

Usage: torch_peer.py THREADS, then lines "matmul N" or "block N" on stdin; each answers one
JSON line with the N run times in seconds. Measured: a 1024² fp32 matmul and one
transformer-block training step (d=256, 4 heads, sequence 128, batch 16: forward, backward,
AdamW step). The block is written exactly like TransformerBlock.cs.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        # PyTorch 1.13 has no public fused attention; these are the very ops of the binding's
        # fallback (visrl_torch.cpp, vt_sdpa), so the comparison measures the binding, not the math.
        scores = (q * (1.0 / (d // self.heads) ** 0.5)) @ k.transpose(-2, -1)
        scores.masked_fill_(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main():
    """Serves timing requests on stdin so the caller can interleave them with its own runs."""
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    block = Block(256, 4)
    opt = torch.optim.AdamW(block.parameters(), lr=1e-4)
    x = torch.randn(16, 128, 256)

    def matmul():
        with torch.no_grad():
            a @ b

    def step():
        opt.zero_grad(set_to_none=True)
        loss = block(x).pow(2).mean()
        loss.backward()
        opt.step()

    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        what, repeats = line.split()
        fn = {"matmul": matmul, "block": step}[what]
        print(json.dumps(timed(fn, int(repeats))), flush=True)


if __name__ == "__main__":
    main()
