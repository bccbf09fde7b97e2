"""deepnotes.transfer: domain adaptation, self-supervised and meta-learning.

Every public name of every submodule (its ``__all__``) is re-exported here.
"""
from ..core.exports import export_submodules

__all__ = export_submodules(__name__, __path__, globals())
