"""compare, check, sweep and calibrate from Python: the command line's numbers, and Ctrl-C."""

import _thread
import os
import sys
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import exodus

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXODUS = os.environ.get("EXODUS_BIN", str(ROOT / "target" / "release" / "exodus"))
needs_cli = pytest.mark.skipif(not Path(EXODUS).exists(), reason="the exodus binary is not built")


def cli(*args):
    return subprocess.run([EXODUS, *map(str, args)], check=True, capture_output=True, text=True)


def same_table(got: pd.DataFrame, expected: pd.DataFrame):
    """Equal columns, text and numbers (bit for bit: the CSV files write numbers so that they
    read back to their bits)."""
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in expected.columns:
        a, b = got[column], expected[column]
        if pd.api.types.is_numeric_dtype(b):
            assert ((a.to_numpy() == b.to_numpy()) | (a.isna() & b.isna()).to_numpy()).all(), column
        else:
            assert list(a.fillna("").astype(str)) == list(b.fillna("").astype(str)), column


@needs_cli
def test_compare_is_the_command_lines(tmp_path):
    files = [SCENARIOS / "historical-2025.toml", SCENARIOS / "no-ban.toml"]
    out = tmp_path / "cmp"
    cli("compare", "-q", "--no-plots", "--replicates", 3, "--agents", 3000,
        "--dates", "2025-01-31,2025-04-30", "--out", out, *files)
    c = exodus.compare(files, replicates=3, agents=3000, dates=["2025-01-31", "2025-04-30"])
    assert c.labels == [exodus.load(f).name for f in files]
    assert c.baseline == c.labels[0]
    assert len(set(c.seeds)) == 1  # common random numbers
    same_table(c.bands, pd.read_csv(out / "bands.csv"))
    same_table(c.differences, pd.read_csv(out / "differences.csv"))
    same_table(c.outcomes, pd.read_csv(out / "outcomes.csv"))
    assert c.to_polars("outcomes").shape == c.outcomes.shape


def test_a_comparison_file_gives_its_defaults():
    c = exodus.compare(ROOT / "comparisons" / "what-ifs.toml", replicates=1, agents=1000)
    assert c.name == "The 2025 ban and its what-ifs"
    assert len(c.labels) == 7
    # The file's three dates.
    lost = c.outcomes[c.outcomes.outcome.str.startswith("main_users_lost_by")]
    assert lost.outcome.nunique() == 3


def test_compare_refuses_what_the_command_line_refuses():
    with pytest.raises(exodus.ScenarioError) as e:
        exodus.compare([SCENARIOS / "historical-2025.toml", SCENARIOS / "bass-mixed.toml"],
                       replicates=1, agents=1000)
    assert "same platforms" in str(e.value)
    with pytest.raises(exodus.ScenarioError) as e:
        exodus.compare([SCENARIOS / "historical-2025.toml", SCENARIOS / "no-ban.toml"],
                       replicates=1, agents=1000, dates=["2030-01-01"])
    assert "--dates" in str(e.value)


@needs_cli
def test_check_is_the_command_lines(tmp_path):
    scenario = SCENARIOS / "historical-2025.toml"
    targets = ROOT / "data" / "calibration-targets.toml"
    printed = cli("check", scenario, targets, "--agents", 5000, "--replicates", 2,
                  "--out", tmp_path / "check.md").stdout
    got = exodus.check(scenario, targets, agents=5000, replicates=2)
    assert {"id", "value", "low", "high", "model", "model_min", "model_max", "fits"} <= set(got.columns)
    verdicts = {line.split()[1]: line.split()[0] for line in printed.splitlines()
                if line.strip().startswith(("fits", "MISS"))}
    assert verdicts == {r.id: ("fits" if r.fits else "MISS") for r in got.itertuples()}
    assert got.replicates.eq(2).all()


@needs_cli
def test_sweep_and_sensitivity_are_the_command_lines(tmp_path):
    sweep_file = ROOT / "sweeps" / "historical-sobol.toml"
    args = ["--samples", 2, "--agents", 1500, "--replicates", 2]
    cli("sweep", "-q", "--no-plots", "--out", tmp_path / "cli", sweep_file, *args)
    s = exodus.sweep(sweep_file, out=tmp_path / "py", samples=2, agents=1500, replicates=2)
    assert s.points == 2 * 12 and s.ran == s.points and s.resumed == 0
    assert s.failures.empty
    same_table(s.results, pd.read_csv(tmp_path / "cli" / "results.csv"))
    cli("sensitivity", tmp_path / "cli", "--resamples", 50, "--no-plots")
    same_table(s.sensitivity(resamples=50),
               pd.read_csv(tmp_path / "cli" / "sensitivity.csv", keep_default_na=True))
    assert s.to_polars().shape == s.results.shape
    # Run again: everything is resumed from the folder.
    again = exodus.sweep(sweep_file, out=tmp_path / "py", samples=2, agents=1500, replicates=2)
    assert again.ran == 0 and again.resumed == again.points


def synthetic_targets(tmp_path):
    """Targets on bass-mixed made from a run with known parameters (as tests/calibrate.rs)."""
    truth = exodus.load(SCENARIOS / "bass-mixed.toml").set(
        "platforms.Adopted.innovation", 0.03).set("platforms.Adopted.imitation", 0.4)
    d = exodus.run(truth, agents=2000).daily
    text = ""
    for day in [3, 10, 25]:
        row = d[(d.day == day) & (d.platform == "Adopted") & (d.metric == "daily_active_users")]
        value = float(row.value.iloc[0])
        date = row.date.iloc[0]
        text += (f'[[targets]]\nid = "D{day}"\ndescription = "adopters on day {day}"\n'
                 f'source = "synthetic"\nplatform = "Adopted"\nmetric = "daily_active_users"\n'
                 f'statistic = "value"\nfrom = {date}\nvalue = {value}\n'
                 f'low = {value / 1.25}\nhigh = {value * 1.25}\n\n')
    (tmp_path / "targets.toml").write_text(text)
    (tmp_path / "params.toml").write_text(
        '[calibration]\nseeds = 1\nagents = 2000\npredictive_draws = 8\n\n'
        '[abc]\nparticles = 12\nmax_generations = 2\n\n'
        '[[parameters]]\npath = "platforms.Adopted.innovation"\nprior = "log-uniform"\n'
        'low = 0.003\nhigh = 0.3\n\n'
        '[[parameters]]\npath = "platforms.Adopted.imitation"\nprior = "uniform"\n'
        'low = 0.05\nhigh = 1.0\n')
    return tmp_path / "targets.toml", tmp_path / "params.toml"


@needs_cli
def test_calibrate_is_the_command_lines(tmp_path):
    targets, params = synthetic_targets(tmp_path)
    scenario = SCENARIOS / "bass-mixed.toml"
    cli("calibrate", "-q", "--no-plots", scenario, targets, "--params", params,
        "--out", tmp_path / "cli")
    c = exodus.calibrate(scenario, targets, params, out=tmp_path / "py")
    assert c.complete
    posterior = pd.read_csv(tmp_path / "cli" / "posterior.csv")
    same_table(c.posterior[posterior.columns], posterior)
    predictive = pd.read_csv(tmp_path / "cli" / "predictive.csv")
    same_table(c.predictive[predictive.columns], predictive)
    # The same fitted scenario; its header quotes the command, which names the folder.
    def fitted_lines(folder):
        return [l for l in (folder / "fitted.toml").read_text().splitlines()
                if "exodus calibrate" not in l]
    assert fitted_lines(tmp_path / "py") == fitted_lines(tmp_path / "cli")
    # The Python call's folder says how to rerun it from the command line.
    command = next(l for l in (tmp_path / "py" / "calibration.md").read_text().splitlines()
                   if l.startswith("exodus calibrate"))
    assert command.endswith("--out " + str(tmp_path / "py") + " --no-plots")
    fitted = c.fitted
    assert exodus.run(fitted, agents=1000).daily.shape[0] > 0


def test_a_folder_of_other_inputs_is_the_command_lines_error(tmp_path):
    targets, params = synthetic_targets(tmp_path)
    scenario = SCENARIOS / "bass-mixed.toml"
    exodus.calibrate(scenario, targets, params, out=tmp_path / "c", max_generations=1)
    with pytest.raises(exodus.ExodusError) as e:
        exodus.calibrate(scenario, targets, params, out=tmp_path / "c", particles=16)
    assert "other inputs" in str(e.value) and "--fresh" in str(e.value)
    again = exodus.calibrate(scenario, targets, params, out=tmp_path / "c", particles=16,
                             max_generations=1, fresh=True)
    assert again.complete
    with pytest.raises(ValueError):
        exodus.calibrate(scenario, targets, params, out=tmp_path / "c", method="simplex")
    # Ranges the command line's parser checks are checked for Python too.
    with pytest.raises(exodus.ScenarioError) as e:
        exodus.calibrate(scenario, targets, params, out=tmp_path / "c", particles=2)
    assert e.value.field == "--particles" and "4 ..= 100000" in str(e.value)
    with pytest.raises(ValueError):
        exodus.check(scenario, targets, replicates=0)
    with pytest.raises(ValueError):
        exodus.sweep(ROOT / "sweeps" / "historical-sobol.toml", out=tmp_path / "s", design="grid2")
    text = exodus.Scenario.from_toml(f'extends = "{scenario}"\n')
    with pytest.raises(ValueError) as e:
        exodus.calibrate(text, targets, params, out=tmp_path / "t")
    assert "from text" in str(e.value)


def interrupt_after(seconds):
    """Raises KeyboardInterrupt in the main thread after `seconds`, as Ctrl-C in a notebook."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def interrupt_when(ready):
    """Raises KeyboardInterrupt in the main thread once `ready()` holds (polled every 10 ms)."""

    def watch():
        while not ready():
            time.sleep(0.01)
        _thread.interrupt_main()

    threading.Thread(target=watch, daemon=True).start()


def assert_note(e, text):
    """exodus's note on the interrupt says `text` (notes exist from Python 3.11)."""
    if sys.version_info >= (3, 11):
        note = " ".join(getattr(e.value, "__notes__", []))
        assert text in note, note


def test_ctrl_c_stops_a_run_between_days():
    big = exodus.load(SCENARIOS / "historical-2025.toml")
    start = time.monotonic()
    interrupt_after(1.0)
    with pytest.raises(KeyboardInterrupt) as e:
        exodus.run(big, agents=3_000_000, replicates=5)
    # The note is exodus's: the run itself stopped (it did not finish and then get interrupted).
    assert_note(e, "interrupted")
    assert_note(e, "stopped")
    assert time.monotonic() - start < 60
    # The package is still usable.
    assert exodus.run(big, agents=1000).daily.shape[0] > 0


def test_ctrl_c_keeps_a_sweeps_finished_points(tmp_path):
    sweep_file = ROOT / "sweeps" / "historical-sobol.toml"
    settings = dict(out=tmp_path / "s", samples=8, agents=4000, replicates=1, threads=2)
    results = tmp_path / "s" / "results.csv"
    # Interrupted once the first window of points is in the folder.
    interrupt_when(lambda: results.exists() and results.stat().st_size > 2000)
    with pytest.raises(KeyboardInterrupt) as e:
        exodus.sweep(sweep_file, **settings)
    assert_note(e, "the same sweep resumes")
    resumed = exodus.sweep(sweep_file, **settings)
    assert resumed.resumed > 0 and resumed.ran > 0
    assert resumed.ran + resumed.resumed == resumed.points
    whole = exodus.sweep(sweep_file, **{**settings, "out": tmp_path / "whole"})
    same_table(resumed.results, whole.results)


def test_ctrl_c_keeps_a_calibrations_state(tmp_path):
    targets, params = synthetic_targets(tmp_path)
    scenario = SCENARIOS / "bass-mixed.toml"
    settings = dict(out=tmp_path / "c", agents=20_000, particles=24)
    # Interrupted once the first batch is saved.
    interrupt_when(lambda: (tmp_path / "c" / "state.json").exists())
    with pytest.raises(KeyboardInterrupt) as e:
        exodus.calibrate(scenario, targets, params, **settings)
    assert_note(e, "resumes")
    resumed = exodus.calibrate(scenario, targets, params, **settings)
    whole = exodus.calibrate(scenario, targets, params, **{**settings, "out": tmp_path / "w"})
    same_table(resumed.posterior, whole.posterior)
    same_table(resumed.predictive, whole.predictive)
