"""A pipeline bundle (`rhetor fit`) is readable without rhetor: JSON, TOML and safetensors.

The safetensors files are read here with the standard library and NumPy only (8-byte header
length, JSON header, little-endian data), to show how little a reader needs; the
`safetensors` package reads them the same way. The test checks what docs/bundle.md promises:
every file's sha256 matches bundle.json, the arrays have the documented shapes, and a
paragraph's topic can be recomputed in NumPy from the vectorizer, the LSA components and the
centroids, giving rhetor's own topic_id for every paragraph of the fit corpus.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import rhetor_bin

REPO = Path(os.environ.get("RHETOR_REPO", Path(__file__).resolve().parents[2]))


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (n,) = np.frombuffer(raw[:8], dtype="<u8")
    header = json.loads(raw[8 : 8 + int(n)])
    data = raw[8 + int(n) :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F64": "<f8", "F32": "<f4"}[t["dtype"]]
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(t["shape"])
    return out


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    model, run = tmp / "model", tmp / "run"
    corpus = REPO / "corpus"
    args = ["--k", "3", "--codebook", "stance", "--target", "immigration enforcement", "-q"]
    subprocess.run([rhetor_bin(), "fit", str(corpus), "--out", str(model), *args], check=True)
    subprocess.run([rhetor_bin(), "run", str(corpus), "--out", str(run), *args], check=True)
    return model, run


def test_every_file_matches_its_sha256_and_parses(fitted):
    model, _ = fitted
    manifest = json.loads((model / "bundle.json").read_text())
    assert manifest["format"] == "rhetor-pipeline"
    assert manifest["format_version"] == 1
    for name, want in manifest["files"].items():
        assert hashlib.sha256((model / name).read_bytes()).hexdigest() == want, name
        if name.endswith(".json"):
            json.loads((model / name).read_text())
        elif name.endswith(".toml"):
            tomllib.loads((model / name).read_text())
    assert manifest["codebooks"] == ["codebook.stance.toml"]


def test_arrays_have_the_documented_shapes(fitted):
    model, _ = fitted
    m = json.loads((model / "bundle.json").read_text())
    vec = json.loads((model / "tfidf_vectorizer.json").read_text())
    comps = load_safetensors(model / "lsa.safetensors")["components"]
    cents = load_safetensors(model / "centroids.safetensors")["centroids"]
    assert comps.shape == (m["embed"]["n_components"], len(vec["vocabulary"]))
    assert cents.shape == (m["cluster"]["k"], m["cluster"]["dimension"]) == (3, comps.shape[0])
    np.testing.assert_allclose(comps @ comps.T, np.eye(comps.shape[0]), atol=1e-9)
    assert [t["topic_id"] for t in m["topics"]] == [0, 1, 2]


def tfidf_rows(texts: list[str], vec: dict) -> np.ndarray:
    """scikit-learn's TfidfVectorizer.transform for the bundle's unigram settings."""
    p = vec["params"]
    assert p["analyzer"] == "word" and p["ngram_range"] == [1, 1]
    col = {t: i for i, t in enumerate(vec["vocabulary"])}
    idf = np.array(vec["idf"])
    token = re.compile(r"(?u)\b\w\w+\b")
    x = np.zeros((len(texts), len(col)))
    for r, t in enumerate(texts):
        for w in token.findall(t.lower() if p["lowercase"] else t):
            if w in col:
                x[r, col[w]] += 1
    if p["sublinear_tf"]:
        x[x > 0] = 1 + np.log(x[x > 0])
    x *= idf
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def test_numpy_reproduces_the_topics_from_the_bundle(fitted):
    model, run = fitted
    vec = json.loads((model / "tfidf_vectorizer.json").read_text())
    comps = load_safetensors(model / "lsa.safetensors")["components"]
    cents = load_safetensors(model / "centroids.safetensors")["centroids"].astype(np.float64)
    paras = pl.read_parquet(run / "paragraphs.parquet")
    x = tfidf_rows(paras["text"].to_list(), vec)
    e = x @ comps.T
    e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-300)
    d = ((e[:, None, :] - cents[None, :, :]) ** 2).sum(axis=2)
    topic = d.argmin(axis=1)
    agree = float((topic == paras["topic_id"].to_numpy()).mean())
    assert agree == 1.0, f"NumPy topics agree with rhetor's on {agree:.1%} of paragraphs"
    dist = np.sqrt(d[np.arange(len(topic)), topic])
    np.testing.assert_allclose(dist, paras["topic_distance"].to_numpy(), rtol=1e-4, atol=1e-5)
    assert not math.isnan(dist.sum())
