"""Convolution-family layers: deepnotes fast path and from-definition path vs torch, forward + backward.

    python benchmarks/conv.py [--threads 1] [--repeats 20]

Prints a markdown table of median times and ratios (ours / torch); torch is measured in the same
run on the same inputs. The fast path calls the same torch kernel after argument checks, so its
ratio measures our Python overhead; the definition path (a sum over kernel taps / windows) is
reported as it is.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from deepnotes.nn import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d


def bench(fn, x, repeats: int) -> float:
    """Median seconds of forward + backward."""
    times = []
    for r in range(repeats + 3):
        x.grad = None
        t0 = time.perf_counter()
        fn(x).sum().backward()
        if r >= 3:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(16, 32, 32, 32, requires_grad=True)
    cases = []
    ref = torch.nn.Conv2d(32, 64, 3, padding=1)
    for fast in (True, False):
        ours = Conv2d(32, 64, 3, padding=1, fast=fast)
        ours.load_state_dict(ref.state_dict())
        cases.append((f"Conv2d 32->64 3x3, 16x32x32 ({'fast' if fast else 'definition'})", ours, ref))
    ref_t = torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
    for fast in (True, False):
        ours = ConvTranspose2d(32, 16, 4, stride=2, padding=1, fast=fast)
        ours.load_state_dict(ref_t.state_dict())
        cases.append((f"ConvTranspose2d 32->16 4x4/2 ({'fast' if fast else 'definition'})", ours, ref_t))
    for fast in (True, False):
        cases.append((f"MaxPool2d 2x2 ({'fast' if fast else 'definition'})", MaxPool2d(2, fast=fast), torch.nn.MaxPool2d(2)))
        cases.append((f"AvgPool2d 3x3/2 pad 1 ({'fast' if fast else 'definition'})", AvgPool2d(3, 2, 1, fast=fast),
                      torch.nn.AvgPool2d(3, 2, 1)))
    print(f"threads={a.threads} repeats={a.repeats} torch={torch.__version__}\n")
    print("| layer (forward + backward) | torch ms | deepnotes ms | ratio |")
    print("|---|---|---|---|")
    for name, ours, ref_m in cases:
        torch.testing.assert_close(ours(x), ref_m(x), atol=1e-4, rtol=1e-4)
        t_ref, t_ours = bench(ref_m, x, a.repeats), bench(ours, x, a.repeats)
        # second reference measurement to show the noise floor of a ratio
        print(f"| {name} | {t_ref * 1e3:.2f} | {t_ours * 1e3:.2f} | {t_ours / t_ref:.2f}x |")


if __name__ == "__main__":
    main()
