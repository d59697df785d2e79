#!/usr/bin/env python3
"""Throughput of rhetor's transformer embedder (f32, bf16) against sentence-transformers (f32;
with --st-bf16 also torch's bf16 autocast), with the CPU model and the load average.

Texts: the first N (2,000) non-empty texts of the train split of
/work/shared/data/20newsgroups_bydate/data.jsonl (or --data); max length 256, batch 32,
2 threads, all-MiniLM-L6-v2 from the models directory (RHETOR_MODELS or models/).

Each contender runs in its own child process; its peak RSS comes from os.wait4's rusage.
rhetor runs (native engine; with --with-candle also candle's BertModel) as the ignored test
`embed::transformer::tests::real::throughput` of the release test
binary (built here with `cargo test --release --lib --no-run`), under each kernel of
--kernels (RHETOR_KERNEL=amx|avx512|avx2|portable; "auto" is the CPU's best). A bf16 run that
reports precision F32 fell back (no AVX512-BF16, or its dot products measured slower than f32
FMAs on this CPU). Cosines of every run's vectors to sentence-transformers' f32 are reported.

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
import contextlib, json, os, sys, time
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
from sentence_transformers import SentenceTransformer
texts = json.load(open(os.environ["RHETOR_BENCH_TEXTS"]))
bf16 = os.environ.get("BENCH_ST_PRECISION") == "bf16"
t0 = time.perf_counter()
m = SentenceTransformer(os.environ["BENCH_MODEL_DIR"], device="cpu")
m.max_seq_length = int(os.environ["BENCH_MAX_LENGTH"])
load = time.perf_counter() - t0
# bf16: torch's CPU autocast (the products in bf16 through oneDNN: AMX where the CPU has it).
amp = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
t1 = time.perf_counter()
with torch.inference_mode(), amp:
    emb = m.encode(texts, batch_size=int(os.environ["BENCH_BATCH"]), normalize_embeddings=False,
                   convert_to_tensor=True, show_progress_bar=False)
emb = emb.float().numpy()
secs = time.perf_counter() - t1
json.dump(emb.tolist(), open(os.environ["RHETOR_BENCH_OUT"], "w"))
print("THROUGHPUT " + json.dumps({"precision": "BF16" if bf16 else "F32", "texts": len(texts),
      "seconds": secs, "load_seconds": load, "texts_per_s": len(texts) / secs,
      "torch": torch.__version__, "threads": torch.get_num_threads()}))
"""


def cpu_model():
    """`model name (family F model M)` of /proc/cpuinfo (as rhetor::cpu::cpu_model)."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown"
    fields = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields.setdefault(k.strip(), v.strip())
        elif fields:
            break
    name = fields.get("model name", "unknown")
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']} model {fields['model']})"
    return name


def load_average():
    return os.getloadavg()[0]


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
    res["load_after"] = load_average()
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
    ap.add_argument("--kernels", default="auto",
                    help="comma-separated RHETOR_KERNEL values to run rhetor under: auto (the "
                         "CPU's best), amx, avx512, avx2, portable (portable is slow on x86: use a "
                         "small --n)")
    ap.add_argument("--st-bf16", action="store_true",
                    help="also time sentence-transformers under torch's bf16 autocast")
    ap.add_argument("--exe", default=None,
                    help="a release test binary to time instead of building one (e.g. a copy "
                         "of an older build, to compare before and after)")
    ap.add_argument("--skip-st", action="store_true",
                    help="no sentence-transformers runs (no ratios or cosines)")
    args = ap.parse_args()
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    print(f"CPU: {cpu_model()}; load average {load_average():.2f}", flush=True)

    models = os.environ.get("RHETOR_MODELS") or os.path.join(ROOT, "models")
    model_dir = os.path.join(models, "all-MiniLM-L6-v2")
    texts = load_texts(args.data, args.n)
    work = tempfile.mkdtemp(prefix="rhetor-bench-")
    texts_path = os.path.join(work, "texts.json")
    with open(texts_path, "w") as f:
        json.dump(texts, f)

    # The candle engine needs the `candle` feature.
    exe = args.exe or test_binary(args.with_candle)
    base = dict(os.environ, RHETOR_MODELS=models, RHETOR_BENCH_TEXTS=texts_path,
                RHETOR_BENCH_THREADS=str(args.threads), RHETOR_BENCH_BATCH=str(args.batch),
                RHETOR_BENCH_MAX_LENGTH=str(args.max_length), RAYON_NUM_THREADS=str(args.threads),
                BENCH_THREADS=str(args.threads), BENCH_BATCH=str(args.batch),
                BENCH_MAX_LENGTH=str(args.max_length), BENCH_MODEL_DIR=model_dir,
                OMP_NUM_THREADS=str(args.threads), TOKENIZERS_PARALLELISM="false")
    results = {}
    outs = {}
    runs = []
    for kernel in kernels:
        suffix = "" if kernel == "auto" else f"_{kernel}"
        runs.append((f"rhetor_f32{suffix}", "f32", "native", kernel))
        if kernel in ("auto", "amx", "avx512"):
            runs.append((f"rhetor_bf16{suffix}", "bf16", "native", kernel))
    if args.with_candle:
        runs.append(("candle_f32", "f32", "candle", "auto"))
    for name, precision, engine, kernel in runs:
        outs[name] = os.path.join(work, f"{name}.json")
        env = dict(base, RHETOR_BENCH_PRECISION=precision, RHETOR_BENCH_ENGINE=engine,
                   RHETOR_BENCH_OUT=outs[name])
        env.pop("RHETOR_KERNEL", None)
        if kernel != "auto":
            env["RHETOR_KERNEL"] = kernel
        results[name] = run_child_rss(
            [exe, "--exact", "embed::transformer::tests::real::throughput", "--ignored",
             "--nocapture", "--test-threads", "1"], env)
        results[name]["kernel"] = kernel
    st_runs = [] if args.skip_st else [("st_f32", "f32")] + ([("st_bf16", "bf16")] if args.st_bf16 else [])
    for name, precision in st_runs:
        outs[name] = os.path.join(work, f"{name}.json")
        results[name] = run_child_rss([args.python, "-c", ST_CHILD],
                                      dict(base, RHETOR_BENCH_OUT=outs[name],
                                           BENCH_ST_PRECISION=precision))

    report = {"cpu": cpu_model(), "texts": len(texts), "threads": args.threads,
              "batch": args.batch, "max_length": args.max_length, "results": results}
    if not args.skip_st:
        st = json.load(open(outs["st_f32"]))
        for name in results:
            if name == "st_f32":
                continue
            c = cosines(json.load(open(outs[name])), st)
            r = results[name]
            r["ratio_to_st"] = r["texts_per_s"] / results["st_f32"]["texts_per_s"]
            r["cosine_to_st_min"] = float(c.min())
            r["cosine_to_st_mean"] = float(c.mean())
    print(json.dumps(report, indent=1))
    print()
    print(f"CPU: {cpu_model()}")
    print(f"{'run':<22} {'ran':>5} {'kernel':>13} {'texts/s':>9} {'vs ST':>7} {'peak RSS MiB':>13} "
          f"{'min cos to ST':>14} {'load':>5} {'tokens':>8}")
    for name, r in results.items():
        ratio = r.get("ratio_to_st", 1.0 if name == "st_f32" else float("nan"))
        cos = r.get("cosine_to_st_min", 1.0 if name == "st_f32" else float("nan"))
        print(f"{name:<22} {r['precision']:>5} {r.get('kernel_ran', 'torch'):>13} "
              f"{r['texts_per_s']:>9.1f} {ratio:>7.2f} "
              f"{r['peak_rss_mib']:>13.0f} {cos:>14.6f} {r['load_after']:>5.2f} "
              f"{r.get('n_tokens', ''):>8}")


if __name__ == "__main__":
    main()
