"""Writes tests/data/krippendorff_reference.json: Krippendorff's alpha from the Python package
`krippendorff` 0.9.0, the reference that `rhetor::validate::agreement` must match to 1e-9.

Run with the project venv, from the repository root:

    ~/.cache/rhetor-py-venv/bin/python tests/python/gen_krippendorff_reference.py

Deterministic (numpy seeded). Each case holds the reliability data (coders x units, value
indices 0..n_values, null for missing), the package's alpha at the nominal, ordinal and interval
levels with `value_domain=list(range(n_values))`, the nominal alpha of each value's indicator
(1 where the value is that value, 0 otherwise; null where the package gives no finite number)
and the percent agreement trace(o) / n from the package's own coincidence matrix.
"""

import json
import math
import pathlib
import warnings
from importlib.metadata import version

import krippendorff
import numpy as np
from krippendorff.krippendorff import _coincidences, _reliability_data_to_value_counts

assert version("krippendorff") == "0.9.0", version("krippendorff")

LEVELS = ("nominal", "ordinal", "interval")
OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "krippendorff_reference.json"


def package_alpha(data, domain, level):
    """The package's alpha, or None where it is not a finite number (0/0 gives nan)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = float(krippendorff.alpha(reliability_data=data, value_domain=domain, level_of_measurement=level))
    return a if math.isfinite(a) else None


def case(name, data, n_values):
    """One reference case from a coders x units float array with nan for missing."""
    n_coders, n_units = data.shape
    domain = list(range(n_values))
    alphas = {level: package_alpha(data, domain, level) for level in LEVELS}
    assert all(a is not None for a in alphas.values()), (name, alphas)
    # The value domain built from the data (the package's default) gives the same numbers:
    # unobserved categories have zero marginals, so they change neither ordinal nor interval.
    for level in LEVELS:
        default = package_alpha(data, None, level)
        assert abs(default - alphas[level]) < 1e-12, (name, level, default, alphas[level])
    indicator = []
    for v in range(n_values):
        binary = np.where(np.isnan(data), np.nan, (data == v).astype(float))
        indicator.append(package_alpha(binary, [0, 1], "nominal"))
    o = _coincidences(_reliability_data_to_value_counts(data, np.array(domain, dtype=float)))
    return {
        "name": name,
        "n_coders": n_coders,
        "n_units": n_units,
        "n_values": n_values,
        "data": [[None if np.isnan(x) else int(x) for x in row] for row in data],
        "alpha": alphas,
        "indicator_nominal": indicator,
        "percent_agreement": float(np.trace(o) / o.sum()),
    }


def random_case(rng, i):
    n_coders = int(rng.integers(2, 6))
    n_units = int(rng.choice([5, 12, 30, 75, 200]))
    n_values = int(rng.integers(2, 9))
    missing = float(rng.choice([0.0, 0.1, 0.25, 0.4]))
    # Coders mostly agree with a per-unit true value; some unobserved categories in the domain.
    used = np.sort(rng.choice(n_values, size=max(2, n_values - int(rng.integers(0, 3))), replace=False))
    truth = rng.choice(used, size=n_units)
    noise = rng.random((n_coders, n_units)) < float(rng.choice([0.1, 0.3, 0.6]))
    data = np.where(noise, rng.choice(used, size=(n_coders, n_units)), truth[np.newaxis, :]).astype(float)
    data[rng.random((n_coders, n_units)) < missing] = np.nan
    name = f"random_{i:02}_c{n_coders}_u{n_units}_v{n_values}_m{int(missing * 100)}"
    return case(name, data, n_values)


def edge_cases():
    nan = np.nan
    cases = {
        # Two coders, two units, two values: the smallest case with a finite alpha.
        "edge_two_by_two": ([[0, 1], [0, 0]], 2),
        # Only one unit is pairable; the others have one value or none.
        "edge_one_pairable_unit": ([[0, 1, nan, nan], [1, nan, nan, 2], [0, nan, nan, nan]], 3),
        # A coder who coded nothing.
        "edge_silent_coder": ([[0, 1, 2, 1, 0], [nan] * 5, [0, 1, 2, 2, 0]], 3),
        # Unobserved categories at the bottom, middle and top of the domain.
        "edge_unobserved_inner": ([[1, 3, 3, 5, 1, 5], [1, 3, 5, 5, 1, 3], [1, nan, 3, 5, 3, 5]], 7),
        # Systematic disagreement: alpha below zero.
        "edge_negative": ([[0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0]], 2),
        # Perfect agreement with missing values.
        "edge_perfect": ([[0, 1, 2, nan, 3], [0, 1, nan, 2, 3], [nan, 1, 2, 2, 3]], 4),
    }
    out = []
    for name, (rows, n_values) in cases.items():
        out.append(case(name, np.array(rows, dtype=float), n_values))
    return out


def build_reference():
    """The whole reference document, as written to OUT (tests/python/test_validation.py
    recomputes it in-process and compares it with the committed file)."""
    rng = np.random.default_rng(20261130)
    cases = [random_case(rng, i) for i in range(12)] + edge_cases()
    return {"package": "krippendorff 0.9.0", "cases": cases}


def main():
    doc = build_reference()
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(doc['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
