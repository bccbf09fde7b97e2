"""Experiment figures need no display: Agg on first use, the user's backend kept otherwise."""
import subprocess
import sys

CODE = """
import matplotlib
{pre}
from deepnotes.experiments.plotting import pyplot
plt = pyplot()
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
fig.savefig({path!r})
print(matplotlib.get_backend().lower())
"""


def _backend(tmp_path, pre=""):
    path = str(tmp_path / "f.png")
    out = subprocess.run([sys.executable, "-c", CODE.format(pre=pre, path=path)], capture_output=True, text=True,
                         env={"MPLBACKEND": "", "PATH": "", "HOME": str(tmp_path)}, check=True)
    assert (tmp_path / "f.png").stat().st_size > 0
    return out.stdout.strip()


def test_pyplot_selects_agg_without_a_display(tmp_path):
    assert _backend(tmp_path) == "agg"


def test_pyplot_keeps_the_backend_of_a_user_who_already_uses_pyplot(tmp_path):
    assert _backend(tmp_path, pre="matplotlib.use('svg'); import matplotlib.pyplot") == "svg"
