"""Device choice: ``auto`` takes CUDA, then Apple's MPS, then the CPU."""
from __future__ import annotations

import torch

__all__ = ["choose_device", "DEVICES"]

DEVICES = ("auto", "cpu", "cuda", "mps")


def choose_device(name: str = "auto") -> torch.device:
    """Return the torch device for ``name``; asking for an absent accelerator is an error."""
    base = name.split(":")[0]
    if base not in DEVICES:
        raise ValueError(f"device: expected one of {', '.join(DEVICES)}, got {name!r}")
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if base == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if has_mps else "cpu")
    if base == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: expected an available device, got 'cuda' but CUDA is not available")
    if base == "mps" and not has_mps:
        raise ValueError("device: expected an available device, got 'mps' but MPS is not available")
    return torch.device(name)
