"""The native module (PyO3). Use the functions of the `rhetor` package instead."""

from typing import List, Optional, Tuple

__version__: str

class RhetorError(Exception):
    """An error of rhetor, with the CLI's message (names the file, key or flag)."""

def run(
    corpus: str,
    out: str,
    config_file: Optional[str] = None,
    overrides: Optional[str] = None,
    force: bool = False,
    coded: Optional[str] = None,
) -> str: ...
def fit(
    corpus: str,
    out: str,
    config_file: Optional[str] = None,
    overrides: Optional[str] = None,
    force: bool = False,
    sample: Optional[int] = None,
) -> str: ...
def apply(
    bundle: str,
    corpus: str,
    out: str,
    config_file: Optional[str] = None,
    overrides: Optional[str] = None,
    force: bool = False,
    coded: Optional[str] = None,
    shard: Optional[Tuple[int, int]] = None,
) -> str: ...
def merge(parts: str, out: str, force: bool = False, coded: Optional[str] = None) -> str: ...
def embed(
    texts: List[str], model: str = "all-MiniLM-L6-v2", precision: str = "f32", cache: bool = False
) -> Tuple[bytes, int, int]: ...
def config_reference() -> str: ...
