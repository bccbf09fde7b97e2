"""deepnotes.core: registries, configs, seeding, devices, safe IO and errors."""
from .config import apply_overrides, config_from_dict, config_to_dict
from .device import choose_device
from .errors import (CheckpointError, ConfigError, DataError, DeepnotesError, NonFiniteLossError,
                     UnknownNameError, expect)
from .io import atomic_write, load_state, read_json, save_state, write_json
from .registry import Registry
from .seed import rng_state, seed_everything, set_rng_state
from .syllabus import syllabus

__all__ = ["apply_overrides", "config_from_dict", "config_to_dict", "choose_device",
           "CheckpointError", "ConfigError", "DataError", "DeepnotesError", "NonFiniteLossError",
           "UnknownNameError", "expect", "atomic_write", "load_state", "read_json", "save_state",
           "write_json", "Registry", "rng_state", "seed_everything", "set_rng_state", "syllabus"]
