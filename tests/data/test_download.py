"""The download path against a local HTTP server: right, corrupt, truncated, 404-then-mirror, slow, CLI."""
import gzip
import hashlib
import http.server
import io
import struct
import tarfile
import threading
import time

import numpy as np
import pytest
import torch

import deepnotes.data.download as dl
from deepnotes.cli import main
from deepnotes.core import DataError
from deepnotes.data import RemoteFile, download_file, fetch, load, read_cifar10_archive, read_idx


def _idx(arr: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}[arr.dtype.type]
    big = arr.astype(arr.dtype.newbyteorder(">"))
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()


class _Server:
    """Serves ``routes``: path -> (mode, body). Modes: ok, truncated, slow, (404 when absent)."""

    def __init__(self):
        self.routes = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                mode, body = routes.get(self.path, (None, b""))
                if mode is None:
                    self.send_error(404)
                    return
                if mode == "slow":
                    time.sleep(1.5)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body[: len(body) // 2] if mode == "truncated" else body)
                except OSError:
                    pass
                if mode == "truncated":
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPNOTES_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_right_file_parsed(server, tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    body = gzip.compress(_idx(arr))
    server.routes["/a/x-idx3-ubyte.gz"] = ("ok", body)
    dest = download_file([f"{server.url}/a/x-idx3-ubyte.gz"], tmp_path / "d" / "x-idx3-ubyte.gz", _sha(body), len(body))
    assert np.array_equal(read_idx(dest), arr)
    assert _leftovers(tmp_path / "d") == ["x-idx3-ubyte.gz"]
    dest.write_bytes(b"tampered")                                            # wrong size: fetched again
    download_file([f"{server.url}/a/x-idx3-ubyte.gz"], dest, _sha(body), len(body))
    assert dest.read_bytes() == body
    f32 = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    (tmp_path / "f.idx").write_bytes(_idx(f32))
    assert np.array_equal(read_idx(tmp_path / "f.idx"), f32)
    (tmp_path / "bad.idx").write_bytes(_idx(f32)[:-3])
    with pytest.raises(DataError, match="bytes"):
        read_idx(tmp_path / "bad.idx")


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    server.routes["/f.bin"] = ("ok", b"hello world")
    with pytest.raises(DataError, match="sha256"):
        download_file([f"{server.url}/f.bin"], tmp_path / "d" / "f.bin", _sha(b"something else"))
    assert _leftovers(tmp_path / "d") == []


def test_truncated_leaves_nothing(server, tmp_path):
    body = bytes(range(256)) * 400
    server.routes["/t.bin"] = ("truncated", body)
    with pytest.raises(DataError, match="truncated"):
        download_file([f"{server.url}/t.bin"], tmp_path / "d" / "t.bin", _sha(body))
    assert _leftovers(tmp_path / "d") == []


def test_404_then_second_mirror(server, tmp_path):
    body = b"payload" * 100
    server.routes["/m2/p.bin"] = ("ok", body)
    dest = download_file([f"{server.url}/m1/p.bin", f"{server.url}/m2/p.bin"], tmp_path / "p.bin", _sha(body))
    assert dest.read_bytes() == body


def test_slow_server_times_out(server, tmp_path):
    server.routes["/s.bin"] = ("slow", b"late")
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="timed out"):
        download_file([f"{server.url}/s.bin"], tmp_path / "d" / "s.bin", _sha(b"late"), timeout=0.3)
    assert time.perf_counter() - t0 < 1.4
    assert _leftovers(tmp_path / "d") == []


def _fake_mnist(server, monkeypatch, n_train=30, n_test=10):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(_idx(np.arange(n, dtype=np.uint8) % 10))
    for name, body in files.items():
        server.routes[f"/mnist/{name}"] = ("ok", body)
    monkeypatch.setitem(dl.REMOTE_FILES, "mnist", tuple(RemoteFile(k, _sha(v), len(v)) for k, v in files.items()))
    monkeypatch.setitem(dl.MIRRORS, "mnist", [f"{server.url}/gone/", f"{server.url}/mnist/"])
    return files


def test_fetch_and_load_mnist(server, cache, monkeypatch):
    files = _fake_mnist(server, monkeypatch)
    folder = fetch("mnist")
    assert folder == cache / "mnist" and _leftovers(folder) == sorted(files)
    ds = load("mnist", split="train", val_size=10)
    assert ds.tensors[0].shape == (20, 1, 28, 28) and ds.tensors[0].max() <= 1
    test = load("mnist", split="test")
    raw = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    assert torch.equal(test.tensors[0][:, 0], torch.tensor(raw, dtype=torch.float32) / 255)
    assert test.tensors[1].tolist() == list(range(10))


def test_offline_names_embedded_alternative(cache, monkeypatch):
    monkeypatch.setitem(dl.MIRRORS, "mnist", ["http://127.0.0.1:9/"])       # discard port: refused
    with pytest.raises(DataError, match="digits"):
        fetch("mnist", timeout=1)
    assert _leftovers(cache / "mnist") == []
    with pytest.raises(ValueError, match="embedded"):
        fetch("digits")
    with pytest.raises(ValueError, match="name"):
        fetch("imagenet")


def test_cifar_binary_archive(tmp_path):
    rng = np.random.default_rng(1)
    batches = {}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            img = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
            lab = rng.integers(0, 10, 3, dtype=np.uint8)
            raw = b"".join(bytes([lab[k]]) + img[k].tobytes() for k in range(3))  # label, then R, G, B planes
            batches[name] = (img, lab)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    path = tmp_path / "cifar-10-binary.tar.gz"
    path.write_bytes(buf.getvalue())
    x, y = read_cifar10_archive(path, "test")
    assert np.array_equal(x, batches["test_batch.bin"][0]) and np.array_equal(y, batches["test_batch.bin"][1])
    x, y = read_cifar10_archive(path, "train")
    assert x.shape == (15, 3, 32, 32) and np.array_equal(x[3:6], batches["data_batch_2.bin"][0])


def test_cli_data_list_and_fetch(server, cache, monkeypatch, capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "mnist1d" in out and "embedded" in out and "download" in out
    _fake_mnist(server, monkeypatch)
    assert main(["data", "fetch", "mnist"]) == 0
    assert str(cache / "mnist") in capsys.readouterr().out
    monkeypatch.setitem(dl.MIRRORS, "fashion-mnist", [f"{server.url}/nothing/"])
    assert main(["data", "fetch", "fashion-mnist"]) == 1
    assert "digits" in capsys.readouterr().err
