"""deepnotes.seq2seq: encoder-decoders, decoding (greedy, beam, sampling), CTC and alignment losses.

Every public name of every submodule (its ``__all__``) is re-exported here.
"""
from ..core.exports import export_submodules

__all__ = export_submodules(__name__, __path__, globals())
