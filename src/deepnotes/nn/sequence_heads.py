"""Sequence models around a recurrent encoder: per-step tagging and many-to-one heads, the
fixed-window (memoryless) baseline and a shared-CNN-per-frame encoder.

Syllabus: sequences.sequence_heads, sequences.context_window_model, sequences.cnn_rnn_encoder.
Notes: 000 L4.05-L4.08, L4.42; 001 S17.05-06; 002 §6.1b, §6.1f.

    tagging         y_t = softmax(W h_t + b) for every t (output length = input length)
    many-to-one     y = softmax(W h_T + b) (last state; or the mean of the states)
    fixed window    y_t = MLP([x_{t-k}; ..; x_{t+k}]) with zero padding: dy_t/dx_s = 0 for |s-t| > k
    CNN + RNN       h_t = RNN(CNN(frame_t), h_{t-1}); y_t = W h_t, the CNN shared by every frame

Inputs are batch first (B, T, ...). The heads return logits (the softmax lives in the loss).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["RecurrentTagger", "RecurrentClassifier", "ContextWindowMLP", "CNNRNNEncoder"]


def _out_size(rnn: nn.Module) -> int:
    return rnn.hidden_size * (2 if getattr(rnn, "bidirectional", False) else 1)


@syllabus("sequences.sequence_heads")
class RecurrentTagger(nn.Module):
    """Per-step labelling: a batch-first recurrent layer, then a linear head at every step."""

    def __init__(self, rnn: nn.Module, num_classes: int):
        super().__init__()
        expect(getattr(rnn, "batch_first", False), "rnn", "a batch_first=True recurrent layer", rnn)
        self.rnn, self.head = rnn, nn.Linear(_out_size(rnn), num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.rnn(x)[0])                            # (B, T, C)


@syllabus("sequences.sequence_heads")
class RecurrentClassifier(nn.Module):
    """Many-to-one: a class from the last hidden state ('last') or the mean of the states ('mean').

    ``lengths`` (B,) picks each sequence's true last step in a padded batch.
    """

    def __init__(self, rnn: nn.Module, num_classes: int, pooling: str = "last"):
        super().__init__()
        expect(getattr(rnn, "batch_first", False), "rnn", "a batch_first=True recurrent layer", rnn)
        expect(pooling in ("last", "mean"), "pooling", "'last' or 'mean'", pooling)
        self.rnn, self.pooling = rnn, pooling
        self.head = nn.Linear(_out_size(rnn), num_classes)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        out = self.rnn(x)[0]                                        # (B, T, D*H)
        B, T, _ = out.shape
        lengths = torch.full((B,), T, device=x.device) if lengths is None else lengths.to(x.device)
        expect(tuple(lengths.shape) == (B,) and bool(((lengths >= 1) & (lengths <= T)).all()), "lengths",
               f"shape ({B},) with values in [1, {T}]", lengths.tolist())
        if self.pooling == "last":
            feat = out[torch.arange(B, device=x.device), lengths - 1]  # (B, D*H)
        else:
            m = (torch.arange(T, device=x.device) < lengths[:, None]).unsqueeze(-1).to(out.dtype)
            feat = (out * m).sum(1) / m.sum(1)
        return self.head(feat)                                      # (B, C)


@syllabus("sequences.context_window_model")
class ContextWindowMLP(nn.Module):
    """Memoryless baseline: an MLP on the zero-padded window x_{t-k..t+k} at every step."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, k: int):
        super().__init__()
        expect(k >= 0, "k", "a non-negative window radius", k)
        self.k, self.input_size = k, input_size
        self.net = nn.Sequential(nn.Linear((2 * k + 1) * input_size, hidden_size), nn.Tanh(),
                                 nn.Linear(hidden_size, output_size))

    def forward(self, x: Tensor) -> Tensor:
        expect(x.dim() == 3 and x.shape[-1] == self.input_size, "x", f"(B, T, {self.input_size})", tuple(x.shape))
        T = x.shape[1]
        xp = F.pad(x, (0, 0, self.k, self.k))                       # (B, T + 2k, X)
        windows = torch.cat([xp[:, j:j + T] for j in range(2 * self.k + 1)], -1)  # (B, T, (2k+1) X)
        return self.net(windows)                                    # (B, T, O)


@syllabus("sequences.cnn_rnn_encoder")
class CNNRNNEncoder(nn.Module):
    """Frames (B, T, C, H, W) -> shared CNN features per frame -> RNN -> linear head per step."""

    def __init__(self, cnn: nn.Module, rnn: nn.Module, num_classes: int):
        super().__init__()
        expect(getattr(rnn, "batch_first", False), "rnn", "a batch_first=True recurrent layer", rnn)
        self.cnn, self.rnn, self.head = cnn, rnn, nn.Linear(_out_size(rnn), num_classes)

    def forward(self, frames: Tensor) -> Tensor:
        expect(frames.dim() == 5, "frames", "a (B, T, C, H, W) tensor", tuple(frames.shape))
        B, T = frames.shape[:2]
        feats = self.cnn(frames.flatten(0, 1)).reshape(B, T, -1)    # (B, T, F) one CNN for all steps
        return self.head(self.rnn(feats)[0])                        # (B, T, C)
