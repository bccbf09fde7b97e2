"""The GLUE benchmark's nine tasks with their metrics (the registry an offline run refers to),
and the metrics themselves.

Syllabus: transformers_nlp.glue_tasks. Notes: 000 L7.08; 003 L8.25-L8.26.

CoLA: Matthews correlation; SST-2: accuracy; MRPC: F1 / accuracy; STS-B: Pearson / Spearman;
QQP: F1 / accuracy; MNLI: accuracy (matched/mismatched); QNLI, RTE, WNLI: accuracy. One model is
fine-tuned per task. GLUE itself needs a download; offline experiments use Shakespeare-derived
or synthetic tasks scored with the same metrics.

    MCC = (TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))   (0 when undefined)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..core import syllabus

__all__ = ["GlueTask", "GLUE_TASKS", "matthews_corrcoef", "binary_f1", "accuracy_score", "pearson_r",
           "spearman_r", "glue_score"]


@dataclass(frozen=True)
class GlueTask:
    name: str
    num_classes: int          # 1 = regression
    metrics: tuple[str, ...]
    input: str                # 'single' or 'pair'


GLUE_TASKS: dict[str, GlueTask] = {t.name: t for t in [
    GlueTask("cola", 2, ("matthews_corrcoef",), "single"),
    GlueTask("sst2", 2, ("accuracy",), "single"),
    GlueTask("mrpc", 2, ("f1", "accuracy"), "pair"),
    GlueTask("stsb", 1, ("pearson", "spearman"), "pair"),
    GlueTask("qqp", 2, ("f1", "accuracy"), "pair"),
    GlueTask("mnli", 3, ("accuracy",), "pair"),
    GlueTask("qnli", 2, ("accuracy",), "pair"),
    GlueTask("rte", 2, ("accuracy",), "pair"),
    GlueTask("wnli", 2, ("accuracy",), "pair"),
]}


@syllabus("transformers_nlp.glue_tasks")
def matthews_corrcoef(y_true: Tensor, y_pred: Tensor) -> float:
    """Binary or multi-class MCC (Gorodkin's generalisation, as scikit-learn computes it)."""
    y_true, y_pred = torch.as_tensor(y_true).long(), torch.as_tensor(y_pred).long()
    K = int(max(y_true.max(), y_pred.max())) + 1
    C = torch.zeros(K, K, dtype=torch.float64)
    C.index_put_((y_true, y_pred), torch.ones(len(y_true), dtype=torch.float64), accumulate=True)
    t, p, c, s = C.sum(1), C.sum(0), C.trace(), C.sum()
    num = c * s - (t * p).sum()
    den = math.sqrt(float((s * s - (p * p).sum()) * (s * s - (t * t).sum())))
    return 0.0 if den == 0 else float(num) / den


def accuracy_score(y_true: Tensor, y_pred: Tensor) -> float:
    return float((torch.as_tensor(y_true) == torch.as_tensor(y_pred)).double().mean())


def binary_f1(y_true: Tensor, y_pred: Tensor) -> float:
    y_true, y_pred = torch.as_tensor(y_true).bool(), torch.as_tensor(y_pred).bool()
    tp = float((y_true & y_pred).sum())
    fp, fn = float((~y_true & y_pred).sum()), float((y_true & ~y_pred).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def pearson_r(x: Tensor, y: Tensor) -> float:
    x, y = torch.as_tensor(x).double(), torch.as_tensor(y).double()
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / (x.norm() * y.norm()))


def _rank(x: Tensor) -> Tensor:
    x = torch.as_tensor(x).double()
    order = x.argsort()
    r = torch.empty_like(x)
    r[order] = torch.arange(len(x), dtype=torch.float64)
    for v in x.unique():                                   # average ranks of ties
        m = x == v
        r[m] = r[m].mean()
    return r


def spearman_r(x: Tensor, y: Tensor) -> float:
    return pearson_r(_rank(x), _rank(y))


_METRICS = {"matthews_corrcoef": matthews_corrcoef, "accuracy": accuracy_score, "f1": binary_f1,
            "pearson": pearson_r, "spearman": spearman_r}


@syllabus("transformers_nlp.glue_tasks")
def glue_score(task: str, y_true: Tensor, y_pred: Tensor) -> dict[str, float]:
    """Every metric of a GLUE task: {'f1': .., 'accuracy': ..}."""
    from ..core import UnknownNameError
    if task not in GLUE_TASKS:
        raise UnknownNameError("GLUE task", task, GLUE_TASKS)
    return {m: _METRICS[m](y_true, y_pred) for m in GLUE_TASKS[task].metrics}
