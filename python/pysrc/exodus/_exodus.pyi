"""Type stubs of the extension module `exodus._exodus` (src/lib.rs)."""

from os import PathLike
from typing import Any, List, Optional, Tuple, Union

__version__: str

class ScenarioError(ValueError):
    """A scenario that cannot be read or is invalid: the command line's message."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    field: Optional[str]
    problems: List[str]

class Scenario:
    """A scenario: a file (or TOML text) and the parameter changes made to it."""

    @staticmethod
    def load(path: Union[str, PathLike]) -> Scenario: ...
    @staticmethod
    def from_toml(text: str, path: Optional[Union[str, PathLike]] = None) -> Scenario: ...
    def set(self, path: str, value: Union[bool, int, float, str]) -> Scenario: ...
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
