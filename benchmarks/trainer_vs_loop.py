"""Benchmark: the Trainer against a bare PyTorch loop on the same model, data, batches and seed.

    python benchmarks/trainer_vs_loop.py [--repeats 21] [--epochs 3] [--threads 1] [--write]

For each model (an MLP on flat digits, a small CNN on 8x8 digits) the two loops alternate
(bare, Trainer, Trainer, bare, ...) so that machine load hits both alike. Time is this process's
CPU time (``time.process_time``; with one torch thread it is the work done, and other processes
on a shared machine inflate it less than wall time). Each prints steps per CPU-second (from the
fastest repeat) and two ratios time(Trainer) / time(bare): of the fastest repeats (least
disturbed by other load; what timeit reports) and the median of the per-repeat ratios.
Whole runs include building the Trainer (as a user pays it); a second measure alternates single
epochs of a long-lived Trainer (``train_epoch``) with epochs of the bare loop, isolating the
per-step cost of the loop itself. The goal is <= 1.03.
``--write`` stores the table in benchmarks/results/trainer.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from deepnotes import data
from deepnotes.train import Trainer, epoch_batches


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10))


def bare_loop(model, opt, x, y, epochs, batch_size, seed) -> int:
    steps = 0
    model.train()
    for epoch in range(epochs):
        for idx in epoch_batches(len(x), batch_size, seed, epoch):
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
    return steps


def trainer_loop(model, opt, dataset, epochs, batch_size, seed) -> int:
    trainer = Trainer(model, opt, F.cross_entropy, dataset, epochs=epochs, batch_size=batch_size, seed=seed,
                      device="cpu", checkpoint_every=None)
    trainer.fit()
    return trainer.step


def measure_epochs(make_model, flatten, repeats, batch_size=32, seed=0):
    """Steady state: both loops keep their model and alternate single epochs (Trainer.train_epoch)."""
    dataset = data.load("digits", split="train", flatten=flatten)
    x, y = dataset.tensors
    torch.manual_seed(seed)
    bare_model = make_model()
    torch.manual_seed(seed)
    model = make_model()
    bare_opt = torch.optim.Adam(bare_model.parameters(), lr=1e-3)
    trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=1e-3), F.cross_entropy, dataset,
                      epochs=repeats, batch_size=batch_size, seed=seed, device="cpu", checkpoint_every=None)
    times = {"bare": [], "trainer": []}
    for e in range(repeats + 1):
        for kind in (("bare", "trainer") if e % 2 == 0 else ("trainer", "bare")):
            t0 = time.process_time()
            if kind == "bare":
                bare_loop_epoch(bare_model, bare_opt, x, y, e, batch_size, seed)
            else:
                trainer.train_epoch(e)
            if e:
                times[kind].append(time.process_time() - t0)
    ratios = [t / b for t, b in zip(times["trainer"], times["bare"])]
    return min(times["trainer"]) / min(times["bare"]), statistics.median(ratios)


def bare_loop_epoch(model, opt, x, y, epoch, batch_size, seed) -> None:
    model.train()
    for idx in epoch_batches(len(x), batch_size, seed, epoch):
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def measure(name, make_model, flatten, repeats, epochs, batch_size=32, seed=0):
    dataset = data.load("digits", split="train", flatten=flatten)
    x, y = dataset.tensors
    times = {"bare": [], "trainer": []}
    steps = {}
    for r in range(repeats + 1):                 # repeat 0 warms up both paths and is discarded
        order = ("bare", "trainer") if r % 2 == 0 else ("trainer", "bare")
        for kind in order:
            torch.manual_seed(seed)
            model = make_model()
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            t0 = time.process_time()
            if kind == "bare":
                steps[kind] = bare_loop(model, opt, x, y, epochs, batch_size, seed)
            else:
                steps[kind] = trainer_loop(model, opt, dataset, epochs, batch_size, seed)
            if r:
                times[kind].append(time.process_time() - t0)
    assert steps["bare"] == steps["trainer"]
    ratios = [t / b for t, b in zip(times["trainer"], times["bare"])]
    epoch_best, epoch_median = measure_epochs(make_model, flatten, 2 * repeats)
    return {"model": name, "epoch_best": epoch_best, "epoch_median": epoch_median, "steps": steps["bare"],
            "bare_steps_s": steps["bare"] / min(times["bare"]),
            "trainer_steps_s": steps["trainer"] / min(times["trainer"]),
            "ratio_best": min(times["trainer"]) / min(times["bare"]),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--write", action="store_true", help="write benchmarks/results/trainer.md")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rows = [measure("MLP 64-128-10 (digits, flat)", mlp, True, args.repeats, args.epochs),
            measure("CNN 2 conv + 2 FC (digits 8x8)", cnn, False, args.repeats, args.epochs)]
    lines = ["| model | steps per run | bare loop steps/CPU-s | Trainer steps/CPU-s | whole runs: ratio of fastest | "
             "whole runs: median ratio (min..max) | steady-state epochs: ratio of fastest | epochs: median ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['steps']} | {r['bare_steps_s']:.0f} | {r['trainer_steps_s']:.0f} | "
                     f"{r['ratio_best']:.3f} | {r['ratio']:.3f} ({r['ratio_min']:.2f}..{r['ratio_max']:.2f}) | "
                     f"{r['epoch_best']:.3f} | {r['epoch_median']:.3f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}, torch {torch.__version__}"
        text = (f"# Trainer vs a bare PyTorch loop\n\n`python benchmarks/trainer_vs_loop.py --repeats {args.repeats} "
                f"--epochs {args.epochs} --threads {args.threads} --write`\n\n{stamp}; {machine}; "
                f"{args.threads} torch thread(s). Same model, data, batches (deepnotes.train.epoch_batches) and seed; "
                f"the two loops alternate; time is process CPU time. Goal: ratio <= 1.03.\n\n{table}\n\n"
                f"Reading the numbers: on a shared machine the repeat-to-repeat spread (min..max) is far wider "
                f"than 3%, so single ratios wander by a few percent between invocations in both directions. "
                f"What the Trainer adds per step is a handful of Python operations (detach the loss, two list "
                f"appends, a modulo, empty callback lists; one device sync every ``log_every`` steps, never one "
                f"per step); under cProfile that is about 20 extra Python calls per step, a few microseconds "
                f"against a step of roughly 0.7 ms for the MLP and 4 ms for the CNN.\n")
        Path(__file__).with_name("results").joinpath("trainer.md").write_text(text)


if __name__ == "__main__":
    main()
