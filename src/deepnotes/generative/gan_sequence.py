"""Sequence GAN: a token generator trained by REINFORCE with the discriminator's score as reward.

Syllabus: generative.sequence_gan. Notes: 000 L6.21-22.

Sampled (or argmax) tokens are not differentiable, so the generator follows the score-function
gradient:  grad_theta E_{y ~ p_theta}[R(y)] = E[(R(y) - b) grad_theta log p_theta(y)],
with R(y) = D(y) (probability that y is real) and a baseline b (e.g. the batch mean) for variance.
Usually the generator is first pre-trained by maximum likelihood (ScratchGAN trains from scratch).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core import expect, syllabus

__all__ = ["SequenceGenerator", "reinforce_loss"]


@syllabus("generative.sequence_gan")
class SequenceGenerator(nn.Module):
    """Autoregressive GRU policy over ``vocab_size`` tokens; ``sample`` returns (tokens, log-probs)."""

    def __init__(self, vocab_size: int, hidden: int = 32):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size + 1, hidden)                   # index vocab_size = BOS
        self.rnn = nn.GRUCell(hidden, hidden)
        self.head = nn.Linear(hidden, vocab_size)

    def sample(self, n: int, length: int, generator: torch.Generator | None = None,
               greedy: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        expect(length >= 1, "length", "an int >= 1", length)
        tok = torch.full((n,), self.vocab_size, dtype=torch.long)
        h = torch.zeros(n, self.rnn.hidden_size)
        toks, logps = [], []
        for _ in range(length):
            h = self.rnn(self.embed(tok), h)                                # (n, H)
            logp = F.log_softmax(self.head(h), -1)                          # (n, V)
            tok = logp.argmax(-1) if greedy else torch.multinomial(logp.exp(), 1, generator=generator).squeeze(1)
            toks.append(tok)
            logps.append(logp.gather(1, tok[:, None]).squeeze(1))
        return torch.stack(toks, 1), torch.stack(logps, 1).sum(1)           # (n, T), (n,)


@syllabus("generative.sequence_gan")
def reinforce_loss(log_prob: torch.Tensor, reward: torch.Tensor, baseline: torch.Tensor | float | None = None
                   ) -> torch.Tensor:
    """Surrogate -mean((R - b) log p(y)); its gradient is the REINFORCE estimate of -grad E[R]."""
    expect(log_prob.shape == reward.shape, "reward", f"shape {tuple(log_prob.shape)}", tuple(reward.shape))
    adv = reward.detach() - (reward.detach().mean() if baseline is None else baseline)
    return -(adv * log_prob).mean()
