"""The example notebook (examples/python-quickstart.ipynb) runs from top to bottom, as a user
would run it in Jupyter, and draws its charts."""

import sys
import time
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


def test_interrupting_the_kernel_stops_a_run_and_the_kernel_goes_on():
    """Kernel > Interrupt in Jupyter (SIGINT to the kernel) stops a long run."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        kc.execute_interactive(
            "import exodus; s = exodus.load('scenarios/historical-2025.toml')", timeout=120
        )
        msg_id = kc.execute(
            "try:\n"
            "    exodus.run(s, agents=3_000_000, replicates=5)\n"
            "except KeyboardInterrupt as e:\n"
            "    print('stopped:', getattr(e, '__notes__', []))\n"
            "    raise\n"
        )
        # Wait until the cell is running, then interrupt it as Jupyter's button does.
        while True:
            m = kc.get_iopub_msg(timeout=120)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input":
                break
        time.sleep(2)
        km.interrupt_kernel()
        printed, error = "", None
        while True:
            m = kc.get_iopub_msg(timeout=120)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "stream":
                printed += m["content"]["text"]
            if m["msg_type"] == "error":
                error = m["content"]["ename"]
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        assert error == "KeyboardInterrupt"
        if sys.version_info >= (3, 11):
            assert "interrupted" in printed, printed
        # The kernel is alive and exodus still runs.
        out = []
        kc.execute_interactive(
            "print(exodus.run(s, agents=1000).daily.shape[0])",
            timeout=120,
            output_hook=lambda m: m["msg_type"] == "stream" and out.append(m["content"]["text"]),
        )
        assert int("".join(out).strip()) > 0
    finally:
        km.shutdown_kernel(now=True)
