#!/usr/bin/env python3
"""Writes tests/fixtures/optimizers.json: PyTorch's SGD, Adam and clip_grad_norm_ on a small
model, step by step, in float32 and float64.

The model is one nn.Linear(3, 2) (weight 2x3, bias 2): the Rust tests load the same numbers
into `Linear<T, 3, 2>`. For every config and dtype the fixture holds the initial parameters,
the gradients fed at each step and the parameters PyTorch produced after each step.

Run from the repository root:  python3 tools/optimizer_fixture.py
"""

import json
import pathlib

import torch

STEPS = 5
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "optimizers.json"

CONFIGS = [
    {"name": "sgd", "optimizer": "sgd", "lr": 0.1},
    {"name": "sgd_weight_decay", "optimizer": "sgd", "lr": 0.05, "weight_decay": 0.01},
    {"name": "sgd_momentum", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
    {
        "name": "sgd_momentum_dampening_weight_decay",
        "optimizer": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "dampening": 0.1,
        "weight_decay": 1e-3,
    },
    {"name": "adam_defaults", "optimizer": "adam"},
    {
        "name": "adam_custom",
        "optimizer": "adam",
        "lr": 0.01,
        "betas": [0.8, 0.99],
        "eps": 1e-6,
        "weight_decay": 0.1,
    },
    {
        # 1 - beta1 >= 0.5: PyTorch's lerp takes its second formula.
        "name": "adam_small_beta1",
        "optimizer": "adam",
        "lr": 0.1,
        "betas": [0.3, 0.9],
        "eps": 1e-4,
    },
]

DTYPES = {"f32": torch.float32, "f64": torch.float64}


def flat(layer):
    return [v for row in layer.weight.tolist() for v in row] + layer.bias.tolist()


def load_grads(layer, values):
    layer.weight.grad = torch.tensor(values[:6], dtype=layer.weight.dtype).reshape(2, 3)
    layer.bias.grad = torch.tensor(values[6:], dtype=layer.bias.dtype)


def make_optimizer(cfg, params):
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg["lr"],
            momentum=cfg.get("momentum", 0.0),
            dampening=cfg.get("dampening", 0.0),
            weight_decay=cfg.get("weight_decay", 0.0),
        )
    kwargs = {k: cfg[k] for k in ("lr", "eps", "weight_decay") if k in cfg}
    if "betas" in cfg:
        kwargs["betas"] = tuple(cfg["betas"])
    return torch.optim.Adam(params, **kwargs)


def run(cfg, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    layer = torch.nn.Linear(3, 2).to(dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(2, 3, generator=gen, dtype=dtype))
        layer.bias.copy_(torch.randn(2, generator=gen, dtype=dtype))
    opt = make_optimizer(cfg, layer.parameters())
    case = {"initial": flat(layer), "grads": [], "expected": []}
    for _ in range(STEPS):
        g = (torch.randn(8, generator=gen, dtype=dtype) * 0.5).tolist()
        load_grads(layer, g)
        opt.step()
        case["grads"].append(g)
        case["expected"].append(flat(layer))
    return case


def clip_cases(dtype):
    gen = torch.Generator().manual_seed(99)
    cases = []
    for max_norm in [0.1, 1.0, 100.0]:
        layer = torch.nn.Linear(3, 2).to(dtype)
        g = torch.randn(8, generator=gen, dtype=dtype).tolist()
        load_grads(layer, g)
        norm = torch.nn.utils.clip_grad_norm_(layer.parameters(), max_norm)
        cases.append(
            {
                "max_norm": max_norm,
                "grads": g,
                "norm": norm.item(),
                "clipped": [v for row in layer.weight.grad.tolist() for v in row]
                + layer.bias.grad.tolist(),
            }
        )
    return cases


def main():
    out = {
        "torch_version": torch.__version__,
        "model": "nn.Linear(3, 2): weight (row-major) then bias, 8 values",
        "steps": STEPS,
        "optimizers": [],
        "clip": {name: clip_cases(dtype) for name, dtype in DTYPES.items()},
    }
    for i, cfg in enumerate(CONFIGS):
        entry = dict(cfg)
        for name, dtype in DTYPES.items():
            entry[name] = run(cfg, dtype, seed=1000 + i)
        out["optimizers"].append(entry)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
