"""exodus from Python: results identical to the command line's, and the command line's errors."""

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import exodus

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXODUS = os.environ.get("EXODUS_BIN", str(ROOT / "target" / "release" / "exodus"))


def cli_run(tmp_path, scenario, *args):
    out = tmp_path / "out"
    subprocess.run(
        [EXODUS, "run", "-q", "--no-plots", "--out", str(out), str(scenario), *args],
        check=True,
    )
    return out


def cli_daily(tmp_path, scenario, *args):
    return pd.read_csv(cli_run(tmp_path, scenario, *args) / "daily.csv")


@pytest.mark.skipif(not Path(EXODUS).exists(), reason="the exodus binary is not built")
def test_daily_is_the_command_lines(tmp_path):
    scenario = SCENARIOS / "historical-2025.toml"
    expected = cli_daily(tmp_path, scenario, "--agents", "5000", "--seed", "7")
    got = exodus.run(exodus.load(scenario), agents=5000, seed=7).daily
    assert list(got["replicate"].unique()) == [0]
    got = got.drop(columns="replicate")
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in ["date", "platform", "metric"]:
        assert list(got[column].astype(str)) == list(expected[column].astype(str))
    assert (got["day"].to_numpy() == expected["day"].to_numpy()).all()
    # Exactly the same numbers: daily.csv writes each value so that it reads back to its bits.
    assert (got["value"].to_numpy() == expected["value"].to_numpy()).all()


@pytest.mark.skipif(not Path(EXODUS).exists(), reason="the exodus binary is not built")
def test_a_change_is_the_command_lines_set(tmp_path):
    scenario = SCENARIOS / "historical-2025.toml"
    expected = cli_daily(
        tmp_path, scenario, "--agents", "3000", "--set", "platforms.RedNote.appeal=0.5"
    )
    changed = exodus.load(scenario).set("platforms.RedNote.appeal", 0.5)
    got = exodus.run(changed, agents=3000).daily
    assert (got["value"].to_numpy() == expected["value"].to_numpy()).all()


def test_errors_are_the_command_lines():
    s = exodus.load(SCENARIOS / "historical-2025.toml")
    with pytest.raises(exodus.ScenarioError) as e:
        s.set("platforms.TikTok.appeal", 99)
    assert "allowed: -50 ..= 50" in str(e.value)
    assert e.value.field == "platforms[0].appeal"
    with pytest.raises(exodus.ScenarioError) as e:
        exodus.Scenario.from_toml("[meta]\nname = 1\n", "bad.toml")
    assert e.value.file.endswith("bad.toml")
    assert e.value.line == 2
    with pytest.raises(exodus.ScenarioError) as e:
        exodus.load(SCENARIOS / "nope.toml")
    assert e.value.file.endswith("nope.toml")


def test_scenarios_from_text_extend_files():
    text = f'extends = "{SCENARIOS / "bass-mixed.toml"}"\n[meta]\nname = "from text"\n'
    s = exodus.Scenario.from_toml(text)
    assert s.name == "from text"
    r = exodus.run(s, agents=2000, replicates=2)
    d = r.daily
    assert sorted(d["replicate"].unique()) == [0, 1]
    assert set(d["platform"]) == {"Not adopted", "Adopted"}
    pl = r.to_polars()
    assert pl.shape == d.shape


@pytest.mark.skipif(not Path(EXODUS).exists(), reason="the exodus binary is not built")
def test_flows_bands_and_summary_are_the_command_lines(tmp_path):
    scenario = SCENARIOS / "historical-2025.toml"
    out = cli_run(tmp_path, scenario, "--agents", "3000", "--replicates", "3")
    r = exodus.run(exodus.load(scenario), agents=3000, replicates=3)
    flows = pd.read_csv(out / "flows.csv")
    got = r.flows[r.flows.replicate == 0].drop(columns="replicate").reset_index(drop=True)
    assert list(got.columns) == list(flows.columns)
    assert (got["value"].to_numpy() == flows["value"].to_numpy()).all()
    assert list(got["from"]) == list(flows["from"])
    bands = pd.read_csv(out / "bands.csv")
    assert list(r.bands.columns) == list(bands.columns)
    for column in ["median", "low", "high", "mean"]:
        assert (r.bands[column].to_numpy() == bands[column].to_numpy()).all(), column
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert r.summaries[0] == summary
    assert set(r.summary.replicate) == {0, 1, 2}


def test_the_stubs_name_what_the_module_has():
    import ast

    from exodus import _exodus

    stubs = ast.parse((Path(exodus.__file__).parent / "_exodus.pyi").read_text())
    named = {
        n.name if not isinstance(n, ast.AnnAssign) else n.target.id
        for n in stubs.body
        if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AnnAssign))
    }
    public = {n for n in dir(_exodus) if not n.startswith("_")} | {"__version__"}
    assert named == public
    scenario = next(n for n in stubs.body if isinstance(n, ast.ClassDef) and n.name == "Scenario")
    methods = {n.name for n in scenario.body if isinstance(n, ast.FunctionDef)}
    assert methods == {n for n in dir(_exodus.Scenario) if not n.startswith("_")}


def test_a_run_too_large_for_the_machine_is_refused_as_on_the_command_line():
    with pytest.raises(exodus.ExodusError) as e:
        exodus.run(SCENARIOS / "historical-2025.toml", agents=4_000_000_000)
    assert "use fewer agents" in str(e.value)
