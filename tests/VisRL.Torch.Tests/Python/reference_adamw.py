"""PyTorch's AdamW and clip_grad_norm_ on a small deterministic problem, for OptimizerTests.

Prints JSON: initial parameters, the gradient-norm returned at each step, and the parameters
after each of the steps. The loss is written identically in OptimizerTests.cs.
"""
import json
import math
import sys

import torch


def wave(*shape, phase=0.0, scale=1.0):
    n = math.prod(shape)
    return (torch.sin(torch.arange(n, dtype=torch.float64) * 0.731 + phase) * scale).float().reshape(shape)


w = wave(3, 4, phase=0.3).requires_grad_()
b = wave(4, phase=1.7).requires_grad_()
initial = {"w": w.detach().reshape(-1).tolist(), "b": b.detach().reshape(-1).tolist()}
x = wave(5, 3, phase=0.9)
target = wave(5, 4, phase=2.2)

opt = torch.optim.AdamW([w, b], lr=0.05, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)
norms, steps = [], []
for step in range(6):
    opt.zero_grad()
    y = torch.tanh(x @ w + b)
    loss = ((y - target) ** 2).sum() * 3.0
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_([w, b], max_norm=1.5)))
    opt.step()
    steps.append({"w": w.detach().reshape(-1).tolist(), "b": b.detach().reshape(-1).tolist()})

json.dump({"initial": initial, "x": x.reshape(-1).tolist(), "target": target.reshape(-1).tolist(),
           "norms": norms, "steps": steps}, sys.stdout)
