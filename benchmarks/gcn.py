"""Benchmark: sparse GCNConv (index_add_ message passing) vs a dense-matrix reference.

    python benchmarks/gcn.py [--repeats 5] [--channels 32] [--threads 1] [--write]

Random graphs with E = 1k, 10k and 100k directed edges (N = E / 10 nodes, mean degree 10).
Forward + backward of one GCNConv layer (in = out = ``--channels``). References, given the same
weights and checked to give the same output: the dense formula D~^-1/2 (A + I) D~^-1/2 X W with
the N x N matrix built once outside the timed region (so the dense side pays only the matmul),
and torch.sparse (CSR) with the same normalisation. "ours" recomputes the normalisation each call
(inductive use, index_add_ message passing); "cached" is ``GCNConv(..., cached=True)`` (one
fixed graph, as the references), whose fast path is torch.sparse.mm on the cached CSR matrix.
Time is CPU time (``time.process_time``), fastest of ``--repeats`` interleaved runs; ratios are reference / ours (> 1: ours is faster).
``--write`` stores the table in benchmarks/results/interp_graphs.md (the GCN section).
"""
from __future__ import annotations

import argparse
import datetime
import platform
import re
import time
from pathlib import Path

import torch

from deepnotes.graphs import GCNConv, gcn_norm, to_dense_adj


PATH = Path(__file__).parent / "results" / "interp_graphs.md"


def write_section(key: str, title: str, body: str) -> None:
    text = PATH.read_text() if PATH.exists() else "# Benchmarks: interpretability and graphs\n"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"<!-- {key} -->\n## {title}\n\n{body}\n_measured {stamp}_\n<!-- /{key} -->\n"
    pattern = re.compile(rf"<!-- {key} -->.*?<!-- /{key} -->\n", re.S)
    text = pattern.sub(lambda m: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    PATH.write_text(text)


def random_graph(num_edges: int, seed: int = 0) -> tuple[torch.Tensor, int]:
    g = torch.Generator().manual_seed(seed)
    n = max(num_edges // 10, 10)
    src = torch.randint(n, (num_edges,), generator=g)
    dst = torch.randint(n, (num_edges,), generator=g)
    keep = src != dst
    return torch.stack([src[keep], dst[keep]]), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = ["| edges | nodes | ours ms | ours cached (sparse.mm fast path) ms | dense ms | torch.sparse ms | dense / ours "
            "| dense / ours cached | torch.sparse / ours cached |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for E in args.sizes:
        ei, n = random_graph(E)
        torch.manual_seed(0)
        conv = GCNConv(args.channels, args.channels)
        cached = GCNConv(args.channels, args.channels, cached=True)
        cached.load_state_dict(conv.state_dict())
        x = torch.randn(n, args.channels, requires_grad=True)
        full_ei, w = gcn_norm(ei, n)
        dense = to_dense_adj(full_ei, n, w).t().contiguous()                   # out[dst] += w h[src]
        sparse = torch.sparse_coo_tensor(full_ei.flip(0), w, (n, n), check_invariants=False).coalesce()
        sparse = sparse.to_sparse_csr()
        W, b = conv.lin.weight.detach().requires_grad_(True), conv.bias.detach().requires_grad_(True)
        fns = {"ours": lambda: conv(x, ei), "cached": lambda: cached(x, ei),
               "dense": lambda: dense @ (x @ W.t()) + b,
               "torch.sparse": lambda: torch.sparse.mm(sparse, x @ W.t()) + b}
        ref = fns["ours"]().detach()
        for name, fn in fns.items():
            torch.testing.assert_close(fn().detach(), ref, atol=1e-4, rtol=1e-4)
        best = {k: float("inf") for k in fns}
        for _ in range(args.repeats):
            for name, fn in fns.items():
                t0 = time.process_time()
                fn().sum().backward()
                best[name] = min(best[name], time.process_time() - t0)
        o, c = best["ours"], best["cached"]
        rows.append(f"| {ei.size(1):,} | {n:,} | {o * 1e3:.2f} | {c * 1e3:.2f} | {best['dense'] * 1e3:.2f} | "
                    f"{best['torch.sparse'] * 1e3:.2f} | {best['dense'] / o:.2f} | {best['dense'] / c:.2f} | "
                    f"{best['torch.sparse'] / c:.2f} |")
        print(rows[-1], flush=True)
    head = (f"GCNConv forward + backward, {args.channels} -> {args.channels} channels, {args.threads} thread(s), "
            f"fastest of {args.repeats} ({platform.processor() or platform.machine()}, torch {torch.__version__}).")
    text = head + "\n\n" + "\n".join(rows) + "\n"
    print(text)
    if args.write:
        write_section("gcn", "GCN: sparse message passing vs dense adjacency", text)


if __name__ == "__main__":
    main()
