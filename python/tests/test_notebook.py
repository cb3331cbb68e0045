"""The example notebook (examples/python-quickstart.ipynb) runs from top to bottom, as a user
would run it in Jupyter, and draws its charts."""

from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "python-quickstart.ipynb"


def test_the_example_notebook_runs_and_draws_its_charts():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(charts) == 2, f"{len(charts)} charts drawn"
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "RedNote's peak" in printed
    assert "platforms[1].appeal" in printed
