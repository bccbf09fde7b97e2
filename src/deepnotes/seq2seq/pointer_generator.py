"""Copy mechanism: the pointer-generator network (See et al.).

Syllabus: sequences.copy_mechanism. Notes: 000 L5.18.

At each decoder step, with attention alpha over the source, context c, decoder state s and
decoder input x:

    p_gen = sigmoid(w_c . c + w_s . s + w_x . x + b)
    p(w)  = p_gen p_vocab(w) + (1 - p_gen) sum_{i : x_i = w} alpha_i

over an EXTENDED vocabulary: the fixed vocabulary plus this batch's out-of-vocabulary source
words (ids V, V+1, ...), so a name never seen in training can still be copied. The encoder and
decoder read OOV ids as <unk>. Because p_vocab and alpha each sum to 1, so does p.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core import expect, syllabus
from ..nn.attention import AdditiveAttention
from ..nn.embedding import Embedding
from ..nn.gru import GRU

__all__ = ["copy_distribution", "PointerGenerator"]


@syllabus("sequences.copy_mechanism")
def copy_distribution(p_vocab: Tensor, attention: Tensor, src_ext: Tensor, p_gen: Tensor,
                      extended_size: int) -> Tensor:
    """p_vocab (B, V), attention (B, S), src_ext (B, S) extended ids, p_gen (B, 1) -> (B, V_ext)."""
    B, V = p_vocab.shape
    expect(extended_size >= V, "extended_size", f">= the vocabulary size {V}", extended_size)
    expect(src_ext.shape == attention.shape, "src_ext", f"shape {tuple(attention.shape)}", tuple(src_ext.shape))
    expect(int(src_ext.max()) < extended_size, "src_ext", f"ids < extended_size={extended_size}", int(src_ext.max()))
    p = torch.zeros(B, extended_size, dtype=p_vocab.dtype, device=p_vocab.device)
    p[:, :V] = p_gen * p_vocab
    return p.scatter_add(1, src_ext, (1 - p_gen) * attention)             # copy mass onto source ids


@syllabus("sequences.copy_mechanism")
class PointerGenerator(nn.Module):
    """GRU encoder-decoder with additive attention and a copy switch; ``copy=False`` gives the
    plain attention model (p_gen = 1) for comparison."""

    def __init__(self, vocab_size: int, emb_dim: int = 32, hidden_size: int = 64, unk: int = 3,
                 pad: int = 0, bos: int = 1, eos: int = 2, copy: bool = True):
        super().__init__()
        self.V, self.unk, self.pad, self.bos, self.eos, self.copy = vocab_size, unk, pad, bos, eos, copy
        H = hidden_size
        self.embed = Embedding(vocab_size, emb_dim, padding_idx=pad)
        self.encoder = GRU(emb_dim, H, batch_first=True, fast=True)
        self.decoder = GRU(emb_dim + H, H, batch_first=True, fast=True)
        self.attention = AdditiveAttention(H, H, H)
        self.readout = nn.Linear(2 * H, vocab_size)
        self.switch = nn.Linear(H + H + emb_dim, 1)                          # w_c, w_s, w_x, b

    def _in_vocab(self, ids: Tensor) -> Tensor:
        return torch.where(ids >= self.V, torch.full_like(ids, self.unk), ids)

    def forward(self, src_ext: Tensor, tgt_in_ext: Tensor, extended_size: int) -> Tensor:
        """Log-probabilities (B, T, V_ext) of the next token for teacher-forced inputs."""
        expect(int(src_ext.max()) < extended_size, "src_ext", f"ids < extended_size={extended_size}",
               int(src_ext.max()))
        mask = src_ext != self.pad
        enc, state = self.encoder(self.embed(self._in_vocab(src_ext)))      # (B, S, H), (1, B, H)
        out = []
        for t in range(tgt_in_ext.shape[1]):
            out.append(self.step(tgt_in_ext[:, t], state, enc, mask, src_ext, extended_size))
            state = out[-1][1]
        return torch.stack([o[0] for o in out], 1)

    def step(self, y_prev: Tensor, state: Tensor, enc: Tensor, mask: Tensor, src_ext: Tensor, extended_size: int):
        x = self.embed(self._in_vocab(y_prev))                              # (B, E)
        ctx, alpha = self.attention(state[0], enc, mask)                    # (B, H), (B, S)
        o, state = self.decoder(torch.cat([x, ctx], -1).unsqueeze(1), state)
        s = o[:, 0]
        p_vocab = torch.softmax(self.readout(torch.cat([s, ctx], -1)), -1)  # (B, V)
        if self.copy:
            p_gen = torch.sigmoid(self.switch(torch.cat([ctx, s, x], -1)))  # (B, 1)
        else:
            p_gen = torch.ones(s.shape[0], 1, dtype=s.dtype, device=s.device)
        p = copy_distribution(p_vocab, alpha, src_ext, p_gen, extended_size)
        return p.clamp_min(1e-12).log(), state

    @torch.no_grad()
    def generate(self, src_ext: Tensor, extended_size: int, max_len: int) -> Tensor:
        mask = src_ext != self.pad
        enc, state = self.encoder(self.embed(self._in_vocab(src_ext)))
        y = torch.full((src_ext.shape[0],), self.bos, dtype=torch.long, device=src_ext.device)
        toks = []
        for _ in range(max_len):
            logp, state = self.step(y, state, enc, mask, src_ext, extended_size)
            y = logp.argmax(-1)
            toks.append(y)
        return torch.stack(toks, 1)
