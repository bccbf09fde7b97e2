"""RNN encoder-decoder, with or without attention, trained by teacher forcing or scheduled
sampling.

Syllabus: sequences.seq2seq_rnn, sequences.attention_seq2seq, sequences.teacher_forcing,
sequences.scheduled_sampling. Notes: 000 L4.07, L4.44, L5.01, L5.04, L5.17, L5.25; 001 S18.01-08;
002 §6.3c-d, §6.4a-b, §6.5c; 003 L7.02-L7.08.

    encoder   h_t = GRU(emb(x_t), h_{t-1});   the final h_S initialises the decoder: s_0 = h_S
    attention c_l = sum_t alpha_{l,t} h_t,  alpha_l = softmax_t score(s_{l-1}, h_t)
              (additive, dot or bilinear; see deepnotes.nn.attention)
    decoder   s_l = GRU([emb(y_{l-1}); c_l], s_{l-1});   p(y_l | ..) = softmax(W [s_l; c_l] + b)

Teacher forcing feeds the true y_{l-1} (the decoder input is [BOS] + y[:-1]); without
attention the whole target then runs in one parallel pass. Scheduled sampling feeds the truth
with probability p and the model's own prediction otherwise: p = 1 is teacher forcing, p = 0
free-running decoding. At inference the decoder reads its own output until EOS.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..core import expect, syllabus
from ..nn.attention import AdditiveAttention, BilinearAttention, DotProductAttention
from ..nn.embedding import Embedding
from ..nn.gru import GRU

__all__ = ["teacher_forcing_inputs", "RNNEncoderDecoder"]


@syllabus("sequences.teacher_forcing")
def teacher_forcing_inputs(tgt: Tensor, bos: int) -> Tensor:
    """Decoder inputs under teacher forcing: (B, T) targets -> [BOS] + tgt[:, :-1]."""
    expect(tgt.dim() == 2, "tgt", "a (B, T) tensor of target ids", tuple(tgt.shape))
    return torch.cat([torch.full_like(tgt[:, :1], bos), tgt[:, :-1]], 1)


@syllabus("sequences.seq2seq_rnn", "sequences.attention_seq2seq", "sequences.teacher_forcing",
          "sequences.scheduled_sampling")
class RNNEncoderDecoder(nn.Module):
    """GRU encoder-decoder over token ids (batch first); ``attention`` in None, 'additive',
    'dot', 'bilinear'."""

    def __init__(self, src_vocab: int, tgt_vocab: int, emb_dim: int = 32, hidden_size: int = 64,
                 attention: str | None = None, pad: int = 0, bos: int = 1, eos: int = 2):
        super().__init__()
        expect(attention in (None, "additive", "dot", "bilinear"), "attention",
               "None, 'additive', 'dot' or 'bilinear'", attention)
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.pad, self.bos, self.eos, self.attention_kind = pad, bos, eos, attention
        H = hidden_size
        self.src_embed = Embedding(src_vocab, emb_dim, padding_idx=pad)
        self.encoder = GRU(emb_dim, H, batch_first=True, fast=True)
        self.tgt_embed = Embedding(tgt_vocab, emb_dim, padding_idx=pad)
        ctx = H if attention else 0
        self.decoder = GRU(emb_dim + ctx, H, batch_first=True, fast=True)
        self.attention = {None: None, "additive": lambda: AdditiveAttention(H, H, H),
                          "dot": DotProductAttention, "bilinear": lambda: BilinearAttention(H, H)}[attention]
        self.attention = self.attention() if self.attention else None
        self.readout = nn.Linear(H + ctx, tgt_vocab)
        self.truth_fraction = float("nan")

    # -- encoder ---------------------------------------------------------------------------------
    def encode(self, src: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """src (B, S) padded with ``pad`` -> states (B, S, H), final state (1, B, H), mask (B, S)."""
        expect(src.dim() == 2 and not src.is_floating_point(), "src", "a (B, S) tensor of token ids",
               tuple(src.shape))
        mask = src != self.pad                                              # (B, S)
        lengths = mask.sum(1).clamp_min(1).cpu()
        packed = pack_padded_sequence(self.src_embed(src), lengths, batch_first=True, enforce_sorted=False)
        out, h = self.encoder(packed)
        states = torch.zeros(src.shape[0], src.shape[1], h.shape[-1], dtype=h.dtype, device=h.device)
        from torch.nn.utils.rnn import pad_packed_sequence
        padded, _ = pad_packed_sequence(out, batch_first=True)
        states[:, : padded.shape[1]] = padded
        return states, h, mask

    # -- one decoder step --------------------------------------------------------------------------
    def project_keys(self, enc: Tensor) -> Tensor | None:
        """Additive attention's key term W_1 h_t for every source position (B, S, A), computed once
        per source instead of once per decoder step; None for the other attentions."""
        return self.attention.key_proj(enc) if isinstance(self.attention, AdditiveAttention) else None

    def decode_step(self, y_prev: Tensor, state: Tensor, enc: Tensor, mask: Tensor,
                    keys_proj: Tensor | None = None):
        """y_prev (B,), state (1, B, H) -> logits (B, V), new state, attention weights (B, S) or None.
        ``keys_proj`` (from ``project_keys``) reuses the additive attention's key projection."""
        x = self.tgt_embed(y_prev)                                          # (B, E)
        weights = None
        if self.attention is not None and keys_proj is not None:           # the same maths, keys projected once
            att = self.attention
            e = att.v(torch.tanh(keys_proj + att.query_proj(state[0]).unsqueeze(1))).squeeze(-1)  # (B, S)
            weights = torch.nan_to_num(torch.softmax(e.masked_fill(~mask, float("-inf")), -1), nan=0.0)
            ctx = torch.einsum("bs,bsh->bh", weights, enc)                  # (B, H)
            x = torch.cat([x, ctx], -1)
        elif self.attention is not None:
            ctx, weights = self.attention(state[0], enc, mask)              # (B, H), (B, S)
            x = torch.cat([x, ctx], -1)
        out, state = self.decoder(x.unsqueeze(1), state)                    # (B, 1, H)
        feat = out[:, 0] if self.attention is None else torch.cat([out[:, 0], ctx], -1)
        return self.readout(feat), state, weights

    # -- training pass -----------------------------------------------------------------------------
    def forward(self, src: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, V) for decoder inputs ``tgt_in`` (B, T) = [BOS] + y[:-1], and the
        attention maps (B, T, S) (None without attention).

        With probability ``teacher_forcing`` each step after the first reads the true token,
        otherwise the model's own argmax prediction from the previous step.
        """
        expect(0.0 <= teacher_forcing <= 1.0, "teacher_forcing", "a probability in [0, 1]", teacher_forcing)
        expect(tgt_in.dim() == 2 and tgt_in.shape[0] == src.shape[0], "tgt_in",
               f"a (B={src.shape[0]}, T) tensor of decoder inputs", tuple(tgt_in.shape))
        enc, state, mask = self.encode(src)
        if self.attention is None and teacher_forcing == 1.0:               # one parallel pass
            out, _ = self.decoder(self.tgt_embed(tgt_in), state)            # (B, T, H)
            self.truth_fraction = 1.0
            return self.readout(out), None
        B, T = tgt_in.shape
        y_prev, logits, maps, truth = tgt_in[:, 0], [], [], []
        keys_proj = self.project_keys(enc)
        for t in range(T):
            lg, state, w = self.decode_step(y_prev, state, enc, mask, keys_proj)
            logits.append(lg)
            maps.append(w)
            if t + 1 < T and teacher_forcing == 1.0:                        # pure teacher forcing: no draws
                y_prev = tgt_in[:, t + 1]
            elif t + 1 < T:
                use_truth = torch.rand(B, generator=generator, device=src.device) < teacher_forcing
                truth.append(use_truth.float().mean())
                y_prev = torch.where(use_truth, tgt_in[:, t + 1], lg.argmax(-1))
        self.truth_fraction = float(torch.stack(truth).mean()) if truth else 1.0
        return torch.stack(logits, 1), (torch.stack(maps, 1) if self.attention is not None else None)

    # -- inference ---------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, src: Tensor, max_len: int) -> tuple[Tensor, Tensor | None]:
        """Greedy decoding until EOS (rows that ended keep emitting EOS): tokens (B, <= max_len)
        and the attention maps (B, L, S)."""
        enc, state, mask = self.encode(src)
        y = torch.full((src.shape[0],), self.bos, dtype=torch.long, device=src.device)
        done = torch.zeros_like(y, dtype=torch.bool)
        toks, maps = [], []
        keys_proj = self.project_keys(enc)
        for _ in range(max_len):
            lg, state, w = self.decode_step(y, state, enc, mask, keys_proj)
            y = torch.where(done, torch.full_like(y, self.eos), lg.argmax(-1))
            done = done | (y == self.eos)
            toks.append(y)
            maps.append(w)
            if bool(done.all()):
                break
        return torch.stack(toks, 1), (torch.stack(maps, 1) if self.attention is not None else None)

    def next_logits(self, src: Tensor):
        """A ``prefix -> next-token logits`` function for deepnotes.seq2seq decoders (one source)."""
        def f(prefix: Tensor) -> Tensor:
            s = src.expand(prefix.shape[0], -1)
            logits, _ = self.forward(s, prefix)
            return logits[:, -1]
        return f
