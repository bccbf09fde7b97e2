import pytest
import torch
from torch import nn

from deepnotes.interpret import attention_maps


class Reverser(nn.Module):
    """Queries are output positions; keys/values are input tokens plus their positions."""

    def __init__(self, vocab=6, T=6, d=32, heads=2):
        super().__init__()
        self.tok, self.pos_in, self.pos_out = nn.Embedding(vocab, d), nn.Embedding(T, d), nn.Embedding(T, d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.head = nn.Linear(d, vocab)

    def forward(self, src):
        B, T = src.shape
        pos = torch.arange(T)
        kv = self.tok(src) + self.pos_in(pos)                   # (B, T, d)
        q = self.pos_out(pos).expand(B, T, -1)                  # (B, T, d)
        out, _ = self.attn(q, kv, kv, need_weights=False)
        return self.head(out)                                   # (B, T, vocab)


@pytest.mark.syllabus("interpretability.attention_maps")
def test_attention_maps_rows_sum_to_one_and_reversal_is_antidiagonal():
    torch.manual_seed(0)
    T, V = 6, 6
    model = Reverser(V, T)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    g = torch.Generator().manual_seed(0)
    for _ in range(100):
        src = torch.randint(V, (32, T), generator=g)
        loss = nn.functional.cross_entropy(model(src).reshape(-1, V), src.flip(1).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    src = torch.randint(V, (32, T), generator=g)
    maps = attention_maps(model, src)
    (w,) = maps.values()
    assert w.shape == (32, 2, T, T)
    torch.testing.assert_close(w.sum(-1), torch.ones(32, 2, T))
    # the model's own call asked for no weights; the hooks got them anyway and the output is unchanged
    with torch.no_grad():
        assert (model(src).argmax(-1) == src.flip(1)).float().mean() > 0.95
    align = w.mean(1).argmax(-1)                               # (B, T): key each output position reads
    anti = torch.arange(T - 1, -1, -1).expand(32, T)
    assert (align == anti).float().mean() >= 0.9
    assert not model.attn._forward_hooks and not model.attn._forward_pre_hooks
    with pytest.raises(ValueError, match="model"):
        attention_maps(nn.Linear(2, 2), torch.randn(1, 2))
