"""Attention: deepnotes manual scaled dot-product attention and its SDPA fast path vs
torch.nn.functional.scaled_dot_product_attention; MultiheadAttention vs torch.nn.

    python benchmarks/attention.py [--threads 1] [--repeats 20]

Forward + backward, batch 8, 4 heads of 32, lengths 128 / 512. Ratios are ours / torch.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from timing import median_seconds as bench

from deepnotes.nn import MultiheadAttention, scaled_dot_product_attention


def main() -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    lines = ["| attention (fwd+bwd, B=8, 4 heads x 32) | T | torch SDPA ms | manual ms | manual / torch | fast path ms | fast / torch |",
             "|---|---|---|---|---|---|---|"]
    for T in (128, 512):
        q, k, v = (torch.randn(8, 4, T, 32, requires_grad=True) for _ in range(3))
        run = lambda f: f(q, k, v).sum().backward()  # noqa: E731
        t_ref = bench(lambda: run(lambda *t: F.scaled_dot_product_attention(*t, is_causal=True)), a.repeats)
        t_man = bench(lambda: run(lambda *t: scaled_dot_product_attention(*t, is_causal=True)), a.repeats)
        t_fast = bench(lambda: run(lambda *t: scaled_dot_product_attention(*t, is_causal=True, fast=True)), a.repeats)
        lines.append(f"| causal SDPA | {T} | {t_ref * 1e3:.1f} | {t_man * 1e3:.1f} | {t_man / t_ref:.2f} | "
                     f"{t_fast * 1e3:.1f} | {t_fast / t_ref:.2f} |")
    x = torch.randn(8, 128, 128, requires_grad=True)
    ref = torch.nn.MultiheadAttention(128, 4, batch_first=True)
    ours = MultiheadAttention(128, 4, batch_first=True, fast=True)
    ours.load_state_dict(ref.state_dict())
    t_ref = bench(lambda: ref(x, x, x, need_weights=False)[0].sum().backward(), a.repeats)
    t_ours = bench(lambda: ours(x, x, x, need_weights=False)[0].sum().backward(), a.repeats)
    lines.append(f"| MultiheadAttention (E=128, T=128) | 128 | {t_ref * 1e3:.1f} | - | - | {t_ours * 1e3:.1f} | {t_ours / t_ref:.2f} |")
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
