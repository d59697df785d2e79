#!/usr/bin/env python3
"""Compare rhetor with scikit-learn, side by side, in one run, on the same data.

What is compared
----------------
Both tools run the same document-clustering pipeline

    TF-IDF(max_df=0.5, min_df=2, English stop words, sublinear tf)
      -> truncated SVD (100 components) -> L2 normalisation
      -> k-means(k = number of gold classes, n_init=10, seed)

on the same documents:

* ``bbc_news``      all 2,225 rows, k = 5
* ``20newsgroups``  the ``train`` split (11,314 rows), k = 20

Documents whose text is empty or whitespace-only are dropped for *both* tools
(the count is printed); both tools read the same prepared JSONL file, written
to a temporary folder outside the repo.

Quality (``--what quality``): for each seed, NMI and ARI against the gold labels
(``sklearn.metrics.normalized_mutual_info_score`` / ``adjusted_rand_score``,
also for rhetor's output, which is joined to the gold labels by document id).
Reported as mean ± sample sd over the seeds; written to
``benches/results/quality.json``.

Speed and memory (``--what speed``; 20newsgroups train, k = 20, seed 0):
(a) TF-IDF fit+transform alone, (b) the whole pipeline. Every measurement is
repeated ``--repeats`` times (default 3) and the median is reported.

* scikit-learn: each measurement runs in a fresh subprocess (this script with
  ``--sklearn-child``), which loads the data, times only the compute, and
  reports its own peak RSS (``ru_maxrss`` of RUSAGE_SELF). The process wall
  time is recorded too. In these children only, OPENBLAS_CORETYPE and
  OPENBLAS_L2_SIZE are removed from the environment (they slow numpy's
  OpenBLAS on this machine); the BLAS kernel threadpoolctl sees is printed.
* rhetor: the binary runs as a subprocess; stage times come from its
  ``manifest.json`` (``timings_s``), process wall time and peak RSS from
  ``os.wait4`` on exactly that child (its own rusage, not the maximum over
  all children). For (a), the time is the ``embed`` stage of ``rhetor embed``
  if the binary has that subcommand (its process wall time and peak RSS are
  reported too, flagged when it runs further stages such as the LSA
  ``reduce``), otherwise the ``embed`` stage of the full run (and said so).
  For (b), the compute time compared is embed + reduce + cluster; rhetor's
  other stages (load, segment, topics, export) are printed separately and
  are part of its process wall time.

Every measured process (both tools) is started through a tiny launcher
process, because on Linux a child's ru_maxrss starts at its spawning parent's
RSS high-water mark; see ``LAUNCHER``.

Written to ``benches/results/speed.json``. Thread settings are left at their
defaults (both tools may use all cores); they are printed together with
versions.

How to run
----------
    bash benches/compare_sklearn.sh          # builds rhetor, sets up the venv, runs this
    PY=$(bash scripts/venv.sh | tail -n1)
    $PY benches/compare_sklearn.py [--rhetor PATH] [--datasets bbc_news,20newsgroups]
        [--seeds 0,1,2,3,4] [--what quality,speed] [--repeats 3]

Without a rhetor binary (``--rhetor``, ``$RHETOR_BIN``, or
``${CARGO_TARGET_DIR:-~/.cache/rhetor-target}/release/rhetor``) the rhetor half
is skipped with a message and only scikit-learn is measured.

Exit status: 0 when everything ran (or rhetor was skipped for lack of a
binary); 1 when a rhetor run failed; 2 when a check failed (documents lost or
duplicated in rhetor's output).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_RESULTS = REPO / "benches" / "results"

# Public name -> (folder under the data dir, split to keep or None for all rows).
DATASETS = {
    "bbc_news": ("bbc_news", None),
    "20newsgroups": ("20newsgroups_bydate", "train"),
}
ALIASES = {"20newsgroups_bydate": "20newsgroups", "bbc": "bbc_news"}
SPEED_DATASET = "20newsgroups"
SPEED_K = 20
SPEED_SEED = 0

# The shared settings of both pipelines.
TFIDF = dict(max_df=0.5, min_df=2, stop_words="english", sublinear_tf=True)
N_COMPONENTS = 100
N_INIT = 10

# Variables that slow numpy's OpenBLAS on this machine: removed (both together)
# from the scikit-learn timing subprocesses only.
BLAS_ENV_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Thread-related variables printed for the record (never changed here).
THREAD_ENV = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "RAYON_NUM_THREADS", "POLARS_MAX_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
)


# ----------------------------------------------------------------------------- data

def load_dataset(data_dir: Path, name: str) -> dict:
    """Read one dataset's JSONL; keep its split; drop empty/whitespace-only texts."""
    folder, split = DATASETS[name]
    path = data_dir / folder / "data.jsonl"
    rows, n_split, n_empty = [], 0, 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if split is not None and rec.get("split") != split:
                continue
            n_split += 1
            text = rec.get("text") or ""
            if not text.strip():
                n_empty += 1
                continue
            rows.append({"id": str(rec["id"]), "text": text, "label": str(rec["label"])})
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise SystemExit(f"{name}: ids in {path} are not unique")
    return {
        "name": name,
        "source": str(path),
        "split": split or "all",
        "rows": rows,
        "n_rows": n_split,
        "n_empty_dropped": n_empty,
        "n_docs": len(rows),
        "k": len({r["label"] for r in rows}),
    }


def write_prepared(ds: dict, work: Path) -> Path:
    """The exact documents both tools see, as JSONL (id, text) in a temp folder."""
    out = work / f"{ds['name']}.jsonl"
    with open(out, "w", encoding="utf-8") as fh:
        for r in ds["rows"]:
            fh.write(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n")
    return out


def read_prepared(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


# ----------------------------------------------------------------------------- helpers

def mean_sd(xs: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_s(x):
    return "n/a" if x is None else f"{x:.3f}s"


def fmt_mib(x):
    return "n/a" if x is None else f"{x:.0f} MiB"


def maxrss_mib(ru_maxrss_kib: int) -> float:
    return ru_maxrss_kib / 1024.0  # Linux reports KiB


def vmhwm_mib():
    """Peak RSS of the current address space from /proc (None where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def blas_summary(info: list[dict]) -> str:
    parts = []
    for lib in info:
        desc = f"{lib.get('internal_api')} {lib.get('version')}"
        if lib.get("architecture"):
            desc += f" kernel={lib['architecture']}"
        desc += f" threads={lib.get('num_threads')}"
        parts.append(f"{lib.get('user_api')}: {desc}")
    return "; ".join(parts) or "none loaded"


# A tiny launcher that runs one command and reports that command's own rusage.
#
# Why not spawn the measured process directly from this (large) process: on
# Linux, a process's ru_maxrss starts at the RSS high-water mark of the process
# that spawned it (it survives fork/vfork + exec), so a child of a parent that
# holds both data sets would report the parent's peak, not its own. Starting it
# from this small launcher makes that floor ~10 MiB (the launcher's size), so
# the child's ru_maxrss (RUSAGE_SELF inside it, or os.wait4 here, which is
# RUSAGE_CHILDREN for exactly one child) is its own peak RSS.
LAUNCHER = r"""
import json, os, subprocess, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
proc = subprocess.Popen(cmd)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - t0
proc.returncode = os.waitstatus_to_exitcode(status)
with open(report, "w") as fh:
    json.dump({"returncode": proc.returncode, "wall_s": wall, "ru_maxrss_kib": usage.ru_maxrss}, fh)
"""


def run_child(cmd: list[str], env: dict | None, log_prefix: Path) -> dict:
    """Run one command via LAUNCHER; return exit code, wall time, peak RSS and its output."""
    out_path, err_path = Path(f"{log_prefix}.stdout"), Path(f"{log_prefix}.stderr")
    report = Path(f"{log_prefix}.rusage.json")
    report.unlink(missing_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        launcher = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(report), *cmd],
                                  stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
    res = {"stdout": out_path.read_text(encoding="utf-8", errors="replace"),
           "stderr": err_path.read_text(encoding="utf-8", errors="replace")}
    try:
        r = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # the launcher itself failed (e.g. command not executable)
        return {**res, "returncode": launcher.returncode or 1, "wall_s": None, "maxrss_mib": None}
    return {**res, "returncode": r["returncode"], "wall_s": r["wall_s"], "maxrss_mib": maxrss_mib(r["ru_maxrss_kib"])}


def tail(text: str, n: int = 15) -> str:
    return "\n".join("      " + ln for ln in text.strip().splitlines()[-n:])


# ----------------------------------------------------------------------------- scikit-learn

def sklearn_pipeline_labels(X_tfidf, k: int, seed: int):
    """SVD(100) -> Normalizer -> KMeans on an already computed TF-IDF matrix."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import Normalizer

    Z = TruncatedSVD(N_COMPONENTS, random_state=seed).fit_transform(X_tfidf)
    Z = Normalizer(copy=False).fit_transform(Z)
    return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(Z)


def sklearn_child(mode: str, data: Path, k: int, seed: int) -> None:
    """Entry point of a fresh timing subprocess: print one JSON line and exit."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import Normalizer
    from threadpoolctl import threadpool_info

    texts = read_prepared(data)  # loading is not timed
    stages = {}
    t_start = time.perf_counter()
    t = time.perf_counter()
    X = TfidfVectorizer(**TFIDF).fit_transform(texts)
    stages["tfidf"] = time.perf_counter() - t
    if mode == "pipeline":
        t = time.perf_counter()
        Z = TruncatedSVD(N_COMPONENTS, random_state=seed).fit_transform(X)
        stages["svd"] = time.perf_counter() - t
        t = time.perf_counter()
        Z = Normalizer(copy=False).fit_transform(Z)
        stages["normalize"] = time.perf_counter() - t
        t = time.perf_counter()
        KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(Z)
        stages["kmeans"] = time.perf_counter() - t
    compute = time.perf_counter() - t_start
    print(json.dumps({
        "mode": mode,
        "compute_s": compute,
        "stages_s": stages,
        "n_docs": X.shape[0],
        "n_features": X.shape[1],
        "maxrss_mib": maxrss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "vmhwm_mib": vmhwm_mib(),  # cross-check: the kernel's high-water mark of this mm
        "threadpool_info": threadpool_info(),
        "env_blas": {v: os.environ.get(v) for v in BLAS_ENV_UNSET},
    }))


def sklearn_quality(ds: dict, seeds: list[int]) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    texts = [r["text"] for r in ds["rows"]]
    gold = [r["label"] for r in ds["rows"]]
    # TF-IDF has no randomness: fit it once and reuse it for every seed.
    X = TfidfVectorizer(**TFIDF).fit_transform(texts)
    nmi, ari = [], []
    for seed in seeds:
        pred = sklearn_pipeline_labels(X, ds["k"], seed)
        nmi.append(float(normalized_mutual_info_score(gold, pred)))
        ari.append(float(adjusted_rand_score(gold, pred)))
    return {"nmi": nmi, "ari": ari, "n_scored": len(gold), "n_features": X.shape[1]}


# ----------------------------------------------------------------------------- rhetor

def find_rhetor(arg: str | None) -> Path | None:
    cands = [arg, os.environ.get("RHETOR_BIN")]
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache" / "rhetor-target")
    if not arg:
        cands += [str(Path(target) / "release" / "rhetor"), str(REPO / "target" / "release" / "rhetor")]
    for c in cands:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c).resolve()
    if arg:
        print(f"!! --rhetor {arg}: not an executable file")
    return None


def cpu_model() -> str:
    """The CPU model as /proc/cpuinfo names it (every speed figure goes with it)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rhetor_version(binary: Path) -> str:
    try:
        r = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60)
        return (r.stdout or r.stderr).strip() or f"(exit {r.returncode})"
    except Exception as e:  # noqa: BLE001 - report anything
        return f"(failed: {e})"


def write_rhetor_config(path: Path, k: int) -> Path:
    path.write_text(
        "[embed]\n"
        'type = "tfidf"\n'
        f"min_df = {TFIDF['min_df']}\n"
        f"max_df = {TFIDF['max_df']}\n"
        f'stop_words = "{TFIDF["stop_words"]}"\n'
        f"sublinear_tf = {str(TFIDF['sublinear_tf']).lower()}\n"
        "\n[reduce]\n"
        f"n_components = {N_COMPONENTS}\n"
        "\n[cluster]\n"
        f"k = {k}\n"
        f"n_init = {N_INIT}\n",
        encoding="utf-8",
    )
    return path


def rhetor_cmd(binary: Path, sub: str, data: Path, out: Path, cfg: Path, seed: int | None) -> list[str]:
    cmd = [str(binary), sub, str(data), "--unit", "document", "--text-col", "text",
           "--id-col", "id", "--out", str(out), "--config", str(cfg)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return cmd + ["--force", "-q"]


def read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def rhetor_assignments(out: Path) -> list[tuple[str, int]]:
    import pyarrow.parquet as pq

    table = pq.read_table(out / "paragraphs.parquet", columns=["doc_id", "topic_id"])
    # A null topic (should not happen with k-means) is scored as its own cluster, -1.
    return list(zip((str(d) for d in table.column("doc_id").to_pylist()),
                    (-1 if t is None else int(t) for t in table.column("topic_id").to_pylist())))


def join_check(ds: dict, pairs: list[tuple[str, int]]) -> dict:
    """Join rhetor's (doc_id, topic_id) rows to gold labels; count lost/extra/duplicate ids."""
    gold = {r["id"]: r["label"] for r in ds["rows"]}
    pred: dict[str, int] = {}
    dup = 0
    for doc_id, topic in pairs:
        if doc_id in pred:
            dup += 1
            continue
        pred[doc_id] = topic
    common = [i for i in gold if i in pred]
    return {
        "n_input": len(gold),
        "n_output_rows": len(pairs),
        "n_lost": len(gold) - len(common),
        "n_extra": sum(1 for i in pred if i not in gold),
        "n_duplicate_rows": dup,
        "gold": [gold[i] for i in common],
        "pred": [pred[i] for i in common],
    }


def rhetor_quality(binary: Path, ds: dict, data: Path, seeds: list[int], work: Path) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    cfg = write_rhetor_config(work / f"{ds['name']}.k{ds['k']}.toml", ds["k"])
    res = {"nmi": [], "ari": [], "checks": [], "errors": []}
    for seed in seeds:
        out = work / f"rhetor-{ds['name']}-seed{seed}"
        run = run_child(rhetor_cmd(binary, "cluster", data, out, cfg, seed), None, out.with_suffix(".log"))
        if run["returncode"] != 0:
            res["errors"].append(f"seed {seed}: exit {run['returncode']}")
            print(f"!! rhetor run failed on {ds['name']} seed {seed} (exit {run['returncode']}):\n{tail(run['stderr'])}")
            continue
        try:
            j = join_check(ds, rhetor_assignments(out))
        except Exception as e:  # noqa: BLE001
            res["errors"].append(f"seed {seed}: cannot read output: {e}")
            print(f"!! rhetor output unreadable on {ds['name']} seed {seed}: {e}")
            continue
        gold, pred = j.pop("gold"), j.pop("pred")
        j["seed"] = seed
        res["checks"].append(j)
        if j["n_lost"] or j["n_extra"] or j["n_duplicate_rows"]:
            print(f"!! {ds['name']} seed {seed}: rhetor lost {j['n_lost']} of {j['n_input']} documents, "
                  f"{j['n_extra']} unknown ids, {j['n_duplicate_rows']} duplicate rows (scored on the rest)")
        res["nmi"].append(float(normalized_mutual_info_score(gold, pred)))
        res["ari"].append(float(adjusted_rand_score(gold, pred)))
        res["n_scored"] = len(gold)
    return res


# ----------------------------------------------------------------------------- quality

def do_quality(args, datasets: dict, prepared: dict, binary: Path | None, work: Path, meta: dict) -> int:
    status = 0
    rows = []
    for name, ds in datasets.items():
        print(f"\n== quality: {name} ({ds['n_docs']} docs, k={ds['k']}, seeds {args.seeds})")
        t = time.perf_counter()
        sk = sklearn_quality(ds, args.seeds)
        print(f"   scikit-learn done in {time.perf_counter() - t:.1f}s ({sk['n_features']} TF-IDF features)")
        rows.append({"dataset": name, "tool": "scikit-learn", "seeds": args.seeds, **sk})
        if binary is None:
            continue
        t = time.perf_counter()
        rh = rhetor_quality(binary, ds, prepared[name], args.seeds, work)
        print(f"   rhetor done in {time.perf_counter() - t:.1f}s")
        ok_seeds = [c["seed"] for c in rh["checks"]]
        rows.append({"dataset": name, "tool": "rhetor", "seeds": ok_seeds, **rh})
        if rh["errors"]:
            status = max(status, 1)
        if any(c["n_lost"] or c["n_extra"] or c["n_duplicate_rows"] for c in rh["checks"]):
            status = max(status, 2)

    for r in rows:
        if r["nmi"]:
            (r["nmi_mean"], r["nmi_sd"]), (r["ari_mean"], r["ari_sd"]) = mean_sd(r["nmi"]), mean_sd(r["ari"])

    print("\nQuality (mean ± sample sd over seeds)")
    hdr = f"{'dataset':<14} {'tool':<13} {'n docs':>7} {'seeds':>5}  {'NMI':>15}  {'ARI':>15}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        if not r["nmi"]:
            print(f"{r['dataset']:<14} {r['tool']:<13} {'':>7} {0:>5}  {'failed':>15}  {'failed':>15}")
            continue
        lost = ""
        if r["tool"] == "rhetor":
            lost = "  (lost docs: " + ",".join(str(c["n_lost"]) for c in r["checks"]) + ")"
        print(f"{r['dataset']:<14} {r['tool']:<13} {r['n_scored']:>7} {len(r['nmi']):>5}  "
              f"{r['nmi_mean']:.3f} ± {r['nmi_sd']:.3f}  {r['ari_mean']:.3f} ± {r['ari_sd']:.3f}{lost}")
    if binary is None:
        print("(rhetor skipped: no binary)")

    out = {**meta, "datasets": {n: {k: v for k, v in d.items() if k != "rows"} for n, d in datasets.items()},
           "settings": {"tfidf": TFIDF, "n_components": N_COMPONENTS, "n_init": N_INIT,
                        "k": "number of gold classes", "sd": "sample (ddof=1)"},
           "results": rows}
    path = args.results_dir / "quality.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"-> {path}")
    return status


# ----------------------------------------------------------------------------- speed

def sklearn_speed(mode: str, data: Path, repeats: int, work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV_UNSET}
    runs = []
    for i in range(repeats):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--sklearn-child", mode,
               "--child-data", str(data), "--child-k", str(SPEED_K), "--child-seed", str(SPEED_SEED)]
        r = run_child(cmd, env, work / f"sk-{mode}-{i}")
        if r["returncode"] != 0:
            raise SystemExit(f"scikit-learn {mode} child failed (exit {r['returncode']}):\n{tail(r['stderr'])}")
        child = json.loads(r["stdout"].strip().splitlines()[-1])
        child["process_wall_s"] = r["wall_s"]
        child["maxrss_wait4_mib"] = r["maxrss_mib"]  # same quantity seen from outside
        runs.append(child)
        print(f"   sklearn {mode} run {i + 1}/{repeats}: compute {child['compute_s']:.3f}s, "
              f"process {r['wall_s']:.2f}s, peak RSS {child['maxrss_mib']:.0f} MiB")
    return {
        "compute_s": median([r["compute_s"] for r in runs]),
        "process_wall_s": median([r["process_wall_s"] for r in runs]),
        "maxrss_mib": median([r["maxrss_mib"] for r in runs]),
        "stages_s": {s: median([r["stages_s"][s] for r in runs]) for s in runs[0]["stages_s"]},
        "threadpool_info": runs[0]["threadpool_info"],
        "env_blas_in_child": runs[0]["env_blas"],
        "runs": runs,
    }


def rhetor_speed(binary: Path, data: Path, repeats: int, work: Path) -> dict:
    cfg = write_rhetor_config(work / f"speed.k{SPEED_K}.toml", SPEED_K)
    res = {"full": [], "embed_cmd": [], "errors": []}
    for i in range(repeats):
        out = work / f"rhetor-speed-run-{i}"
        r = run_child(rhetor_cmd(binary, "cluster", data, out, cfg, SPEED_SEED), None, out.with_suffix(".log"))
        if r["returncode"] != 0:
            res["errors"].append(f"run {i}: exit {r['returncode']}")
            print(f"!! rhetor cluster failed (exit {r['returncode']}):\n{tail(r['stderr'])}")
            continue
        m = read_manifest(out)
        res["full"].append({"process_wall_s": r["wall_s"], "maxrss_mib": r["maxrss_mib"],
                            "timings_s": m.get("timings_s", {}), "counts": m.get("counts", {})})
        print(f"   rhetor cluster {i + 1}/{repeats}: process {r['wall_s']:.2f}s, peak RSS {r['maxrss_mib']:.0f} MiB, "
              f"stages {m.get('timings_s', {})}")
    # (c) the whole `rhetor run` (adds the comparison, the report and their tables to (b)),
    # the process a user waits for.
    res["run_cmd"] = []
    for i in range(repeats):
        out = work / f"rhetor-speed-whole-{i}"
        r = run_child(rhetor_cmd(binary, "run", data, out, cfg, SPEED_SEED), None, out.with_suffix(".log"))
        if r["returncode"] != 0:
            res["errors"].append(f"whole run {i}: exit {r['returncode']}")
            print(f"!! rhetor run failed (exit {r['returncode']}):\n{tail(r['stderr'])}")
            continue
        m = read_manifest(out)
        res["run_cmd"].append({"process_wall_s": r["wall_s"], "maxrss_mib": r["maxrss_mib"],
                               "timings_s": m.get("timings_s", {})})
        print(f"   rhetor run (whole) {i + 1}/{repeats}: process {r['wall_s']:.2f}s, peak RSS "
              f"{r['maxrss_mib']:.0f} MiB, stages {m.get('timings_s', {})}")
    # (a) TF-IDF alone: `rhetor embed` if the binary has it.
    for i in range(repeats):
        out = work / f"rhetor-speed-embed-{i}"
        r = run_child(rhetor_cmd(binary, "embed", data, out, cfg, SPEED_SEED), None, out.with_suffix(".log"))
        if r["returncode"] != 0:
            res["embed_cmd_error"] = f"exit {r['returncode']}: " + (r["stderr"].strip().splitlines() or [""])[-1]
            print(f"   `rhetor embed` unavailable or failed ({res['embed_cmd_error']}); "
                  "TF-IDF-alone time falls back to the `embed` stage of the full runs")
            res["embed_cmd"] = []
            break
        m = read_manifest(out)
        res["embed_cmd"].append({"process_wall_s": r["wall_s"], "maxrss_mib": r["maxrss_mib"],
                                 "timings_s": m.get("timings_s", {})})
        print(f"   rhetor embed {i + 1}/{repeats}: process {r['wall_s']:.2f}s, peak RSS {r['maxrss_mib']:.0f} MiB, "
              f"stages {m.get('timings_s', {})}")
    return res


def stage(runs: list[dict], *names: str):
    """Median over runs of the sum of the named manifest stages (None if any is missing)."""
    vals = []
    for r in runs:
        t = r["timings_s"]
        vals.append(sum(t[n] for n in names) if all(n in t for n in names) else None)
    return median(vals)


def do_speed(args, ds: dict, data: Path, binary: Path | None, work: Path, meta: dict) -> int:
    print(f"\n== speed: {ds['name']} {ds['split']} ({ds['n_docs']} docs), k={SPEED_K}, seed {SPEED_SEED}, "
          f"median of {args.repeats}")
    print(f"   scikit-learn children run without {' and '.join(BLAS_ENV_UNSET)}")
    sk = {"tfidf": sklearn_speed("tfidf", data, args.repeats, work),
          "pipeline": sklearn_speed("pipeline", data, args.repeats, work)}
    print(f"   BLAS in the scikit-learn children (threadpoolctl): {blas_summary(sk['pipeline']['threadpool_info'])}")

    status, rh, table = 0, None, {}
    if binary is not None:
        rh = rhetor_speed(binary, data, args.repeats, work)
        if rh["errors"]:
            status = 1

    # (a) TF-IDF alone
    a = {"sklearn_s": sk["tfidf"]["compute_s"], "sklearn_process_wall_s": sk["tfidf"]["process_wall_s"],
         "sklearn_maxrss_mib": sk["tfidf"]["maxrss_mib"]}
    # (b) whole pipeline
    b = {"sklearn_s": sk["pipeline"]["compute_s"], "sklearn_process_wall_s": sk["pipeline"]["process_wall_s"],
         "sklearn_maxrss_mib": sk["pipeline"]["maxrss_mib"], "sklearn_stages_s": sk["pipeline"]["stages_s"]}
    if rh is not None and rh["full"]:
        if rh["embed_cmd"]:
            # `rhetor embed` may do more than TF-IDF (e.g. also the LSA `reduce`): then its
            # process wall time and peak RSS cover those stages too, and we say so.
            extra = sorted(set(rh["embed_cmd"][0]["timings_s"]) - {"load", "segment", "embed"})
            a.update(rhetor_s=stage(rh["embed_cmd"], "embed"),
                     rhetor_process_wall_s=median([r["process_wall_s"] for r in rh["embed_cmd"]]),
                     rhetor_maxrss_mib=median([r["maxrss_mib"] for r in rh["embed_cmd"]]),
                     rhetor_embed_cmd_stages=extra,
                     rhetor_source="`rhetor embed`: manifest timings_s.embed; wall/RSS of that process"
                                   + (f" (which also runs {', '.join(extra)}: its wall/RSS include them)"
                                      if extra else ""))
        else:
            a.update(rhetor_s=stage(rh["full"], "embed"), rhetor_process_wall_s=None, rhetor_maxrss_mib=None,
                     rhetor_source="`embed` stage of the full `rhetor run` (no `rhetor embed`); no separate RSS")
        # Comparable compute = embed + reduce + cluster (sklearn: tfidf + svd + normalize + kmeans).
        b.update(rhetor_s=stage(rh["full"], "embed", "reduce", "cluster"),
                 rhetor_all_stages_s=median([sum(v for v in r["timings_s"].values() if isinstance(v, (int, float)))
                                             if r["timings_s"] else None for r in rh["full"]]),
                 rhetor_process_wall_s=median([r["process_wall_s"] for r in rh["full"]]),
                 rhetor_maxrss_mib=median([r["maxrss_mib"] for r in rh["full"]]),
                 rhetor_stages_s={n: stage(rh["full"], n) for n in rh["full"][0]["timings_s"]},
                 rhetor_counts=rh["full"][0]["counts"],
                 rhetor_source="manifest timings_s embed+reduce+cluster; wall/RSS of the `rhetor cluster` process")
    # (c) whole `rhetor run`: its process wall time against scikit-learn's compute (the
    # issue-18 target: <= 0.25x on AVX-512 CPUs).
    c = {"sklearn_s": sk["pipeline"]["compute_s"], "sklearn_process_wall_s": sk["pipeline"]["process_wall_s"],
         "sklearn_maxrss_mib": sk["pipeline"]["maxrss_mib"]}
    if rh is not None and rh.get("run_cmd"):
        wall = median([r["process_wall_s"] for r in rh["run_cmd"]])
        c.update(rhetor_s=wall, rhetor_process_wall_s=wall,
                 rhetor_maxrss_mib=median([r["maxrss_mib"] for r in rh["run_cmd"]]),
                 rhetor_stages_s={n: stage(rh["run_cmd"], n) for n in rh["run_cmd"][0]["timings_s"]},
                 rhetor_source="wall time of the whole `rhetor run` process vs scikit-learn's compute")
    for row in (a, b, c):
        if row.get("rhetor_s") and row.get("sklearn_s"):
            row["ratio_rhetor_over_sklearn"] = row["rhetor_s"] / row["sklearn_s"]
        if row.get("rhetor_process_wall_s") and row.get("sklearn_process_wall_s"):
            row["ratio_process_wall"] = row["rhetor_process_wall_s"] / row["sklearn_process_wall_s"]
    table = {"a_tfidf": a, "b_pipeline": b, "c_whole_run": c}

    print(f"\nSpeed and memory ({ds['name']} {ds['split']}, {ds['n_docs']} docs; median of {args.repeats}; "
          "compute excludes loading)")
    hdr = (f"{'measurement':<22} {'sklearn':>9} {'rhetor':>9} {'ratio r/s':>9}  "
           f"{'sk process':>10} {'rh process':>10}  {'sk peak RSS':>11} {'rh peak RSS':>11}")
    print(hdr)
    print("-" * len(hdr))
    for label, row in (("(a) TF-IDF fit+transf.", a), ("(b) tfidf+lsa+kmeans", b),
                       ("(c) rhetor run process", c)):
        ratio = row.get("ratio_rhetor_over_sklearn")
        print(f"{label:<22} {fmt_s(row['sklearn_s']):>9} {fmt_s(row.get('rhetor_s')):>9} "
              f"{'n/a' if ratio is None else f'{ratio:.2f}x':>9}  "
              f"{fmt_s(row['sklearn_process_wall_s']):>10} {fmt_s(row.get('rhetor_process_wall_s')):>10}  "
              f"{fmt_mib(row['sklearn_maxrss_mib']):>11} {fmt_mib(row.get('rhetor_maxrss_mib')):>11}")
    print("   sklearn stages (b): " + ", ".join(f"{k} {v:.3f}s" for k, v in b["sklearn_stages_s"].items()))
    if rh is None:
        print("(rhetor skipped: no binary)")
    elif rh["full"]:
        print("   rhetor stages (b):  " + ", ".join(f"{k} {v:.3f}s" for k, v in b["rhetor_stages_s"].items()
                                                  if v is not None))
        if c.get("rhetor_stages_s"):
            print("   rhetor stages (c):  " + ", ".join(f"{k} {v:.3f}s" for k, v in c["rhetor_stages_s"].items()
                                                      if v is not None))
            print("   (c) compares the wall time of the whole `rhetor run` process (load, segment, TF-IDF, LSA, "
                  "k-means, topic terms, comparison, report, export) with scikit-learn's compute of (b)")
        print(f"   rhetor (a) source: {a['rhetor_source']}")
        print(f"   rhetor counts: {b['rhetor_counts']}")

    out = {**meta, "dataset": {k: v for k, v in ds.items() if k != "rows"},
           "settings": {"k": SPEED_K, "seed": SPEED_SEED, "repeats": args.repeats, "statistic": "median",
                        "tfidf": TFIDF, "n_components": N_COMPONENTS, "n_init": N_INIT,
                        "sklearn_child_env_unset": list(BLAS_ENV_UNSET)},
           "summary": table, "sklearn_raw": sk, "rhetor_raw": rh}
    out["loadavg_at_end"] = os.getloadavg()
    print("   load average at end (1/5/15 min): " + " ".join(f"{x:.2f}" for x in out["loadavg_at_end"]))
    path = args.results_dir / "speed.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"-> {path}")
    return status


# ----------------------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rhetor", help="path to the rhetor binary (default: $RHETOR_BIN or the release build)")
    p.add_argument("--datasets", default="bbc_news,20newsgroups", help="comma list (quality)")
    p.add_argument("--seeds", default="0,1,2,3,4", help="comma list (quality)")
    p.add_argument("--what", default="quality,speed", help="comma list of quality,speed")
    p.add_argument("--repeats", type=int, default=3, help="timing repetitions; the median is reported")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    p.add_argument("--keep-work", action="store_true", help="keep the temporary folder (prepared data, outputs)")
    # Internal: one scikit-learn timing measurement in a fresh process.
    p.add_argument("--sklearn-child", choices=["tfidf", "pipeline"], help=argparse.SUPPRESS)
    p.add_argument("--child-data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-k", type=int, default=SPEED_K, help=argparse.SUPPRESS)
    p.add_argument("--child-seed", type=int, default=SPEED_SEED, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.sklearn_child:
        return args
    args.datasets = [ALIASES.get(d.strip(), d.strip()) for d in args.datasets.split(",") if d.strip()]
    for d in args.datasets:
        if d not in DATASETS:
            p.error(f"unknown dataset {d!r} (choose from {', '.join(DATASETS)})")
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.what = {w.strip() for w in args.what.split(",") if w.strip()}
    if not args.what <= {"quality", "speed"}:
        p.error("--what takes quality and/or speed")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.sklearn_child:
        sklearn_child(args.sklearn_child, args.child_data, args.child_k, args.child_seed)
        return 0

    if not args.data_dir.is_dir():
        print(f"SKIP: data folder {args.data_dir} is absent; nothing to compare.")
        return 0

    import numpy
    import sklearn
    from threadpoolctl import threadpool_info

    binary = find_rhetor(args.rhetor)
    meta = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": {"python": platform.python_version(), "sklearn": sklearn.__version__,
                     "numpy": numpy.__version__, "rhetor": rhetor_version(binary) if binary else None},
        "rhetor_binary": str(binary) if binary else None,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "thread_env": {v: os.environ.get(v) for v in THREAD_ENV},
    }
    print("== setup")
    print(f"   python {meta['versions']['python']}, scikit-learn {sklearn.__version__}, numpy {numpy.__version__}")
    if binary:
        print(f"   rhetor: {binary} -> {meta['versions']['rhetor']}")
    else:
        print("   rhetor: SKIPPED - no binary (give --rhetor PATH or build with `cargo build --release`);"
              " measuring scikit-learn only")
    print(f"   CPU: {meta['cpu_model']}")
    print(f"   os.cpu_count() = {os.cpu_count()}; thread settings left at defaults: "
          + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in meta["thread_env"].items()))
    print(f"   BLAS in this process (threadpoolctl): {blas_summary(threadpool_info())}")
    # Timings are only meaningful on an otherwise idle machine: record the load.
    meta["loadavg_at_start"] = os.getloadavg()
    print("   load average (1/5/15 min): " + " ".join(f"{x:.2f}" for x in meta["loadavg_at_start"])
          + ("  <- machine busy: timings will be inflated" if meta["loadavg_at_start"][0] > 0.5 else ""))

    needed = set(args.datasets if "quality" in args.what else []) | ({SPEED_DATASET} if "speed" in args.what else set())
    work = Path(tempfile.mkdtemp(prefix="rhetor-bench-"))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    try:
        datasets, prepared = {}, {}
        for name in [d for d in DATASETS if d in needed]:
            ds = load_dataset(args.data_dir, name)
            datasets[name], prepared[name] = ds, write_prepared(ds, work)
            print(f"   data {name}[{ds['split']}]: {ds['n_rows']} rows, dropped {ds['n_empty_dropped']} "
                  f"empty/whitespace-only for both tools -> {ds['n_docs']} docs, {ds['k']} classes")
        status = 0
        if "quality" in args.what:
            status = max(status, do_quality(args, {d: datasets[d] for d in args.datasets}, prepared,
                                             binary, work, meta))
        if "speed" in args.what:
            status = max(status, do_speed(args, datasets[SPEED_DATASET], prepared[SPEED_DATASET],
                                          binary, work, meta))
    finally:
        if args.keep_work:
            print(f"(work folder kept: {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
