"""Write tests/data/ppi_reference.json: ppi_py's PPI++ mean estimates and intervals.

The Rust tests in src/validate/ppi/tests.rs read the file and require rhetor's
`ppi_mean` to agree with ppi_py to 1e-9.

Run from the repository root with the project venv (ppi_python 0.2.3):

    ~/.cache/rhetor-py-venv/bin/python tests/python/gen_ppi_reference.py

Deterministic: every case draws from its own seeded numpy generator.
"""

import json
from pathlib import Path

import numpy as np
import ppi_py
from ppi_py import ppi_mean_ci, ppi_mean_pointestimate

OUT = Path(__file__).resolve().parents[1] / "data" / "ppi_reference.json"


def binary_case(rng, n, N, p, fpr, fnr):
    """Gold labels with rate p and a classifier with the given error rates."""

    def draw(m):
        y = (rng.random(m) < p).astype(float)
        u = rng.random(m)
        yhat = np.where(y == 1, u >= fnr, u < fpr).astype(float)
        return y, yhat

    y, yhat = draw(n)
    _, yhat_unlabeled = draw(N)
    return y, yhat, yhat_unlabeled


def continuous_case(rng, n, N):
    """A continuous outcome and a noisy, shifted and shrunk prediction of it."""

    def draw(m):
        y = rng.normal(1.0, 2.0, m)
        yhat = 0.3 + 0.7 * y + rng.normal(0.0, 1.0, m)
        return y, yhat

    y, yhat = draw(n)
    _, yhat_unlabeled = draw(N)
    return y, yhat, yhat_unlabeled


# (name, kind, n, N, weighted, lam, alpha, extra)
CASES = [
    ("bin_n10_N100_tuned", "bin", 10, 100, False, None, 0.05, (0.3, 0.25, 0.1)),
    ("bin_n10_N100_lam1", "bin", 10, 100, False, 1.0, 0.1, (0.3, 0.25, 0.1)),
    ("bin_n50_N1000_tuned", "bin", 50, 1000, False, None, 0.1, (0.2, 0.1, 0.2)),
    ("bin_n200_N2000_tuned", "bin", 200, 2000, False, None, 0.05, (0.3, 0.25, 0.1)),
    ("bin_n200_N2000_lam1", "bin", 200, 2000, False, 1.0, 0.05, (0.3, 0.25, 0.1)),
    ("bin_n500_N20000_tuned", "bin", 500, 20000, False, None, 0.05, (0.6, 0.05, 0.3)),
    ("bin_n500_N20000_lam1", "bin", 500, 20000, False, 1.0, 0.1, (0.6, 0.05, 0.3)),
    ("bin_w_n100_N5000_tuned", "bin", 100, 5000, True, None, 0.05, (0.4, 0.2, 0.2)),
    ("bin_w_n100_N5000_lam1", "bin", 100, 5000, True, 1.0, 0.1, (0.4, 0.2, 0.2)),
    ("bin_w_n30_N300_lam05", "bin", 30, 300, True, 0.5, 0.05, (0.5, 0.3, 0.3)),
    ("bin_n40_N400_useless", "bin", 40, 400, False, None, 0.05, (0.5, 0.5, 0.5)),
    ("cont_n100_N2000_tuned", "cont", 100, 2000, False, None, 0.05, None),
    ("cont_w_n300_N3000_tuned", "cont", 300, 3000, True, None, 0.1, None),
    ("cont_n300_N3000_lam1", "cont", 300, 3000, False, 1.0, 0.05, None),
]


def compact(a):
    """A list for JSON, whole numbers written as integers (0/1 labels stay short)."""
    return [int(v) if v == int(v) else float(v) for v in a.tolist()]


def build_reference():
    """The whole reference document, as written to OUT (tests/python/test_validation.py
    recomputes it in-process and compares it with the committed file)."""
    cases = []
    for i, (name, kind, n, N, weighted, lam, alpha, extra) in enumerate(CASES):
        rng = np.random.default_rng(20231101 + i)
        if kind == "bin":
            y, yhat, yhat_unlabeled = binary_case(rng, n, N, *extra)
        else:
            y, yhat, yhat_unlabeled = continuous_case(rng, n, N)
        # Inputs are rounded first so that the JSON stays small; ppi_py sees
        # exactly the numbers the Rust test reads back.
        y, yhat, yhat_unlabeled = (np.round(a, 4) for a in (y, yhat, yhat_unlabeled))
        w = np.round(rng.uniform(0.5, 2.0, n), 3) if weighted else None
        w_unlabeled = np.round(rng.uniform(0.5, 2.0, N), 3) if weighted else None
        est = ppi_mean_pointestimate(
            y, yhat, yhat_unlabeled, lam=lam, w=w, w_unlabeled=w_unlabeled
        )
        lo, hi = ppi_mean_ci(
            y,
            yhat,
            yhat_unlabeled,
            alpha=alpha,
            lam=lam,
            w=w,
            w_unlabeled=w_unlabeled,
        )
        cases.append(
            {
                "name": name,
                "lam": lam,
                "alpha": alpha,
                "y": compact(y),
                "yhat": compact(yhat),
                "yhat_unlabeled": compact(yhat_unlabeled),
                "w": None if w is None else compact(w),
                "w_unlabeled": None if w_unlabeled is None else compact(w_unlabeled),
                "estimate": float(np.asarray(est).item()),
                "ci_low": float(np.asarray(lo).item()),
                "ci_high": float(np.asarray(hi).item()),
            }
        )
    return {
        "generator": "tests/python/gen_ppi_reference.py",
        "ppi_python": getattr(ppi_py, "__version__", "0.2.3"),
        "cases": cases,
    }


def main():
    doc = build_reference()
    cases = doc["cases"]
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
