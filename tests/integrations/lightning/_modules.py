"""A torch module importable by name without Lightning (cheap to load in a fresh process)."""

from __future__ import annotations

import torch


class TinyMlp(torch.nn.Module):
    """A plain module that records its constructor arguments as ``hparams``, like Lightning's."""

    def __init__(self, width: int = 3):
        super().__init__()
        self.hparams = {"width": width}
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(3, width), torch.nn.Tanh(), torch.nn.Linear(width, 1)
        )

    def forward(self, x):
        return self.layers(x)
