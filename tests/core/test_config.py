from dataclasses import dataclass, field
from typing import Literal, Optional

import pytest

from deepnotes.core import ConfigError, apply_overrides, config_from_dict, config_to_dict


@dataclass
class Optim:
    lr: float = 0.1
    betas: tuple[float, float] = (0.9, 0.999)


@dataclass
class Cfg:
    epochs: int = 3
    name: str = "a"
    flag: bool = False
    mode: Literal["sum", "mean"] = "mean"
    limit: Optional[int] = None
    optim: Optim = field(default_factory=Optim)

    def __post_init__(self):
        if self.epochs < 0:
            raise ValueError(f"epochs: expected >= 0, got {self.epochs}")


def test_overrides_parse_each_type_and_nesting():
    cfg = apply_overrides(Cfg(), ["epochs=7", "name=b", "flag=true", "mode=sum", "limit=4",
                                  "optim.lr=0.5", "optim.betas=[0.8, 0.9]"])
    assert cfg == Cfg(7, "b", True, "sum", 4, Optim(0.5, (0.8, 0.9)))
    assert apply_overrides(cfg, ["limit=none"]).limit is None
    assert Cfg().epochs == 3  # the default is untouched


@pytest.mark.parametrize("override, words", [
    ("epoch=3", ["unknown key 'epoch'", "epochs", "optim"]),
    ("epochs=three", ["epochs", "expected int", "'three'"]),
    ("flag=maybe", ["flag", "expected bool"]),
    ("mode=max", ["mode", "one of", "'max'"]),
    ("optim.momentum=1", ["unknown key 'momentum'", "lr, betas"]),
    ("optim=1", ["section"]),
    ("epochs", ["key=value"]),
    ("epochs=-1", ["epochs", ">= 0"]),
])
def test_bad_overrides_name_the_key_and_the_expectation(override, words):
    with pytest.raises(ConfigError) as e:
        apply_overrides(Cfg(), [override])
    for w in words:
        assert w in str(e.value)


def test_round_trip_through_dict():
    cfg = apply_overrides(Cfg(), ["optim.betas=[0.5,0.6]", "epochs=2"])
    assert config_from_dict(Cfg, config_to_dict(cfg)) == cfg
    with pytest.raises(ConfigError, match="unknown keys"):
        config_from_dict(Cfg, {"nope": 1})
