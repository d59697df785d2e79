#!/usr/bin/env python3
"""Reference embeddings for rhetor's transformer embedder (tests/data/minilm_reference.json).

Embeds ~30 varied sentences with sentence-transformers on the CPU from the *same local folder*
rhetor loads (models/all-MiniLM-L6-v2, installed with rhetor's fetch), with
normalize_embeddings=False so that the folder's own Normalize module does the normalising.

Setup (once; pulls torch from PyPI, several GB):
    python3 -m venv ~/.cache/rhetor-st-venv
    ~/.cache/rhetor-st-venv/bin/pip install sentence-transformers
Run:
    ~/.cache/rhetor-st-venv/bin/python scripts/make_transformer_fixture.py [MODEL_DIR] [OUT]
"""
import hashlib
import json
import os
import platform
import sys

import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("RHETOR_MODELS", os.path.join(ROOT, "models")), "all-MiniLM-L6-v2")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "data", "minilm_reference.json")

LONG_300 = " ".join(
    f"Sentence {i} of a long report discusses budget item {i * 7} and its effects on schools."
    for i in range(1, 21))  # ~330 tokens: over 256
LONG_700 = " ".join(
    f"Paragraph {i}: the committee reviewed testimony, amendments, appropriations and oversight "
    f"findings, then voted {i} to {40 - i} on the measure." for i in range(1, 31))  # over 512

SENTENCES = [
    "The cat sat on the mat.",
    "Hi",
    "a",
    "Parliament passed the budget after a long and bitter debate about taxes.",
    "The central bank raised interest rates by 25 basis points to fight inflation.",
    "I love this phone, but the battery life is terrible.",
    "Climate change threatens coastal cities with rising sea levels.",
    "Immigration reform remains stalled in Congress.",
    "What time is it?",
    "THIS IS ALL IN CAPITAL LETTERS!!!",
    "   leading and trailing whitespace   ",
    "Line one.\nLine two.\tTabbed.",
    "Café au lait, naïve façade, jalapeño — résumé.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "مرحبا بالعالم",
    "Emoji time 🎉🔥😀 great party!",
    "🎉🔥😀",
    "!!! ??? ... ;;; ---",
    "...",
    "$100,000 in 2024 (up 3.5%) — see https://example.com/report?id=42.",
    "e-mail: someone@example.org, phone +1-555-0100",
    "Don't you think it's a bit odd that they'd've left?",
    "The quick brown fox jumps over the lazy dog. " * 5,
    "Health care costs keep rising; insurers blame drug prices, hospitals blame insurers.",
    "Voters in rural districts worried about jobs, not about the culture war.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    LONG_300,
    LONG_700,
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    torch.manual_seed(0)
    model = SentenceTransformer(MODEL_DIR, device="cpu")
    emb = model.encode(SENTENCES, batch_size=32, normalize_embeddings=False,
                       convert_to_numpy=True, show_progress_bar=False)
    tok = model.tokenizer
    n_tokens = [len(tok(s, add_special_tokens=True)["input_ids"]) for s in SENTENCES]
    out = {
        "model_dir_name": os.path.basename(os.path.normpath(MODEL_DIR)),
        "model_safetensors_sha256": sha256(os.path.join(MODEL_DIR, "model.safetensors")),
        "max_seq_length": model.max_seq_length,
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "sentences": SENTENCES,
        "n_tokens_untruncated": n_tokens,
        "embeddings": [[float(x) for x in row] for row in emb],
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(SENTENCES)} sentences, dim {emb.shape[1]}, "
          f"tokens {min(n_tokens)}..{max(n_tokens)}")


if __name__ == "__main__":
    main()
