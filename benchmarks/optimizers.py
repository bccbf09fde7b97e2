"""Benchmark: each deepnotes optimizer's ``step()`` against torch's built-in (foreach=True).

    python benchmarks/optimizers.py [--repeats 15] [--steps 20] [--threads 1] [--write]

Two parameter sets: a 1M-parameter MLP (784-1024-192-10: 4 large tensors plus biases) and a model
with many small tensors (400 tensors of 10x10 and 400 of 10). Both optimizers get identical
parameters and the same fixed gradients; only ``step()`` is timed. The two alternate
(ours, torch, torch, ours, ...) so machine load hits both alike. Time is this process's CPU time
(``time.process_time``: with one torch thread it is the work done, and other processes on a
shared machine inflate it less than wall time). Printed: microseconds per step (fastest repeat)
and two ratios time(deepnotes) / time(torch): of the fastest repeats and the median of the
per-repeat ratios. The goal is <= 1.5. ``--write`` stores the table in
benchmarks/results/optimizers.md.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time
from pathlib import Path

import torch

from deepnotes import optim as dn

CASES = {
    "SGD": (dn.SGD, torch.optim.SGD, dict(lr=0.01)),
    "SGD momentum": (dn.SGD, torch.optim.SGD, dict(lr=0.01, momentum=0.9)),
    "SGD nesterov+wd": (dn.SGD, torch.optim.SGD, dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    "Adagrad": (dn.Adagrad, torch.optim.Adagrad, dict(lr=0.01)),
    "RMSprop": (dn.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    "RMSprop centered+momentum": (dn.RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.9)),
    "Adadelta": (dn.Adadelta, torch.optim.Adadelta, dict()),
    "Adam": (dn.Adam, torch.optim.Adam, dict(lr=1e-3)),
    "Adam amsgrad+wd": (dn.Adam, torch.optim.Adam, dict(lr=1e-3, amsgrad=True, weight_decay=1e-4)),
    "RAdam": (dn.RAdam, torch.optim.RAdam, dict(lr=1e-3)),
}


def parameter_sets() -> dict[str, list[torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    big = [(1024, 784), (1024,), (192, 1024), (192,), (10, 192), (10,)]
    small = [(10, 10)] * 400 + [(10,)] * 400
    return {"MLP 1.0M params (6 tensors)": [torch.randn(s, generator=g) for s in big],
            "800 small tensors (44k params)": [torch.randn(s, generator=g) for s in small]}


def make(shapes_like: list[torch.Tensor], cls, kw, foreach: bool):
    params = [p.clone().requires_grad_() for p in shapes_like]
    g = torch.Generator().manual_seed(1)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g) * 1e-2
    opt = cls(params, foreach=True, **kw) if foreach else cls(params, **kw)
    opt.step()                                        # state created outside the timed region
    return opt


def time_steps(opt, steps: int) -> float:
    t0 = time.process_time()
    for _ in range(steps):
        opt.step()
    return (time.process_time() - t0) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for pname, like in parameter_sets().items():
        for cname, (ours_cls, ref_cls, kw) in CASES.items():
            if args.only and cname not in args.only.split(","):
                continue
            ours, ref = make(like, ours_cls, kw, False), make(like, ref_cls, kw, True)
            to, tr, ratios = [], [], []
            for r in range(args.repeats):
                order = (ours, ref) if r % 2 == 0 else (ref, ours)
                times = {id(o): time_steps(o, args.steps) for o in order}
                to.append(times[id(ours)])
                tr.append(times[id(ref)])
                ratios.append(to[-1] / tr[-1])
            row = (pname, cname, min(to) * 1e6, min(tr) * 1e6, min(to) / min(tr), statistics.median(ratios))
            rows.append(row)
            print(f"{pname:32s} {cname:28s} ours {row[2]:9.1f} us  torch {row[3]:9.1f} us  "
                  f"ratio(min) {row[4]:.3f}  ratio(median) {row[5]:.3f}", flush=True)
    if args.write:
        lines = ["# deepnotes optimizers vs torch.optim (foreach=True): time per `step()`", "",
                 f"{datetime.date.today()}, torch {torch.__version__}, {platform.processor() or platform.machine()}, "
                 f"{args.threads} thread(s), CPU time (process_time), {args.repeats} interleaved repeats x "
                 f"{args.steps} steps; goal ratio <= 1.5. Measured on a shared 2-core machine under load.", "",
                 "| parameters | optimizer | deepnotes (us) | torch foreach (us) | ratio (fastest) | ratio (median) |",
                 "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {p} | {c} | {a:.1f} | {b:.1f} | {r:.3f} | {m:.3f} |" for p, c, a, b, r, m in rows]
        out = Path(__file__).parent / "results" / "optimizers.md"
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
