#!/usr/bin/env python3
"""Generate tests/data/tfidf_sklearn.json, the scikit-learn parity fixture for
rhetor's TF-IDF vectorizer (src/embed/tfidf.rs).

The fixture holds a small hand-written corpus and, for several parameter
settings, what scikit-learn's ``TfidfVectorizer`` learns and returns on it:
the sorted vocabulary, ``idf_`` (null when ``use_idf=False``), the
``fit_transform`` matrix as COO triplets (row, col, value) with its shape, and
``build_analyzer()``'s features for every text.  Each case's ``params`` are
written in rhetor's own serde format (the ``TfidfParams`` struct), so the Rust
test deserializes them as they are.

Run it from the crate root, in a private virtual environment:

    python3 -m venv /tmp/tfidf-venv
    /tmp/tfidf-venv/bin/pip install scikit-learn
    /tmp/tfidf-venv/bin/python scripts/make_tfidf_fixture.py

It writes tests/data/tfidf_sklearn.json (commit it).  Regenerate it only on
purpose: the Rust test compares against the committed file.
"""

import json
import pathlib
import platform

import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog didn't care!",
    "Café au lait, naïve résumé: the café's crème brûlée costs 4.50 euros.",
    "Die Straße ist lang; STRASSE und Straße sind nicht gleich.",
    "ΟΔΟΣ and Σοφία: Greek words like λόγος, ἦθος and πάθος persuade the café.",
    "snake_case_names and __dunder__ methods: my_var = 42; x_1 + y_2 + _ + a_",
    "Well-known state-of-the-art models re-use e-mail addresses: bob@example.com",
    "2024-01-15: prices rose 3.5% in Q1, 12 of 20 analysts (60%) agreed. The dog!",
    "It is what it is, and that is all there is to it.",
    "Don't stop, won't stop \u2014 can't stop! Rock'n'roll never dies, the dog said.",
    "repeat repeat repeat repeat the the word word word repeat",
    "Tabs\tand\nnewlines\n\n  and   multiple    spaces\t\there,\x1fseparated\u00a0nbsp",
    "Unicode: na\u00efve coo\u0308peration, fa\u00e7ade, \u00c6sir, \u0130stanbul, "
    "\ufb01ne, \u00bd and \u00b2 and \u0663\u0664 digits, \u0939\u093f\u0928\u094d"
    "\u0926\u0940 text, \u24b6\u24b7 circled",
    "",
    "a I x",
]

# Parameter settings, in rhetor's TfidfParams serde format (omitted = default).
CASES = [
    ("defaults", {}),
    (
        "word_1_2_english_sublinear",
        {"ngram_range": [1, 2], "stop_words": "english", "sublinear_tf": True},
    ),
    (
        "min_df_max_df_max_features",
        {"min_df": 2, "max_df": 0.8, "max_features": None},  # max_features set below
    ),
    ("char_wb_2_4", {"analyzer": "char_wb", "ngram_range": [2, 4]}),
    (
        "char_1_3_l1_no_smooth",
        {"analyzer": "char", "ngram_range": [1, 3], "norm": "l1", "smooth_idf": False},
    ),
    (
        "word_custom_stop_words_fraction_min_count_max_no_idf_no_norm",
        {
            "ngram_range": [2, 3],
            "stop_words": ["the", "and", "of"],
            "lowercase": False,
            "min_df": 0.05,
            "max_df": 5,
            "use_idf": False,
            "norm": "none",
        },
    ),
]


def sklearn_kwargs(params):
    kw = dict(params)
    if "ngram_range" in kw:
        kw["ngram_range"] = tuple(kw["ngram_range"])
    if kw.get("norm") == "none":
        kw["norm"] = None
    return kw


def pick_max_features(params):
    """The largest k <= 12 whose cut-off has no tie in corpus term frequency.

    numpy's argsort is not stable, so sklearn's choice among tied terms at
    the cut-off is unspecified; the fixture avoids such ties.
    """
    kw = sklearn_kwargs({k: v for k, v in params.items() if k != "max_features"})
    cv = CountVectorizer(**kw)
    x = cv.fit_transform(CORPUS)
    tfs = np.sort(np.asarray(x.sum(axis=0)).ravel())[::-1]
    for k in range(min(12, len(tfs) - 1), 0, -1):
        if tfs[k - 1] != tfs[k]:
            return k
    raise SystemExit("no tie-free max_features")


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    out = root / "tests" / "data" / "tfidf_sklearn.json"
    cases = []
    for name, params in CASES:
        params = dict(params)
        if "max_features" in params:
            params["max_features"] = pick_max_features(params)
        vec = TfidfVectorizer(**sklearn_kwargs(params))
        x = vec.fit_transform(CORPUS).tocoo()
        vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        assert vocab == sorted(vocab)
        order = np.lexsort((x.col, x.row))
        analyze = vec.build_analyzer()
        cases.append(
            {
                "name": name,
                "params": params,
                "vocabulary": vocab,
                "idf": [float(v) for v in vec.idf_] if vec.use_idf else None,
                "shape": [int(s) for s in x.shape],
                "rows": [int(v) for v in x.row[order]],
                "cols": [int(v) for v in x.col[order]],
                "values": [float(v) for v in x.data[order]],
                "analyzed": [list(analyze(doc)) for doc in CORPUS],
            }
        )
    fixture = {
        "generator": "scripts/make_tfidf_fixture.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "corpus": CORPUS,
        "cases": cases,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(cases)} cases, sklearn {sklearn.__version__})")


if __name__ == "__main__":
    main()
