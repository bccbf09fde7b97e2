"""word2vec: skip-gram and CBOW, trained with the full softmax, negative sampling or a
hierarchical (Huffman-tree) softmax.

Syllabus: transformers_nlp.word2vec_skipgram, transformers_nlp.negative_sampling,
transformers_nlp.hierarchical_softmax, transformers_nlp.cbow.
Notes: 000 L7.15; 002 §6.8a-b; 003 L8.04-L8.12.

Each word has a centre vector v_w (``in_embed``) and a context vector u_w (``out_embed``).

    skip-gram   p(o | c) = exp(u_o . v_c) / sum_w exp(u_w . v_c),  loss -log p(o | c) over
                (centre, context) pairs within radius m (5 by default)
    CBOW        p(w_t | ctx) = softmax(U vbar),  vbar = mean_{j in ctx} v_j
    negative    -log sigmoid(u_o . v_c) - sum_{k=1..K} log sigmoid(-u_{w_k} . v_c),
    sampling    K = 5 negatives drawn from the unigram distribution ^ 0.75
    hierarchical p(w | c) = prod over the inner nodes n on w's Huffman path of
    softmax      sigmoid(+-v_n . h_c) (+ for a left turn, - for a right turn); O(log V) per word

N words of dimension d take 2 N d weights (two tables); the final embedding is (u + v) / 2.
Notes' differences: 003 writes the objective as a log-likelihood to maximise while calling it a
loss, and reuses the index j; here every loss is a quantity to minimise.
"""
from __future__ import annotations

import heapq

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core import expect, syllabus

__all__ = ["skipgram_pairs", "cbow_windows", "SkipGram", "CBOW", "NegativeSampler",
           "negative_sampling_loss", "HuffmanTree", "HierarchicalSoftmax"]


@syllabus("transformers_nlp.word2vec_skipgram")
def skipgram_pairs(ids: Tensor, window: int = 5) -> Tensor:
    """All (centre, context) pairs with 0 < |offset| <= window: (P, 2)."""
    n = ids.shape[0]
    out = []
    for off in range(1, window + 1):
        if off >= n:
            break
        out.append(torch.stack([ids[:-off], ids[off:]], 1))
        out.append(torch.stack([ids[off:], ids[:-off]], 1))
    return torch.cat(out, 0)


@syllabus("transformers_nlp.cbow")
def cbow_windows(ids: Tensor, window: int = 2) -> tuple[Tensor, Tensor]:
    """Contexts (P, 2 window) and centre targets (P,) for every position with a full window."""
    n = ids.shape[0]
    expect(n > 2 * window, "ids", f"more than 2*window={2 * window} tokens", n)
    offs = [o for o in range(-window, window + 1) if o != 0]
    centre = torch.arange(window, n - window)
    return torch.stack([ids[centre + o] for o in offs], 1), ids[centre]


class _TwoTables(nn.Module):
    def __init__(self, vocab_size: int, dim: int, seed: int | None = None):
        super().__init__()
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        self.vocab_size, self.dim = vocab_size, dim
        self.in_embed = nn.Parameter((torch.rand(vocab_size, dim, generator=g) - 0.5) / dim)  # v (N, d)
        self.out_embed = nn.Parameter(torch.zeros(vocab_size, dim))                           # u (N, d)

    def embeddings(self) -> Tensor:
        """(u + v) / 2, the final word vectors."""
        return ((self.in_embed + self.out_embed) / 2).detach()


@syllabus("transformers_nlp.word2vec_skipgram")
class SkipGram(_TwoTables):
    """Skip-gram scores; ``loss(centre, context)`` is the full-softmax -log p(o | c) (mean)."""

    def log_prob(self, centre: Tensor) -> Tensor:
        return torch.log_softmax(self.in_embed[centre] @ self.out_embed.T, -1)      # (P, N)

    def loss(self, centre: Tensor, context: Tensor) -> Tensor:
        return F.cross_entropy(self.in_embed[centre] @ self.out_embed.T, context)


@syllabus("transformers_nlp.cbow")
class CBOW(_TwoTables):
    """CBOW: p(w_t | context) = softmax(U mean_j v_j); ``loss(contexts (P, C), centre (P,))``."""

    def hidden(self, contexts: Tensor) -> Tensor:
        return self.in_embed[contexts].mean(1)                                      # (P, d)

    def log_prob(self, contexts: Tensor) -> Tensor:
        return torch.log_softmax(self.hidden(contexts) @ self.out_embed.T, -1)

    def loss(self, contexts: Tensor, centre: Tensor) -> Tensor:
        return F.cross_entropy(self.hidden(contexts) @ self.out_embed.T, centre)


@syllabus("transformers_nlp.negative_sampling")
class NegativeSampler:
    """Draws negatives from P(w) proportional to count(w)^power (power 0.75)."""

    def __init__(self, counts: Tensor, power: float = 0.75):
        expect(bool((counts >= 0).all()) and counts.sum() > 0, "counts", "non-negative counts, not all zero",
               counts.tolist()[:5])
        w = counts.double() ** power
        self.probs = w / w.sum()

    def sample(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> Tensor:
        n = 1
        for s in shape:
            n *= s
        return torch.multinomial(self.probs, n, replacement=True, generator=generator).view(shape)


@syllabus("transformers_nlp.negative_sampling")
def negative_sampling_loss(v_centre: Tensor, u_context: Tensor, u_negative: Tensor) -> Tensor:
    """Mean over pairs of -log sig(u_o.v_c) - sum_k log sig(-u_k.v_c).

    v_centre (P, d), u_context (P, d), u_negative (P, K, d).
    """
    pos = F.logsigmoid((u_context * v_centre).sum(-1))                             # (P,)
    neg = F.logsigmoid(-torch.einsum("pkd,pd->pk", u_negative, v_centre)).sum(-1)  # (P,)
    return -(pos + neg).mean()


@syllabus("transformers_nlp.hierarchical_softmax")
class HuffmanTree:
    """Huffman coding of the vocabulary by counts: for each word its inner nodes and turns."""

    def __init__(self, counts: list[int]):
        V = len(counts)
        expect(V >= 2, "counts", "at least two words", V)
        heap = [(c, i, i) for i, c in enumerate(counts)]        # (count, tiebreak, node id)
        heapq.heapify(heap)
        parent, turn = {}, {}
        nxt = V
        while len(heap) > 1:
            c1, _, a = heapq.heappop(heap)
            c2, _, b = heapq.heappop(heap)
            parent[a], turn[a] = nxt, 1                         # left child: +
            parent[b], turn[b] = nxt, -1                        # right child: -
            heapq.heappush(heap, (c1 + c2, nxt, nxt))
            nxt += 1
        root = heap[0][2]
        self.num_inner = nxt - V
        self.paths: list[list[int]] = []
        self.signs: list[list[float]] = []
        for w in range(V):
            nodes, signs, n = [], [], w
            while n != root:
                nodes.append(parent[n] - V)
                signs.append(float(turn[n]))
                n = parent[n]
            self.paths.append(nodes[::-1])
            self.signs.append(signs[::-1])
        L = max(len(p) for p in self.paths)
        self.path_tensor = torch.tensor([p + [0] * (L - len(p)) for p in self.paths])          # (V, L)
        self.sign_tensor = torch.tensor([s + [0.0] * (L - len(s)) for s in self.signs])       # (V, L), 0 = pad


@syllabus("transformers_nlp.hierarchical_softmax")
class HierarchicalSoftmax(nn.Module):
    """log p(w | h) = sum over w's path of log sigmoid(sign * node_vec . h)."""

    def __init__(self, counts: list[int], dim: int):
        super().__init__()
        self.tree = HuffmanTree(counts)
        self.node_vectors = nn.Parameter(torch.randn(self.tree.num_inner, dim) * 0.1)  # (V-1, d)

    def log_prob(self, h: Tensor, words: Tensor) -> Tensor:
        """h (P, d), words (P,) -> log p(word | h) (P,)."""
        nodes = self.tree.path_tensor.to(h.device)[words]                            # (P, L)
        signs = self.tree.sign_tensor.to(h.device, h.dtype)[words]                   # (P, L)
        scores = torch.einsum("pld,pd->pl", self.node_vectors[nodes], h)
        return (F.logsigmoid(signs * scores) * (signs != 0)).sum(-1)

    def full_log_prob(self, h: Tensor) -> Tensor:
        """(P, V) log-probabilities of every word (for checks; O(V log V))."""
        V = self.tree.path_tensor.shape[0]
        P = h.shape[0]
        words = torch.arange(V, device=h.device).repeat(P)
        return self.log_prob(h.repeat_interleave(V, 0), words).view(P, V)
