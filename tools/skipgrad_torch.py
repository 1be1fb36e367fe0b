"""The PyTorch modules whose state_dict names are skipgrad's, for the weights scripts.

- The notebook's network (`ExampleDeepNeuralNetwork`, its `layers` ModuleList): names
  `layers.0.0.weight` ... `layers.4.0.bias`, with or without shortcuts (the same tensors).
- `skipgrad train`'s network as skipgrad names it: an input block `nn.Sequential(Linear,
  act)`, a `nn.Sequential` of blocks, and the output `Linear`: `0.0.weight`, `1.<k>.0.weight`,
  `2.weight`. A shortcut block is a `Residual`, an `nn.Sequential` that adds its input to its
  output, so it adds no name segment (as skipgrad's `Residual` does not).
"""

import torch
from torch import nn


class Gelu(nn.Module):
    """The seed notebook's GELU (tanh approximation, constants in float32)."""

    def forward(self, x):
        c = torch.sqrt(torch.tensor(2.0 / torch.pi, dtype=x.dtype))
        return 0.5 * x * (1 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3))))


class Notebook(nn.Module):
    """The notebook's ExampleDeepNeuralNetwork for layer sizes 3-3-3-3-3-1."""

    def __init__(self, use_shortcut, sizes=(3, 3, 3, 3, 3, 1)):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(sizes[i], sizes[i + 1]), Gelu()) for i in range(len(sizes) - 1)]
        )

    def forward(self, x):
        for layer in self.layers:
            y = layer(x)
            x = x + y if self.use_shortcut and x.shape == y.shape else y
        return x


class Residual(nn.Sequential):
    """`x + block(x)`, named as its block (no name segment of its own)."""

    def forward(self, x):
        return x + super().forward(x)


def train_net(inputs, width, depth, shortcut=True, norm=False, act=Gelu):
    """`skipgrad train`'s network. With `norm`, each block is LayerNorm, Linear, activation."""

    def block():
        parts = ([nn.LayerNorm(width)] if norm else []) + [nn.Linear(width, width), act()]
        return Residual(*parts) if shortcut else nn.Sequential(*parts)

    return nn.Sequential(
        nn.Sequential(nn.Linear(inputs, width), act()),
        nn.Sequential(*[block() for _ in range(depth)]),
        nn.Linear(width, 1),
    )
