"""BatchNorm / LayerNorm / Dropout: deepnotes vs torch.nn, forward + backward.

    python benchmarks/layers.py [--threads 1] [--repeats 30] [--write]

Each row times forward + backward (sum().backward()) of one layer in training mode on the same
input, torch measured in the same run, interleaved with ours. Time is CPU time
(``time.process_time``), the fastest of ``--repeats`` runs, which is stable on a shared machine.
"fused" is the default path of our modules (argument checks, then torch's fused kernel, the same
maths); "equations" is the path written from the equations (``fused=False``; Dropout has only
that path: a Bernoulli mask times the input, as torch's CPU kernel does). Ratios are ours / torch
(goal <= 1.2 for the default path). ``--write`` stores the table in benchmarks/results/layers.md.
"""
from __future__ import annotations

import argparse
import datetime
import platform
import time
from pathlib import Path

import torch

from deepnotes.nn import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm

PATH = Path(__file__).parent / "results" / "layers.md"


def cpu_time(layer, x: torch.Tensor) -> float:
    x.grad = None
    t0 = time.process_time()
    layer(x).sum().backward()
    return time.process_time() - t0


def compare(layers: dict[str, torch.nn.Module], shape: tuple[int, ...], repeats: int) -> dict[str, float]:
    x = torch.randn(shape, requires_grad=True)
    best = {k: float("inf") for k in layers}
    for k, layer in layers.items():                      # warm-up
        cpu_time(layer, x)
    for _ in range(repeats):                             # interleaved: contention hits all alike
        for k, layer in layers.items():
            best[k] = min(best[k], cpu_time(layer, x))
    return best


def main() -> str:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cases = [
        ("BatchNorm1d(256), train", (512, 256),
         {"torch": torch.nn.BatchNorm1d(256), "fused": BatchNorm1d(256),
          "equations": BatchNorm1d(256, fused=False)}),
        ("BatchNorm2d(64), train", (32, 64, 16, 16),
         {"torch": torch.nn.BatchNorm2d(64), "fused": BatchNorm2d(64),
          "equations": BatchNorm2d(64, fused=False)}),
        ("LayerNorm(256)", (64, 128, 256),
         {"torch": torch.nn.LayerNorm(256), "fused": LayerNorm(256), "equations": LayerNorm(256, fused=False)}),
        ("Dropout(0.5), train", (256, 1024),
         {"torch": torch.nn.Dropout(0.5), "equations": Dropout(0.5)}),
    ]
    lines = ["| layer (fwd+bwd) | input | torch ms | ours (default) ms | default / torch | equations ms | equations / torch |",
             "|---|---|---|---|---|---|---|"]
    for name, shape, layers in cases:
        t = compare(layers, shape, a.repeats)
        base = t["torch"]
        default = t.get("fused", t["equations"])
        lines.append(f"| {name} | {tuple(shape)} | {1e3 * base:.3f} | {1e3 * default:.3f} | {default / base:.2f} "
                     f"| {1e3 * t['equations']:.3f} | {t['equations'] / base:.2f} |")
    table = "\n".join(lines)
    print(table)
    if a.write:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        PATH.parent.mkdir(parents=True, exist_ok=True)
        PATH.write_text(
            "# Benchmarks: normalisation and dropout layers\n\n"
            f"`python benchmarks/layers.py --threads {a.threads} --repeats {a.repeats} --write`, torch "
            f"{torch.__version__}, {platform.processor() or platform.machine()}, CPU time (fastest of "
            f"{a.repeats} interleaved runs), measured {stamp} on a CPU shared with other jobs.\n\n"
            "Our modules default to torch's fused kernels after checking their arguments (the same "
            "maths, tested equal to the equation path); the equation path is what the module "
            "docstrings show. Dropout has one path, written from its definition.\n\n" + table + "\n")
    return table


if __name__ == "__main__":
    main()
