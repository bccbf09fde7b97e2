"""On-demand datasets: a cache folder, mirrors tried in turn, sha256 checks, never half-written files.

``fetch(name)`` makes sure every file of dataset ``name`` is in ``cache_dir() / name`` and returns
that folder. The cache folder is ``$DEEPNOTES_DATA`` when set, else ``~/.cache/deepnotes``. Each
file streams into a temporary ``.NAME.*.part`` file in the same folder while its sha256 is
computed; only a complete file (the length the server announced, the size and sha256 in
:data:`REMOTE_FILES`) is renamed onto its final name (``os.replace``, atomic), so an interrupted,
truncated or corrupt download leaves nothing that looks complete. A mirror that fails (HTTP
error, refused connection, timeout, short or corrupt file) hands over to the next; when all
fail a :class:`~deepnotes.core.DataError` lists every attempt and names the embedded stand-in
(``digits`` or ``mnist1d``), which needs no network.

Checksums: MNIST's and Fashion-MNIST's sha256 are those TensorFlow Datasets / Hugging Face and
the projects' users publish for the standard ``.gz`` files (whose md5 values match the ones in
torchvision); CIFAR-10's is the sha256 of ``cifar-10-binary.tar.gz`` (170,052,171 bytes, md5
c32a1d4ab5d03f1284b67883e8d87530 on the CIFAR page). The binary CIFAR version is used because
the python version is a pickle.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core import DataError, expect

__all__ = ["RemoteFile", "REMOTE_FILES", "MIRRORS", "OFFLINE_ALTERNATIVES", "cache_dir", "download_file", "fetch",
           "sha256_file"]


@dataclass(frozen=True)
class RemoteFile:
    """A file of a remote dataset: its name on the mirrors, sha256 and (optionally) size in bytes."""

    name: str
    sha256: str
    size: int | None = None


REMOTE_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
        RemoteFile("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
        RemoteFile("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
        RemoteFile("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
    ),
    "fashion-mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
        RemoteFile("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
        RemoteFile("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
        RemoteFile("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
    ),
    "cifar10": (
        RemoteFile("cifar-10-binary.tar.gz", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171),
    ),
}

# Base URLs, tried in order; a file's URL is base + file name.
MIRRORS: dict[str, list[str]] = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/",
              "http://yann.lecun.com/exdb/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
    "cifar10": ["https://www.cs.toronto.edu/~kriz/"],
}

OFFLINE_ALTERNATIVES = {"mnist": "digits", "fashion-mnist": "digits", "cifar10": "digits"}

_CHUNK = 1 << 20


def cache_dir() -> Path:
    """``$DEEPNOTES_DATA`` if set, else ``~/.cache/deepnotes``."""
    env = os.environ.get("DEEPNOTES_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "deepnotes"


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _stream(url: str, dest: Path, sha256: str, size: int | None, timeout: float) -> None:
    """Download ``url`` into a temp file beside ``dest``, verify, then rename onto ``dest``."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        h, got = hashlib.sha256(), 0
        req = urllib.request.Request(url, headers={"User-Agent": "deepnotes"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            announced = resp.headers.get("Content-Length")
            while block := resp.read(_CHUNK):
                out.write(block)
                h.update(block)
                got += len(block)
            out.flush()
            os.fsync(out.fileno())
        if announced is not None and got != int(announced):
            raise DataError(f"expected {announced} bytes, got {got} (truncated)")
        if size is not None and got != size:
            raise DataError(f"expected {size} bytes, got {got}")
        digest = h.hexdigest()
        if digest != sha256:
            raise DataError(f"expected sha256 {sha256}, got {digest}")
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_file(urls: Sequence[str], dest: str | os.PathLike, sha256: str, size: int | None = None,
                  timeout: float = 30.0) -> Path:
    """Fetch one file from the first of ``urls`` that delivers it whole and with the right sha256.

    An existing ``dest`` of the right size is kept (only verified files ever get that name; the
    size check catches one changed behind our back). Raises DataError listing every failed attempt.
    """
    dest = Path(dest)
    expect(len(sha256) == 64, "sha256", "a 64-character hex digest", sha256)
    expect(timeout > 0, "timeout", "a positive number of seconds", timeout)
    if dest.is_file():
        if size is None or dest.stat().st_size == size:
            return dest
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        try:
            _stream(url, dest, sha256.lower(), size, timeout)
            return dest
        except (OSError, http.client.HTTPException, ValueError) as e:  # URLError, timeouts, DataError
            reason = e.reason if isinstance(e, urllib.error.URLError) and not isinstance(e, urllib.error.HTTPError) else e
            errors.append(f"{url}: {reason}")
    raise DataError(f"{dest.name}: every mirror failed:\n  " + "\n  ".join(errors or ["no mirrors given"]))


def fetch(name: str, timeout: float = 30.0) -> Path:
    """Download (once) every file of remote dataset ``name`` into ``cache_dir() / name``; return that folder."""
    from .registry import DATASETS

    if name in DATASETS and DATASETS.get(name).embedded:
        raise ValueError(f"name: expected a downloadable dataset ({', '.join(sorted(REMOTE_FILES))}), "
                         f"got {name!r}, which is embedded and needs no fetch")
    expect(name in REMOTE_FILES, "name", f"one of {sorted(REMOTE_FILES)}", name)
    folder = cache_dir() / name
    try:
        for f in REMOTE_FILES[name]:
            download_file([base + f.name for base in MIRRORS[name]], folder / f.name, f.sha256, f.size, timeout)
    except DataError as e:
        alt = OFFLINE_ALTERNATIVES[name]
        raise DataError(f"{name}: could not download into {folder} (offline?). For an embedded stand-in "
                        f"that needs no network use deepnotes.data.load({alt!r}) or load('mnist1d').\n{e}") from None
    return folder
