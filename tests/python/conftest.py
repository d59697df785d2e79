"""Fixtures for the Parquet contract tests (tests/python/test_contract.py).

The contract is rhetor's own: `rhetor schema --format json`, printed by the binary from
src/schema.rs. Nothing here keeps a second copy of it.

Environment:
  RHETOR_RUN_DIR  the run directory to check (required), e.g. from `rhetor run corpus --out …`
  RHETOR_BIN      the rhetor binary (default: ${CARGO_TARGET_DIR:-~/.cache/rhetor-target}/debug/rhetor,
                  else `rhetor` on PATH)

scripts/python_checks.sh sets both.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

READERS = ("pandas", "polars", "duckdb")


def rhetor_bin() -> str:
    env = os.environ.get("RHETOR_BIN")
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise pytest.UsageError(f"RHETOR_BIN={env!r} is not an executable file")
        return env
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache" / "rhetor-target")
    default = Path(target) / "debug" / "rhetor"
    if default.is_file():
        return str(default)
    on_path = shutil.which("rhetor")
    if on_path:
        return on_path
    raise pytest.UsageError(
        f"no rhetor binary: not at {default} and not on PATH; build it (cargo build) or set RHETOR_BIN"
    )


@functools.lru_cache(maxsize=None)
def load_schema() -> dict:
    """`rhetor schema --format json`, parsed (once per session)."""
    exe = rhetor_bin()
    proc = subprocess.run(
        [exe, "schema", "--format", "json"], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        raise pytest.UsageError(
            f"`{exe} schema --format json` exited with {proc.returncode}:\n{proc.stderr}"
        )
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise pytest.UsageError(f"`rhetor schema --format json` printed invalid JSON: {err}")


def table_names() -> list[str]:
    """Table names as test ids: `documents` for documents.parquet."""
    return [t["file"].removesuffix(".parquet") for t in load_schema()["tables"]]


def pytest_generate_tests(metafunc):
    # Each table (and each table × reader) is its own test id, e.g. test_columns[topics-pandas].
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", table_names())
    if "reader" in metafunc.fixturenames:
        metafunc.parametrize("reader", READERS)


def pytest_report_header(config):
    try:
        schema = load_schema()
    except pytest.UsageError as err:
        return [f"rhetor schema: unavailable ({err})"]
    return [
        f"rhetor binary: {rhetor_bin()} (rhetor {schema.get('rhetor_version')}, "
        f"schema version {schema.get('schema_version')})",
        f"run directory: {os.environ.get('RHETOR_RUN_DIR', '(RHETOR_RUN_DIR not set)')}",
    ]


@pytest.fixture(scope="session")
def schema() -> dict:
    return load_schema()


@pytest.fixture(scope="session")
def tables_by_name(schema) -> dict[str, dict]:
    return {t["file"].removesuffix(".parquet"): t for t in schema["tables"]}


@pytest.fixture(scope="session")
def run_dir() -> Path:
    env = os.environ.get("RHETOR_RUN_DIR")
    if not env:
        raise pytest.UsageError(
            "set RHETOR_RUN_DIR to a run directory, e.g. "
            "`rhetor run corpus --out /tmp/demo_run` then RHETOR_RUN_DIR=/tmp/demo_run "
            "(scripts/python_checks.sh does this for you)"
        )
    path = Path(env)
    if not (path / "manifest.json").is_file():
        raise pytest.UsageError(f"RHETOR_RUN_DIR={env!r} is not a run directory (no manifest.json)")
    return path


@pytest.fixture(scope="session")
def manifest(run_dir) -> dict:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rhetor_exe() -> str:
    """The rhetor binary (see `rhetor_bin`), for tests that run its subcommands."""
    return rhetor_bin()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (tests/python/../..), for committed fixtures and reference files."""
    return Path(__file__).resolve().parents[2]
