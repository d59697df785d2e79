//! The fitted vectorizer [`FittedTfidf`]: vocabulary, idf, serde, and the transform of new
//! texts into CSR rows.

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};
use sprs::CsMat;

use super::analyzer::{Engine, Scratch};
use super::fit::chunk_len;
use super::hash::FxMap;
use super::params::{Norm, TfidfParams};

/// Version of the serialized [`FittedTfidf`] format.
pub const FORMAT_VERSION: u32 = 1;

// ---------------------------------------------------------------------------
// Fitted vectorizer
// ---------------------------------------------------------------------------

/// A fitted TF-IDF vectorizer: parameters, sorted vocabulary and idf.
#[derive(Clone, Debug, Serialize)]
pub struct FittedTfidf {
    format_version: u32,
    params: TfidfParams,
    n_docs: usize,
    pub(super) vocabulary: Vec<String>,
    idf: Vec<f64>,
    #[serde(skip)]
    lookup: Lookup,
}

/// Term → column map and tokeniser, rebuilt after deserialization.
#[derive(Clone, Debug)]
struct Lookup {
    engine: Engine,
    columns: FxMap<Box<str>, u32>,
    /// Whether `transform` must filter stop words: not for unigram words when
    /// no vocabulary term is a stop word (they are then simply unknown).
    apply_stop: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FittedTfidfRepr {
    format_version: u32,
    params: TfidfParams,
    n_docs: usize,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

impl<'de> Deserialize<'de> for FittedTfidf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let r = FittedTfidfRepr::deserialize(d)?;
        if r.format_version != FORMAT_VERSION {
            return Err(D::Error::custom(format!(
                "unsupported TF-IDF format_version {} (this build reads {FORMAT_VERSION})",
                r.format_version
            )));
        }
        r.params.check().map_err(D::Error::custom)?;
        if r.vocabulary.len() != r.idf.len() {
            return Err(D::Error::custom(format!(
                "TF-IDF vocabulary has {} terms but idf has {} values",
                r.vocabulary.len(),
                r.idf.len()
            )));
        }
        if r.vocabulary.windows(2).any(|w| w[0] >= w[1]) {
            return Err(D::Error::custom(
                "TF-IDF vocabulary must be sorted and without duplicates",
            ));
        }
        Ok(FittedTfidf::build(r.params, r.vocabulary, r.idf, r.n_docs))
    }
}

impl FittedTfidf {
    pub(super) fn build(
        params: TfidfParams,
        vocabulary: Vec<String>,
        idf: Vec<f64>,
        n_docs: usize,
    ) -> Self {
        let engine = Engine::new(&params);
        let apply_stop = !engine.unigram_words() || vocabulary.iter().any(|t| engine.is_stop(t));
        let mut columns = FxMap::with_capacity_and_hasher(vocabulary.len(), Default::default());
        for (c, t) in vocabulary.iter().enumerate() {
            columns.insert(Box::<str>::from(t.as_str()), c as u32);
        }
        FittedTfidf {
            format_version: FORMAT_VERSION,
            params,
            n_docs,
            vocabulary,
            idf,
            lookup: Lookup {
                engine,
                columns,
                apply_stop,
            },
        }
    }

    /// TF-IDF matrix of `docs` over the fitted vocabulary: CSR, one row per
    /// document, column indices sorted within each row; unknown terms are
    /// ignored.
    pub fn transform(&self, docs: &[&str]) -> CsMat<f64> {
        self.rows(docs, true)
    }

    /// Raw term counts of `docs` over the fitted vocabulary (no sublinear tf,
    /// no idf, no normalisation), CSR like [`FittedTfidf::transform`].
    pub fn counts(&self, docs: &[&str]) -> CsMat<f64> {
        self.rows(docs, false)
    }

    /// The vocabulary, sorted; term `j` is column `j`.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The idf of each vocabulary term (all 1.0 when `use_idf` is false).
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The parameters the vectorizer was fitted with.
    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    /// Number of documents the vectorizer was fitted on.
    pub fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// Version of the serialized format ([`FORMAT_VERSION`]).
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// Column of `term` in the vocabulary, if present.
    pub fn column(&self, term: &str) -> Option<usize> {
        self.lookup.columns.get(term).map(|&c| c as usize)
    }

    /// The features of one text, in order and with repeats, as scikit-learn's
    /// `build_analyzer()` returns them (whether in the vocabulary or not).
    pub fn analyze(&self, doc: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        self.lookup
            .engine
            .for_each_feature(doc, &mut scratch, true, &mut |f| out.push(f.to_owned()));
        out
    }

    fn rows(&self, docs: &[&str], weighted: bool) -> CsMat<f64> {
        let engine = &self.lookup.engine;
        let columns = &self.lookup.columns;
        let apply_stop = self.lookup.apply_stop;
        let blocks: Vec<RowBlock> = docs
            .par_chunks(chunk_len(docs.len()))
            .map(|chunk| {
                let mut block = RowBlock::default();
                let mut scratch = Scratch::default();
                let mut dense: Vec<u32> = vec![0; self.vocabulary.len()];
                let mut touched: Vec<u32> = Vec::new();
                let mut row: Vec<(u32, u32)> = Vec::new();
                for doc in chunk {
                    engine.for_each_feature(doc, &mut scratch, apply_stop, &mut |f| {
                        if let Some(&c) = columns.get(f) {
                            let n = &mut dense[c as usize];
                            if *n == 0 {
                                touched.push(c);
                            }
                            *n = n.saturating_add(1);
                        }
                    });
                    row.clear();
                    for &c in &touched {
                        row.push((c, std::mem::take(&mut dense[c as usize])));
                    }
                    touched.clear();
                    self.push_row(&mut row, &mut block, weighted);
                }
                block
            })
            .collect();
        assemble(blocks, docs.len(), self.vocabulary.len())
    }

    /// Sort one row's `(column, count)` entries, weight and normalise them
    /// (when `weighted`), and append them to `block`.
    pub(super) fn push_row(&self, row: &mut [(u32, u32)], block: &mut RowBlock, weighted: bool) {
        row.sort_unstable_by_key(|&(c, _)| c);
        let start = block.data.len();
        let p = &self.params;
        for &(c, n) in row.iter() {
            let mut v = n as f64;
            if weighted {
                if p.sublinear_tf {
                    v = v.ln() + 1.0;
                }
                if p.use_idf {
                    v *= self.idf[c as usize];
                }
            }
            block.indices.push(c as usize);
            block.data.push(v);
        }
        if weighted {
            let vals = &mut block.data[start..];
            let norm = match p.norm {
                Norm::None => 0.0,
                Norm::L2 => vals.iter().fold(0.0, |s, v| s + v * v).sqrt(),
                Norm::L1 => vals.iter().fold(0.0, |s, v| s + v.abs()),
            };
            if norm != 0.0 {
                for v in vals {
                    *v /= norm;
                }
            }
        }
        block.row_nnz.push(row.len());
    }
}

#[derive(Default)]
pub(super) struct RowBlock {
    indices: Vec<usize>,
    data: Vec<f64>,
    row_nnz: Vec<usize>,
}

pub(super) fn assemble(blocks: Vec<RowBlock>, n_rows: usize, n_cols: usize) -> CsMat<f64> {
    let nnz: usize = blocks.iter().map(|b| b.data.len()).sum();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for b in blocks {
        for n in b.row_nnz {
            indptr.push(indptr[indptr.len() - 1] + n);
        }
        indices.extend_from_slice(&b.indices);
        data.extend_from_slice(&b.data);
    }
    debug_assert_eq!(indptr.len(), n_rows + 1);
    CsMat::new((n_rows, n_cols), indptr, indices, data)
}
