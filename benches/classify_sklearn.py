#!/usr/bin/env python3
"""scikit-learn side of the rhetor classification benchmark (SemEval-2016 Task 6).

Protocol (the same as rhetor's ``classify::tests::semeval_per_target_cv``, which prints
the rhetor side):

* data: ``semeval2016_task6/data.jsonl`` under the shared data folder
  (``../shared/data`` next to the repo, or ``--data``); rows with ``split == "train"``
  (2,914 tweets); fields ``text``, ``label`` (FAVOR / AGAINST / NONE), ``target``;
* one model per target (SemEval-2016 trains one model per target);
* features: ``FeatureUnion`` of ``TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)``
  and ``TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True)``
  (``min_df=1``, lowercase; each block l2-normalised), fitted on the training folds only;
* model: ``LinearSVC(C=1, loss="squared_hinge", dual=True, tol=1e-4, max_iter=1000,
  random_state=0)`` (``--model lr``: ``OneVsRestClassifier(LogisticRegression(
  solver="liblinear", dual=True, C=1))``, the same one-vs-rest LIBLINEAR dual problem as
  rhetor's logistic regression);
* ``--class-weight balanced``: for the SVM, ``LinearSVC(class_weight="balanced")`` runs
  LIBLINEAR's multi-class one-vs-rest, where the positives of each sub-problem get
  ``C * n / (k * n_c)`` and the rest ``C`` -- rhetor's convention for both models. For
  ``--model lr``, scikit-learn >= 1.8 only offers ``OneVsRestClassifier``, which balances
  each binary problem on its own (``n / (2 n_pos)``, ``n / (2 n_neg)``), so rhetor's
  balanced logistic regression (LIBLINEAR's convention, as scikit-learn's
  ``LogisticRegression(solver="liblinear", multi_class="ovr")`` did before 1.8) differs
  from it; unweighted, they solve the same problems;
* evaluation: ``StratifiedKFold(5, shuffle=True, random_state=0)`` per target; the
  out-of-fold predictions give F_avg = (F1_FAVOR + F1_AGAINST) / 2 per target and pooled
  over all targets (``f1_score(labels=["FAVOR", "AGAINST"], average="macro")``).

Times (wall clock, median of ``--repeats`` runs, single process, data already in memory):

* ``cv``: the whole per-target 5-fold cross-validation (fit features + fit model + predict
  the held-out fold, 25 fits);
* ``train``: fitting the five final per-target models on all their rows.

How to run::

    PY=$(bash scripts/venv.sh | tail -n1)     # or any python with scikit-learn
    $PY benches/classify_sklearn.py [--data PATH] [--model svm|lr] [--repeats 3]

    # the rhetor side (release build), same protocol, prints the same table:
    RHETOR_DATA=../shared/data cargo test --release --lib semeval_per_target_cv \
        -- --ignored --nocapture

The venv is ``${RHETOR_VENV:-$HOME/.cache/rhetor-venv}`` (made by ``scripts/venv.sh``);
this script itself only needs numpy and scikit-learn.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "semeval2016_task6" / "data.jsonl"
STANCE = ["FAVOR", "AGAINST"]


def load(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                if rec.get("split") == "train":
                    rows.append(rec)
    return rows


def pipeline(model: str, seed: int, class_weight=None):
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    if model == "svm":
        clf = LinearSVC(
            C=1.0, loss="squared_hinge", dual=True, tol=1e-4, max_iter=1000, random_state=seed,
            class_weight=class_weight,
        )
    else:
        clf = OneVsRestClassifier(
            LogisticRegression(solver="liblinear", dual=True, C=1.0, tol=1e-4, max_iter=1000,
                               random_state=seed, class_weight=class_weight)
        )
    return make_pipeline(features, clf)


def f_avg(y_true, y_pred) -> float:
    return float(f1_score(y_true, y_pred, labels=STANCE, average="macro", zero_division=0))


def cross_validate(by_target: dict, model: str, folds: int, seed: int, class_weight=None):
    """Per-target stratified k-fold; returns {target: (y, oof)}."""
    out = {}
    for target, (texts, y) in by_target.items():
        oof = np.empty(len(y), dtype=object)
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for train, test in skf.split(texts, y):
            pipe = pipeline(model, seed, class_weight)
            pipe.fit(texts[train], y[train])
            oof[test] = pipe.predict(texts[test])
        out[target] = (y, oof)
    return out


def train_all(by_target: dict, model: str, seed: int, class_weight=None):
    return {
        t: pipeline(model, seed, class_weight).fit(texts, y)
        for t, (texts, y) in by_target.items()
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model", choices=["svm", "lr"], default="svm")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--class-weight", choices=["none", "balanced"], default="none",
                    help="class_weight of the model (default none)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument(
        "--export", type=Path,
        help="write scikit-learn's folds, out-of-fold predictions and the decision values of "
             "the final per-target models (JSON) for rhetor's same-folds check "
             "(classify::tests::semeval_same_folds_as_sklearn, RHETOR_SKLEARN_EXPORT=PATH)")
    args = ap.parse_args()

    if not args.data.exists():
        print(f"SKIP classify_sklearn: {args.data} is absent")
        return 0
    rows = load(args.data)
    targets = sorted({r["target"] for r in rows})
    by_target = {}
    for t in targets:
        sub = [r for r in rows if r["target"] == t]
        by_target[t] = (
            np.array([r["text"] for r in sub], dtype=object),
            np.array([r["label"] for r in sub], dtype=object),
        )
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}; model {args.model}, class_weight {args.class_weight}; "
          f"{len(rows)} train rows, "
          f"{len(targets)} targets, {args.folds}-fold stratified CV per target")

    cw = None if args.class_weight == "none" else args.class_weight
    cv_times, train_times, result = [], [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        result = cross_validate(by_target, args.model, args.folds, args.seed, cw)
        cv_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        train_all(by_target, args.model, args.seed, cw)
        train_times.append(time.perf_counter() - t0)

    per_target = {t: f_avg(y, p) for t, (y, p) in result.items()}
    y_all = np.concatenate([result[t][0] for t in targets])
    p_all = np.concatenate([result[t][1] for t in targets])
    pooled = f_avg(y_all, p_all)
    print(f"{'target':<36} {'rows':>5} {'F_avg':>7}")
    for t in targets:
        print(f"{t:<36} {len(result[t][0]):>5} {100 * per_target[t]:>7.2f}")
    print(f"{'pooled':<36} {len(y_all):>5} {100 * pooled:>7.2f}")
    print(f"accuracy (pooled): {100 * float(np.mean(y_all == p_all)):.2f}")
    cv_med, train_med = statistics.median(cv_times), statistics.median(train_times)
    print(f"time cv    (25 fits + predictions): median {cv_med:.3f} s  "
          f"(runs: {', '.join(f'{x:.3f}' for x in cv_times)})")
    print(f"time train (5 per-target models):   median {train_med:.3f} s  "
          f"(runs: {', '.join(f'{x:.3f}' for x in train_times)})")
    if args.export:
        export = {"model": args.model, "class_weight": args.class_weight, "targets": {}}
        for t in targets:
            texts, y = by_target[t]
            skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
            folds = [test.tolist() for _, test in skf.split(texts, y)]
            final = pipeline(args.model, args.seed, cw).fit(texts, y)
            export["targets"][t] = {
                "folds": folds,
                "oof": result[t][1].tolist(),
                "classes": final.classes_.tolist(),
                "decision": final.decision_function(texts).tolist(),
            }
        args.export.parent.mkdir(parents=True, exist_ok=True)
        args.export.write_text(json.dumps(export) + "\n")
        print(f"exported folds and decision values to {args.export}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "tool": "scikit-learn", "version": sklearn.__version__, "model": args.model,
            "rows": len(rows), "f_avg": per_target, "f_avg_pooled": pooled,
            "time_cv_s": cv_med, "time_train_s": train_med,
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
