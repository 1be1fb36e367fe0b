#!/usr/bin/env python3
"""Writes tests/fixtures/layers.json: PyTorch's forward and backward of every activation, of
nn.LayerNorm and of every loss the core has, in float32 and float64.

- Activations: the value and the input gradient for a given output gradient, element by
  element, on random values of random signs and scales, the kinks (0, -0, the smallest
  subnormals), the saturated tails and extreme magnitudes. Where PyTorch's result is not
  finite (the notebook's GELU differentiated by autograd at |x| >= 1e30 gives NaN: x^3
  overflows), the fixture holds null. `gelu-tanh` is the seed notebook's
  GELU written with torch ops (the core's `Gelu`), with sqrt(2/pi) computed in the dtype;
  `gelu` is nn.GELU() (erf).
- LayerNorm: nn.LayerNorm(N) with random weight and bias, on batches of random shape; the
  output, the input gradient and the weight and bias gradients for a random output gradient.
- Losses (reduction='mean'): the loss of a batch and the gradient with respect to the
  prediction. Cross-entropy takes class indices; BCE-with-logits targets are in [0, 1]
  (0 and 1 included); Huber's differences sit on both sides of its kink at |y - t| = 1.

Every value PyTorch computes comes with `<name>_exact`: the same function evaluated exactly
(mpmath, 60 significant digits) on the same inputs and rounded to float64. Where the core and
PyTorch differ by more than the tests' tolerance, the exact value tells which of the two is off
(PyTorch's AVX2 float32 erf is a 1.5e-7 approximation, and its LayerNorm backward sums in
vector lanes with fused multiply-adds).

Float32 values are written through float64 (exact); the tests parse them back exactly.

Run from the repository root:  python3 tools/layers_fixture.py
"""

import json
import math
import pathlib

import mpmath
import torch
import torch.nn as nn
import torch.nn.functional as F
from mpmath import mp, mpf

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "layers.json"
DTYPES = {"f32": torch.float32, "f64": torch.float64}
# LayerNorm widths and loss widths the tests compile (const generics).
WIDTHS = [1, 2, 3, 5, 8, 16]


mp.dps = 60


def to_dtype(v, dtype):
    """v rounded to dtype, as an exact mpf."""
    return mpf(torch.tensor(float(v), dtype=dtype).item())


def exact_activation(name, x, dtype):
    """(f(x), f'(x)) exactly, for the function the core implements (constants in dtype)."""
    x = mpf(x)
    if name == "gelu-tanh":
        c = to_dtype(torch.sqrt(torch.tensor(2.0 / torch.pi, dtype=dtype)).item(), dtype)
        a = to_dtype(0.044715, dtype)
        t = mpmath.tanh(c * (x + a * x ** 3))
        return x / 2 * (1 + t), (1 + t) / 2 + x / 2 * (1 - t * t) * c * (1 + 3 * a * x * x)
    if name == "gelu":
        if abs(x) > 1e4:
            # erfc is exp(-x^2/2)-small here: far below any float.
            return (x, mpf(1)) if x > 0 else (mpf(0), mpf(0))
        cdf = mpmath.erfc(-x / mpmath.sqrt(2)) / 2
        return x * cdf, cdf + x * mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    if name == "relu":
        return (x, mpf(1)) if x > 0 else (mpf(0), mpf(0))
    if name.startswith("leaky-relu"):
        slope = to_dtype(0.2 if name.endswith("0.2") else 0.01, dtype)
        return (x, mpf(1)) if x > 0 else (x * slope, slope)
    if name == "sigmoid":
        s = 1 / (1 + mpmath.exp(-x))
        return s, s * (1 - s)
    if name == "tanh":
        t = mpmath.tanh(x)
        return t, 1 - t * t
    if name == "silu":
        s = 1 / (1 + mpmath.exp(-x))
        return x * s, s * (1 + x * (1 - s))
    raise ValueError(name)


def exact_layer_norm(x, weight, bias, dy, eps):
    """nn.LayerNorm's output, input, weight and bias gradients, exactly (lists of rows)."""
    n = len(weight)
    ys, dxs = [], []
    dw, db = [mpf(0)] * n, [mpf(0)] * n
    for row, dyr in zip(x, dy):
        row = [mpf(v) for v in row]
        mean = sum(row) / n
        var = sum((v - mean) ** 2 for v in row) / n
        rstd = 1 / mpmath.sqrt(var + eps)
        xhat = [(v - mean) * rstd for v in row]
        ys.append([h * w + b for h, w, b in zip(xhat, weight, bias)])
        g = [mpf(d) * w for d, w in zip(dyr, weight)]
        s1, s2 = sum(g), sum(gi * h for gi, h in zip(g, xhat))
        dxs.append([rstd / n * (n * gi - s1 - h * s2) for gi, h in zip(g, xhat)])
        dw = [a + mpf(d) * h for a, d, h in zip(dw, dyr, xhat)]
        db = [a + mpf(d) for a, d in zip(db, dyr)]
    return ys, dxs, dw, db


def exact_loss(name, ys, targets):
    """The mean loss over the batch and its gradient (rows), exactly."""
    ys = [[mpf(v) for v in row] for row in ys]
    if name == "cross-entropy":
        terms = len(ys)
        total, grads = mpf(0), []
        for row, t in zip(ys, targets):
            m = max(row)
            lse = m + mpmath.log(sum(mpmath.exp(v - m) for v in row))
            total += lse - row[t]
            grads.append([(mpmath.exp(v - lse) - (1 if i == t else 0)) / terms
                          for i, v in enumerate(row)])
        return total / terms, grads
    targets = [[mpf(v) for v in row] for row in targets]
    terms = sum(len(r) for r in ys)
    total, grads = mpf(0), []
    for row, trow in zip(ys, targets):
        grow = []
        for y, t in zip(row, trow):
            if name == "mse":
                total += (y - t) ** 2
                grow.append(2 * (y - t) / terms)
            elif name == "bce-with-logits":
                total += max(y, 0) - y * t + mpmath.log1p(mpmath.exp(-abs(y)))
                grow.append((1 / (1 + mpmath.exp(-y)) - t) / terms)
            else:
                z = abs(y - t)
                total += z * z / 2 if z < 1 else z - mpf(1) / 2
                grow.append(max(-1, min(1, y - t)) / terms)
        grads.append(grow)
    return total / terms, grads


def floats(values):
    """Nested mpf values rounded to float64."""
    if isinstance(values, list):
        return [floats(v) for v in values]
    return float(values)


class NotebookGelu(nn.Module):
    """The seed notebook's GELU (tanh approximation), with sqrt(2/pi) in the input's dtype."""

    def forward(self, x):
        c = torch.sqrt(torch.tensor(2.0 / torch.pi, dtype=x.dtype))
        return 0.5 * x * (1 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3))))


ACTIVATIONS = {
    "gelu-tanh": NotebookGelu(),
    "gelu": nn.GELU(),
    "relu": nn.ReLU(),
    "leaky-relu": nn.LeakyReLU(),
    "leaky-relu-0.2": nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid(),
    "tanh": nn.Tanh(),
    "silu": nn.SiLU(),
}

# Where each activation bends or saturates: inputs are also drawn around these points.
FEATURES = {
    "gelu-tanh": [0.0, -0.7518, -3.0, -5.16, -9.0, 3.0, 9.0],
    "gelu": [0.0, -0.7518, -3.0, -5.0, -9.0, -13.0, 3.0, 9.0],
    "relu": [0.0],
    "leaky-relu": [0.0],
    "leaky-relu-0.2": [0.0],
    "sigmoid": [0.0, -15.0, -30.0, -88.0, -104.0, 15.0, 17.0, 36.0],
    "tanh": [0.0, 0.55, -0.55, 4.0, 9.0, -9.0, 19.0],
    "silu": [0.0, -1.2785, -20.0, -88.0, -104.0, 17.0, 36.0],
}


def finite_extremes(dtype):
    info = torch.finfo(dtype)
    tiny = info.smallest_normal
    sub = tiny * info.eps
    return [0.0, -0.0, sub, -sub, tiny, -tiny, 1e-30, -1e-30, 1e30, -1e30, info.max, -info.max]


def activation_inputs(name, dtype, gen):
    xs = []
    # Random values, random signs, scales from 1e-3 to 1e3.
    n = 96
    scale = torch.pow(10.0, torch.empty(n, dtype=torch.float64).uniform_(-3, 3, generator=gen))
    xs += (torch.randn(n, dtype=torch.float64, generator=gen) * scale).tolist()
    # Around each kink or tail point: within 1e-6, 1e-3 and 0.5.
    for p in FEATURES[name]:
        for w in [1e-6, 1e-3, 0.5]:
            xs += (p + w * (2 * torch.rand(4, dtype=torch.float64, generator=gen) - 1)).tolist()
    xs += finite_extremes(dtype)
    return torch.tensor(xs, dtype=torch.float64).to(dtype)


def finite_or_none(values):
    """The values, with None where PyTorch's result is NaN or infinite (JSON has no NaN)."""
    return [v if math.isfinite(v) else None for v in values]


def activation_case(name, module, dtype, gen):
    x = activation_inputs(name, dtype, gen)
    dy = (2 * torch.rand(x.shape, dtype=torch.float64, generator=gen) - 1).to(dtype)
    dy[::7] = 1.0
    xr = x.clone().requires_grad_(True)
    y = module(xr)
    y.backward(dy)
    exact = [exact_activation(name, v, dtype) for v in x.tolist()]
    return {
        "name": name,
        "x": x.tolist(),
        "dy": dy.tolist(),
        "y": finite_or_none(y.detach().tolist()),
        "dx": finite_or_none(xr.grad.tolist()),
        "y_exact": [float(v) for v, _ in exact],
        "dx_exact": [float(mpf(g) * d) for (_, d), g in zip(exact, dy.tolist())],
    }


def layer_norm_cases(dtype, gen):
    cases = []
    for n in WIDTHS:
        for _ in range(4):
            batch = int(torch.randint(1, 7, (1,), generator=gen))
            scale = 10.0 ** float(torch.empty(1, dtype=torch.float64).uniform_(-3, 3, generator=gen))
            offset = float(torch.randn(1, dtype=torch.float64, generator=gen)) * scale
            x = (torch.randn(batch, n, dtype=torch.float64, generator=gen) * scale + offset).to(dtype)
            ln = nn.LayerNorm(n, dtype=dtype)
            with torch.no_grad():
                ln.weight.copy_(torch.randn(n, dtype=torch.float64, generator=gen))
                ln.bias.copy_(torch.randn(n, dtype=torch.float64, generator=gen))
            dy = torch.randn(batch, n, dtype=torch.float64, generator=gen).to(dtype)
            xr = x.clone().requires_grad_(True)
            y = ln(xr)
            y.backward(dy)
            exact = exact_layer_norm(
                x.tolist(), ln.weight.tolist(), ln.bias.tolist(), dy.tolist(),
                to_dtype(1e-5, dtype))
            cases.append({
                "n": n,
                "x": x.tolist(),
                "weight": ln.weight.tolist(),
                "bias": ln.bias.tolist(),
                "dy": dy.tolist(),
                "y": y.detach().tolist(),
                "dx": xr.grad.tolist(),
                "dweight": ln.weight.grad.tolist(),
                "dbias": ln.bias.grad.tolist(),
                "y_exact": floats(exact[0]),
                "dx_exact": floats(exact[1]),
                "dweight_exact": floats(exact[2]),
                "dbias_exact": floats(exact[3]),
            })
    return cases


def magnitudes(shape, dtype, gen, top):
    """Random values whose magnitudes are log-uniform from 1e-3 to 10^top, random signs."""
    e = torch.empty(shape, dtype=torch.float64).uniform_(-3, top, generator=gen)
    s = torch.randint(0, 2, shape, generator=gen).to(torch.float64) * 2 - 1
    return (s * torch.pow(10.0, e)).to(dtype)


def loss_cases(dtype, gen):
    big = 30 if dtype == torch.float32 else 300
    cases = []
    for name in ["mse", "cross-entropy", "bce-with-logits", "huber"]:
        for n in WIDTHS:
            for top in [1, 4, big if name != "mse" else 15]:
                batch = int(torch.randint(1, 7, (1,), generator=gen))
                y = magnitudes((batch, n), dtype, gen, top)
                if name == "cross-entropy":
                    target = torch.randint(0, n, (batch,), generator=gen)
                    # Sometimes the target is the largest logit (loss near 0).
                    if top == 4:
                        target = y.argmax(dim=1)
                elif name == "bce-with-logits":
                    target = torch.rand(batch, n, dtype=torch.float64, generator=gen)
                    target[:, ::3] = torch.randint(0, 2, target[:, ::3].shape, generator=gen).double()
                    target = target.to(dtype)
                elif name == "huber":
                    # Differences on both sides of the kink, some exactly at +-1.
                    d = magnitudes((batch, n), dtype, gen, 1).double()
                    d[:, ::2] = torch.sign(d[:, ::2]) * (1 + 1e-6 * (2 * torch.rand(
                        d[:, ::2].shape, dtype=torch.float64, generator=gen) - 1))
                    d[0, 0] = 1.0
                    target = (y.double() - d).to(dtype) if top == 1 else magnitudes(
                        (batch, n), dtype, gen, top)
                else:
                    target = magnitudes((batch, n), dtype, gen, min(top, 15))
                yr = y.clone().requires_grad_(True)
                if name == "mse":
                    loss = F.mse_loss(yr, target)
                elif name == "cross-entropy":
                    loss = F.cross_entropy(yr, target)
                elif name == "bce-with-logits":
                    loss = F.binary_cross_entropy_with_logits(yr, target)
                else:
                    loss = F.huber_loss(yr, target, delta=1.0)
                loss.backward()
                exact = exact_loss(name, y.tolist(), target.tolist())
                cases.append({
                    "name": name,
                    "n": n,
                    "y": y.tolist(),
                    "target": target.tolist(),
                    "loss": loss.item(),
                    "dy": yr.grad.tolist(),
                    "loss_exact": float(exact[0]),
                    "dy_exact": floats(exact[1]),
                })
    return cases


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20261129)
    out = {
        "description": "Forward and backward of the core's activations, LayerNorm and losses "
        "from PyTorch " + torch.__version__.split("+")[0] + "; written by tools/layers_fixture.py",
    }
    for key, dtype in DTYPES.items():
        out[key] = {
            "activations": [activation_case(n, m, dtype, gen) for n, m in ACTIVATIONS.items()],
            "layer_norm": layer_norm_cases(dtype, gen),
            "losses": loss_cases(dtype, gen),
        }
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
