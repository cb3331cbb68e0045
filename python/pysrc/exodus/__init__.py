"""exodus from Python: load a scenario, change it with the command line's parameter paths, run,
compare, check, sweep and calibrate it at Rust speed, and get the results as pandas (or polars)
DataFrames — the same numbers the command line writes to its CSV files.

    >>> import exodus
    >>> s = exodus.load("scenarios/historical-2025.toml").set("platforms.TikTok.appeal", 3.0)
    >>> r = exodus.run(s, agents=20_000)
    >>> r.daily.head()

Every call that simulates releases the GIL and can be stopped with Ctrl-C (in a notebook:
Kernel > Interrupt): it raises KeyboardInterrupt once the work has stopped between two days (or
points, or batches); sweeps and calibrations keep what they finished in their folder and the
same call resumes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ._exodus import (
    ExodusError,
    Scenario,
    ScenarioError,
    __version__,
    calibrate_run,
    check_rows,
    compare_tables,
    read_comparison,
    run_tables,
    sensitivity_rows,
    sweep_run,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "ExodusError",
    "Result",
    "Comparison",
    "Sweep",
    "Calibration",
    "load",
    "run",
    "compare",
    "check",
    "sweep",
    "calibrate",
    "__version__",
]

PathLike = Union[str, Path]
Value = Union[bool, int, float, str]


def load(path: PathLike) -> Scenario:
    """Reads and checks the scenario file at `path` (following `extends`)."""
    return Scenario.load(str(path))


def _scenario(s) -> Scenario:
    return s if isinstance(s, Scenario) else load(s)


def _pandas(batch):
    import pyarrow as pa

    return pa.record_batch(batch).to_pandas()


def _polars(batch):
    import polars as pl

    return pl.DataFrame(batch)


def _rows(text: str, rename: Optional[Dict[str, str]] = None):
    import pandas as pd

    frame = pd.DataFrame(json.loads(text))
    return frame.rename(columns=rename or {})


def _sets(sets: Optional[Dict[str, Value]]) -> List[Tuple[str, Value]]:
    return list((sets or {}).items())


class Result:
    """The results of a run, as the files `exodus run` writes, as pandas DataFrames:
    `daily` (daily.csv, with a replicate column), `flows` (flows.csv, likewise), `bands`
    (bands.csv: the median, band and mean over replicates) and `summary` (summary.json's
    platform table, a row per replicate and platform); `summaries` holds summary.json's whole
    content per replicate."""

    def __init__(self, scenario: Scenario, tables):
        self.scenario = scenario
        self._daily, self._flows, self._bands, summaries = tables
        self.summaries = [json.loads(s) for s in summaries]

    @property
    def daily(self):
        """daily.csv's rows (date, day, platform, metric, value in people) per replicate."""
        return _pandas(self._daily)

    @property
    def flows(self):
        """flows.csv's rows (date, day, from, to, value: people who moved main app) per replicate."""
        return _pandas(self._flows)

    @property
    def bands(self):
        """bands.csv's rows: per date, platform and metric, the replicates' mean with its 95%
        interval, median and band."""
        return _pandas(self._bands)

    @property
    def summary(self):
        """summary.json's platform table, a row per replicate and platform."""
        import pandas as pd

        rows = [
            {"replicate": s["replicate"], **p} for s in self.summaries for p in s["platforms"]
        ]
        return pd.DataFrame(rows)

    def to_polars(self, table: str = "daily"):
        """A table (`daily`, `flows` or `bands`) as a polars DataFrame (needs polars)."""
        batches = {"daily": self._daily, "flows": self._flows, "bands": self._bands}
        return _polars(batches[table])

    def __repr__(self) -> str:
        return f"Result({self.scenario!r})"


def run(
    scenario,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    replicates: int = 1,
    threads: Optional[int] = None,
    band: Tuple[float, float] = (0.05, 0.95),
) -> Result:
    """Runs `scenario` (a Scenario or a path) as `exodus run` does: `replicates` replicates
    (replicate r from the seed's stream r), bands between the quantiles `band`. `agents` and
    `seed` replace the scenario's; `threads` defaults to all cores."""
    scenario = _scenario(scenario)
    tables = run_tables(
        scenario, agents=agents, seed=seed, replicates=replicates, threads=threads, band=band
    )
    return Result(scenario, tables)


class Comparison:
    """A comparison's results, as the files `exodus compare` writes, as pandas DataFrames:
    `bands` (bands.csv: each scenario's bands over replicates), `differences`
    (differences.csv: each scenario minus the baseline, paired replicate by replicate) and
    `outcomes` (outcomes.csv: key outcomes and their paired differences, tidy); `name` is the
    comparison file's name (or the labels joined with "vs"), `labels` name the scenarios as
    the tables do, `baseline` is the baseline's label and `seeds` each scenario's seed (all
    equal with common random numbers)."""

    def __init__(self, name: str, scenarios: List[Scenario], baseline: int, tables):
        self.scenarios = scenarios
        self._bands, self._differences, self._outcomes, self.labels, self.seeds = tables
        self.baseline = self.labels[baseline]
        self.name = name or " vs ".join(self.labels)

    @property
    def bands(self):
        """bands.csv's rows: scenario, date, day, platform, metric and the band statistics."""
        return _pandas(self._bands)

    @property
    def differences(self):
        """differences.csv's rows: as `bands`, of each scenario minus the baseline."""
        return _pandas(self._differences)

    @property
    def outcomes(self):
        """outcomes.csv's rows: scenario, kind (value or difference), outcome, platform,
        statistic (replicates, mean, mean_low, mean_high, median, low, high) and value."""
        return _pandas(self._outcomes)

    def to_polars(self, table: str = "bands"):
        """A table (`bands`, `differences` or `outcomes`) as a polars DataFrame."""
        batches = {
            "bands": self._bands,
            "differences": self._differences,
            "outcomes": self._outcomes,
        }
        return _polars(batches[table])

    def __repr__(self) -> str:
        return f"Comparison({self.name!r}; baseline {self.baseline})"


def compare(
    scenarios,
    baseline: Optional[int] = None,
    replicates: Optional[int] = None,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    band: Optional[Tuple[float, float]] = None,
    dates: Optional[Iterable[str]] = None,
    independent: bool = False,
) -> Comparison:
    """Compares scenarios as `exodus compare` does. `scenarios` is a list of Scenarios or
    paths (the same platforms and start), or the path of a comparison file
    (comparisons/*.toml), whose baseline, replicates, band and dates are then the defaults.
    Every scenario runs with the same random numbers (the baseline's seed, or `seed`) unless
    `independent`; differences are paired replicate by replicate against scenario `baseline`
    (an index, default the first); key outcomes are reported on `dates` (YYYY-MM-DD, default
    the last common day). `replicates` defaults to 10 and `band` to (0.05, 0.95), as on the
    command line."""
    name = ""
    if isinstance(scenarios, (str, Path)):
        name, _, files, file_baseline, file_replicates, file_band, file_dates = read_comparison(
            str(scenarios)
        )
        scenarios = files
        baseline = file_baseline if baseline is None else baseline
        replicates = file_replicates if replicates is None else replicates
        band = file_band if band is None else band
        dates = file_dates if dates is None else dates
    loaded = [_scenario(s) for s in scenarios]
    baseline = 0 if baseline is None else baseline
    tables = compare_tables(
        loaded,
        baseline=baseline,
        replicates=10 if replicates is None else replicates,
        agents=agents,
        seed=seed,
        threads=threads,
        band=(0.05, 0.95) if band is None else tuple(band),
        dates=list(dates or ()),
        independent=independent,
    )
    return Comparison(name, loaded, baseline, tables)


def check(
    scenario,
    targets: PathLike,
    replicates: int = 1,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
):
    """Checks `scenario` against the calibration targets in `targets` (a targets file) as
    `exodus check` does and returns a pandas DataFrame, a row per target: id, description,
    source, confidence, dates, the published value with its accepted interval (low, high), the
    model's mean over `replicates` replicates with its range, and whether it fits."""
    return _rows(
        check_rows(
            _scenario(scenario),
            str(targets),
            replicates=replicates,
            agents=agents,
            seed=seed,
            threads=threads,
        )
    )


class Sweep:
    """A sweep's folder and its tables: `results` (results.csv, a row per point, replicate and
    outcome with the parameters' values), `failures` (failed points and their errors) and
    `sensitivity()` (the indices `exodus sensitivity` computes). `points`, `ran` and `resumed`
    count the design's points, those run by this call and those found finished in the folder."""

    def __init__(self, folder: str, points: int, ran: int, resumed: int, failed):
        self.folder = Path(folder)
        self.points = points
        self.ran = ran
        self.resumed = resumed
        self._failed = failed

    @property
    def results(self):
        """results.csv's rows: point, replicate, seed, each parameter's value, outcome, value
        (empty where the outcome is undefined)."""
        import pyarrow.csv as pacsv

        return pacsv.read_csv(self.folder / "results.csv").to_pandas()

    def to_polars(self):
        """results.csv's rows as a polars DataFrame (needs polars)."""
        import polars as pl
        import pyarrow.csv as pacsv

        return pl.from_arrow(pacsv.read_csv(self.folder / "results.csv"))

    @property
    def failures(self):
        """The failed points (point, error); empty when every point ran."""
        import pandas as pd

        return pd.DataFrame(self._failed, columns=["point", "error"])

    def sensitivity(self, resamples: int = 1000, level: float = 0.95):
        """The sensitivity indices of the sweep as `exodus sensitivity` computes them
        (sensitivity.csv's rows: outcome, parameter, index, estimate, low, high), from Sobol'
        (saltelli) or Morris designs, with bootstrap intervals at `level` from `resamples`
        resamples. Nothing is written. The seed-noise rows have no parameter (None)."""
        rows = _rows(sensitivity_rows(str(self.folder), resamples=resamples, level=level))
        if "parameter" in rows:
            rows["parameter"] = rows["parameter"].replace("", None)
        return rows

    def __repr__(self) -> str:
        return f"Sweep({str(self.folder)!r}, {self.points} points)"


def sweep(
    sweep_file: PathLike,
    out: Optional[PathLike] = None,
    agents: Optional[int] = None,
    replicates: Optional[int] = None,
    samples: Optional[int] = None,
    design: Optional[str] = None,
    scenario=None,
    skip_missing: bool = False,
    sets: Optional[Dict[str, Value]] = None,
    fresh: bool = False,
    threads: Optional[int] = None,
    plots: bool = False,
) -> Sweep:
    """Runs the sweep file `sweep_file` as `exodus sweep` does, into the folder `out` (default
    results/sweep-<file stem>), which it resumes when it holds this sweep's finished points
    (`fresh=True` discards them). `agents`, `replicates`, `samples`, `design` and `scenario`
    (a Scenario from a file, or a path) replace the sweep file's; `sets` ({path: value}) are
    set on every point before the design's values; `plots=True` also draws the charts."""
    if scenario is not None:
        scenario = _scenario(scenario)
    found = sweep_run(
        str(sweep_file),
        out=None if out is None else str(out),
        agents=agents,
        replicates=replicates,
        samples=samples,
        design=design,
        scenario=scenario,
        skip_missing=skip_missing,
        sets=_sets(sets),
        fresh=fresh,
        threads=threads,
        plots=plots,
    )
    return Sweep(*found)


class Calibration:
    """A calibration's folder and results: `posterior` (posterior.csv: each parameter's
    median, 90% interval, mean, sd and contraction, or the best point), `predictive`
    (predictive.csv: each target's predictive check), `fitted` (the fitted scenario,
    fitted.toml), `stopped` (why it stopped), `complete` and `summary` (the command line's
    summary)."""

    def __init__(self, found):
        folder, self.stopped, self.complete, self.summary, posterior, predictive = found
        self.folder = Path(folder)
        self.posterior = _rows(posterior, {"path": "parameter"})
        self.predictive = _rows(predictive, {"id": "target"})

    @property
    def fitted(self) -> Scenario:
        """The scenario with the fitted parameters (fitted.toml in the folder)."""
        return load(self.folder / "fitted.toml")

    def __repr__(self) -> str:
        return f"Calibration({str(self.folder)!r}: {self.stopped})"


def calibrate(
    scenario,
    targets: PathLike,
    params: PathLike,
    out: Optional[PathLike] = None,
    method: Optional[str] = None,
    seeds: Optional[int] = None,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    particles: Optional[int] = None,
    max_generations: Optional[int] = None,
    max_simulations: Optional[int] = None,
    max_seconds: Optional[float] = None,
    restarts: Optional[int] = None,
    threads: Optional[int] = None,
    sets: Optional[Dict[str, Value]] = None,
    fresh: bool = False,
    plots: bool = False,
) -> Calibration:
    """Calibrates `scenario` (a Scenario from a file, or a path; its changes are kept) against
    the targets file `targets` with the calibration file `params` as `exodus calibrate` does,
    into the folder `out` (default results/calibrate-<scenario stem>), resuming its saved
    state (`fresh=True` starts over). The other arguments replace the calibration file's
    settings (`method`: "abc-smc" or "nelder-mead")."""
    found = calibrate_run(
        _scenario(scenario),
        str(targets),
        str(params),
        out=None if out is None else str(out),
        method=method,
        seeds=seeds,
        agents=agents,
        seed=seed,
        particles=particles,
        max_generations=max_generations,
        max_simulations=max_simulations,
        max_seconds=max_seconds,
        restarts=restarts,
        threads=threads,
        sets=_sets(sets),
        fresh=fresh,
        plots=plots,
    )
    return Calibration(found)
