"""The Parquet contract, checked from the consumers' side.

rhetor defines its tables once, in src/schema.rs, and prints them with
`rhetor schema --format json` (docs/schema.md is generated from the same source). These
tests read that JSON from the binary and a run directory ($RHETOR_RUN_DIR) and check,
for every table and with each reader a notebook or dashboard would use (pandas with the
pyarrow engine, polars, DuckDB):

* the schema's columns come first, in order (extra columns may follow);
* each column's type is the logical type, as the reader reports it, with no casting;
* columns marked not nullable hold no nulls (nor do the lists in them);
* the Parquet key-value metadata and manifest.json carry the schema version.

Then the joins and ranges a dashboard relies on (ids that join, intervals that contain
their estimate, p-values that are probabilities, …).

Run: RHETOR_RUN_DIR=/tmp/demo_run pytest tests/python   (or bash scripts/python_checks.sh)
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

# --------------------------------------------------------------------------------------
# Logical types (the `type` field of `rhetor schema --format json`) per reader
# --------------------------------------------------------------------------------------

SCALARS = ("string", "uint32", "uint64", "int32", "int64", "float32", "float64", "bool", "date")
LIST_RE = re.compile(r"^list<(\w+)>$")


def split_type(logical: str) -> tuple[bool, str]:
    """'list<float32>' -> (True, 'float32'); 'uint32' -> (False, 'uint32')."""
    m = LIST_RE.match(logical)
    if m:
        return True, m.group(1)
    return False, logical


def is_known_type(logical: str) -> bool:
    return split_type(logical)[1] in SCALARS


# pyarrow ------------------------------------------------------------------------------
PA_SCALARS = {
    "uint32": pa.uint32(),
    "uint64": pa.uint64(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


def pa_logical(t: pa.DataType) -> str:
    """The logical type of a pyarrow type, or its pyarrow name when it has none."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    for name, pt in PA_SCALARS.items():
        if t == pt:
            return name
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = pa_logical(t.value_type)
        return f"list<{inner}>"
    return f"pyarrow:{t}"


# polars -------------------------------------------------------------------------------
PL_SCALARS = {
    "string": pl.String,
    "uint32": pl.UInt32,
    "uint64": pl.UInt64,
    "int32": pl.Int32,
    "int64": pl.Int64,
    "float32": pl.Float32,
    "float64": pl.Float64,
    "bool": pl.Boolean,
    "date": pl.Date,
}


def pl_expected(logical: str):
    is_list, inner = split_type(logical)
    return pl.List(PL_SCALARS[inner]) if is_list else PL_SCALARS[inner]


# DuckDB -------------------------------------------------------------------------------
DUCK_SCALARS = {
    "string": "VARCHAR",
    "uint32": "UINTEGER",
    "uint64": "UBIGINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}


def duck_expected(logical: str) -> str:
    is_list, inner = split_type(logical)
    return DUCK_SCALARS[inner] + ("[]" if is_list else "")


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


# pandas (default NumPy-backed dtypes) -------------------------------------------------
def pandas_dtype_problem(ser: pd.Series, logical: str, nullable: bool) -> str | None:
    """Why `ser` (read with pandas' default dtypes) does not carry `logical`, or None."""
    is_list, inner = split_type(logical)
    dtype = ser.dtype
    if not is_list:
        if inner == "string":
            if isinstance(dtype, pd.StringDtype):
                return None
            if dtype == object and all(isinstance(v, str) for v in ser.dropna()):
                return None
            return f"dtype {dtype}, expected a string dtype"
        if inner == "date":
            # pandas gives Parquet DATE as datetime.date objects (pyarrow's default) or as
            # datetime64 when asked; both are dates, never text.
            if dtype == object and all(isinstance(v, datetime.date) for v in ser.dropna()):
                return None
            if pd.api.types.is_datetime64_any_dtype(dtype):
                return None
            return f"dtype {dtype}, expected datetime.date values"
        want = np.dtype("bool" if inner == "bool" else inner)
        if dtype == want:
            return None
        # pandas turns nullable integers/bools holding nulls into float64/object; only
        # acceptable for a nullable column that does hold nulls.
        if nullable and ser.isna().any() and dtype in (np.dtype("float64"), np.dtype(object)):
            return None
        return f"dtype {dtype}, expected {want}"
    if dtype != object:
        return f"dtype {dtype}, expected object (one NumPy array per row)"
    want = np.dtype(object) if inner == "string" else np.dtype("bool" if inner == "bool" else inner)
    for i, v in enumerate(ser):
        if v is None and nullable:
            continue
        if not isinstance(v, np.ndarray):
            return f"row {i} is {type(v).__name__}, expected a NumPy array"
        if v.dtype != want:
            return f"row {i} is an array of {v.dtype}, expected {want}"
        if inner == "string" and not all(isinstance(x, str) for x in v):
            return f"row {i} holds non-strings"
    return None


def arrow_of(ser: pd.Series) -> pa.Array:
    arr = pa.array(ser.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


# --------------------------------------------------------------------------------------
# One check per table × reader
# --------------------------------------------------------------------------------------


def order_problem(actual: list[str], columns: list[dict]) -> str | None:
    names = [c["name"] for c in columns]
    if actual[: len(names)] != names:
        return f"columns are {actual}, expected to start with {names}"
    return None


def check_pandas(path: Path, columns: list[dict]) -> list[str]:
    problems: list[str] = []
    # 1. the default: what `pd.read_parquet(path)` gives everybody.
    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except Exception as err:  # noqa: BLE001 - any failure to read is the finding
        problems.append(
            f"pd.read_parquet({path.name!r}, engine='pyarrow') fails: {type(err).__name__}: {err}"
        )
        df = None
    if df is not None:
        if p := order_problem(list(df.columns), columns):
            problems.append(f"pandas: {p}")
        for c in columns:
            name = c["name"]
            if name not in df.columns:
                continue
            ser = df[name]
            if p := pandas_dtype_problem(ser, c["type"], c["nullable"]):
                problems.append(f"pandas: {name} ({c['type']}): {p}")
            if not c["nullable"] and (k := int(ser.isna().sum())):
                problems.append(f"pandas: {name} is not nullable but has {k} nulls")
    # 2. Arrow-backed dtypes: the exact Arrow type of each column, and nulls inside lists.
    try:
        adf = pd.read_parquet(path, engine="pyarrow", dtype_backend="pyarrow")
    except Exception as err:  # noqa: BLE001
        problems.append(
            f"pd.read_parquet({path.name!r}, engine='pyarrow', dtype_backend='pyarrow') fails: "
            f"{type(err).__name__}: {err}"
        )
        return problems
    if p := order_problem(list(adf.columns), columns):
        problems.append(f"pandas (pyarrow dtypes): {p}")
    for c in columns:
        name = c["name"]
        if name not in adf.columns:
            continue
        dtype = adf[name].dtype
        if not isinstance(dtype, pd.ArrowDtype):
            problems.append(f"pandas (pyarrow dtypes): {name} has dtype {dtype}, not an ArrowDtype")
            continue
        got = pa_logical(dtype.pyarrow_dtype)
        if got != c["type"]:
            problems.append(
                f"pandas (pyarrow dtypes): {name} is {dtype.pyarrow_dtype} ({got}), expected {c['type']}"
            )
        if not c["nullable"]:
            arr = arrow_of(adf[name])
            if arr.null_count:
                problems.append(f"pandas (pyarrow dtypes): {name} is not nullable but has {arr.null_count} nulls")
            if split_type(c["type"])[0] and (k := arr.flatten().null_count):
                problems.append(f"pandas (pyarrow dtypes): {name} has {k} null list elements")
    return problems


def check_polars(path: Path, columns: list[dict]) -> list[str]:
    problems: list[str] = []
    df = pl.read_parquet(path)
    if p := order_problem(df.columns, columns):
        problems.append(f"polars: {p}")
    for c in columns:
        name = c["name"]
        if name not in df.columns:
            continue
        want = pl_expected(c["type"])
        got = df.schema[name]
        if got != want:
            problems.append(f"polars: {name} is {got}, expected {want} ({c['type']})")
            continue
        if not c["nullable"]:
            if k := df[name].null_count():
                problems.append(f"polars: {name} is not nullable but has {k} nulls")
            if split_type(c["type"])[0]:
                s = df[name]
                k = int((s.list.len() != s.list.drop_nulls().list.len()).sum())
                if k:
                    problems.append(f"polars: {name} has null list elements in {k} rows")
    return problems


def check_duckdb(path: Path, columns: list[dict]) -> list[str]:
    problems: list[str] = []
    con = duckdb.connect()
    try:
        src = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
        names = [row[0] for row in described]
        types = {row[0]: row[1] for row in described}
        if p := order_problem(names, columns):
            problems.append(f"duckdb: {p}")
        for c in columns:
            name = c["name"]
            if name not in types:
                continue
            want = duck_expected(c["type"])
            if types[name] != want:
                problems.append(f"duckdb: {name} is {types[name]}, expected {want} ({c['type']})")
                continue
            if not c["nullable"]:
                (k,) = con.execute(f"SELECT count(*) FROM {src} WHERE {q(name)} IS NULL").fetchone()
                if k:
                    problems.append(f"duckdb: {name} is not nullable but has {k} nulls")
                if split_type(c["type"])[0]:
                    (k,) = con.execute(
                        f"SELECT count(*) FROM {src} WHERE len({q(name)}) <> list_count({q(name)})"
                    ).fetchone()
                    if k:
                        problems.append(f"duckdb: {name} has null list elements in {k} rows")
    finally:
        con.close()
    return problems


CHECKS = {"pandas": check_pandas, "polars": check_polars, "duckdb": check_duckdb}


def table_path(run_dir: Path, manifest: dict, spec: dict) -> Path:
    path = run_dir / spec["file"]
    if not path.is_file():
        if spec.get("optional"):
            pytest.skip(f"{spec['file']} is written only when asked for (e.g. --time-col)")
        if manifest.get("command") == "run":
            pytest.fail(f"{spec['file']} is missing from {run_dir}; `rhetor run` writes every table")
        pytest.skip(f"{spec['file']} is not written by `rhetor {manifest.get('command')}`")
    return path


# --------------------------------------------------------------------------------------
# The schema itself, the manifest, the metadata
# --------------------------------------------------------------------------------------


def test_schema_json_is_well_formed(schema):
    assert isinstance(schema["schema_version"], int) and schema["schema_version"] >= 1
    assert schema["tables"], "no tables in `rhetor schema --format json`"
    files = [t["file"] for t in schema["tables"]]
    assert len(files) == len(set(files)), f"duplicate tables: {files}"
    for t in schema["tables"]:
        assert t["file"].endswith(".parquet"), t["file"]
        names = [c["name"] for c in t["columns"]]
        assert len(names) == len(set(names)), f"{t['file']}: duplicate columns {names}"
        for c in t["columns"]:
            assert set(c) >= {"name", "type", "nullable", "meaning"}, (t["file"], c)
            assert is_known_type(c["type"]), (
                f"{t['file']}.{c['name']}: logical type {c['type']!r} is new to these tests; "
                "add its mapping for pandas, polars and DuckDB in tests/python/test_contract.py"
            )
            assert isinstance(c["nullable"], bool), (t["file"], c)
            assert c["meaning"].strip(), (t["file"], c["name"])


def test_manifest_schema_version(schema, manifest):
    assert manifest["schema_version"] == schema["schema_version"]
    assert manifest["rhetor_version"] == schema["rhetor_version"]


def test_manifest_lists_the_tables_as_written(schema, manifest, run_dir):
    listed = manifest["tables"]
    for spec in schema["tables"]:
        path = run_dir / spec["file"]
        if not path.is_file():
            continue
        assert spec["file"] in listed, f"manifest.json does not list {spec['file']}"
        meta = pq.read_metadata(path)
        assert listed[spec["file"]]["rows"] == meta.num_rows, spec["file"]
        assert listed[spec["file"]]["columns"] == meta.schema.to_arrow_schema().names, spec["file"]
    counts = manifest["counts"]
    assert counts["documents"] == pq.read_metadata(run_dir / "documents.parquet").num_rows
    assert counts["paragraphs"] == pq.read_metadata(run_dir / "paragraphs.parquet").num_rows


def test_parquet_key_value_metadata(table, tables_by_name, schema, manifest, run_dir):
    path = table_path(run_dir, manifest, tables_by_name[table])
    kv = {k.decode(): v.decode() for k, v in (pq.read_metadata(path).metadata or {}).items()}
    want = {
        "rhetor.schema_version": str(schema["schema_version"]),
        "rhetor.version": manifest["rhetor_version"],
        "rhetor.seed": str(manifest["seed"]),
    }
    got = {k: kv.get(k) for k in want}
    assert got == want, f"{path.name}: key-value metadata {got}, expected {want} (keys: {sorted(kv)})"
    assert "rhetor.config" in kv, f"{path.name}: no rhetor.config"
    assert json.loads(kv["rhetor.config"]) == manifest["config"], (
        f"{path.name}: rhetor.config differs from manifest.json's config"
    )


# --------------------------------------------------------------------------------------
# Columns, types, nulls: every table × every reader
# --------------------------------------------------------------------------------------


def test_columns_types_and_nulls(table, reader, tables_by_name, manifest, run_dir):
    spec = tables_by_name[table]
    path = table_path(run_dir, manifest, spec)
    problems = CHECKS[reader](path, spec["columns"])
    assert not problems, f"{spec['file']} read with {reader}:\n  " + "\n  ".join(problems)


def test_documents_metadata_column_types(tables_by_name, run_dir):
    # Extra (user metadata) columns of documents.parquet are string, int64, float64 or bool.
    spec = tables_by_name["documents"]
    arrow_schema = pq.read_schema(run_dir / spec["file"])
    extra = arrow_schema.names[len(spec["columns"]) :]
    bad = {
        name: str(arrow_schema.field(name).type)
        for name in extra
        if pa_logical(arrow_schema.field(name).type) not in ("string", "int64", "float64", "bool")
    }
    assert not bad, f"metadata columns of unexpected type: {bad}"


# --------------------------------------------------------------------------------------
# Joins and ranges a dashboard relies on
# --------------------------------------------------------------------------------------

_ROWS: dict[Path, list[dict]] = {}


def rows(run_dir: Path, name: str) -> list[dict]:
    path = run_dir / f"{name}.parquet"
    if path not in _ROWS:
        _ROWS[path] = pq.read_table(path).to_pylist()
    return _ROWS[path]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_paragraph_doc_ids_are_documents(run_dir):
    doc_ids = {r["doc_id"] for r in rows(run_dir, "documents")}
    assert len(doc_ids) == len(rows(run_dir, "documents")), "documents.doc_id is not unique"
    orphans = sorted({r["doc_id"] for r in rows(run_dir, "paragraphs")} - doc_ids)
    assert not orphans, f"paragraphs.doc_id not in documents.doc_id: {orphans[:10]}"


def test_paragraph_keys_unique_and_numbered(run_dir):
    paras = rows(run_dir, "paragraphs")
    keys = Counter((r["doc_id"], r["para_id"]) for r in paras)
    dup = [k for k, n in keys.items() if n > 1]
    assert not dup, f"(doc_id, para_id) not unique: {dup[:10]}"
    by_doc = defaultdict(list)
    for r in paras:
        by_doc[r["doc_id"]].append(r["para_id"])
    n_paragraphs = {r["doc_id"]: r["n_paragraphs"] for r in rows(run_dir, "documents")}
    for doc, ids in by_doc.items():
        assert sorted(ids) == list(range(len(ids))), f"{doc}: para_id is not 0..n-1"
        assert n_paragraphs[doc] == len(ids), f"{doc}: documents.n_paragraphs != its paragraphs"
    for r in paras:
        assert r["byte_start"] <= r["byte_end"], (r["doc_id"], r["para_id"])
        assert 0.0 <= r["topic_prob"] <= 1.0, (r["doc_id"], r["para_id"], r["topic_prob"])


def test_embeddings_join_paragraphs(run_dir):
    emb = rows(run_dir, "embeddings")
    assert Counter((r["doc_id"], r["para_id"]) for r in emb) == Counter(
        (r["doc_id"], r["para_id"]) for r in rows(run_dir, "paragraphs")
    ), "embeddings (doc_id, para_id) differ from paragraphs'"
    dims = {len(r["vector"]) for r in emb}
    assert len(dims) == 1, f"vectors of different lengths: {sorted(dims)}"
    norms = np.linalg.norm(np.array([r["vector"] for r in emb], dtype=np.float64), axis=1)
    # A paragraph with no term of the vocabulary (e.g. "So why am I here?") has an all-zero
    # vector, which cannot be normalised; every other vector has length 1.
    ok = (np.abs(norms - 1.0) < 1e-4) | (norms == 0.0)
    bad = [(emb[i]["doc_id"], emb[i]["para_id"], float(norms[i])) for i in np.flatnonzero(~ok)]
    assert not bad, f"vectors neither l2-normalised nor zero: {bad[:5]}"


def test_topic_ids_match_topics(run_dir):
    topics = rows(run_dir, "topics")
    paras = rows(run_dir, "paragraphs")
    topic_ids = [t["topic_id"] for t in topics]
    assert len(topic_ids) == len(set(topic_ids)), "topics.topic_id is not unique"
    assert {p["topic_id"] for p in paras} == set(topic_ids), (
        "paragraphs.topic_id values differ from topics.topic_id values"
    )
    label = {t["topic_id"]: t["label"] for t in topics}
    wrong = [(p["doc_id"], p["para_id"]) for p in paras if p["topic_label"] != label[p["topic_id"]]]
    assert not wrong, f"paragraphs.topic_label differs from topics.label: {wrong[:5]}"


def test_topics_sizes_terms_and_representatives(run_dir):
    topics = sorted(rows(run_dir, "topics"), key=lambda t: t["topic_id"])
    paras = rows(run_dir, "paragraphs")
    size = Counter(p["topic_id"] for p in paras)
    topic_of = {(p["doc_id"], p["para_id"]): p["topic_id"] for p in paras}
    for t in topics:
        tid = t["topic_id"]
        assert t["size"] == size[tid], f"topic {tid}: size {t['size']} != {size[tid]} paragraphs"
        assert close(t["share"], t["size"] / len(paras)), f"topic {tid}: share != size / paragraphs"
        assert len(t["top_terms"]) == len(t["term_scores"]) > 0, f"topic {tid}: terms vs scores"
        assert t["term_scores"] == sorted(t["term_scores"], reverse=True), f"topic {tid}: scores not sorted"
        reps = list(zip(t["representative_doc_ids"], t["representative_para_ids"], strict=True))
        assert reps, f"topic {tid}: no representatives"
        for key in reps:
            assert key in topic_of, f"topic {tid}: representative {key} is not a paragraph"
            assert topic_of[key] == tid, f"topic {tid}: representative {key} is in topic {topic_of[key]}"
    sizes = [t["size"] for t in topics]
    assert sizes == sorted(sizes, reverse=True), f"topic 0 is not the largest: sizes {sizes}"


def group_members(run_dir: Path, group_by: str) -> dict[str, set[str]] | None:
    """Group value -> its doc_ids, or None when the group-by column is not per document."""
    docs = rows(run_dir, "documents")
    if group_by == "doc_id":
        return {d["doc_id"]: {d["doc_id"]} for d in docs}
    if docs and group_by not in docs[0]:
        return None
    out: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        out[str(d[group_by])].add(d["doc_id"])
    return out


def test_doc_labels_shares_and_intervals(run_dir):
    labels = rows(run_dir, "doc_labels")
    assert labels, "doc_labels.parquet is empty"
    bad = [
        (r["group_id"], r["label"], r["ci_low"], r["share"], r["ci_high"])
        for r in labels
        if not (0.0 <= r["ci_low"] <= r["share"] <= r["ci_high"] <= 1.0)
    ]
    assert not bad, f"share outside [ci_low, ci_high] or interval outside [0, 1]: {bad[:5]}"
    for r in labels:
        if r["n"]:
            assert close(r["share"], r["count"] / r["n"]), (r["group_id"], r["label"])
    by_group = defaultdict(list)
    for r in labels:
        by_group[(r["group_id"], r["dimension"])].append(r)
    for (group, dim), rs in by_group.items():
        assert len({r["label"] for r in rs}) == len(rs), f"{group}/{dim}: duplicate labels"
        assert len({(r["n"], r["n_unlabelled"], r["n_docs"]) for r in rs}) == 1, f"{group}/{dim}"
        assert sum(r["count"] for r in rs) == rs[0]["n"], f"{group}/{dim}: counts do not sum to n"


def test_doc_labels_groups_match_documents(run_dir):
    labels = rows(run_dir, "doc_labels")
    paras_per_doc = Counter(p["doc_id"] for p in rows(run_dir, "paragraphs"))
    topics = {t["topic_id"]: t["label"] for t in rows(run_dir, "topics")}
    for group_by in {r["group_by"] for r in labels}:
        members = group_members(run_dir, group_by)
        if members is None:
            pytest.skip(f"group-by column {group_by!r} is not a documents.parquet column")
        for r in (r for r in labels if r["group_by"] == group_by):
            docs = members.get(r["group_id"])
            assert docs, f"group {r['group']!r} has no documents with {group_by} = it"
            assert r["n_docs"] == len(docs), f"{r['group']}: n_docs {r['n_docs']} != {len(docs)}"
            n_paras = sum(paras_per_doc[d] for d in docs)
            assert r["n"] + r["n_unlabelled"] == n_paras, f"{r['group']}: n + n_unlabelled != paragraphs"
    topic_rows = [r for r in labels if r["dimension"] == "topic"]
    for group in {r["group_id"] for r in topic_rows}:
        got = {(r["topic_id"], r["label"]) for r in topic_rows if r["group_id"] == group}
        assert got == set(topics.items()), f"{group}: topic rows are not (topic_id, label) of topics.parquet"
    other = [r for r in labels if r["dimension"] != "topic"]
    assert all(r["topic_id"] is None for r in other), "a non-topic row has a topic_id"


def test_divergence_p_values_and_groups(run_dir, manifest):
    div = rows(run_dir, "divergence")
    labels = rows(run_dir, "doc_labels")
    n_of = {(r["group_id"], r["dimension"]): (r["n"], r["n_docs"]) for r in labels}
    alpha = manifest["config"]["compare"]["alpha"]
    for r in div:
        pair = (r["group_a"], r["group_b"], r["dimension"])
        assert 0.0 < r["p_value"] <= 1.0, f"{pair}: p_value {r['p_value']} not in (0, 1]"
        assert r["p_value"] >= 1.0 / (1 + r["n_perm"]) - 1e-15, f"{pair}: p_value below 1/(1+n_perm)"
        assert r["p_value"] <= r["p_adjusted"] <= 1.0, f"{pair}: p_adjusted {r['p_adjusted']}"
        assert 0.0 <= r["jsd"] <= 1.0, f"{pair}: jsd {r['jsd']}"
        assert r["significant"] == (r["p_adjusted"] < alpha), f"{pair}: significant vs alpha {alpha}"
        assert r["adjust"] == manifest["config"]["compare"]["adjust"], pair
        for g, n, docs in ((r["group_a"], r["n_a"], r["docs_a"]), (r["group_b"], r["n_b"], r["docs_b"])):
            assert (g, r["dimension"]) in n_of, f"{pair}: group {g!r} not in doc_labels"
            assert (n, docs) == n_of[(g, r["dimension"])], f"{pair}: n/docs of {g!r} differ from doc_labels"


def test_keyness_ranks(run_dir):
    key = rows(run_dir, "keyness")
    groups = {r["group_id"] for r in rows(run_dir, "doc_labels")}
    by_group = defaultdict(list)
    for r in key:
        by_group[r["group_id"]].append(r)
    assert set(by_group) <= groups, f"keyness groups not in doc_labels: {set(by_group) - groups}"
    for g, rs in by_group.items():
        rs.sort(key=lambda r: r["rank"])
        assert [r["rank"] for r in rs] == list(range(1, len(rs) + 1)), f"{g}: ranks not 1..n"
        zs = [r["z"] for r in rs]
        assert zs == sorted(zs, reverse=True), f"{g}: rank 1 is not the highest z"
        assert len({r["term"] for r in rs}) == len(rs), f"{g}: duplicate terms"
        for r in rs:
            assert r["variance"] > 0 and close(r["z"], r["log_odds"] / math.sqrt(r["variance"])), (g, r["term"])


# --------------------------------------------------------------------------------------
# SQL: what a DuckDB user types (issue 14, item 14)
# --------------------------------------------------------------------------------------


def duck(run_dir: Path):
    """A DuckDB connection with one view per table of the run (named after the file)."""
    con = duckdb.connect()
    for path in sorted(run_dir.glob("*.parquet")):
        con.execute(
            f"CREATE VIEW {path.stem} AS SELECT * FROM read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
        )
    return con


def test_duckdb_selects_columns_without_quoting(run_dir):
    # `group` was a column name, and `select group …` is a syntax error in SQL.
    con = duck(run_dir)
    try:
        (n_groups,) = con.execute("SELECT count(DISTINCT group_id) FROM doc_labels").fetchone()
        assert n_groups == len({r["group_id"] for r in rows(run_dir, "doc_labels")}) > 0
        con.execute("SELECT group_id, rank, term FROM keyness").fetchall()
        con.execute("SELECT group_a, group_b, dimension, p_adjusted FROM divergence").fetchall()
        # every non-null date is a valid ISO calendar day: the cast never fails
        (years,) = con.execute(
            "SELECT count(*) FROM documents WHERE date IS NOT NULL AND year(CAST(date AS DATE)) > 1900"
        ).fetchone()
        (dated,) = con.execute("SELECT count(*) FROM documents WHERE date IS NOT NULL").fetchone()
        assert years == dated
    finally:
        con.close()


def test_duckdb_joins_doc_labels_and_topics_on_topic_id(run_dir):
    con = duck(run_dir)
    try:
        (n_topic_rows,) = con.execute(
            "SELECT count(*) FROM doc_labels WHERE dimension = 'topic'"
        ).fetchone()
        assert n_topic_rows > 0
        (joined, same_label) = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE l.label = t.label) "
            "FROM doc_labels l JOIN topics t ON l.topic_id = t.topic_id"
        ).fetchone()
        assert joined == n_topic_rows, "every topic row of doc_labels joins topics on topic_id"
        assert same_label == joined, "doc_labels.label of a topic row is topics.label"
        (para_join,) = con.execute(
            "SELECT count(*) FROM paragraphs p JOIN topics t "
            "ON p.topic_id = t.topic_id AND p.topic_label = t.label"
        ).fetchone()
        assert para_join == len(rows(run_dir, "paragraphs"))
    finally:
        con.close()
    # topics come in numeric order within a group (0, 1, 2, …, 10), in the file's row order
    ids_by_group = defaultdict(list)
    for r in rows(run_dir, "doc_labels"):
        if r["dimension"] == "topic":
            ids_by_group[r["group_id"]].append(r["topic_id"])
    for group, ids in ids_by_group.items():
        assert ids == sorted(ids), f"{group}: topics not in topic_id order: {ids}"
