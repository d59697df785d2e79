#!/usr/bin/env python3
"""Clustering quality with transformer embeddings vs TF-IDF (LSA), both by rhetor, same run.

For each dataset (bbc_news all rows, 20newsgroups train) and each seed, runs
`rhetor cluster` with k = number of gold classes and n_init = 10, once on TF-IDF + LSA
(the settings of benches/compare_sklearn.py) and once on all-MiniLM-L6-v2 sentence
embeddings (`[embed] type = "transformer"`, clustered directly), and prints NMI / ARI
against the gold labels (mean ± sd over seeds).

The embeddings are computed once: later seeds read them from rhetor's embedding cache
(models/cache/), which the script reports (n_cached in each run's manifest).

    bash benches/transformer_quality.sh      # makes the venv, builds release rhetor
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_sklearn as cs  # noqa: E402


def write_transformer_config(path: Path, k: int, precision: str) -> Path:
    path.write_text(
        "[embed]\n"
        'type = "transformer"\n'
        f'precision = "{precision}"\n'
        "\n[cluster]\n"
        f"k = {k}\n"
        f"n_init = {cs.N_INIT}\n",
        encoding="utf-8",
    )
    return path


def transformer_quality(binary: Path, ds: dict, data: Path, seeds: list[int], work: Path,
                        precision: str) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    cfg = write_transformer_config(work / f"{ds['name']}.tr.toml", ds["k"], precision)
    res = {"nmi": [], "ari": [], "embed_s": [], "n_cached": [], "errors": []}
    for seed in seeds:
        out = work / f"rhetor-tr-{ds['name']}-seed{seed}"
        t0 = time.perf_counter()
        run = cs.run_child(cs.rhetor_cmd(binary, "cluster", data, out, cfg, seed), None,
                           out.with_suffix(".log"))
        if run["returncode"] != 0:
            res["errors"].append(f"seed {seed}: exit {run['returncode']}")
            print(f"!! transformer run failed on {ds['name']} seed {seed}:\n{cs.tail(run['stderr'])}")
            continue
        m = cs.read_manifest(out)
        j = cs.join_check(ds, cs.rhetor_assignments(out))
        res["nmi"].append(float(normalized_mutual_info_score(j["gold"], j["pred"])))
        res["ari"].append(float(adjusted_rand_score(j["gold"], j["pred"])))
        timings = m.get("timings_s", {})
        res["embed_s"].append(timings.get("embed_transformer"))
        res["n_cached"].append(find_key(m, "n_cached"))
        print(f"   {ds['name']} seed {seed}: NMI {res['nmi'][-1]:.3f} ARI {res['ari'][-1]:.3f} "
              f"(embed {timings.get('embed_transformer')} s, cached {res['n_cached'][-1]}, "
              f"wall {time.perf_counter() - t0:.1f} s)")
    return res


def find_key(obj, key):
    """First value of `key` anywhere in a JSON object."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            r = find_key(v, key)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = find_key(v, key)
            if r is not None:
                return r
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rhetor", required=True, help="rhetor binary (release build)")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--datasets", default="bbc_news,20newsgroups")
    ap.add_argument("--precision", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "transformer_quality.json"))
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    binary = Path(args.rhetor)
    work = Path(tempfile.mkdtemp(prefix="rhetor-trq-"))
    report = {"seeds": seeds, "precision": args.precision, "datasets": {}}
    for name in args.datasets.split(","):
        ds = cs.load_dataset(Path(args.data_dir), name)
        data = cs.write_prepared(ds, work)
        print(f"== {name}: {ds['n_docs']} documents, k = {ds['k']}")
        tf = cs.rhetor_quality(binary, ds, data, seeds, work)
        tr = transformer_quality(binary, ds, data, seeds, work, args.precision)
        report["datasets"][name] = {"n_docs": ds["n_docs"], "k": ds["k"], "tfidf": tf, "transformer": tr}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print()
    print(f"{'dataset':<14} {'vectors':<24} {'NMI':>15} {'ARI':>15}")
    for name, d in report["datasets"].items():
        for label, r in [("tfidf+LSA", d["tfidf"]), (f"MiniLM-L6 ({args.precision})", d["transformer"])]:
            if not r["nmi"]:
                print(f"{name:<14} {label:<24} {'failed':>15}")
                continue
            (nm, ns), (am, asd) = cs.mean_sd(r["nmi"]), cs.mean_sd(r["ari"])
            print(f"{name:<14} {label:<24} {nm:>8.3f} ± {ns:.3f} {am:>8.3f} ± {asd:.3f}")
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
