"""Python PyTorch peer of ModelingBenchmark.cs: one VisRL-Tiny SFT training step, same shapes.

Usage: modeling_peer.py THREADS CONFIG_JSON BATCH WIDTH IMAGES_PER_ROW [DEVICE], then lines
"train N" on stdin; each answers one JSON line with the N step times in seconds (on a CUDA
device, each until the step's kernels finished). The model is written exactly
like libs/VisRL.Modeling/TinyVlm.cs (patch ViT, Linear-GELU-Linear projector, GPT decoder with
tied head, image vectors gathered into the <image> slots), the loss like Losses.MaskedCrossEntropy,
and the step like Trainer.cs (AdamW with two decay groups, beta2 0.98, clip 1.0).
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def attention(q, k, v, mask):
    # As the binding's vt_sdpa (visrl_torch.cpp): libtorch 2.x's fused attention; on 1.13 the same ops
    # in the same order.
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = (q * (1.0 / q.size(-1) ** 0.5)) @ k.transpose(-2, -1)
    if mask is not None:
        scores.masked_fill_(mask.logical_not(), float("-inf"))
    return scores.softmax(-1) @ v


class Block(nn.Module):
    def __init__(self, d, heads, ratio):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, ratio * d)
        self.out = nn.Linear(ratio * d, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = attention(q, k, v, mask).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class TinyVlm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        grid = c["image_size"] // c["patch_size"]
        n = (grid // c["image_pool"]) ** 2
        # Convolutional stem as TinyVlm.cs (VisionEncoder). "pooled": stride-1 convolutions (5x5, 5x5,
        # then 3x3), each followed by ReLU and a 2x2 max-pool; "strided": 3x3 stride-2 convolutions,
        # then a kernel = stride convolution.
        self.pooled = c.get("stem", "strided") == "pooled"
        convs, channels, size = [], 3, c["patch_size"]
        if self.pooled:
            levels = c["patch_size"].bit_length() - 1
            for level in range(levels):
                nxt = c["vision_dim"] if level == levels - 1 else max(16, c["vision_dim"] // (8 if level == 0 else 4))
                kernel = 5 if level < 2 and levels > 1 else 3
                convs.append(nn.Conv2d(channels, nxt, kernel, stride=1, padding=kernel // 2))
                channels = nxt
        else:
            level = c["patch_size"].bit_length() - 2
            while level >= 1:
                nxt = max(16, c["vision_dim"] >> level)
                convs.append(nn.Conv2d(channels, nxt, 3, stride=2, padding=1))
                channels, size, level = nxt, size // 2, level - 1
            convs.append(nn.Conv2d(channels, c["vision_dim"], size, stride=size))
        self.stem = nn.ModuleList(convs)
        self.pos = nn.Parameter(torch.randn(1, grid * grid, c["vision_dim"]) * 0.02)
        self.register_buffer("coord_image", torch.randn(1, n, c["dim"]) * 0.1)
        self.register_buffer("coord_vocab", torch.randn(c["vocab_size"], c["dim"]) * 0.1)
        self.vblocks = nn.ModuleList([Block(c["vision_dim"], c["vision_heads"], c["mlp_ratio"]) for _ in range(c["vision_layers"])])
        self.vln = nn.LayerNorm(c["vision_dim"])
        self.proj1 = nn.Linear(c["vision_dim"], c["dim"])
        self.proj2 = nn.Linear(c["dim"], c["dim"])
        self.wte = nn.Parameter(torch.randn(c["vocab_size"], c["dim"]) * 0.02)
        self.wpe = nn.Parameter(torch.randn(c["max_sequence"], c["dim"]) * 0.02)
        self.blocks = nn.ModuleList([Block(c["dim"], c["heads"], c["mlp_ratio"]) for _ in range(c["layers"])])
        self.ln_f = nn.LayerNorm(c["dim"])

    def forward(self, tokens, positions, mask, images, slots):
        b, t = tokens.shape
        d = self.c["dim"]
        wte = self.wte + self.coord_vocab
        x = F.embedding(tokens, wte).reshape(b * t, d)
        v = images.contiguous(memory_format=torch.channels_last)  # as TinyVlm.cs: same values, faster convolutions
        for i, conv in enumerate(self.stem):
            if self.pooled:
                v = F.max_pool2d(conv(v), 2).relu()
            else:
                v = F.gelu(conv(v)) if i < len(self.stem) - 1 else conv(v)
        v = v.flatten(2).transpose(1, 2) + self.pos
        for blk in self.vblocks:
            v = blk(v, None)
        v = self.vln(v)
        g, p, vd = self.c["image_size"] // self.c["patch_size"], self.c["image_pool"], self.c["vision_dim"]
        if p > 1:
            v = v.reshape(-1, g // p, p, g // p, p, vd).mean([2, 4]).reshape(-1, (g // p) ** 2, vd)
        v = (self.proj2(F.gelu(self.proj1(v))) + self.coord_image).reshape(-1, d)
        x = torch.cat([x, v], 0).index_select(0, slots)
        x = x.view(b, t, d) + F.embedding(positions, self.wpe)
        for blk in self.blocks:
            x = blk(x, mask)
        return F.linear(self.ln_f(x), wte)


def main():
    threads, config = int(sys.argv[1]), json.loads(sys.argv[2])
    batch, width, per_row = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    device = torch.device(sys.argv[6] if len(sys.argv) > 6 else "cpu")
    torch.set_num_threads(threads)
    # The binding's cuDNN TF32 switch, passed on by ModelingPeer.cs.
    torch.backends.cudnn.allow_tf32 = os.environ.get("VISRL_CUDNN_TF32", "1") == "1"
    torch.manual_seed(0)
    model = TinyVlm(config).to(device)
    params = list(model.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.05},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.98))
    n = (config["image_size"] // config["patch_size"] // config["image_pool"]) ** 2
    tokens = torch.randint(0, config["vocab_size"], (batch, width))
    positions = torch.arange(width).expand(batch, width).contiguous()
    mask = torch.ones(width, width, dtype=torch.bool).tril().expand(batch, 1, width, width).contiguous()
    images = torch.rand(batch * per_row, 3, config["image_size"], config["image_size"]) * 2 - 1
    slots = torch.arange(batch * width)
    for r in range(batch):
        for i in range(per_row):
            start = r * width + 2 + i * (n + 6)
            slots[start:start + n] = batch * width + (r * per_row + i) * n + torch.arange(n)
    targets = torch.randint(0, config["vocab_size"], (batch, width - 1))
    response = torch.zeros(batch, width - 1)
    response[:, -3:] = 1
    response[:, 2 + n + 4:2 + n + 9] = 1
    tokens, positions, mask, images, slots, targets, response = (
        t.to(device) for t in (tokens, positions, mask, images, slots, targets, response))

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(tokens, positions, mask, images, slots)
        lp = logits[:, : width - 1].log_softmax(-1).gather(2, targets.unsqueeze(2)).squeeze(2)
        loss = -(lp * response).sum() / response.sum().clamp_min(1.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        what, repeats = line.split()
        times = []
        for _ in range(int(repeats)):
            start = time.perf_counter()
            step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
