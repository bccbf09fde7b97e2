"""Alignment regularisers and monotonic attention: the guided-attention loss and expected
monotonic alignments.

Syllabus: sequences.guided_attention_loss, sequences.monotonic_attention.
Notes: 000 L5.19-L5.20.

Guided attention (Tachibana et al.), for an alignment A (N output steps x T input steps):

    W_nt = 1 - exp(-(n/N - t/T)^2 / (2 g^2)),  g = 0.2;    L = mean_{n,t} A_nt W_nt

Monotonic attention (Raffel et al.): at output step i the reader scans forward from where it
stopped at step i-1 and stops at input j with probability p_ij = sigmoid(e_ij). Training uses
the expected alignment

    q_ij = (1 - p_{i,j-1}) q_{i,j-1} + alpha_{i-1,j},     alpha_ij = p_ij q_ij

(alpha_0 = e_1: the reader starts at the first input); rows may sum to less than 1 (the
reader ran off the end). At test time the hard version stops at the first j with p_ij >= 0.5.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..core import expect, syllabus

__all__ = ["guided_attention_weights", "guided_attention_loss", "monotonic_expected_alignment",
           "monotonic_hard_alignment"]


@syllabus("sequences.guided_attention_loss")
def guided_attention_weights(N: int, T: int, g: float = 0.2, dtype=torch.float32, device=None) -> Tensor:
    """(N, T) penalty W_nt = 1 - exp(-(n/N - t/T)^2 / (2 g^2)), with n, t counted from 0."""
    n = torch.arange(N, dtype=dtype, device=device).unsqueeze(1) / N
    t = torch.arange(T, dtype=dtype, device=device).unsqueeze(0) / T
    return 1 - torch.exp(-((n - t) ** 2) / (2 * g * g))


@syllabus("sequences.guided_attention_loss")
def guided_attention_loss(attention: Tensor, g: float = 0.2, output_lengths: Tensor | None = None,
                          input_lengths: Tensor | None = None) -> Tensor:
    """mean of A * W over (B, N, T) attention maps (per-example lengths respected if given)."""
    expect(attention.dim() == 3, "attention", "a (B, N, T) alignment", tuple(attention.shape))
    B, N, T = attention.shape
    if output_lengths is None and input_lengths is None:
        return (attention * guided_attention_weights(N, T, g, attention.dtype, attention.device)).mean()
    out_l = output_lengths if output_lengths is not None else torch.full((B,), N)
    in_l = input_lengths if input_lengths is not None else torch.full((B,), T)
    expect(len(out_l) == B and max(map(int, out_l)) <= N, "output_lengths", f"{B} lengths <= N={N}", list(map(int, out_l)))
    expect(len(in_l) == B and max(map(int, in_l)) <= T, "input_lengths", f"{B} lengths <= T={T}", list(map(int, in_l)))
    total = attention.new_zeros(())
    count = 0
    for b in range(B):
        n, t = int(out_l[b]), int(in_l[b])
        total = total + (attention[b, :n, :t] * guided_attention_weights(n, t, g, attention.dtype,
                                                                          attention.device)).sum()
        count += n * t
    return total / count


@syllabus("sequences.monotonic_attention")
def monotonic_expected_alignment(energy: Tensor) -> Tensor:
    """Expected alignments alpha (B, N, T) from stop energies e (B, N, T) (p = sigmoid(e))."""
    expect(energy.dim() == 3, "energy", "a (B, N, T) tensor", tuple(energy.shape))
    B, N, T = energy.shape
    p = torch.sigmoid(energy)
    prev = torch.zeros(B, T, dtype=energy.dtype, device=energy.device)
    prev[:, 0] = 1                                                      # alpha_0 = e_1
    rows = []
    for i in range(N):
        q, qs = torch.zeros(B, dtype=energy.dtype, device=energy.device), []
        for j in range(T):
            q = (q * (1 - p[:, i, j - 1]) if j > 0 else q) + prev[:, j]    # (B,)
            qs.append(q)
        alpha = p[:, i] * torch.stack(qs, 1)                            # (B, T)
        rows.append(alpha)
        prev = alpha
    return torch.stack(rows, 1)


@syllabus("sequences.monotonic_attention")
def monotonic_hard_alignment(energy: Tensor, threshold: float = 0.5) -> Tensor:
    """Test-time positions (B, N): stop at the first j >= previous position with p >= threshold
    (stay at the last input when none does), so positions never decrease."""
    B, N, T = energy.shape
    p = torch.sigmoid(energy)
    pos = torch.zeros(B, dtype=torch.long, device=energy.device)
    out = []
    for i in range(N):
        j = torch.arange(T, device=energy.device).expand(B, T)
        ok = (p[:, i] >= threshold) & (j >= pos[:, None])
        first = torch.where(ok, j, torch.full_like(j, T)).min(1).values
        pos = torch.where(first < T, first, torch.full_like(first, T - 1))
        out.append(pos)
    return torch.stack(out, 1)
