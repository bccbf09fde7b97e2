"""Benchmark: integrated gradients with all m scaled inputs in one batch vs an equivalent loop.

    python benchmarks/integrated_gradients.py [--repeats 7] [--steps 50] [--batch 16] [--threads 1] [--write]

Model: the small digits CNN of the interpretability experiments (random weights: timing does not
depend on training). ``deepnotes.interpret.integrated_gradients`` evaluates the B x m scaled
inputs in one forward/backward; the references compute the same numbers (checked) with a
Python loop over the m steps (one B-image batch per step) and over every (example, step) pair.
Time is this process's CPU time (``time.process_time``), fastest of ``--repeats`` interleaved
runs; ratios are loop / batched (> 1: batching wins). ``--write`` stores the table in
benchmarks/results/interp_graphs.md (the integrated-gradients section).
"""
from __future__ import annotations

import argparse
import datetime
import platform
import re
import time
from pathlib import Path

import torch
from torch import nn

from deepnotes.interpret import integrated_gradients, riemann_points


PATH = Path(__file__).parent / "results" / "interp_graphs.md"


def write_section(key: str, title: str, body: str) -> None:
    text = PATH.read_text() if PATH.exists() else "# Benchmarks: interpretability and graphs\n"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"<!-- {key} -->\n## {title}\n\n{body}\n_measured {stamp}_\n<!-- /{key} -->\n"
    pattern = re.compile(rf"<!-- {key} -->.*?<!-- /{key} -->\n", re.S)
    text = pattern.sub(lambda m: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    PATH.write_text(text)


def cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10))


def loop_over_steps(model, x, target, steps):
    alphas, weights = riemann_points(steps, "gausslegendre")
    total = torch.zeros_like(x)
    for a, w in zip(alphas, weights):
        z = (a * x).requires_grad_(True)                                        # zero baseline
        (g,) = torch.autograd.grad(model(z).gather(1, target[:, None]).sum(), z)
        total += w * g
    return x * total


def loop_over_pairs(model, x, target, steps):
    return torch.cat([loop_over_steps(model, x[i:i + 1], target[i:i + 1], steps) for i in range(len(x))])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = cnn().eval()
    x = torch.rand(args.batch, 1, 8, 8)
    t = torch.randint(10, (args.batch,))
    fns = {"batched (deepnotes)": lambda: integrated_gradients(model, x, t, n_steps=args.steps),
           "loop over steps": lambda: loop_over_steps(model, x, t, args.steps),
           "loop over (example, step)": lambda: loop_over_pairs(model, x, t, args.steps)}
    ref = fns["batched (deepnotes)"]()
    for name, fn in fns.items():
        torch.testing.assert_close(fn(), ref, atol=1e-5, rtol=1e-4)
    best = {k: float("inf") for k in fns}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    base = best["batched (deepnotes)"]
    rows = ["| method | CPU ms | ratio to batched |", "|---|---:|---:|"]
    rows += [f"| {k} | {v * 1e3:.1f} | {v / base:.2f} |" for k, v in best.items()]
    head = (f"Integrated gradients, digits CNN, B = {args.batch} images, m = {args.steps} steps, "
            f"{args.threads} thread(s), fastest of {args.repeats} ({platform.processor() or platform.machine()}, "
            f"torch {torch.__version__}).")
    text = head + "\n\n" + "\n".join(rows) + "\n"
    print(text)
    if args.write:
        write_section("integrated_gradients", "Integrated gradients: batched vs loop", text)


if __name__ == "__main__":
    main()
