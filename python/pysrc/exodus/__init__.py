"""exodus from Python: load a scenario, change it with the command line's parameter paths, run
it at Rust speed and get its results as pandas (or polars) DataFrames.

    >>> import exodus
    >>> s = exodus.load("scenarios/historical-2025.toml").set("platforms.TikTok.appeal", 3.0)
    >>> r = exodus.run(s, agents=20_000)
    >>> r.daily.head()
"""

from __future__ import annotations

from typing import Optional

import json

from ._exodus import Scenario, ScenarioError, __version__, run_tables

__all__ = ["Scenario", "ScenarioError", "Result", "load", "run", "__version__"]


def load(path) -> Scenario:
    """Reads and checks the scenario file at `path` (following `extends`)."""
    return Scenario.load(str(path))


def _pandas(batch):
    import pyarrow as pa

    return pa.record_batch(batch).to_pandas()


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
        import polars as pl

        batches = {"daily": self._daily, "flows": self._flows, "bands": self._bands}
        return pl.DataFrame(batches[table])

    def __repr__(self) -> str:
        return f"Result({self.scenario!r})"


def run(
    scenario,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    replicates: int = 1,
    threads: Optional[int] = None,
    band: tuple = (0.05, 0.95),
) -> Result:
    """Runs `scenario` (a Scenario or a path) as `exodus run` does: `replicates` replicates
    (replicate r from the seed's stream r), bands between the quantiles `band`. The GIL is
    released while the engine runs."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    tables = run_tables(
        scenario, agents=agents, seed=seed, replicates=replicates, threads=threads, band=band
    )
    return Result(scenario, tables)
