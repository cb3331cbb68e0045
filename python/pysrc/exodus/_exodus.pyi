"""Type stubs of the extension module `exodus._exodus` (src/lib.rs)."""

from os import PathLike
from typing import Any, List, Optional, Sequence, Tuple, Union

__version__: str

Value = Union[bool, int, float, str]

class ScenarioError(ValueError):
    """A scenario that cannot be read or is invalid: the command line's message."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    field: Optional[str]
    problems: List[str]

class ExodusError(RuntimeError):
    """A run, comparison, check, sweep or calibration that failed: the command line's message."""

class Scenario:
    """A scenario: a file (or TOML text) and the parameter changes made to it."""

    @staticmethod
    def load(path: Union[str, PathLike]) -> Scenario: ...
    @staticmethod
    def from_toml(text: str, path: Optional[Union[str, PathLike]] = None) -> Scenario: ...
    def set(self, path: str, value: Value) -> Scenario: ...
    @property
    def name(self) -> str: ...
    @property
    def changes(self) -> List[str]: ...
    def to_toml(self) -> str: ...

def run_tables(
    scenario: Scenario,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    replicates: int = 1,
    threads: Optional[int] = None,
    band: Tuple[float, float] = (0.05, 0.95),
) -> Tuple[Any, Any, Any, List[str]]: ...
def compare_tables(
    scenarios: Sequence[Scenario],
    baseline: int = 0,
    replicates: int = 1,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    band: Tuple[float, float] = (0.05, 0.95),
    dates: Sequence[str] = ...,
    independent: bool = False,
) -> Tuple[Any, Any, Any, List[str], List[int]]: ...
def read_comparison(
    path: Union[str, PathLike],
) -> Tuple[
    str, str, List[str], int, Optional[int], Optional[Tuple[float, float]], List[str]
]: ...
def check_rows(
    scenario: Scenario,
    targets: Union[str, PathLike],
    replicates: int = 1,
    agents: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> str: ...
def sweep_run(
    sweep: Union[str, PathLike],
    out: Optional[Union[str, PathLike]] = None,
    agents: Optional[int] = None,
    replicates: Optional[int] = None,
    samples: Optional[int] = None,
    design: Optional[str] = None,
    scenario: Optional[Scenario] = None,
    skip_missing: bool = False,
    sets: Sequence[Tuple[str, Value]] = ...,
    fresh: bool = False,
    threads: Optional[int] = None,
    plots: bool = False,
) -> Tuple[str, int, int, int, List[Tuple[int, str]]]: ...
def sensitivity_rows(
    folder: Union[str, PathLike], resamples: int = 1000, level: float = 0.95
) -> str: ...
def calibrate_run(
    scenario: Scenario,
    targets: Union[str, PathLike],
    params: Union[str, PathLike],
    out: Optional[Union[str, PathLike]] = None,
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
    sets: Sequence[Tuple[str, Value]] = ...,
    fresh: bool = False,
    plots: bool = False,
) -> Tuple[str, str, bool, str, str, str]: ...
