#!/usr/bin/env python3
"""Throughput of rhetor's transformer embedder (f32, bf16) against sentence-transformers (f32).

Texts: the first N (2,000) non-empty texts of the train split of
/work/shared/data/20newsgroups_bydate/data.jsonl (or --data); max length 256, batch 32,
2 threads, all-MiniLM-L6-v2 from the models directory (RHETOR_MODELS or models/).

Each contender runs in its own child process; its peak RSS comes from os.wait4's rusage.
rhetor runs (native engine; with --with-candle also candle's BertModel) as the ignored test
`embed::transformer::tests::throughput` of the release test
binary (built here with `cargo test --release --lib --no-run`). Cosines of rhetor's vectors to
sentence-transformers' are reported too.

    bash benches/transformer_throughput.sh [--n 2000] [--with-candle]   (makes the venv)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = "/work/shared/data/20newsgroups_bydate/data.jsonl"

ST_CHILD = r"""
import json, os, sys, time
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
from sentence_transformers import SentenceTransformer
texts = json.load(open(os.environ["RHETOR_BENCH_TEXTS"]))
t0 = time.perf_counter()
m = SentenceTransformer(os.environ["BENCH_MODEL_DIR"], device="cpu")
m.max_seq_length = int(os.environ["BENCH_MAX_LENGTH"])
load = time.perf_counter() - t0
t1 = time.perf_counter()
with torch.inference_mode():
    emb = m.encode(texts, batch_size=int(os.environ["BENCH_BATCH"]), normalize_embeddings=False,
                   convert_to_numpy=True, show_progress_bar=False)
secs = time.perf_counter() - t1
json.dump(emb.tolist(), open(os.environ["RHETOR_BENCH_OUT"], "w"))
print("THROUGHPUT " + json.dumps({"precision": "F32", "texts": len(texts), "seconds": secs,
      "load_seconds": load, "texts_per_s": len(texts) / secs,
      "torch": torch.__version__, "threads": torch.get_num_threads()}))
"""


def load_texts(path, n):
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("split", "train") != "train":
                continue
            text = row.get("text") or ""
            if not text.strip():
                continue
            texts.append(text)
            if len(texts) == n:
                break
    return texts


def run_child_rss(cmd, env):
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        p = subprocess.Popen(cmd, env=env, stdout=fout, stderr=ferr, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if p.returncode != 0:
        sys.stderr.write(err[-3000:])
        raise SystemExit(f"child failed ({p.returncode}): {' '.join(cmd)}")
    # The test harness prints "test ... ... " before the line's text on the same line.
    line = next(l for l in out.splitlines() if "THROUGHPUT " in l)
    res = json.loads(line.split("THROUGHPUT ", 1)[1])
    res["peak_rss_mib"] = usage.ru_maxrss / 1024.0  # Linux: KiB
    res["wall_seconds"] = wall
    return res


def test_binary(with_candle=False):
    features = ["--features", "candle"] if with_candle else []
    out = subprocess.run(
        ["cargo", "test", "--release", "--lib", "--no-run", "--message-format=json"] + features,
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["kind"] == ["lib"] and msg["profile"]["test"]:
            return msg["executable"]
    raise SystemExit("no test binary found")


def cosines(a, b):
    import numpy as np
    a, b = np.asarray(a), np.asarray(b)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--with-candle", action="store_true",
                    help="also time the candle reference engine (f32, padded batches)")
    ap.add_argument("--python", default=sys.executable,
                    help="python with sentence-transformers (default: this one)")
    args = ap.parse_args()

    models = os.environ.get("RHETOR_MODELS") or os.path.join(ROOT, "models")
    model_dir = os.path.join(models, "all-MiniLM-L6-v2")
    texts = load_texts(args.data, args.n)
    work = tempfile.mkdtemp(prefix="rhetor-bench-")
    texts_path = os.path.join(work, "texts.json")
    with open(texts_path, "w") as f:
        json.dump(texts, f)

    exe = test_binary(args.with_candle)  # the candle engine needs the `candle` feature
    base = dict(os.environ, RHETOR_MODELS=models, RHETOR_BENCH_TEXTS=texts_path,
                RHETOR_BENCH_THREADS=str(args.threads), RHETOR_BENCH_BATCH=str(args.batch),
                RHETOR_BENCH_MAX_LENGTH=str(args.max_length), RAYON_NUM_THREADS=str(args.threads),
                BENCH_THREADS=str(args.threads), BENCH_BATCH=str(args.batch),
                BENCH_MAX_LENGTH=str(args.max_length), BENCH_MODEL_DIR=model_dir,
                OMP_NUM_THREADS=str(args.threads), TOKENIZERS_PARALLELISM="false")
    results = {}
    outs = {}
    runs = [("rhetor_f32", "f32", "native"), ("rhetor_bf16", "bf16", "native")]
    if args.with_candle:
        runs.append(("candle_f32", "f32", "candle"))
    for name, precision, engine in runs:
        outs[name] = os.path.join(work, f"{name}.json")
        env = dict(base, RHETOR_BENCH_PRECISION=precision, RHETOR_BENCH_ENGINE=engine,
                   RHETOR_BENCH_OUT=outs[name])
        results[name] = run_child_rss(
            [exe, "--exact", "embed::transformer::tests::throughput", "--ignored",
             "--nocapture", "--test-threads", "1"], env)
    outs["st_f32"] = os.path.join(work, "st_f32.json")
    results["st_f32"] = run_child_rss([args.python, "-c", ST_CHILD],
                                      dict(base, RHETOR_BENCH_OUT=outs["st_f32"]))

    st = json.load(open(outs["st_f32"]))
    report = {"texts": len(texts), "threads": args.threads, "batch": args.batch,
              "max_length": args.max_length, "results": results}
    for name, _, _ in runs:
        c = cosines(json.load(open(outs[name])), st)
        r = results[name]
        r["ratio_to_st"] = r["texts_per_s"] / results["st_f32"]["texts_per_s"]
        r["cosine_to_st_min"] = float(c.min())
        r["cosine_to_st_mean"] = float(c.mean())
    print(json.dumps(report, indent=1))
    print()
    print(f"{'run':<12} {'texts/s':>9} {'vs ST':>7} {'peak RSS MiB':>13} {'min cos to ST':>14} "
          f"{'tokens':>8} {'pad tokens':>10}")
    for name, r in results.items():
        print(f"{name:<12} {r['texts_per_s']:>9.1f} {r.get('ratio_to_st', 1.0):>7.2f} "
              f"{r['peak_rss_mib']:>13.0f} {r.get('cosine_to_st_min', 1.0):>14.6f} "
              f"{r.get('n_tokens', ''):>8} {r.get('n_pad_tokens', ''):>10}")


if __name__ == "__main__":
    main()
