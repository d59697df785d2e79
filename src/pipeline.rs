//! The pipeline: load → segment → (later stages) → export, as one library call.

use crate::config::{CheckedConfig, Config};
use crate::corpus::{self, Body, Corpus, InputFile, Skipped, Unit};
use crate::error::Error;
use crate::export::{self, RunDir, SCHEMA_VERSION};
use crate::framing;
use crate::progress::Progress;
use crate::report::{self, Methods, ReportData, Summary};
use crate::segment::{self, Paragraph, SegmentValidParams};
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One paragraph with its place in the corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct ParagraphRecord {
    /// Index of the document in [`Corpus::documents`].
    pub doc: usize,
    /// 0-based paragraph number within the document.
    pub para_id: usize,
    /// The paragraph.
    pub para: Paragraph,
    /// Input row (doc_col mode), index into [`Corpus::row_meta`].
    pub row: Option<usize>,
}

/// Per-document segmentation figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocStats {
    /// Paragraphs kept.
    pub n_paragraphs: usize,
    /// Boilerplate pieces dropped.
    pub n_dropped: usize,
    /// Headings recognised.
    pub n_headings: usize,
    /// Title found by segmentation (when the header gave none).
    pub title: Option<String>,
}

/// The segmentation of a whole corpus.
#[derive(Clone, Debug, Default)]
pub struct Segmentation {
    /// All paragraphs, document by document.
    pub paragraphs: Vec<ParagraphRecord>,
    /// One entry per document.
    pub docs: Vec<DocStats>,
    /// Dropped boilerplate by reason.
    pub dropped: BTreeMap<String, usize>,
}

/// Paragraphs (with their input row), stats and drop reasons of one document.
type DocSegments = (
    Vec<(Paragraph, Option<usize>)>,
    DocStats,
    Vec<segment::DropReason>,
);

/// Segments every document (in parallel; the result does not depend on the thread count).
pub fn segment_corpus(
    corpus: &Corpus,
    unit: Unit,
    params: &SegmentValidParams,
    progress: &dyn Progress,
) -> Segmentation {
    progress.start("segment", corpus.documents.len() as u64);
    let per_doc: Vec<DocSegments> = corpus
        .documents
        .par_iter()
        .map(|d| {
            let out = match (&d.body, unit) {
                (Body::Text { text, base, .. }, Unit::Document) => (
                    segment::whole(text, *base)
                        .into_iter()
                        .map(|p| (p, None))
                        .collect(),
                    DocStats::default(),
                    Vec::new(),
                ),
                (Body::Text { text, base }, Unit::Paragraph) => {
                    let s = segment::segment(text, *base, d.title.as_deref(), params);
                    let stats = DocStats {
                        n_dropped: s.dropped.len(),
                        n_headings: s.n_headings,
                        title: s.title,
                        ..Default::default()
                    };
                    (
                        s.paragraphs.into_iter().map(|p| (p, None)).collect(),
                        stats,
                        s.dropped.iter().map(|d| d.reason).collect(),
                    )
                }
                (Body::Rows(rows), Unit::Paragraph) => (
                    rows.iter()
                        .filter_map(|(r, t)| segment::whole(t, 0).map(|p| (p, Some(*r))))
                        .collect(),
                    DocStats::default(),
                    Vec::new(),
                ),
                (Body::Rows(rows), Unit::Document) => {
                    let joined = rows
                        .iter()
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    (
                        segment::whole(&joined, 0)
                            .into_iter()
                            .map(|p| (p, None))
                            .collect(),
                        DocStats::default(),
                        Vec::new(),
                    )
                }
            };
            progress.inc(1);
            out
        })
        .collect();
    progress.finish();

    let mut seg = Segmentation::default();
    for (doc, (paras, mut stats, reasons)) in per_doc.into_iter().enumerate() {
        stats.n_paragraphs = paras.len();
        for r in reasons {
            *seg.dropped.entry(r.as_str().to_string()).or_default() += 1;
        }
        for (para_id, (para, row)) in paras.into_iter().enumerate() {
            seg.paragraphs.push(ParagraphRecord {
                doc,
                para_id,
                para,
                row,
            });
        }
        seg.docs.push(stats);
    }
    seg
}

/// Builds `documents.parquet`.
pub fn documents_frame(corpus: &Corpus, seg: &Segmentation) -> Result<DataFrame, Error> {
    let docs = &corpus.documents;
    let n = docs.len();
    let mut cols = vec![
        Column::new(
            "doc_id".into(),
            docs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "title".into(),
            docs.iter()
                .zip(&seg.docs)
                .map(|(d, s)| d.title.clone().or_else(|| s.title.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "date".into(),
            docs.iter()
                .map(|d| d.date.as_deref().and_then(iso_date))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "date_raw".into(),
            docs.iter().map(|d| d.date.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            docs.iter().map(|d| d.source.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_paragraphs".into(),
            seg.docs
                .iter()
                .map(|s| s.n_paragraphs as u32)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_headings".into(),
            seg.docs
                .iter()
                .map(|s| s.n_headings as u32)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_dropped".into(),
            seg.docs
                .iter()
                .map(|s| s.n_dropped as u32)
                .collect::<Vec<_>>(),
        ),
    ];
    cols.extend(corpus.doc_meta.iter().map(export::meta_column));
    Ok(export::frame("documents.parquet", n, cols)?)
}

/// Days since 1970-01-01 of a calendar date written `YYYY-MM-DD`, optionally followed by a
/// time (`T` or a space, then `HH:MM…`), which is dropped. `None` for anything else,
/// including a year or a year-month alone and impossible days (`2023-02-29`): a date is
/// never invented or shifted (see the `date` column in `docs/schema.md`).
pub fn parse_date(raw: &str) -> Option<i32> {
    let s = raw.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 {
        let time = &b[11..];
        let is_time = (b[10] == b'T' || b[10] == b' ')
            && time.len() >= 5
            && time[..2].iter().all(u8::is_ascii_digit)
            && time[2] == b':'
            && time[3..5].iter().all(u8::is_ascii_digit);
        if !is_time {
            return None;
        }
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = &b[r];
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// The calendar date of `raw` as `YYYY-MM-DD` (see [`parse_date`]), or `None`.
pub fn iso_date(raw: &str) -> Option<String> {
    parse_date(raw)?;
    Some(raw.trim()[..10].to_string())
}

/// The warning for documents whose date is not a calendar date (their `date` is null and
/// `date_raw` keeps the value), or `None` when every date parses.
pub fn date_warning(corpus: &Corpus) -> Option<String> {
    let bad: Vec<&str> = corpus
        .documents
        .iter()
        .filter_map(|d| d.date.as_deref())
        .filter(|d| parse_date(d).is_none())
        .collect();
    let first = bad.first()?;
    Some(format!(
        "{} document{} a date that is not a calendar date YYYY-MM-DD (e.g. '{}'): \
         documents.date is null for {}, documents.date_raw keeps the value as given",
        bad.len(),
        if bad.len() == 1 { " has" } else { "s have" },
        first,
        if bad.len() == 1 { "it" } else { "them" }
    ))
}

/// Builds `paragraphs.parquet` (the segmentation columns, `extra` stage columns, then the
/// paragraph metadata of doc_col inputs).
pub fn paragraphs_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    extra: Vec<Column>,
) -> Result<DataFrame, Error> {
    let ps = &seg.paragraphs;
    let mut cols = vec![
        Column::new(
            "doc_id".into(),
            ps.iter()
                .map(|p| corpus.documents[p.doc].id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "para_id".into(),
            ps.iter().map(|p| p.para_id as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "section".into(),
            ps.iter()
                .map(|p| p.para.section.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "text".into(),
            ps.iter().map(|p| p.para.text.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "byte_start".into(),
            ps.iter()
                .map(|p| p.para.byte_start as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "byte_end".into(),
            ps.iter()
                .map(|p| p.para.byte_end as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_tokens".into(),
            ps.iter()
                .map(|p| p.para.n_tokens as u32)
                .collect::<Vec<_>>(),
        ),
    ];
    cols.extend(extra);
    if !corpus.row_meta.is_empty() {
        let rows: Vec<usize> = ps.iter().map(|p| p.row.unwrap_or(0)).collect();
        for c in &corpus.row_meta {
            let taken = corpus::MetaColumn {
                name: c.name.clone(),
                values: c.values.take(&rows),
            };
            cols.push(export::meta_column(&taken));
        }
    }
    Ok(export::frame("paragraphs.parquet", ps.len(), cols)?)
}

/// Counts reported in the manifest.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counts {
    /// Documents kept.
    pub documents: usize,
    /// Paragraphs (analysis units) kept.
    pub paragraphs: usize,
    /// Headings recognised (they are sections, not paragraphs).
    pub headings: usize,
    /// Documents or rows skipped, all reasons.
    pub skipped: usize,
    /// Of those, unreadable (invalid UTF-8, binary, I/O error).
    pub skipped_unreadable: usize,
    /// Of those, empty or whitespace only.
    pub skipped_empty: usize,
    /// Boilerplate pieces dropped.
    pub dropped: usize,
    /// Dropped by reason.
    pub dropped_by_reason: BTreeMap<String, usize>,
    /// Files in the corpus folder with an extension that is not read.
    pub other_files: usize,
}

/// Description of an output table in the manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TableInfo {
    /// Number of rows.
    pub rows: usize,
    /// Column names in order.
    pub columns: Vec<String>,
}

/// `manifest.json`: everything needed to know how a run was made.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// rhetor version.
    pub rhetor_version: String,
    /// Version of the table schemas.
    pub schema_version: u32,
    /// The command that made the run.
    pub command: String,
    /// The corpus path as given.
    pub corpus: String,
    /// The seed of every random choice.
    pub seed: u64,
    /// The resolved configuration.
    pub config: Config,
    /// Input files with their sha256.
    pub inputs: Vec<InputFile>,
    /// Counts.
    pub counts: Counts,
    /// What was skipped and why.
    pub skipped: Vec<Skipped>,
    /// Output tables.
    pub tables: BTreeMap<String, TableInfo>,
    /// What each stage found (vocabulary size, components, chosen k, …).
    pub stages: BTreeMap<String, serde_json::Value>,
    /// Wall-clock seconds per stage.
    pub timings_s: BTreeMap<String, f64>,
}

/// Which stages a command runs: each is a prefix of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stages {
    /// Load and segment only.
    Segment,
    /// … and embed (TF-IDF + LSA): adds `embeddings.parquet`.
    Embed,
    /// … and cluster: adds topics (`topics.parquet`, topic columns).
    Cluster,
    /// … and label paragraphs on the configured codebooks: adds label columns.
    Label,
    /// … and compare groups: adds `doc_labels.parquet`, `divergence.parquet`,
    /// `keyness.parquet`.
    Compare,
    /// The whole pipeline.
    All,
}

/// What a finished run reports back.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Where the run was written.
    pub out: PathBuf,
    /// Counts.
    pub counts: Counts,
    /// Skipped inputs.
    pub skipped: Vec<Skipped>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The number of topics, when the run clustered.
    pub k: Option<ChosenK>,
    /// The HTML report, when the run wrote one.
    pub report: Option<PathBuf>,
}

/// The number of topics of a run and how it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChosenK {
    /// The number of topics.
    pub k: usize,
    /// Chosen by silhouette (`[cluster] k` and `--k` unset).
    pub automatic: bool,
    /// The range of k compared by silhouette (none when k was given, or with too few
    /// paragraphs to compare).
    pub searched: Option<(usize, usize)>,
}

impl RunSummary {
    /// Whether some input could not be read (the CLI's exit code says so).
    pub fn has_failures(&self) -> bool {
        self.skipped.iter().any(|s| s.reason.is_failure())
    }
}

struct Timer(BTreeMap<String, f64>, Instant);

impl Timer {
    fn new() -> Self {
        Timer(BTreeMap::new(), Instant::now())
    }
    fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        let t = now.duration_since(self.1).as_secs_f64();
        tracing::info!("{stage}: {t:.2} s");
        *self.0.entry(stage.to_string()).or_default() += (t * 1e4).round() / 1e4;
        self.1 = now;
    }
}

/// Runs the pipeline on `corpus_path` and writes the run directory `out`.
pub fn run(
    command: &str,
    corpus_path: &Path,
    cfg: &CheckedConfig,
    out: &Path,
    force: bool,
    stages: Stages,
    progress: &dyn Progress,
) -> Result<RunSummary, Error> {
    // Refuse an output that would overwrite the input or anything not rhetor's, before
    // doing any work. Nothing is created on disk until the first table is written.
    export::check_no_overlap(corpus_path, out, "corpus")?;
    let dir = RunDir::create(out, force)?.with_formats(&cfg.config.output.formats);
    let mut warnings: Vec<String> = dir.notes().to_vec();
    let mut timer = Timer::new();
    let corpus = corpus::load(corpus_path, &cfg.config.corpus)?;
    timer.lap("load");
    if corpus.documents.is_empty() {
        return Err(Error::NoDocuments {
            path: corpus_path.to_path_buf(),
            skipped: corpus.skipped.len(),
        });
    }
    let seg = segment_corpus(&corpus, cfg.config.corpus.unit, &cfg.segment, progress);
    timer.lap("segment");
    if seg.paragraphs.is_empty() {
        return Err(Error::NoParagraphs(corpus_path.to_path_buf()));
    }

    let seed = cfg.config.seed;
    let config_json = serde_json::to_string(&cfg.config).unwrap_or_default();
    let kv = vec![
        ("rhetor.seed".to_string(), seed.to_string()),
        ("rhetor.config".to_string(), config_json),
    ];
    let mut tables = BTreeMap::new();
    let mut details: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    warnings.extend(date_warning(&corpus));
    let mut write = |name: &str, df: &mut DataFrame| -> Result<(), Error> {
        dir.write_parquet(name, df, &kv)?;
        tables.insert(
            name.to_string(),
            TableInfo {
                rows: df.height(),
                columns: df
                    .get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
            },
        );
        Ok(())
    };
    let mut para_extra: Vec<Column> = Vec::new();
    let mut chosen_k: Option<ChosenK> = None;
    let mut report_file: Option<&str> = None;

    if stages >= Stages::Embed {
        let texts: Vec<&str> = seg
            .paragraphs
            .iter()
            .map(|p| p.para.text.as_str())
            .collect();
        progress.start("embed", texts.len() as u64);
        progress.message("paragraphs tokenised (TF-IDF)");
        let (vectorizer, x) = fit_tfidf(&cfg.tfidf, &texts, &mut warnings, progress)?;
        progress.finish();
        timer.lap("embed");
        details.insert(
            "embed".into(),
            serde_json::json!({
                "type": "tfidf",
                "n_features": vectorizer.vocabulary().len(),
                "nnz": x.nnz(),
            }),
        );
        let (embedding, embedder) = match &cfg.config.embed {
            crate::embed::EmbedConfig::Transformer(tp) => {
                progress.start("embed", 0);
                progress.message("loading the transformer model");
                let models = crate::embed::transformer::fetch::default_models_dir();
                let embedder = crate::embed::transformer::load(&models, tp)?;
                let (e, stats) = embedder.embed_with_progress(&texts, progress)?;
                progress.finish();
                timer.lap("embed_transformer");
                details.insert(
                    "embed".into(),
                    serde_json::json!({
                        "type": "transformer",
                        "model": tp.model,
                        "model_dir": embedder.dir().display().to_string(),
                        "dimension": embedder.dimension(),
                        "max_length": embedder.max_length(),
                        "precision": format!("{:?}", embedder.precision()),
                        "n_truncated": stats.n_truncated,
                        "n_tokens": stats.n_tokens,
                        "n_pad_tokens": stats.n_pad_tokens,
                        "n_cached": stats.n_cached,
                        "engine": format!("{:?}", tp.engine).to_lowercase(),
                        "cache": embedder.cache_path().map(|p| p.display().to_string()),
                        "tfidf_features_for_topic_terms": vectorizer.vocabulary().len(),
                    }),
                );
                details.insert(
                    "reduce".into(),
                    serde_json::json!({"method": "none (sentence embeddings are clustered directly)", "n_components": e.ncols()}),
                );
                (e, Some(embedder))
            }
            crate::embed::EmbedConfig::Tfidf(_) => {
                progress.start("reduce", 0);
                let lsa = cfg.reduce.fit_transform_with_progress(&x, seed, progress)?;
                progress.finish();
                timer.lap("reduce");
                details.insert(
                    "reduce".into(),
                    serde_json::json!({
                        "method": "truncated_svd_randomized+l2",
                        "n_components": lsa.n_components,
                        "explained_variance": lsa.explained_variance_ratio.iter().sum::<f64>(),
                    }),
                );
                (lsa.embedding, None)
            }
        };
        dir.write_json("tfidf_vectorizer.json", &vectorizer)?;
        let mut emb = embeddings_frame(&corpus, &seg, embedding.view())?;
        write("embeddings.parquet", &mut emb)?;
        timer.lap("export");

        if stages >= Stages::Cluster {
            progress.start("cluster", 0);
            let clustering = cfg
                .cluster
                .fit_with_progress(embedding.view(), seed, progress)?;
            progress.finish();
            timer.lap("cluster");
            warnings.extend(clustering.warnings.iter().cloned());
            details.insert(
                "cluster".into(),
                serde_json::json!({
                    "method": "kmeans++ lloyd",
                    "k": clustering.k,
                    "k_chosen_automatically": cfg.config.cluster.k.is_none(),
                    "silhouette_by_k": clustering.k_scores,
                    "inertia": clustering.inertia,
                    "n_iter": clustering.n_iter,
                }),
            );
            chosen_k = Some(ChosenK {
                k: clustering.k,
                automatic: cfg.config.cluster.k.is_none(),
                searched: clustering
                    .k_scores
                    .first()
                    .zip(clustering.k_scores.last())
                    .map(|(a, b)| (a.0, b.0)),
            });
            progress.start("topics", 0);
            progress.message("topic terms and representative paragraphs");
            let term_counts = crate::topics::TermCounts::new(&texts, &cfg.topics)?;
            let topics =
                crate::topics::describe(&term_counts, &clustering, embedding.view(), &cfg.topics);
            progress.finish();
            timer.lap("topics");
            para_extra = topic_columns(&clustering, &topics);
            let mut t = topics_frame(&corpus, &seg, &topics)?;
            write("topics.parquet", &mut t)?;

            let mut labelled = Vec::new();
            if stages >= Stages::Label && !(cfg.codebooks.is_empty() && cfg.classifiers.is_empty())
            {
                progress.start(
                    "label",
                    (cfg.codebooks
                        .iter()
                        .map(|c| c.dimension.len())
                        .sum::<usize>()
                        + cfg.classifiers.len()) as u64,
                );
                let space = match &embedder {
                    Some(e) => crate::label::Space::Dense {
                        paragraphs: embedding.view(),
                        embedder: e,
                    },
                    None => crate::label::Space::Tfidf {
                        vectorizer: &vectorizer,
                        x: &x,
                    },
                };
                labelled = crate::label::label_all_with_progress(
                    &cfg.codebooks,
                    &texts,
                    &space,
                    &cfg.config.label,
                    progress,
                )?;
                for (name, model) in &cfg.classifiers {
                    progress.message(&format!("classifier '{name}'"));
                    labelled.push(crate::label::classify_dimension(
                        name,
                        model,
                        &texts,
                        cfg.config.label.target.as_deref(),
                    )?);
                    progress.inc(1);
                }
                progress.finish();
                timer.lap("label");
                para_extra.extend(label_columns(&labelled));
                details.insert(
                    "label".into(),
                    serde_json::json!(labelled
                        .iter()
                        .map(|d| serde_json::json!({
                            "dimension": d.name,
                            "codebook": d.codebook,
                            "method": d.method,
                            "labels": d.labels,
                            "unsure": d.chosen.iter().filter(|c| c.is_none()).count(),
                        }))
                        .collect::<Vec<_>>()),
                );
            }

            if stages >= Stages::Compare {
                let c = &cfg.config;
                let grouping =
                    framing::grouping(&corpus, &seg, c.groups.by.as_deref(), &mut warnings)?;
                let mut dims = vec![framing::topic_dimension(&clustering, &topics)];
                for d in &labelled {
                    if d.kind == crate::label::Kind::Multi {
                        warnings.push(format!(
                            "dimension '{}' is multi-label: it is in paragraphs.parquet but not compared",
                            d.name
                        ));
                        continue;
                    }
                    let method = if d.codebook.starts_with("classifier:") {
                        report::DimensionMethod::Classifier
                    } else if d.method == crate::label::Method::Prototype {
                        report::DimensionMethod::Prototype
                    } else {
                        report::DimensionMethod::Keywords
                    };
                    dims.push(framing::DimensionLabels {
                        name: d.name.clone(),
                        labels: d.chosen.clone(),
                        scores: d.score.clone(),
                        method,
                    });
                }
                progress.start("compare", 0);
                let cmp = framing::compare(
                    &corpus,
                    &seg,
                    &grouping,
                    &dims,
                    &term_counts.counts,
                    term_counts.vectorizer.vocabulary(),
                    &cfg.compare,
                    &c.groups,
                    seed,
                    progress,
                )?;
                progress.finish();
                timer.lap("compare");
                warnings.extend(cmp.warnings.iter().cloned());
                let group_by = c.groups.by.clone().unwrap_or_else(|| "doc_id".to_string());
                write(
                    "doc_labels.parquet",
                    &mut framing::shares_frame(&cmp.shares, &group_by, &topics)?,
                )?;
                write(
                    "divergence.parquet",
                    &mut framing::divergence_frame(&cmp.divergence, &cmp.adjust)?,
                )?;
                write(
                    "keyness.parquet",
                    &mut framing::keyness_frame(&cmp.keyness_rows)?,
                )?;
                let data = report_data(
                    corpus_path,
                    &corpus,
                    &seg,
                    cfg,
                    &topics,
                    &dims,
                    cmp,
                    &warnings,
                    &details,
                );
                dir.write_json("report.json", &data)?;
                if stages >= Stages::All {
                    for (name, text) in report::render_all(&data) {
                        dir.write_text(name, &text)?;
                    }
                    report_file = Some("report.html");
                    timer.lap("report");
                }
            }
        }
    }

    let mut docs = documents_frame(&corpus, &seg)?;
    let mut paras = paragraphs_frame(&corpus, &seg, para_extra)?;
    write("documents.parquet", &mut docs)?;
    write("paragraphs.parquet", &mut paras)?;
    timer.lap("export");

    let counts = Counts {
        documents: corpus.documents.len(),
        paragraphs: seg.paragraphs.len(),
        headings: seg.docs.iter().map(|d| d.n_headings).sum(),
        skipped: corpus.skipped.len(),
        skipped_unreadable: corpus
            .skipped
            .iter()
            .filter(|s| s.reason.is_failure())
            .count(),
        skipped_empty: corpus
            .skipped
            .iter()
            .filter(|s| !s.reason.is_failure())
            .count(),
        dropped: seg.dropped.values().sum(),
        dropped_by_reason: seg.dropped.clone(),
        other_files: corpus.n_other_files,
    };
    let manifest = Manifest {
        rhetor_version: crate::VERSION.to_string(),
        schema_version: SCHEMA_VERSION,
        command: command.to_string(),
        corpus: corpus_path.display().to_string(),
        seed: cfg.config.seed,
        config: cfg.config.clone(),
        inputs: corpus.inputs.clone(),
        counts: counts.clone(),
        skipped: corpus.skipped.clone(),
        tables,
        stages: details,
        timings_s: timer.0.clone(),
    };
    dir.write_json("manifest.json", &manifest)?;
    let out = dir.commit()?;
    Ok(RunSummary {
        report: report_file.map(|f| out.join(f)),
        out,
        counts,
        skipped: corpus.skipped,
        warnings,
        k: chosen_k,
    })
}

/// Assembles the report's content from the run.
#[allow(clippy::too_many_arguments)]
fn report_data(
    corpus_path: &Path,
    corpus: &Corpus,
    seg: &Segmentation,
    cfg: &CheckedConfig,
    topics: &[crate::topics::Topic],
    dims: &[framing::DimensionLabels],
    cmp: framing::Comparison,
    warnings: &[String],
    details: &BTreeMap<String, serde_json::Value>,
) -> ReportData {
    let c = &cfg.config;
    let cp = &c.compare;
    let tf = match &c.embed {
        crate::embed::EmbedConfig::Tfidf(tf) => tf.clone(),
        crate::embed::EmbedConfig::Transformer(_) => crate::embed::clustering_tfidf_defaults(),
    };
    let n_features = details["embed"]["n_features"].as_u64().unwrap_or(0);
    let n_comp = details["reduce"]["n_components"].as_u64().unwrap_or(0);
    let k = details["cluster"]["k"].as_u64().unwrap_or(0);
    let k_how = if c.cluster.k.is_some() {
        "k was given".to_string()
    } else {
        format!(
            "k was chosen automatically as the k in {}..={} (capped at √(n/2)) with the highest mean silhouette on a seeded sample of at most {} paragraphs",
            c.cluster.k_min, c.cluster.k_max, c.cluster.silhouette_sample
        )
    };
    let methods = Methods {
        segmentation: format!(
            "Documents were split into paragraphs by rhetor's line-based segmenter: blank-line and one-paragraph-per-line layouts, hard-wrapped lines joined, paragraphs broken by a stray blank line rejoined, short title-like lines (at most {} words without final punctuation, or title case up to {} words) treated as section headings, and link lists and share/subscribe footers dropped. Unit of analysis: {}.",
            c.segment.max_heading_words, c.segment.max_title_words, c.corpus.unit
        ),
        embedding: match &c.embed {
            crate::embed::EmbedConfig::Transformer(tp) => format!(
                "Paragraphs were embedded with the sentence-transformer model {} ({}-dimensional, mean pooling and l2 normalisation as the model's sentence-transformers configuration says; texts longer than the model's maximum length were {}), computed in Rust with {}; the vectors are clustered directly. Topic terms use TF-IDF counts.",
                tp.model,
                details["embed"]["dimension"],
                if matches!(tp.long, crate::embed::transformer::Long::Truncate) { "truncated, as sentence-transformers does" } else { "embedded as the mean of windows" },
                match (tp.engine, details["embed"]["precision"].as_str()) {
                    (crate::embed::transformer::Engine::Candle, _) => "candle's BERT implementation",
                    (_, Some("Bf16")) => "rhetor's own BERT encoder with bfloat16 matrix products (cosine ≥ 0.999 to f32)",
                    _ => "rhetor's own BERT encoder in f32 (cosine ≥ 0.9999 to sentence-transformers)",
                }
            ),
            crate::embed::EmbedConfig::Tfidf(_) => format!(
            "Paragraphs were represented as TF-IDF vectors (scikit-learn-compatible: {} n-grams {:?}, min_df = {}, max_df = {}, {}sublinear tf, smooth idf, l2 norm; {} features), reduced to {} dimensions by randomized truncated SVD (LSA) and l2-normalised.",
            tf.analyzer, tf.ngram_range, tf.min_df, tf.max_df,
            if tf.sublinear_tf { "" } else { "no " }, n_features, n_comp
        ),
        },
        clustering: format!(
            "Topics: k-means (k-means++ initialisation, {} restarts, Lloyd iterations) on the reduced vectors; {k_how}; k = {k}. Topic ids are canonical (0 = largest). Topic terms are class-based TF-IDF (BERTopic's c-TF-IDF) over unigrams and bigrams without English stop words; representative paragraphs are those closest to the topic centroid. topic_prob is the fuzzy c-means membership (m = 2) of the assigned topic.",
            c.cluster.n_init
        ),
        labelling: labelling_method(cfg, dims),
        statistics: format!(
            "Shares: for a group of several documents, a studentized cluster bootstrap over documents ({} resamples), since paragraphs of one document are not independent, or, for a label that fewer than 10 of the group's documents use, or that all but fewer than 10 use in every paragraph (so in any group of fewer than 10 documents), a Clopper–Pearson interval at the effective sample size of the clustered paragraphs (Korn & Graubard 1998); for a single document, Goodman's simultaneous multinomial intervals. Divergence: Jensen–Shannon divergence (base 2) between label distributions, with a permutation test ({} permutations of group labels over documents; over paragraphs when both groups are single documents), p-values adjusted over the table by {}. Distinctive terms: log-odds ratios with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008; prior weight α0 = {}), each group against the rest. Intervals are {:.0}%.",
            cp.n_boot, cp.n_perm, cmp.adjust, cp.keyness_prior, 100.0 * (1.0 - cp.alpha)
        ),
        reproducibility: format!(
            "Seed {} drives every random choice (SVD test matrix, k-means restarts, silhouette sample, bootstrap, permutations); the same input, configuration and seed give byte-identical tables on any number of threads. rhetor {}.",
            c.seed,
            crate::VERSION
        ),
    };
    let counts_skipped = corpus.skipped.len() as u64;
    let mut data = ReportData {
        title: "How the documents frame the issue".to_string(),
        rhetor_version: crate::VERSION.to_string(),
        seed: c.seed,
        summary: Summary {
            corpus: corpus_path.display().to_string(),
            documents: corpus.documents.len() as u64,
            paragraphs: seg.paragraphs.len() as u64,
            skipped: counts_skipped,
            dropped: seg.dropped.values().sum::<usize>() as u64,
            headings: seg.docs.iter().map(|d| d.n_headings as u64).sum(),
        },
        group_by: c.groups.by.clone(),
        groups: cmp.groups,
        summarised: None,
        dimension_info: cmp.dimension_info,
        alpha: cmp.alpha,
        topics: framing::topic_infos(corpus, seg, topics),
        dimensions: dims.iter().map(|d| d.name.clone()).collect(),
        shares: cmp.shares,
        divergence: cmp.divergence,
        adjust: cmp.adjust,
        keyness: cmp.keyness,
        claims: cmp.claims,
        methods,
        warnings: warnings.to_vec(),
    };
    // With many groups the report shows a bounded selection (the tables keep every group).
    report::summarise(&mut data, c.groups.max_in_report);
    data
}

fn labelling_method(cfg: &CheckedConfig, dims: &[framing::DimensionLabels]) -> String {
    let text = codebook_method(cfg, dims);
    if cfg.classifiers.is_empty() {
        return text;
    }
    let names: Vec<&str> = cfg.classifiers.iter().map(|(n, _)| n.as_str()).collect();
    format!(
        "{text} Supervised dimensions ({}) come from classifiers trained with `rhetor train` (linear models on word and character n-gram TF-IDF); their held-out scores are those of `rhetor evaluate`.",
        names.join(", ")
    )
}

fn codebook_method(cfg: &CheckedConfig, dims: &[framing::DimensionLabels]) -> String {
    let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
    if cfg.codebooks.is_empty() {
        return format!(
            "Dimensions compared: {}. No codebook was configured ([label] codebooks or --codebook).",
            names.join(", ")
        );
    }
    let books: Vec<String> = cfg
        .codebooks
        .iter()
        .map(|c| format!("{} ({})", c.codebook.title, c.codebook.source))
        .collect();
    format!(
        "Dimensions compared: {}. Codebooks: {}. Paragraphs were labelled by dictionary keywords (quanteda-style globs; the label with most matches wins; no match or a tie = unsure, excluded from shares) unless a dimension's method is `prototype` (cosine similarity to label descriptions and examples, softmax with temperature {}, unsure below probability {} or margin {}). Keyword labels are a transparent but weak baseline: check them against a labelled sample (`rhetor evaluate`).",
        names.join(", "),
        books.join("; "),
        cfg.config.label.temperature,
        cfg.config.label.min_prob,
        cfg.config.label.min_margin
    )
}

/// Below this many paragraphs, document-frequency bounds that leave no vocabulary are
/// relaxed (with a warning) instead of failing: `min_df = 2, max_df = 0.5` cannot work on a
/// corpus of one or two paragraphs.
pub const SMALL_CORPUS: usize = 20;

fn fit_tfidf(
    params: &crate::embed::tfidf::TfidfValidParams,
    texts: &[&str],
    warnings: &mut Vec<String>,
    progress: &dyn Progress,
) -> Result<(crate::embed::tfidf::FittedTfidf, sprs::CsMat<f64>), Error> {
    use crate::embed::tfidf::{DfBound, TfidfError};
    match params.fit_transform_with_progress(texts, progress) {
        Err(e @ (TfidfError::DfBoundsConflict { .. } | TfidfError::EmptyVocabulary { .. }))
            if texts.len() < SMALL_CORPUS =>
        {
            let mut relaxed = params.params().clone();
            relaxed.min_df = DfBound::Count(1);
            relaxed.max_df = DfBound::Fraction(1.0);
            let checked = relaxed.check().map_err(|_| Error::from(e))?;
            warnings.push(format!(
                "the corpus has only {} paragraphs: TF-IDF used min_df = 1 and max_df = 1.0 \
                 instead of min_df = {} and max_df = {}",
                texts.len(),
                params.params().min_df,
                params.params().max_df
            ));
            progress.start("embed", texts.len() as u64);
            progress.message("paragraphs tokenised again (TF-IDF, relaxed bounds)");
            Ok(checked.fit_transform_with_progress(texts, progress)?)
        }
        other => Ok(other?),
    }
}

/// Builds `embeddings.parquet`: one reduced vector (list<f32>) per paragraph.
pub fn embeddings_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    x: ndarray::ArrayView2<f32>,
) -> Result<DataFrame, Error> {
    let ps = &seg.paragraphs;
    let vectors: Vec<Series> = x
        .rows()
        .into_iter()
        .map(|r| Series::new(PlSmallStr::EMPTY, r.to_vec()))
        .collect();
    let cols = vec![
        Column::new(
            "doc_id".into(),
            ps.iter()
                .map(|p| corpus.documents[p.doc].id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "para_id".into(),
            ps.iter().map(|p| p.para_id as u32).collect::<Vec<_>>(),
        ),
        Column::new("vector".into(), vectors),
    ];
    Ok(export::frame("embeddings.parquet", ps.len(), cols)?)
}

/// The topic columns of `paragraphs.parquet`: `topic_id` (i32), `topic_label`, `topic_prob`
/// (f32, the soft membership of the assigned topic).
pub fn topic_columns(
    c: &crate::cluster::Clustering,
    topics: &[crate::topics::Topic],
) -> Vec<Column> {
    vec![
        Column::new(
            "topic_id".into(),
            c.labels.iter().map(|&l| l as i32).collect::<Vec<_>>(),
        ),
        Column::new(
            "topic_label".into(),
            c.labels
                .iter()
                .map(|&l| topics[l].label.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new("topic_prob".into(), c.prob.clone()),
    ]
}

/// The label columns of `paragraphs.parquet`, per dimension: `<dim>` (chosen label, null
/// when unsure), `<dim>_score` (f32) and `<dim>__<label>` (f32) for every label.
pub fn label_columns(dims: &[crate::label::DimensionLabels]) -> Vec<Column> {
    let mut cols = Vec::new();
    for d in dims {
        cols.push(Column::new(d.name.as_str().into(), d.chosen.clone()));
        cols.push(Column::new(
            format!("{}_score", d.name).into(),
            d.score.clone(),
        ));
        for (l, s) in d.labels.iter().zip(&d.scores) {
            cols.push(Column::new(format!("{}__{}", d.name, l).into(), s.clone()));
        }
    }
    cols
}

/// Builds `topics.parquet`.
pub fn topics_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    topics: &[crate::topics::Topic],
) -> Result<DataFrame, Error> {
    let n: usize = topics.iter().map(|t| t.size).sum::<usize>().max(1);
    let list_str = |v: &[String]| Series::new(PlSmallStr::EMPTY, v.to_vec());
    let cols = vec![
        Column::new(
            "topic_id".into(),
            topics.iter().map(|t| t.id as i32).collect::<Vec<_>>(),
        ),
        Column::new(
            "size".into(),
            topics.iter().map(|t| t.size as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "share".into(),
            topics
                .iter()
                .map(|t| t.size as f64 / n as f64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "label".into(),
            topics.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "top_terms".into(),
            topics
                .iter()
                .map(|t| list_str(&t.terms))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "term_scores".into(),
            topics
                .iter()
                .map(|t| Series::new(PlSmallStr::EMPTY, t.scores.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "representative_doc_ids".into(),
            topics
                .iter()
                .map(|t| {
                    let ids: Vec<String> = t
                        .representatives
                        .iter()
                        .map(|&i| corpus.documents[seg.paragraphs[i].doc].id.clone())
                        .collect();
                    list_str(&ids)
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "representative_para_ids".into(),
            topics
                .iter()
                .map(|t| {
                    let ids: Vec<u32> = t
                        .representatives
                        .iter()
                        .map(|&i| seg.paragraphs[i].para_id as u32)
                        .collect();
                    Series::new(PlSmallStr::EMPTY, ids)
                })
                .collect::<Vec<_>>(),
        ),
    ];
    Ok(export::frame("topics.parquet", topics.len(), cols)?)
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn parse_date_accepts_calendar_days_only() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2026-01-22"), Some(20_475));
        assert_eq!(parse_date(" 2024-02-29 "), Some(19_782));
        assert_eq!(parse_date("2012-09-04T20:15:00Z"), parse_date("2012-09-04"));
        assert_eq!(parse_date("2012-09-04 20:15"), parse_date("2012-09-04"));
        for bad in [
            "",
            "2012",
            "2012-09",
            "2023-02-29",
            "1900-02-29",
            "2012-13-01",
            "2012-00-10",
            "2012-04-31",
            "2012-9-4",
            "04/09/2012",
            "2012-09-04x",
            "2012-09-04 and more",
            "２０１２-09-04",
            "-012-09-04",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
