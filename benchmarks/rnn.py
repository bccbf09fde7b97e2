"""Recurrent layers: deepnotes fast path (fused kernel) and from-equations path vs torch.nn.

    python benchmarks/rnn.py [--threads 1] [--repeats 10] [--write]

Forward + backward of LSTM and GRU (batch 32, length 64, input 64, hidden 128, one layer), and
the tokens/s of one training step of the char-level GPT used in tnlp-gpt-bpe. torch.nn is
measured in the same run on the same inputs with the same weights. Ratios are ours / torch
(lower is better; the goal for the fast path is <= 1.05).
"""
from __future__ import annotations

import argparse

import torch

from timing import median_seconds as bench

from deepnotes.nn import GRU, LSTM
from deepnotes.text import GPT, GPTConfig


def rnn_rows(repeats: int) -> list[tuple[str, float, float, float]]:
    rows = []
    x = torch.randn(32, 64, 64)
    for name, ours_cls, ref_cls in (("LSTM", LSTM, torch.nn.LSTM), ("GRU", GRU, torch.nn.GRU)):
        ref = ref_cls(64, 128, batch_first=True)
        fast = ours_cls(64, 128, batch_first=True, fast=True)
        slow = ours_cls(64, 128, batch_first=True, fast=False)
        fast.load_state_dict(ref.state_dict())
        slow.load_state_dict(ref.state_dict())
        step = lambda m: m(x)[0].sum().backward()  # noqa: E731
        t_ref = bench(lambda: step(ref), repeats)
        t_fast = bench(lambda: step(fast), repeats)
        t_slow = bench(lambda: step(slow), max(2, repeats // 3))
        rows.append((name, t_ref, t_fast, t_slow))
    return rows


def gpt_tokens_per_s(repeats: int) -> float:
    cfg = GPTConfig(vocab_size=80, block_size=64, n_layer=2, n_head=4, n_embd=64)
    model = GPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, 80, (32, 65))

    def step():
        _, loss = model(x[:, :-1], x[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return 32 * 64 / bench(step, repeats)


def main() -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    lines = ["| layer (fwd+bwd, B=32 T=64 X=64 H=128) | torch.nn ms | fast path ms | fast / torch | equations ms | equations / torch |",
             "|---|---|---|---|---|---|"]
    for name, t_ref, t_fast, t_slow in rnn_rows(a.repeats):
        lines.append(f"| {name} | {t_ref * 1e3:.1f} | {t_fast * 1e3:.1f} | {t_fast / t_ref:.2f} | "
                     f"{t_slow * 1e3:.1f} | {t_slow / t_ref:.2f} |")
    lines.append("")
    lines.append(f"char-level GPT training step (2 layers, d=64, B=32, T=64): {gpt_tokens_per_s(a.repeats):,.0f} tokens/s")
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
