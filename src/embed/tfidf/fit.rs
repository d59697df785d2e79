//! Fitting: counting the documents chunk by chunk in parallel, merging the chunk
//! vocabularies, document-frequency pruning and idf ([`TfidfValidParams::fit`] and
//! [`TfidfValidParams::fit_transform`]).

use rayon::prelude::*;
use sprs::CsMat;

use super::analyzer::{Engine, Scratch};
use super::fitted::{assemble, FittedTfidf, RowBlock};
use super::hash::{FxHasher, FxMap};
use super::params::{TfidfError, TfidfValidParams};
use std::hash::Hasher;

/// Maximum number of documents tokenised as one unit of parallel work.
const MAX_CHUNK_DOCS: usize = 4096;
/// Chunks of documents per rayon thread (the chunking never changes the
/// output: counts are integers and every float is computed per row).
const CHUNKS_PER_THREAD: usize = 4;

impl TfidfValidParams {
    /// Learn the vocabulary and idf from `docs`.
    pub fn fit(&self, docs: &[&str]) -> Result<FittedTfidf, TfidfError> {
        self.fit_impl(docs, false, &crate::progress::NoProgress)
            .map(|(fitted, _)| fitted)
    }

    /// Learn the vocabulary and idf from `docs` and return their TF-IDF matrix
    /// (CSR, one row per document), with a single tokenisation pass.
    pub fn fit_transform(&self, docs: &[&str]) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        self.fit_transform_with_progress(docs, &crate::progress::NoProgress)
    }

    /// [`fit_transform`](Self::fit_transform), reporting one unit per tokenised document to
    /// `progress` (the result does not depend on it).
    pub fn fit_transform_with_progress(
        &self,
        docs: &[&str],
        progress: &dyn crate::progress::Progress,
    ) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        self.fit_rows(docs, true, progress)
    }

    /// Learn the vocabulary and idf from `docs` and return their raw term counts (as
    /// [`FittedTfidf::counts`]), with a single tokenisation pass.
    pub fn fit_counts(&self, docs: &[&str]) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        self.fit_rows(docs, false, &crate::progress::NoProgress)
    }

    /// Fits, then turns the counts of the fitting pass into rows: TF-IDF when `weighted`,
    /// else raw counts.
    fn fit_rows(
        &self,
        docs: &[&str],
        weighted: bool,
        progress: &dyn crate::progress::Progress,
    ) -> Result<(FittedTfidf, CsMat<f64>), TfidfError> {
        let (fitted, chunks) = self.fit_impl(docs, true, progress)?;
        let rows: Vec<RowBlock> = chunks
            .par_iter()
            .map(|chunk| {
                let mut block = RowBlock::default();
                let mut row: Vec<(u32, u32)> = Vec::new();
                for d in 0..chunk.doc_ptr.len() - 1 {
                    row.clear();
                    for k in chunk.doc_ptr[d]..chunk.doc_ptr[d + 1] {
                        let col = chunk.ids[k];
                        if col != DROPPED {
                            row.push((col, chunk.counts[k]));
                        }
                    }
                    fitted.push_row(&mut row, &mut block, weighted);
                }
                block
            })
            .collect();
        let matrix = assemble(rows, docs.len(), fitted.vocabulary.len());
        Ok((fitted, matrix))
    }

    /// Count, prune and compute idf; returns the fitted vectorizer and, when
    /// `with_counts`, the chunk counts with their ids turned into columns
    /// ([`DROPPED`] for pruned terms).
    fn fit_impl(
        &self,
        docs: &[&str],
        with_counts: bool,
        progress: &dyn crate::progress::Progress,
    ) -> Result<(FittedTfidf, Vec<ChunkCounts>), TfidfError> {
        let p = &self.0;
        let n_docs = docs.len();
        if n_docs == 0 {
            return Err(TfidfError::NoDocuments);
        }
        let engine = Engine::new(p);
        let chunk_len = chunk_len(n_docs);
        let mut chunks: Vec<ChunkCounts> = docs
            .par_chunks(chunk_len)
            .map(|c| {
                let counts = count_chunk(&engine, c);
                progress.inc(c.len() as u64);
                counts
            })
            .collect();

        let Merged {
            terms,
            df,
            tf,
            remaps,
        } = merge_chunks(&chunks);
        if terms.is_empty() {
            return Err(TfidfError::NoTerms {
                n_docs,
                analyzer: p.analyzer,
            });
        }

        // Document-frequency pruning, as CountVectorizer._limit_features.
        let max_doc_count = p.max_df.resolve(n_docs);
        let min_doc_count = p.min_df.resolve(n_docs);
        if max_doc_count < min_doc_count {
            return Err(TfidfError::DfBoundsConflict {
                min_df: p.min_df,
                max_df: p.max_df,
                min_doc_count,
                max_doc_count,
                n_docs,
            });
        }
        let mut kept: Vec<u32> = (0..terms.len() as u32)
            .filter(|&g| {
                let d = df[g as usize] as f64;
                d <= max_doc_count && d >= min_doc_count
            })
            .collect();
        if let Some(limit) = p.max_features {
            if kept.len() > limit {
                // Highest corpus frequency first; ties: alphabetically first.
                kept.par_sort_unstable_by(|&a, &b| {
                    tf[b as usize]
                        .cmp(&tf[a as usize])
                        .then_with(|| terms[a as usize].cmp(terms[b as usize]))
                });
                kept.truncate(limit);
            }
        }
        if kept.is_empty() {
            return Err(TfidfError::EmptyVocabulary {
                min_df: p.min_df,
                max_df: p.max_df,
                n_docs,
            });
        }
        // Terms are unique, so the unstable sort is deterministic.
        kept.par_sort_unstable_by(|&a, &b| terms[a as usize].cmp(terms[b as usize]));

        let mut col_of = vec![DROPPED; terms.len()];
        for (c, &g) in kept.iter().enumerate() {
            col_of[g as usize] = c as u32;
        }
        let vocabulary: Vec<String> = kept.iter().map(|&g| terms[g as usize].to_owned()).collect();
        let idf: Vec<f64> = kept
            .iter()
            .map(|&g| idf_value(df[g as usize], n_docs, p.use_idf, p.smooth_idf))
            .collect();
        drop(terms);

        if with_counts {
            // Turn the chunk-local ids into columns (for fit_transform).
            chunks
                .par_iter_mut()
                .zip(remaps.par_iter())
                .for_each(|(chunk, remap)| {
                    for id in &mut chunk.ids {
                        let g = remap[*id as usize];
                        *id = if g == DROPPED {
                            DROPPED
                        } else {
                            col_of[g as usize]
                        };
                    }
                    chunk.terms = Vec::new();
                });
        } else {
            chunks.clear();
        }

        let fitted = FittedTfidf::build(p.clone(), vocabulary, idf, n_docs);
        Ok((fitted, chunks))
    }
}

/// idf of a term found in `df` of `n` documents (scikit-learn's
/// `TfidfTransformer.fit`); 1 when `use_idf` is off.
fn idf_value(df: u64, n: usize, use_idf: bool, smooth: bool) -> f64 {
    if !use_idf {
        return 1.0;
    }
    let s = if smooth { 1.0 } else { 0.0 };
    ((n as f64 + s) / (df as f64 + s)).ln() + 1.0
}

/// Documents per chunk of parallel work.
pub(super) fn chunk_len(n_docs: usize) -> usize {
    let chunks = rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD;
    n_docs.div_ceil(chunks).clamp(1, MAX_CHUNK_DOCS)
}

const DROPPED: u32 = u32::MAX;

/// Number of hash shards the chunk vocabularies are merged in (in parallel).
const MERGE_SHARDS: usize = 32;

/// The chunk vocabularies merged: merged term ids, their document and corpus
/// frequencies, and each chunk's local id → merged id map.
struct Merged<'a> {
    terms: Vec<&'a str>,
    df: Vec<u64>,
    tf: Vec<u64>,
    remaps: Vec<Vec<u32>>,
}

/// Merge the chunk vocabularies, sharded by term hash; each shard walks the
/// chunks in order, so the result does not depend on the thread count.
/// Terms found in no document of a chunk (flagged stop words) are skipped.
fn merge_chunks(chunks: &[ChunkCounts]) -> Merged<'_> {
    let shard_of = |t: &str| {
        let mut h = FxHasher::default();
        h.write(t.as_bytes());
        (h.finish() % MERGE_SHARDS as u64) as usize
    };
    // buckets[chunk][shard] = local ids of that chunk falling in that shard.
    let buckets: Vec<Vec<Vec<u32>>> = chunks
        .par_iter()
        .map(|c| {
            let mut b = vec![Vec::new(); MERGE_SHARDS];
            for (l, t) in c.terms.iter().enumerate() {
                if c.df[l] > 0 {
                    b[shard_of(t)].push(l as u32);
                }
            }
            b
        })
        .collect();
    struct Shard<'a> {
        terms: Vec<&'a str>,
        df: Vec<u64>,
        tf: Vec<u64>,
        /// Per chunk, the shard-local id of each of `buckets[chunk][shard]`.
        ids: Vec<Vec<u32>>,
    }
    let shards: Vec<Shard<'_>> = (0..MERGE_SHARDS)
        .into_par_iter()
        .map(|s| {
            let mut index: FxMap<&str, u32> = FxMap::default();
            let mut shard = Shard {
                terms: Vec::new(),
                df: Vec::new(),
                tf: Vec::new(),
                ids: Vec::with_capacity(chunks.len()),
            };
            for (c, chunk) in chunks.iter().enumerate() {
                let locals = &buckets[c][s];
                let mut ids = Vec::with_capacity(locals.len());
                for &l in locals {
                    let term: &str = &chunk.terms[l as usize];
                    let id = *index.entry(term).or_insert_with(|| {
                        shard.terms.push(term);
                        shard.df.push(0);
                        shard.tf.push(0);
                        (shard.terms.len() - 1) as u32
                    });
                    shard.df[id as usize] += chunk.df[l as usize];
                    shard.tf[id as usize] += chunk.tf[l as usize];
                    ids.push(id);
                }
                shard.ids.push(ids);
            }
            shard
        })
        .collect();
    let mut base = Vec::with_capacity(MERGE_SHARDS);
    let mut merged = Merged {
        terms: Vec::new(),
        df: Vec::new(),
        tf: Vec::new(),
        remaps: Vec::new(),
    };
    for shard in &shards {
        base.push(merged.terms.len() as u32);
        merged.terms.extend_from_slice(&shard.terms);
        merged.df.extend_from_slice(&shard.df);
        merged.tf.extend_from_slice(&shard.tf);
    }
    merged.remaps = chunks
        .par_iter()
        .enumerate()
        .map(|(c, chunk)| {
            let mut remap = vec![DROPPED; chunk.terms.len()];
            for (s, shard) in shards.iter().enumerate() {
                for (&l, &id) in buckets[c][s].iter().zip(&shard.ids[c]) {
                    remap[l as usize] = base[s] + id;
                }
            }
            remap
        })
        .collect();
    merged
}

// ---------------------------------------------------------------------------
// Counting
// ---------------------------------------------------------------------------

/// Term counts of one chunk of documents, with chunk-local term ids.
struct ChunkCounts {
    /// Local id → term.
    terms: Vec<Box<str>>,
    /// Local id → number of documents of the chunk holding it.
    df: Vec<u64>,
    /// Local id → occurrences in the chunk.
    tf: Vec<u64>,
    /// Document `d`'s entries are `doc_ptr[d]..doc_ptr[d + 1]`.
    doc_ptr: Vec<usize>,
    /// Entry → term id.
    ids: Vec<u32>,
    /// Entry → count in its document.
    counts: Vec<u32>,
}

fn count_chunk(engine: &Engine, docs: &[&str]) -> ChunkCounts {
    let mut map: FxMap<Box<str>, u32> = FxMap::default();
    let mut dense: Vec<u32> = Vec::new();
    let mut touched: Vec<u32> = Vec::new();
    let mut scratch = Scratch::default();
    let mut df: Vec<u64> = Vec::new();
    let mut tf: Vec<u64> = Vec::new();
    let mut doc_ptr = Vec::with_capacity(docs.len() + 1);
    let mut ids = Vec::new();
    let mut counts = Vec::new();
    // Unigram words: stop words are interned once per chunk and flagged,
    // instead of a stop-list lookup per token.
    let defer_stop = engine.stop.is_some() && engine.unigram_words();
    let mut stop_flag: Vec<bool> = Vec::new();
    doc_ptr.push(0);
    for doc in docs {
        engine.for_each_feature(doc, &mut scratch, !defer_stop, &mut |f| {
            let id = match map.get(f) {
                Some(&id) => id,
                None => {
                    let id = dense.len() as u32;
                    map.insert(f.into(), id);
                    dense.push(0);
                    stop_flag.push(defer_stop && engine.is_stop(f));
                    id
                }
            };
            if stop_flag[id as usize] {
                return;
            }
            let n = &mut dense[id as usize];
            if *n == 0 {
                touched.push(id);
            }
            *n = n.saturating_add(1);
        });
        df.resize(dense.len(), 0);
        tf.resize(dense.len(), 0);
        for &id in &touched {
            let n = std::mem::take(&mut dense[id as usize]);
            df[id as usize] += 1;
            tf[id as usize] += u64::from(n);
            ids.push(id);
            counts.push(n);
        }
        touched.clear();
        doc_ptr.push(ids.len());
    }
    let mut terms: Vec<Box<str>> = vec![Box::from(""); map.len()];
    for (t, id) in map {
        terms[id as usize] = t;
    }
    ChunkCounts {
        terms,
        df,
        tf,
        doc_ptr,
        ids,
        counts,
    }
}
