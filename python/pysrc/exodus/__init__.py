"""exodus from Python: load a scenario, change it with the command line's parameter paths, run
it at Rust speed and get its results as pandas (or polars) DataFrames.

    >>> import exodus
    >>> s = exodus.load("scenarios/historical-2025.toml").set("platforms.TikTok.appeal", 3.0)
    >>> r = exodus.run(s, agents=20_000)
    >>> r.daily.head()
"""

from __future__ import annotations

from typing import Optional

from ._exodus import Scenario, ScenarioError, __version__, run_daily

__all__ = ["Scenario", "ScenarioError", "Result", "load", "run", "__version__"]


def load(path) -> Scenario:
    """Reads and checks the scenario file at `path` (following `extends`)."""
    return Scenario.load(str(path))


class Result:
    """The results of a run: `daily` (daily.csv's rows, plus the replicate) as a DataFrame."""

    def __init__(self, scenario: Scenario, daily_batch):
        self.scenario = scenario
        self._daily = daily_batch

    @property
    def daily(self):
        """One row per replicate, day, platform and metric: replicate, date, day, platform,
        metric, value (people represented) — daily.csv's columns, as a pandas DataFrame."""
        import pyarrow as pa

        return pa.record_batch(self._daily).to_pandas()

    def to_polars(self):
        """`daily` as a polars DataFrame (needs polars)."""
        import polars as pl

        return pl.DataFrame(self._daily)

    def __repr__(self) -> str:
        return f"Result({self.scenario!r})"


def run(
    scenario,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    replicates: int = 1,
    threads: Optional[int] = None,
) -> Result:
    """Runs `scenario` (a Scenario or a path) as `exodus run` does; the GIL is released while
    the engine runs."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    batch = run_daily(scenario, agents=agents, seed=seed, replicates=replicates, threads=threads)
    return Result(scenario, batch)
