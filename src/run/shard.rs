//! Sharded apply: `rhetor apply BUNDLE CORPUS --shard I/N --out PARTS` embeds the I-th of N
//! deterministic slices of the corpus and writes one part; `rhetor merge PARTS --out RUN`
//! checks that the N parts are all there, come from one bundle, corpus and configuration and
//! tile the corpus, then writes the run. The run is byte-identical to `rhetor apply` without
//! shards: the merge repeats the cheap steps (loading, segmenting, TF-IDF rows, nearest
//! topic, labels, comparison, report) and takes the expensive one — the paragraph vectors —
//! from the parts.
//!
//! Slices are whole documents, consecutive in corpus order, balanced by paragraph count:
//! document `d` goes to shard `⌊s_d · N / P⌋ + 1`, where `s_d` is the index of its first
//! paragraph and `P` the number of paragraphs. Every shard segments the whole corpus (cheap)
//! so that its paragraphs are exactly those an unsharded apply has.
//!
//! A part is a folder `part-IIII-of-NNNN` holding `part.json` ([`PartManifest`]) and
//! `embedding.f32` (the slice's vectors, row-major little-endian f32, its sha256 in
//! `part.json`).

use super::manifest::{EmbedDetails, ReduceDetails};
use super::stages::{self, Given};
use super::{apply_config, load, new_ctx, AppliedBundle, RunOptions, RunSummary};
use crate::bundle;
use crate::config::Config;
use crate::corpus::sha256_hex;
use crate::error::Error;
use crate::export::{self, RunDir};
use crate::progress::Progress;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `format` of `part.json`.
pub const PART_FORMAT: &str = "rhetor-part";
/// Version of the part format.
pub const PART_FORMAT_VERSION: u32 = 1;
/// The manifest of a part.
pub const PART_MANIFEST: &str = "part.json";
/// The vectors of a part.
pub const PART_EMBEDDING: &str = "embedding.f32";

/// Which slice: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Parses `I/N` with 1 ≤ I ≤ N (Slurm's `${SLURM_ARRAY_TASK_ID}/N` with `--array=1-N`).
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("'{s}' is not a shard: give I/N with 1 ≤ I ≤ N, e.g. --shard 2/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The part's folder name, `part-IIII-of-NNNN`.
    pub fn folder(&self) -> String {
        format!("part-{:04}-of-{:04}", self.index, self.count)
    }
}

/// A part's `part.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartManifest {
    /// Always `rhetor-part`.
    pub format: String,
    /// [`PART_FORMAT_VERSION`].
    pub format_version: u32,
    /// The rhetor that wrote it.
    pub rhetor_version: String,
    /// This shard, 1-based.
    pub shard: usize,
    /// Number of shards.
    pub shards: usize,
    /// The bundle directory as given to `apply`.
    pub bundle: String,
    /// sha256 of the bundle's `bundle.json`.
    pub bundle_sha256: String,
    /// The corpus as given to `apply`.
    pub corpus: String,
    /// Identity of the whole segmented corpus: the `run_id` (hash of every paragraph's
    /// document id, number and text) a run of it has.
    pub corpus_id: String,
    /// The configuration `apply` was given (reading the corpus, grouping, comparison,
    /// output, seed); the merge uses it.
    pub config: Config,
    /// Documents of the corpus.
    pub documents: usize,
    /// Paragraphs of the corpus.
    pub paragraphs: usize,
    /// First document of this slice (index in corpus order).
    pub doc_start: usize,
    /// One past its last document.
    pub doc_end: usize,
    /// First paragraph of this slice (index in corpus order).
    pub start: usize,
    /// One past its last paragraph.
    pub end: usize,
    /// Hash of this slice's paragraphs (as `corpus_id`).
    pub slice_id: String,
    /// Columns of `embedding.f32`.
    pub dimension: usize,
    /// sha256 of `embedding.f32`.
    pub embedding_sha256: String,
    /// The embed stage on this slice.
    pub embed: Option<EmbedDetails>,
    /// The reduction on this slice.
    pub reduce: Option<ReduceDetails>,
    /// Seconds per stage.
    pub timings_s: std::collections::BTreeMap<String, f64>,
}

/// Why parts cannot be written or merged.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// The parts folder cannot be read.
    #[error("cannot read the parts folder '{path}': {message}")]
    Read {
        /// Folder or file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A part is not one rhetor wrote, or is damaged.
    #[error("part '{path}': {message}")]
    BadPart {
        /// The part folder.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// The parts do not make one corpus.
    #[error("cannot merge '{path}': {message}")]
    Mismatch {
        /// The parts folder.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
}

fn hash_paragraphs(loaded: &super::Loaded, range: std::ops::Range<usize>) -> String {
    let ps = &loaded.seg.paragraphs[range];
    let doc_id: Vec<String> = ps
        .iter()
        .map(|p| loaded.corpus.documents[p.doc].id.clone())
        .collect();
    let para_id: Vec<u32> = ps.iter().map(|p| p.para_id as u32).collect();
    let text: Vec<String> = ps.iter().map(|p| p.para.text.clone()).collect();
    crate::validate::run_data::run_id(&doc_id, &para_id, &text)
}

/// The document range and paragraph range of `shard`.
fn slice(loaded: &super::Loaded, shard: Shard) -> ((usize, usize), (usize, usize)) {
    let n_docs = loaded.corpus.documents.len();
    let p = loaded.seg.paragraphs.len();
    // First paragraph index of every document (documents without paragraphs get the index
    // of the next paragraph).
    let mut first = vec![p; n_docs];
    for (i, r) in loaded.seg.paragraphs.iter().enumerate().rev() {
        first[r.doc] = i;
    }
    for d in (0..n_docs.saturating_sub(1)).rev() {
        first[d] = first[d].min(first[d + 1]);
    }
    let shard_of = |d: usize| ((first[d] * shard.count) / p.max(1)).min(shard.count - 1) + 1;
    let docs: Vec<usize> = (0..n_docs)
        .filter(|&d| shard_of(d) == shard.index)
        .collect();
    let (ds, de) = match (docs.first(), docs.last()) {
        (Some(&a), Some(&b)) => (a, b + 1),
        _ => {
            // An empty slice sits where its documents would start.
            let at = (0..n_docs)
                .find(|&d| shard_of(d) > shard.index)
                .unwrap_or(n_docs);
            (at, at)
        }
    };
    let start = loaded.seg.paragraphs.partition_point(|r| r.doc < ds);
    let end = loaded.seg.paragraphs.partition_point(|r| r.doc < de);
    ((ds, de), (start, end))
}

fn bundle_sha256(bundle_dir: &Path) -> Result<String, Error> {
    let path = bundle_dir.join(bundle::MANIFEST);
    let bytes =
        std::fs::read(&path).map_err(|source| bundle::BundleError::Read { path, source })?;
    Ok(sha256_hex(&bytes))
}

/// What a finished shard reports back.
#[derive(Clone, Debug)]
pub struct ShardSummary {
    /// The part folder written.
    pub out: PathBuf,
    /// Its manifest.
    pub part: PartManifest,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// Applies the bundle's embed stage to shard `shard` of the corpus and writes the part
/// `parts_dir/part-IIII-of-NNNN` (refused if it exists, unless `opts.force`).
pub fn apply_shard(
    bundle_dir: &Path,
    corpus_path: &Path,
    own: &Config,
    parts_dir: &Path,
    shard: Shard,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<ShardSummary, Error> {
    export::check_no_overlap(corpus_path, parts_dir, "corpus")?;
    export::check_no_overlap(bundle_dir, parts_dir, "bundle")?;
    if opts.coded.is_some() {
        return Err(crate::validate::ValidateError::Params(
            "--coded goes to `rhetor merge`, which writes the run; a shard writes only its part"
                .into(),
        )
        .into());
    }
    let b = bundle::read(bundle_dir)?;
    let cfg = apply_config(&b, own)?;
    let bundle_sha256 = bundle_sha256(bundle_dir)?;
    let out = parts_dir.join(shard.folder());
    let dir = RunDir::create(&out, opts.force)?;
    let mut ctx = new_ctx(progress, dir.notes());
    let loaded = load(corpus_path, &cfg, &mut ctx)?;
    let ((doc_start, doc_end), (start, end)) = slice(&loaded, shard);
    let texts: Vec<&str> = loaded.seg.paragraphs[start..end]
        .iter()
        .map(|p| p.para.text.as_str())
        .collect();
    let (embedding, dimension) = if texts.is_empty() {
        (Vec::new(), 0)
    } else {
        let v = stages::embed_apply(&b, &texts, &mut ctx)?;
        let dim = v.embedding.ncols();
        let mut bytes = Vec::with_capacity(4 * v.embedding.len());
        for x in v.embedding.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        (bytes, dim)
    };
    dir.write_bytes(PART_EMBEDDING, &embedding)?;
    let part = PartManifest {
        format: PART_FORMAT.into(),
        format_version: PART_FORMAT_VERSION,
        rhetor_version: crate::VERSION.into(),
        shard: shard.index,
        shards: shard.count,
        bundle: bundle_dir.display().to_string(),
        bundle_sha256,
        corpus: corpus_path.display().to_string(),
        corpus_id: hash_paragraphs(&loaded, 0..loaded.seg.paragraphs.len()),
        config: own.clone(),
        documents: loaded.corpus.documents.len(),
        paragraphs: loaded.seg.paragraphs.len(),
        doc_start,
        doc_end,
        start,
        end,
        slice_id: hash_paragraphs(&loaded, start..end),
        dimension,
        embedding_sha256: sha256_hex(&embedding),
        embed: ctx.details.embed.clone(),
        reduce: ctx.details.reduce.clone(),
        timings_s: ctx.timer.0.clone(),
    };
    dir.write_json(PART_MANIFEST, &part)?;
    let out = dir.commit()?;
    Ok(ShardSummary {
        out,
        part,
        warnings: ctx.warnings,
    })
}

/// Reads every part of `parts_dir` and checks that they make one whole corpus.
pub fn read_parts(parts_dir: &Path) -> Result<Vec<(PathBuf, PartManifest)>, ShardError> {
    let rd = |e: std::io::Error| ShardError::Read {
        path: parts_dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut folders: Vec<PathBuf> = std::fs::read_dir(parts_dir)
        .map_err(rd)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("part-"))
        })
        .collect();
    folders.sort();
    let mismatch = |message: String| ShardError::Mismatch {
        path: parts_dir.to_path_buf(),
        message,
    };
    if folders.is_empty() {
        return Err(mismatch(
            "it holds no part (folders part-IIII-of-NNNN written by `rhetor apply --shard I/N --out PARTS`)".into(),
        ));
    }
    let mut parts = Vec::with_capacity(folders.len());
    for f in folders {
        let path = f.join(PART_MANIFEST);
        let bad = |message: String| ShardError::BadPart {
            path: f.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            bad(format!(
                "{e} reading {PART_MANIFEST}: the shard did not finish; run it again"
            ))
        })?;
        let m: PartManifest = serde_json::from_str(&text)
            .map_err(|e| bad(format!("{PART_MANIFEST} is not one rhetor wrote: {e}")))?;
        if m.format != PART_FORMAT || m.format_version != PART_FORMAT_VERSION {
            return Err(bad(format!(
                "format {} version {}; this rhetor merges {PART_FORMAT} version {PART_FORMAT_VERSION}",
                m.format, m.format_version
            )));
        }
        let expected = Shard {
            index: m.shard,
            count: m.shards,
        }
        .folder();
        if f.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
            return Err(bad(format!(
                "its {PART_MANIFEST} says shard {}/{}, which belongs in '{expected}'",
                m.shard, m.shards
            )));
        }
        parts.push((f, m));
    }
    let first = parts[0].1.clone();
    for (f, m) in &parts[1..] {
        let differs = |what: &str, a: &str, b: &str| {
            mismatch(format!(
                "'{}' has {what} {b}, '{}' has {a}: every part must come from the same `rhetor apply` command with its own --shard; write the parts into separate folders",
                f.display(),
                parts[0].0.display()
            ))
        };
        if m.shards != first.shards {
            return Err(differs(
                "shard count",
                &first.shards.to_string(),
                &m.shards.to_string(),
            ));
        }
        if m.bundle_sha256 != first.bundle_sha256 {
            return Err(differs(
                "bundle",
                &format!("'{}' ({})", first.bundle, &first.bundle_sha256[..12]),
                &format!("'{}' ({})", m.bundle, &m.bundle_sha256[..12]),
            ));
        }
        if m.corpus_id != first.corpus_id {
            return Err(differs(
                "corpus",
                &format!("'{}' (id {})", first.corpus, first.corpus_id),
                &format!("'{}' (id {})", m.corpus, m.corpus_id),
            ));
        }
        if m.config != first.config || m.bundle != first.bundle || m.corpus != first.corpus {
            return Err(differs(
                "settings",
                "other settings (config, bundle or corpus path)",
                "different ones",
            ));
        }
        if m.rhetor_version != first.rhetor_version {
            return Err(differs(
                "rhetor version",
                &first.rhetor_version,
                &m.rhetor_version,
            ));
        }
    }
    let n = first.shards;
    let have: Vec<usize> = parts.iter().map(|(_, m)| m.shard).collect();
    let missing: Vec<String> = (1..=n)
        .filter(|i| !have.contains(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(mismatch(format!(
            "{} of {n} parts are missing: shard(s) {} (run `rhetor apply … --shard I/{n}` for each; with Slurm: sbatch --array={} …)",
            missing.len(),
            missing.join(", "),
            missing.join(",")
        )));
    }
    // Sorted by folder name = by shard: the slices must tile the corpus.
    let mut at = 0;
    for (f, m) in &parts {
        if m.start != at || m.end < m.start {
            return Err(ShardError::BadPart {
                path: f.clone(),
                message: format!(
                    "it covers paragraphs {}..{}, expected to start at {at}: the parts overlap or leave a gap",
                    m.start, m.end
                ),
            });
        }
        at = m.end;
    }
    if at != first.paragraphs {
        return Err(mismatch(format!(
            "the parts cover {at} of the corpus's {} paragraphs",
            first.paragraphs
        )));
    }
    Ok(parts)
}

/// Reads a part's vectors, checking their hash and shape.
fn read_embedding(folder: &Path, m: &PartManifest) -> Result<Vec<f32>, ShardError> {
    let path = folder.join(PART_EMBEDDING);
    let bad = |message: String| ShardError::BadPart {
        path: folder.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| bad(format!("{e} reading {PART_EMBEDDING}; run the shard again")))?;
    if sha256_hex(&bytes) != m.embedding_sha256 {
        return Err(bad(format!(
            "{PART_EMBEDDING} does not match the sha256 in {PART_MANIFEST} (changed or truncated); run the shard again"
        )));
    }
    let rows = m.end - m.start;
    if bytes.len() != 4 * rows * m.dimension {
        return Err(bad(format!(
            "{PART_EMBEDDING} has {} bytes, not {rows} × {} f32",
            bytes.len(),
            m.dimension
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Merges the parts in `parts_dir` into the run directory `out`: the same run `rhetor apply`
/// of the bundle and corpus the parts name would write.
pub fn merge(
    parts_dir: &Path,
    out: &Path,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunSummary, Error> {
    export::check_no_overlap(parts_dir, out, "parts folder")?;
    let parts = read_parts(parts_dir)?;
    let first = parts[0].1.clone();
    let bundle_dir = PathBuf::from(&first.bundle);
    let corpus_path = PathBuf::from(&first.corpus);
    export::check_no_overlap(&corpus_path, out, "corpus")?;
    export::check_no_overlap(&bundle_dir, out, "bundle")?;
    super::check_coded(opts, out, super::Stages::All)?;
    let b = bundle::read(&bundle_dir)?;
    let sha = bundle_sha256(&bundle_dir)?;
    if sha != first.bundle_sha256 {
        return Err(ShardError::Mismatch {
            path: parts_dir.to_path_buf(),
            message: format!(
                "the bundle '{}' changed since the parts were written (sha256 of bundle.json {} now, {} then); apply the shards again",
                first.bundle,
                &sha[..12],
                &first.bundle_sha256[..12]
            ),
        }
        .into());
    }
    let cfg = apply_config(&b, &first.config)?;
    let applied = AppliedBundle {
        path: first.bundle.clone(),
        sha256: sha,
        rhetor_version: b.manifest.rhetor_version.clone(),
        fitted_on: b.manifest.fitted_on.clone(),
    };
    let dir = RunDir::create(out, opts.force)?.with_formats(&cfg.config.output.formats);
    let mut ctx = new_ctx(progress, dir.notes());
    let loaded = load(&corpus_path, &cfg, &mut ctx)?;
    let corpus_id = hash_paragraphs(&loaded, 0..loaded.seg.paragraphs.len());
    if corpus_id != first.corpus_id {
        return Err(ShardError::Mismatch {
            path: parts_dir.to_path_buf(),
            message: format!(
                "the corpus '{}' changed since the parts were written (its paragraphs hash to {corpus_id} now, {} then); apply the shards again",
                first.corpus, first.corpus_id
            ),
        }
        .into());
    }
    progress.start("merge", parts.len() as u64);
    let dim = parts
        .iter()
        .find(|(_, m)| m.end > m.start)
        .map_or(0, |(_, m)| m.dimension);
    let mut flat = Vec::with_capacity(loaded.seg.paragraphs.len() * dim);
    for (f, m) in &parts {
        if m.end > m.start && m.dimension != dim {
            return Err(ShardError::BadPart {
                path: f.clone(),
                message: format!("vectors of {} columns, the others have {dim}", m.dimension),
            }
            .into());
        }
        if hash_paragraphs(&loaded, m.start..m.end) != m.slice_id {
            return Err(ShardError::BadPart {
                path: f.clone(),
                message: "its paragraphs are not the corpus's paragraphs at its place; apply the shards again".into(),
            }
            .into());
        }
        flat.extend(read_embedding(f, m)?);
        progress.inc(1);
    }
    progress.finish();
    ctx.timer.lap("merge");
    let embedding =
        Array2::from_shape_vec((loaded.seg.paragraphs.len(), dim), flat).map_err(|e| {
            ShardError::Mismatch {
                path: parts_dir.to_path_buf(),
                message: e.to_string(),
            }
        })?;
    let given = Given {
        embedding,
        embed: merged_details(parts.iter().map(|(_, m)| m)),
    };
    let vectors = stages::embed_apply_given(&b, &loaded.texts(), &mut ctx, Some(given))?;
    super::finish_applied(
        super::Applied {
            command: "merge",
            bundle: &b,
            cfg: &cfg,
            corpus_path: &corpus_path,
            applied,
            opts,
            out,
        },
        dir,
        loaded,
        vectors,
        ctx,
    )
}

/// The embed details of the whole corpus from its parts' (transformer counts add up).
fn merged_details<'a>(parts: impl Iterator<Item = &'a PartManifest>) -> Option<EmbedDetails> {
    let mut out: Option<EmbedDetails> = None;
    for d in parts.filter_map(|m| m.embed.as_ref()) {
        out = Some(match out {
            Some(o) => add_details(o, d),
            None => d.clone(),
        });
    }
    out
}

/// `a`, with `b` added (after "; ") when it is not one of its items already.
fn list_once(a: String, b: &str) -> String {
    if b.is_empty() || a.split("; ").any(|x| x == b) {
        a
    } else if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}

/// The embed details of two parts of a corpus together: the counts added up.
pub(super) fn add_details(a: EmbedDetails, b: &EmbedDetails) -> EmbedDetails {
    match (a, b) {
        (
            EmbedDetails::Transformer {
                model,
                model_dir,
                dimension,
                max_length,
                precision,
                n_truncated,
                n_tokens,
                n_pad_tokens,
                n_cached,
                engine,
                kernel,
                cpu,
                cache,
                tfidf_features_for_topic_terms,
            },
            EmbedDetails::Transformer {
                n_truncated: t,
                n_tokens: k,
                n_pad_tokens: p,
                n_cached: c,
                kernel: k2,
                cpu: c2,
                ..
            },
        ) => EmbedDetails::Transformer {
            model,
            model_dir,
            dimension,
            max_length,
            precision,
            n_truncated: n_truncated + t,
            n_tokens: n_tokens + k,
            n_pad_tokens: n_pad_tokens + p,
            n_cached: n_cached + c,
            engine,
            kernel: list_once(kernel, k2),
            cpu: list_once(cpu, c2),
            cache,
            tfidf_features_for_topic_terms,
        },
        (EmbedDetails::Tfidf { n_features, nnz }, EmbedDetails::Tfidf { nnz: z, .. }) => {
            EmbedDetails::Tfidf {
                n_features,
                nnz: nnz + z,
            }
        }
        (o, _) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shards that ran on different CPUs or kernels list each once, in order of first sight.
    #[test]
    fn merged_kernel_and_cpu_list_each_once() {
        let a = list_once("avx512-f32".into(), "avx512-f32");
        assert_eq!(a, "avx512-f32");
        let b = list_once(a, "avx2-f32");
        assert_eq!(b, "avx512-f32; avx2-f32");
        assert_eq!(list_once(b.clone(), "avx2-f32"), b);
        assert_eq!(list_once(String::new(), "x"), "x");
        assert_eq!(list_once("x".into(), ""), "x");
    }

    #[test]
    fn reservoir_is_uniform_seeded_and_sorted() {
        use super::super::reservoir;
        assert_eq!(reservoir(5, 9, 1), vec![0, 1, 2, 3, 4]);
        assert_eq!(reservoir(100, 10, 7), reservoir(100, 10, 7));
        assert_ne!(reservoir(100, 10, 7), reservoir(100, 10, 8));
        // Each of 20 indices is drawn with probability 5/20: over 4,000 seeds, 1,000 times
        // each, give or take (binomial sd 27).
        let mut counts = [0usize; 20];
        for seed in 0..4000 {
            let r = reservoir(20, 5, seed);
            assert_eq!(r.len(), 5);
            assert!(r.windows(2).all(|w| w[0] < w[1]));
            for i in r {
                counts[i] += 1;
            }
        }
        assert!(
            counts.iter().all(|&c| (880..=1120).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn shard_parses_one_based() {
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        for bad in ["0/3", "4/3", "1", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            Shard {
                index: 3,
                count: 12
            }
            .folder(),
            "part-0003-of-0012"
        );
    }
}
