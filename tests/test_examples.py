"""Every notebook in ``examples/`` runs from top to bottom without an error.

Offline by design: ``COMPRESS_OFFLINE=1`` tells the notebooks to skip their
downloads (and use their fallback data), so the suite never touches the
network.  Each notebook runs in a temporary working directory (the files it
writes land there) on a kernel spec written for this interpreter, so the kernel
imports the same ``compress`` as the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
kernelspec = pytest.importorskip("ipykernel.kernelspec")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
KERNEL = "compress-tests"  # a spec of our own: argv[0] is sys.executable
CELL_TIMEOUT = 600  # seconds; the first cell to quantize compiles the kernels


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory) -> Path:
    """A Jupyter data folder holding one kernel spec: this interpreter."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = Path(kernelspec.write_kernel_spec(root / "kernels" / KERNEL))
    assert spec.is_dir()
    return root


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {EXAMPLES}"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, jupyter_path, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    monkeypatch.setenv("COMPRESS_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "agg")
    nb = nbformat.read(notebook, as_version=4)
    # Stored clean: outputs are made by running, not kept in the repository.
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{notebook.name}: clear the outputs before committing")
    probe = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    nb.cells.append(probe)  # which interpreter the kernel runs
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert probe.outputs[0]["text"].strip() == sys.executable
    outputs = [o for cell in nb.cells[:-1] if cell.cell_type == "code"
               for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Traceback" not in text
    if notebook.name == "american-gothic.ipynb":
        assert "Offline" in text  # the fallback says so
        written = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
        assert len(written) == 7 + 4, written
