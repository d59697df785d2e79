"""The validation loop checked against the reference packages, from the outside.

rhetor's Rust unit tests compare Krippendorff's α with the `krippendorff` package and PPI++
with `ppi_py` through committed reference files (tests/data/*_reference.json). Here CI
checks, with the pinned packages themselves (scripts/requirements-python.txt):

* the committed reference files are what the packages compute now (the generators,
  tests/python/gen_*_reference.py, re-run in-process, to 1e-12), so the Rust fixtures are
  genuine package outputs;
* `rhetor agreement` (the binary, long and wide tables, nominal/ordinal/interval) gives
  `krippendorff.alpha` on the same codes, overall and per label, to 1e-9;
* `rhetor validate` on the demo run and tests/fixtures/demo_coded.csv gives, per document
  and label, `ppi_py.ppi_mean_pointestimate` / `ppi_mean_ci` (PPI++, tuned λ) to 1e-9,
  recomputed here from paragraphs.parquet and the coded file;
* bad inputs fail with a message and write nothing.

Run: RHETOR_RUN_DIR=/tmp/demo_run pytest tests/python/test_validation.py
(or bash scripts/python_checks.sh)
"""

from __future__ import annotations

import json
import math
import subprocess
import warnings
from collections import defaultdict
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from ppi_py import ppi_mean_ci, ppi_mean_pointestimate
from ppi_py.ppi import _calc_lam_glm
from ppi_py.utils import construct_weight_vector

import gen_krippendorff_reference
import gen_ppi_reference

TOL_REFERENCE = 1e-12
TOL = 1e-9
CONF = 0.95
N_BOOT = "50"  # the bootstrap intervals are not compared; keep the runs quick

# Largest differences seen, printed at the end of the session (-rA / -s shows them).
MAX_DIFF: dict[str, float] = defaultdict(float)


def note_diff(what: str, a: float, b: float) -> float:
    d = abs(a - b)
    MAX_DIFF[what] = max(MAX_DIFF[what], d)
    return d


@pytest.fixture(scope="module", autouse=True)
def report_max_diff():
    yield
    if MAX_DIFF:
        print("\nlargest differences vs the reference packages:")
        for k, v in sorted(MAX_DIFF.items()):
            print(f"  {k:45s} {v:.3e}")


def rhetor(exe: str, *args, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [exe, *map(str, args)], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    if ok and proc.returncode != 0:
        pytest.fail(f"`rhetor {' '.join(map(str, args))}` exited {proc.returncode}:\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------------------
# a. The committed reference files are the packages' outputs now
# --------------------------------------------------------------------------------------


def assert_same_json(got, want, path="$"):
    """Equal structure and strings; numbers equal to TOL_REFERENCE; returns the max |Δ|."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), (path, sorted(got), sorted(want))
        return max((assert_same_json(got[k], want[k], f"{path}.{k}") for k in want), default=0.0)
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (path, len(got), len(want))
        return max((assert_same_json(g, w, f"{path}[{i}]") for i, (g, w) in enumerate(zip(got, want))), default=0.0)
    if want is None or isinstance(want, (str, bool)):
        assert got == want, (path, got, want)
        return 0.0
    assert isinstance(got, (int, float)) and not isinstance(got, bool), (path, got)
    d = abs(float(got) - float(want))
    assert d <= TOL_REFERENCE, (path, got, want)
    return d


@pytest.mark.parametrize(
    "generator, file",
    [
        (gen_krippendorff_reference, "krippendorff_reference.json"),
        (gen_ppi_reference, "ppi_reference.json"),
    ],
    ids=["krippendorff", "ppi_py"],
)
def test_reference_file_is_package_output(generator, file, repo_root):
    committed = json.loads((repo_root / "tests" / "data" / file).read_text(encoding="utf-8"))
    # A JSON round trip gives the recomputed document the committed one's types (tuples →
    # lists, numpy scalars → floats) without touching the numbers.
    now = json.loads(json.dumps(generator.build_reference()))
    assert len(committed["cases"]) > 10
    d = assert_same_json(now, committed)
    note_diff(f"reference file {file}", d, 0.0)


# --------------------------------------------------------------------------------------
# b. rhetor agreement vs krippendorff.alpha
# --------------------------------------------------------------------------------------

WORDS = ["support", "oppose", "neutral", "mixed", "unclear", "other"]


def package_alpha(data: np.ndarray, domain, level: str):
    """krippendorff.alpha, or None where it is not a finite number (0/0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            a = float(krippendorff.alpha(reliability_data=data, value_domain=domain, level_of_measurement=level))
        except ValueError:  # e.g. "There has to be more than one value in the domain."
            return None
    return a if math.isfinite(a) else None


def random_codes(seed: int):
    """(coders × units array of value indices with nan for missing, label strings, coder names)."""
    rng = np.random.default_rng(seed)
    n_coders = int(rng.integers(2, 6))
    n_units = int(rng.integers(10, 151))
    n_labels = int(rng.integers(2, 7))
    missing = float(rng.uniform(0.0, 0.3))
    labels = [f"{WORDS[i]}_{seed}" for i in rng.permutation(len(WORDS))[:n_labels]]
    truth = rng.integers(0, n_labels, n_units)
    noise = rng.random((n_coders, n_units)) < float(rng.choice([0.1, 0.3, 0.5]))
    data = np.where(noise, rng.integers(0, n_labels, (n_coders, n_units)), truth[None, :]).astype(float)
    data[rng.random((n_coders, n_units)) < missing] = np.nan
    coders = [f"coder{k}" for k in rng.permutation(n_coders)]
    return data, labels, coders, rng


def write_long(path: Path, data, labels, coders, rng, column="code"):
    """Long format, rows shuffled; a missing code is either an empty cell or no row at all."""
    rows = []
    n_coders, n_units = data.shape
    for k in range(n_coders):
        for u in range(n_units):
            v = data[k, u]
            if np.isnan(v):
                if rng.random() < 0.5:
                    rows.append({"id": f"u{u:03}", "coder": coders[k], column: ""})
            else:
                rows.append({"id": f"u{u:03}", "coder": coders[k], column: labels[int(v)]})
    df = pd.DataFrame(rows, columns=["id", "coder", column])
    df = df.iloc[rng.permutation(len(df))]
    df.to_csv(path, index=False)


def write_wide(path: Path, data, labels, coders):
    cols = {"id": [f"u{u:03}" for u in range(data.shape[1])]}
    for k, c in enumerate(coders):
        cols[c] = ["" if np.isnan(v) else labels[int(v)] for v in data[k]]
    pd.DataFrame(cols).to_csv(path, index=False)


def compare_agreement(out: Path, dimension: str, data, labels, domain_order, level: str):
    """agreement.parquet's rows of `dimension` against the package; returns rows compared."""
    table = pd.read_parquet(out / "agreement.parquet")
    rows = table[table["dimension"] == dimension]
    # data holds indices into `labels`; re-index into the order rhetor's value domain has.
    pos = {lab: i for i, lab in enumerate(domain_order)}
    remap = np.array([pos[lab] for lab in labels], dtype=float)
    d = np.where(np.isnan(data), np.nan, remap[np.nan_to_num(data, nan=0).astype(int)])
    domain = list(range(len(domain_order)))

    overall = rows[rows["label"].isna()]
    assert len(overall) == 1, overall
    assert overall["level"].iloc[0] == level
    want = package_alpha(d, domain, level)
    got = overall["alpha"].iloc[0]
    assert want is not None
    assert not pd.isna(got), f"rhetor: α undefined, package: {want}"
    assert note_diff(f"agreement α overall ({level})", got, want) <= TOL, (got, want)
    compared = 1

    per_label = rows[rows["label"].notna()]
    assert list(per_label["label"]) == list(domain_order)
    for i, lab in enumerate(domain_order):
        binary = np.where(np.isnan(d), np.nan, (d == i).astype(float))
        want = package_alpha(binary, [0, 1], "nominal")
        r = per_label[per_label["label"] == lab].iloc[0]
        assert r["level"] == "nominal"
        if want is None:
            assert pd.isna(r["alpha"]), (lab, r["alpha"])
        else:
            assert not pd.isna(r["alpha"]), (lab, want)
            assert note_diff("agreement α per label (nominal)", r["alpha"], want) <= TOL, (lab, r["alpha"], want)
            compared += 1
    return compared


AGREEMENT_SEEDS = list(range(101, 109))


@pytest.mark.parametrize("seed", AGREEMENT_SEEDS)
def test_agreement_long_matches_krippendorff(seed, tmp_path, rhetor_exe):
    data, labels, coders, rng = random_codes(seed)
    coded = tmp_path / "codes.csv"
    write_long(coded, data, labels, coders, rng)
    # Levels: nominal with rhetor's default domain (sorted labels) and with --values in the
    # generator's order (including unobserved labels); ordinal and interval need --values.
    variants = [("nominal", None), ("nominal", labels), ("ordinal", labels), ("interval", labels)]
    compared = 0
    for j, (level, values) in enumerate(variants):
        out = tmp_path / f"out{j}"
        args = ["agreement", coded, "--unit-col", "id", "--label-col", "code", "--out", out,
                "--n-boot", N_BOOT, "-q", "--level", level]
        if values is not None:
            args += ["--values", ",".join(values)]
        rhetor(rhetor_exe, *args)
        if values is None:
            observed = {labels[int(v)] for v in data[~np.isnan(data)]}
            order = sorted(observed)
        else:
            order = values
        compared += compare_agreement(out, "code", data, labels, order, level)
    assert compared >= 4


@pytest.mark.parametrize("seed", AGREEMENT_SEEDS[:4])
def test_agreement_wide_matches_krippendorff(seed, tmp_path, rhetor_exe):
    data, labels, coders, _ = random_codes(seed + 1000)
    coded = tmp_path / "wide.csv"
    write_wide(coded, data, labels, coders)
    for j, (level, values) in enumerate([("nominal", None), ("ordinal", labels)]):
        out = tmp_path / f"out{j}"
        args = ["agreement", coded, "--unit-col", "id", "--coders", ",".join(coders),
                "--label-col", "stance", "--out", out, "--n-boot", N_BOOT, "-q", "--level", level]
        if values is not None:
            args += ["--values", ",".join(values)]
        rhetor(rhetor_exe, *args)
        order = values if values is not None else sorted({labels[int(v)] for v in data[~np.isnan(data)]})
        compare_agreement(out, "stance", data, labels, order, level)
        table = pd.read_parquet(out / "agreement.parquet")
        assert set(table["n_coders"]) == {len(coders)}


# --------------------------------------------------------------------------------------
# c. rhetor validate: PPI++ corrected shares vs ppi_py
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_coded(repo_root) -> Path:
    return repo_root / "tests" / "fixtures" / "demo_coded.csv"


@pytest.fixture(scope="module")
def validated(run_dir, demo_coded, rhetor_exe, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "out"
    rhetor(rhetor_exe, "validate", run_dir, demo_coded, "--out", out, "--n-boot", N_BOOT, "-q")
    return out


def test_demo_coded_is_the_sample_rhetor_draws(run_dir, demo_coded, rhetor_exe, tmp_path):
    """tests/fixtures/demo_coded.csv codes the sample `rhetor sample --n 40 --stratify group
    --seed 7` draws from the demo run: same paragraphs, same inclusion probabilities."""
    out = tmp_path / "sample.csv"
    rhetor(rhetor_exe, "sample", run_dir, "--n", 40, "--stratify", "group", "--seed", 7, "--out", out, "-q")
    sample = pd.read_csv(out, keep_default_na=False)
    coded = pd.read_csv(demo_coded, keep_default_na=False)
    key = lambda df: sorted(zip(df["doc_id"], df["para_id"].astype(int)))  # noqa: E731
    assert key(sample) == sorted(set(key(coded)))
    prob = dict(zip(zip(sample["doc_id"], sample["para_id"].astype(int)), sample["inclusion_prob"].astype(float)))
    for d, p, x in zip(coded["doc_id"], coded["para_id"].astype(int), coded["inclusion_prob"].astype(float)):
        assert abs(prob[(d, p)] - x) <= 1e-12
    assert set(sample["run_id"]) == set(coded["run_id"])


def split_cell(cell, kind: str) -> list[str]:
    """rhetor's reading of a label cell (run_data.rs `Dimension::split`)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    s = str(cell).strip()
    if not s:
        return []
    if kind == "multi":
        return [t.strip() for t in s.split(";") if t.strip()]
    return [s]


def reference_labels(coded: pd.DataFrame, dim: str, kind: str, labels: list[str]):
    """Per coded paragraph (doc_id, para_id): the label set a strict majority of its coders
    gave (multi-label: each label given by more than half), ties left out (coded.rs `gold`)."""
    codes: dict[tuple, dict[str, frozenset]] = defaultdict(dict)
    for _, r in coded.iterrows():
        got = split_cell(r[dim], kind)
        if not got:
            continue
        assert all(g in labels for g in got), got
        key = (r["doc_id"], int(r["para_id"]))
        codes[key].setdefault(str(r.get("coder", "")).strip(), frozenset(got))
    out = {}
    for key, by_coder in codes.items():
        m = len(by_coder)
        votes = defaultdict(int)
        for s in by_coder.values():
            for lab in s:
                votes[lab] += 1
        if kind == "single":
            winners = [lab for lab, v in votes.items() if 2 * v > m]
            if winners:
                out[key] = frozenset(winners)
        else:
            if any(2 * v == m for v in votes.values()):
                continue
            out[key] = frozenset(lab for lab, v in votes.items() if 2 * v > m)
    return out


def ppi_lambda(y, yhat, yhat_unl, w):
    """ppi_py's tuned λ, computed as `ppi_mean_ci(lam=None)` does (ppi_py 0.2.3)."""
    n, big_n = len(y), len(yhat_unl)
    Y, Yh, Yu = (a.reshape(-1, 1) for a in (y, yhat, yhat_unl))
    wv = construct_weight_vector(n, w, vectorized=True)
    wu = construct_weight_vector(big_n, None, vectorized=True)
    theta1 = ppi_mean_pointestimate(Y, Yh, Yu, lam=1, w=wv, w_unlabeled=wu)
    lam = _calc_lam_glm(wv * (Y - theta1), wv * (Yh - theta1), wu * (Yu - theta1), np.eye(1), coord=None, clip=True)
    return float(np.asarray(lam).item())


def test_corrected_shares_match_ppi_py(run_dir, manifest, demo_coded, validated):
    paragraphs = pd.read_parquet(run_dir / "paragraphs.parquet")
    coded = pd.read_csv(demo_coded, dtype=str, keep_default_na=False)
    shares = pd.read_parquet(validated / "corrected_shares.parquet")
    group_by = (manifest.get("config", {}).get("groups") or {}).get("by") or "doc_id"
    if group_by == "doc_id":
        group = paragraphs["doc_id"].astype(str).tolist()
    else:
        docs = pd.read_parquet(run_dir / "documents.parquet")
        of = {d: "(missing)" if pd.isna(v) else str(v) for d, v in zip(docs["doc_id"], docs[group_by])}
        group = [of[d] for d in paragraphs["doc_id"]]
    keys = list(zip(paragraphs["doc_id"].astype(str), paragraphs["para_id"].astype(int)))
    members: dict[str, list[int]] = defaultdict(list)  # group -> paragraph rows, run order
    for i, g in enumerate(group):
        members[g].append(i)
    prob = {}
    for d, p, x in zip(coded["doc_id"], coded["para_id"], coded["inclusion_prob"]):
        if x.strip():
            prob[(d, int(p))] = float(x)

    dims = {d["dimension"]: d for d in manifest["stages"]["label"]}
    coded_dims = [d for d in dims if d in coded.columns]
    assert coded_dims, "the demo coded file codes none of the run's dimensions"

    stats = defaultdict(int)
    for dim in coded_dims:
        kind = "multi" if dims[dim].get("kind") == "multi" else "single"
        labels = list(dims[dim]["labels"])
        ref = reference_labels(coded, dim, kind, labels)
        pred = [frozenset(split_cell(c, kind)) for c in paragraphs[dim].tolist()]
        rows = shares[shares["dimension"] == dim]
        assert len(rows) == len(members) * len(labels), (dim, len(rows))
        for g, paras in members.items():
            docs_here = {keys[p][0] for p in paras}
            coded_here = [p for p in paras if keys[p] in ref]
            for lab in labels:
                r = rows[(rows["group_id"] == g) & (rows["label"] == lab)]
                assert len(r) == 1, (dim, g, lab)
                r = r.iloc[0]
                assert (r["n"], r["n_coded"]) == (len(paras), len(coded_here))
                if len(docs_here) > 1:
                    stats["skipped: group of several documents (cluster-robust)"] += 1
                    continue
                y = np.array([float(lab in ref[keys[p]]) for p in coded_here])
                yhat = np.array([float(lab in pred[p]) for p in coded_here])
                yhat_unl = np.array([float(lab in pred[p]) for p in paras])
                probs = np.array([prob.get(keys[p], 1.0) for p in coded_here])
                w = None if np.all(probs == probs[0]) else 1.0 / probs
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    est = float(np.asarray(ppi_mean_pointestimate(y, yhat, yhat_unl, lam=None, w=w)).item())
                    lo, hi = (float(np.asarray(v).item()) for v in ppi_mean_ci(y, yhat, yhat_unl, alpha=1 - CONF, lam=None, w=w))
                if np.all(yhat_unl == yhat_unl[0]):
                    # Every prediction the same: the tuned λ is 0/0 (ppi_py gets NaN or, from
                    # rounding, an arbitrary λ in [0, 1]); estimate and interval are the same
                    # for every λ then, and rhetor reports λ = 0 (ppi/mod.rs predictions_constant).
                    if math.isnan(est):
                        est = float(np.asarray(ppi_mean_pointestimate(y, yhat, yhat_unl, lam=0.0, w=w)).item())
                        lo, hi = (float(np.asarray(v).item()) for v in ppi_mean_ci(y, yhat, yhat_unl, alpha=1 - CONF, lam=0.0, w=w))
                    assert r["lambda"] == 0.0, (dim, g, lab, r["lambda"])
                    stats["constant predictions (λ = 0)"] += 1
                else:
                    lam = ppi_lambda(y, yhat, yhat_unl, w)
                    assert note_diff("PPI++ tuned λ", r["lambda"], lam) <= TOL, (dim, g, lab, r["lambda"], lam)
                    stats["λ compared"] += 1
                assert note_diff("PPI++ estimate", r["corrected_share"], est) <= TOL, (dim, g, lab, r["corrected_share"], est)
                stats["estimate compared"] += 1
                coded_share = float(np.average(y, weights=None if w is None else w))
                assert note_diff("coded share", r["coded_share"], coded_share) <= TOL
                if np.all(y == y[0]):
                    # Wilson fallback (validation.rs constant_wilson): the interval may be wider.
                    assert r["corrected_low"] <= max(lo, 0.0) + TOL and r["corrected_high"] >= min(hi, 1.0) - TOL
                    stats["interval skipped: coded y constant (Wilson fallback)"] += 1
                    continue
                if lo < 0.0 or hi > 1.0:
                    assert r["corrected_low"] == pytest.approx(max(lo, 0.0), abs=TOL)
                    assert r["corrected_high"] == pytest.approx(min(hi, 1.0), abs=TOL)
                    stats["interval skipped: clipped to [0, 1]"] += 1
                    continue
                assert note_diff("PPI++ interval end", r["corrected_low"], lo) <= TOL, (dim, g, lab, r["corrected_low"], lo)
                assert note_diff("PPI++ interval end", r["corrected_high"], hi) <= TOL, (dim, g, lab, r["corrected_high"], hi)
                stats["interval compared"] += 1
    print("\ncorrected shares vs ppi_py:", dict(stats))
    assert stats["interval compared"] >= 5, dict(stats)
    assert stats["estimate compared"] >= 10, dict(stats)


# --------------------------------------------------------------------------------------
# d. Bad inputs: exit code ≠ 0, a message, nothing written
# --------------------------------------------------------------------------------------


def refused(exe: str, *args, out: Path, needles: tuple[str, ...]):
    """Runs rhetor expecting a refusal: exit code ≠ 0, a message naming `needles`, and
    nothing new beside the inputs (no `out`, no staging folder)."""
    before = sorted(p.name for p in out.parent.iterdir())
    proc = rhetor(exe, *args, "--out", out, ok=False)
    assert proc.returncode != 0, proc.stderr
    assert proc.stderr.strip(), "no message"
    for n in needles:
        assert n.lower() in proc.stderr.lower(), (n, proc.stderr)
    assert not out.exists(), f"{out} was written"
    assert sorted(p.name for p in out.parent.iterdir()) == before
    return proc


def test_agreement_one_coder_is_refused(tmp_path, rhetor_exe):
    coded = tmp_path / "one.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "coder": ["ann"] * 3, "code": ["x", "y", "x"]}).to_csv(coded, index=False)
    refused(rhetor_exe, "agreement", coded, "--unit-col", "id", "--label-col", "code",
            out=tmp_path / "out", needles=("two coders",))


def test_validate_unknown_label_is_refused(run_dir, demo_coded, manifest, tmp_path, rhetor_exe):
    coded = pd.read_csv(demo_coded, dtype=str, keep_default_na=False)
    dim = next(d["dimension"] for d in manifest["stages"]["label"] if d["dimension"] in coded.columns)
    coded.loc[coded.index[3], dim] = "no_such_label"
    bad = tmp_path / "bad_label.csv"
    coded.to_csv(bad, index=False)
    refused(rhetor_exe, "validate", run_dir, bad, out=tmp_path / "out", needles=("no_such_label", dim))


def test_validate_other_run_is_refused(run_dir, demo_coded, tmp_path, rhetor_exe):
    coded = pd.read_csv(demo_coded, dtype=str, keep_default_na=False)
    assert coded["run_id"].nunique() == 1
    other = "0123456789abcdef"
    assert coded["run_id"].iloc[0] != other
    coded["run_id"] = other
    bad = tmp_path / "other_run.csv"
    coded.to_csv(bad, index=False)
    refused(rhetor_exe, "validate", run_dir, bad, out=tmp_path / "out", needles=(other,))
