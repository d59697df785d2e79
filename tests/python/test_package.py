"""The Python package (`pip install ./python`, PyO3): the same files and bytes as the CLI,
Arrow and NumPy results, the CLI's error messages, and sharding on Ray (issue 17, part 3).

scripts/python_checks.sh installs the package into the test venv first and sets
RHETOR_REQUIRE_PACKAGE=1, so a package that does not build or import fails CI instead of
skipping."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
from pathlib import Path

import pytest

if os.environ.get("RHETOR_REQUIRE_PACKAGE") == "1":
    import rhetor  # noqa: F401
rhetor = pytest.importorskip("rhetor")

REPO = Path(os.environ.get("RHETOR_REPO", Path(__file__).resolve().parents[2]))
CORPUS = str(REPO / "corpus")
BIN = os.environ.get("RHETOR_BIN")


def cli(*args: str) -> None:
    if not BIN:
        pytest.skip("RHETOR_BIN is not set (scripts/python_checks.sh sets it)")
    subprocess.run([BIN, "-q", *args], check=True)


def same_files(a: Path, b: Path, ignore=("manifest.json",)) -> None:
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert names_a == names_b
    assert len(names_a) > 3
    differ = [
        str(n)
        for n in names_a
        if str(n) not in ignore and not filecmp.cmp(a / n, b / n, shallow=False)
    ]
    assert differ == [], f"{differ} differ between {a} and {b}"


def manifest_core(run: Path) -> dict:
    m = json.loads((run / "manifest.json").read_text())
    m.pop("timings_s")
    return m


def test_fit_and_apply_write_the_cli_bytes(tmp_path: Path) -> None:
    py_bundle, cli_bundle = tmp_path / "py-bundle", tmp_path / "cli-bundle"
    pipe = rhetor.fit(CORPUS, out=py_bundle, cluster={"k": 3}, seed=7)
    cli("fit", CORPUS, "--k", "3", "--seed", "7", "--out", str(cli_bundle))
    same_files(py_bundle, cli_bundle, ignore=())
    assert isinstance(pipe, rhetor.Pipeline)
    assert pipe.manifest["cluster"]["k"] == 3
    assert len(pipe.topics) == 3

    py_run, cli_run = tmp_path / "py-run", tmp_path / "cli-run"
    run = pipe.apply_run(CORPUS, py_run, groups={"by": "title"})
    cli("apply", str(py_bundle), CORPUS, "--group-by", "title", "--out", str(cli_run))
    same_files(py_run, cli_run)
    assert manifest_core(py_run) == manifest_core(cli_run)
    assert run.summary["paragraphs"] == 63 and run.summary["k"] == 3
    assert "doc_labels" in run.table_names
    assert run.tables["paragraphs"].num_rows == 63


def test_apply_in_memory_returns_arrow_that_pandas_polars_and_duckdb_read(
    tmp_path: Path,
) -> None:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    pipe = rhetor.fit(CORPUS, out=tmp_path / "b", cluster={"k": 3})
    texts = [
        "ICE agents raided the plant at dawn and detained forty workers.",
        "Border security is national security.\n\nCongress must fund enforcement.",
    ]
    t = pipe.apply(texts)
    assert isinstance(t, pa.Table)
    assert t.num_rows == 3  # the second document has two paragraphs
    assert t.column("doc_id").to_pylist() == ["doc_0", "doc_1", "doc_1"]
    assert set(t.column("topic_id").to_pylist()) <= {0, 1, 2}
    # The same rows from a pandas or polars frame, with their own ids.
    frame = pd.DataFrame({"id": ["a", "b"], "body": texts, "outlet": ["x", "y"]})
    from_pd = pipe.apply(frame, text_col="body")
    from_pl = pipe.apply(pl.from_pandas(frame), text_col="body")
    assert from_pd.column("topic_id") == t.column("topic_id")
    assert from_pd.equals(from_pl)
    assert from_pd.column("doc_id").to_pylist() == ["a", "b", "b"]
    # Consumers take the table as it is.
    assert pl.from_arrow(t).height == 3
    assert t.to_pandas().shape[0] == 3
    assert duckdb.sql("select count(*) from t").fetchall()[0][0] == 3
    with pytest.raises(rhetor.RhetorError, match="no column 'body'"):
        pipe.apply({"text": texts}, text_col="body")
    with pytest.raises(rhetor.RhetorError, match="not one string"):
        pipe.apply("one string")


def test_errors_carry_the_cli_message(tmp_path: Path) -> None:
    with pytest.raises(rhetor.RhetorError, match="does not exist"):
        rhetor.fit(str(tmp_path / "missing"), out=tmp_path / "b")
    with pytest.raises(rhetor.RhetorError, match="unknown field `kk`"):
        rhetor.fit(CORPUS, out=tmp_path / "b", cluster={"kk": 3})
    with pytest.raises(rhetor.RhetorError, match="bundle.json"):
        rhetor.Pipeline.load(tmp_path)
    # Nothing half-written.
    assert not (tmp_path / "b").exists()
    run = rhetor.run(CORPUS, out=tmp_path / "r")
    with pytest.raises(rhetor.RhetorError, match="exists"):
        rhetor.run(CORPUS, out=tmp_path / "r")
    assert rhetor.read_run(tmp_path / "r").table("documents").num_rows == 4
    assert run.manifest["command"] == "run"


def test_shards_and_merge_from_python(tmp_path: Path) -> None:
    corpus = os.path.abspath(CORPUS)
    pipe = rhetor.fit(corpus, out=tmp_path / "b")
    reference = pipe.apply_run(corpus, tmp_path / "ref")
    for i in (1, 2, 3):
        part = pipe.apply_shard(corpus, tmp_path / "parts", i, 3)
        assert part["shard"] == i
    merged = rhetor.merge(tmp_path / "parts", tmp_path / "merged")
    same_files(reference.path, merged.path)


def model_installed() -> bool:
    models = Path(os.environ.get("RHETOR_MODELS", REPO / "models"))
    return (models / "all-MiniLM-L6-v2" / "model.safetensors").is_file()


@pytest.mark.skipif(not model_installed(), reason="all-MiniLM-L6-v2 is not installed")
def test_embed_equals_the_runs_vectors(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow.parquet as pq

    run = tmp_path / "tr"
    cli("run", CORPUS, "--embed", "transformer", "--no-cache", "--out", str(run))
    texts = pq.read_table(run / "paragraphs.parquet").column("text").to_pylist()
    emb = pq.read_table(run / "embeddings.parquet").column("vector").to_pylist()
    expected = np.array(emb, dtype=np.float32)
    v = rhetor.embed(texts)
    assert v.shape == (63, 384) and v.dtype == np.float32
    np.testing.assert_array_equal(v, expected)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    with pytest.raises(rhetor.RhetorError, match="precision"):
        rhetor.embed(["x"], precision="f16")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray cluster of two nodes on this machine, one CPU each, started as a user would:
    `ray start --head`, then `ray start --address=…` for the second node."""
    ray = pytest.importorskip("ray")
    import sys

    exe = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    address = f"127.0.0.1:{port}"
    # A throwaway local cluster: no token authentication (the nodes and this driver would
    # otherwise need the same generated token), no usage stats.
    os.environ["RAY_AUTH_MODE"] = "disabled"
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    common = ["--num-cpus=1", "--disable-usage-stats"]
    subprocess.run(
        [exe, "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
        check=True, env=env, capture_output=True,
    )
    try:
        subprocess.run(
            [exe, "start", f"--address={address}", *common],
            check=True, env=env, capture_output=True,
        )
        yield ray, address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([exe, "stop", "--force"], env=env, capture_output=True)


def test_ray_two_nodes_give_the_bytes_of_one_apply(tmp_path: Path, ray_cluster) -> None:
    ray, address = ray_cluster
    import rhetor.ray as rray

    corpus = os.path.abspath(CORPUS)
    pipe = rhetor.fit(corpus, out=tmp_path / "b")
    reference = pipe.apply_run(corpus, tmp_path / "ref", groups={"by": "title"})
    ray.init(address=address, log_to_driver=False)
    try:
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        run = rray.apply(pipe, corpus, tmp_path / "ray", num_shards=4, groups={"by": "title"})
        same_files(reference.path, run.path)
        assert run.manifest["command"] == "merge"
        assert len({s["node_id"] for s in run.summary["shards"]}) == 2, "both nodes worked"
        with pytest.raises(rhetor.RhetorError, match="3 of 3 shards failed"):
            rray.apply(pipe, str(tmp_path / "missing"), tmp_path / "bad", num_shards=3)
        assert not (tmp_path / "bad").exists()
    finally:
        ray.shutdown()


def test_ray_retries_a_killed_worker_without_duplicates(tmp_path: Path, ray_cluster) -> None:
    """Every shard pauses just before its part is committed (the debug build's
    RHETOR_TEST_PAUSE_BEFORE_COMMIT hook); one paused worker is killed with SIGKILL; Ray runs
    its shard again on a new worker, and the merged run is still the single apply's."""
    import signal
    import threading
    import time

    ray, address = ray_cluster
    import rhetor.ray as rray

    corpus = os.path.abspath(CORPUS)
    pipe = rhetor.fit(corpus, out=tmp_path / "b")
    reference = pipe.apply_run(corpus, tmp_path / "ref")
    flag = tmp_path / "paused"
    ray.init(
        address=address,
        log_to_driver=False,
        runtime_env={"env_vars": {"RHETOR_TEST_PAUSE_BEFORE_COMMIT": str(flag)}},
    )
    result: dict = {}

    def go() -> None:
        try:
            result["run"] = rray.apply(pipe, corpus, tmp_path / "ray", num_shards=3)
        except Exception as e:  # reported below
            result["error"] = e

    th = threading.Thread(target=go)
    try:
        th.start()
        deadline = time.time() + 120
        while not flag.exists():
            assert time.time() < deadline, "no shard reached the commit (is this a debug build?)"
            time.sleep(0.05)
        victims = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ray::_shard" in cmd:
                victims.append(int(pid))
        assert victims, "a shard is paused in a worker"
        os.kill(victims[0], signal.SIGKILL)
        while th.is_alive():
            flag.unlink(missing_ok=True)
            time.sleep(0.05)
        th.join()
    finally:
        ray.shutdown()
    assert "error" not in result, result.get("error")
    run = result["run"]
    same_files(reference.path, run.path)
    parts = sorted(p.name for p in (tmp_path / "ray.parts").iterdir() if p.name.startswith("part-"))
    assert parts == [f"part-000{i}-of-0003" for i in (1, 2, 3)]


def test_ray_data_map_batches_gives_the_paragraph_rows(tmp_path: Path, ray_cluster) -> None:
    ray, address = ray_cluster
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import rhetor.ray as rray

    docs = sorted(Path(CORPUS).glob("*.txt")) + sorted(Path(CORPUS).glob("*.md"))
    table = pa.table({
        "id": [d.name for d in docs],
        "text": [d.read_text(encoding="utf-8") for d in docs],
    })
    corpus = tmp_path / "docs.parquet"
    pq.write_table(table, corpus)
    pipe = rhetor.fit(CORPUS, out=tmp_path / "b")
    reference = pipe.apply_run(corpus, tmp_path / "ref").table("paragraphs")
    ray.init(address=address, log_to_driver=False)
    try:
        # One block per document, so the actors share the work.
        blocks = [table.slice(i, 1) for i in range(table.num_rows)]
        ds = ray.data.from_arrow(blocks).map_batches(
            rray.ApplyBatch,
            fn_constructor_kwargs={"bundle": str(tmp_path / "b")},
            batch_format="pyarrow",
            batch_size=1,
            concurrency=2,
        )
        rows = pa.concat_tables(ray.get(ds.to_arrow_refs()))
    finally:
        ray.shutdown()
    order = lambda t: t.take(pc.sort_indices(t, [("doc_id", "ascending"), ("para_id", "ascending")]))
    assert rows.num_rows == reference.num_rows > 0
    assert order(rows).equals(order(reference))
