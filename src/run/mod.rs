//! Orchestration: `run` (fit + apply on one corpus), `fit` (write a bundle) and `apply` (a
//! bundle on new documents), each one stage call per step.
//!
//! The model stages ([`stages`]) are either fitted on the corpus or applied from a
//! [`Bundle`](crate::bundle::Bundle); they produce the same types, so compare, report and the
//! tables ([`tables`]) are one code path for `run` and `apply`.

pub mod manifest;
mod report_data;
pub mod shard;
mod stages;
pub mod stream;
pub mod tables;

pub use manifest::{
    AppliedBundle, ClusterDetails, Counts, EmbedDetails, LabelDetails, Manifest, ReduceDetails,
    StageDetails, TableInfo,
};
pub use stages::SMALL_CORPUS;
pub use tables::{
    documents_frame, embeddings_frame, label_columns, paragraphs_frame, topic_columns, topics_frame,
};

use crate::bundle::{self, Bundle, BundleManifest, ClusterInfo, EmbedInfo, FittedOn, TopicInfo};
use crate::config::{CheckedConfig, Config};
use crate::corpus::{self, Corpus, Skipped};
use crate::error::Error;
use crate::export::{self, RunDir, SCHEMA_VERSION};
use crate::framing;
use crate::label::DimensionLabels;
use crate::progress::Progress;
use crate::report;
use crate::segment::{segment_corpus, Segmentation};
use polars::prelude::*;
use stages::{Ctx, TopicModel, Vectors};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// How `run` and `apply` write their output.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Replace an existing run directory (only one rhetor wrote).
    pub force: bool,
    /// A hand-coded sample of this run's paragraphs (drawn by `rhetor sample` from an
    /// earlier run of the same corpus and settings, checked by its `run_id`): the run is
    /// validated against it as `rhetor validate` does, its tables (`validation_summary`,
    /// `validation_labels`, `corrected_shares`) are written into the run, and the report
    /// shows the corrected shares beside rhetor's.
    pub coded: Option<PathBuf>,
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
    /// The validation against `RunOptions::coded`, when given.
    pub validation: Option<crate::validate::Validation>,
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
    /// The topics are an applied bundle's (fitted elsewhere).
    pub from_bundle: bool,
}

impl RunSummary {
    /// Whether some input could not be read (the CLI's exit code says so).
    pub fn has_failures(&self) -> bool {
        self.skipped.iter().any(|s| s.reason.is_failure())
    }
}

/// Wall-clock seconds per stage.
pub(crate) struct Timer(BTreeMap<String, f64>, Instant);

impl Timer {
    fn new() -> Self {
        Timer(BTreeMap::new(), Instant::now())
    }
    pub(crate) fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        let t = now.duration_since(self.1).as_secs_f64();
        tracing::info!("{stage}: {t:.2} s");
        *self.0.entry(stage.to_string()).or_default() += (t * 1e4).round() / 1e4;
        self.1 = now;
    }
}

/// A loaded and segmented corpus.
struct Loaded {
    corpus: Corpus,
    seg: Segmentation,
}

impl Loaded {
    fn texts(&self) -> Vec<&str> {
        self.seg
            .paragraphs
            .iter()
            .map(|p| p.para.text.as_str())
            .collect()
    }
}

/// Loads and segments the corpus; an empty corpus or one without paragraphs is an error.
fn load(corpus_path: &Path, cfg: &CheckedConfig, ctx: &mut Ctx<'_>) -> Result<Loaded, Error> {
    let corpus = corpus::load(corpus_path, &cfg.config.corpus)?;
    ctx.timer.lap("load");
    if corpus.documents.is_empty() {
        return Err(Error::NoDocuments {
            path: corpus_path.to_path_buf(),
            skipped: corpus.skipped.len(),
        });
    }
    let seg = segment_corpus(&corpus, cfg.config.corpus.unit, &cfg.segment, ctx.progress);
    ctx.timer.lap("segment");
    if seg.paragraphs.is_empty() {
        return Err(Error::NoParagraphs(corpus_path.to_path_buf()));
    }
    ctx.warnings.extend(corpus::date_warning(&corpus));
    Ok(Loaded { corpus, seg })
}

fn new_ctx<'a>(progress: &'a dyn Progress, notes: &[String]) -> Ctx<'a> {
    Ctx {
        progress,
        timer: Timer::new(),
        details: StageDetails::default(),
        warnings: notes.to_vec(),
    }
}

/// Runs the pipeline on `corpus_path` and writes the run directory `out`: every model stage
/// is fitted on the corpus, then applied to it.
pub fn run(
    command: &str,
    corpus_path: &Path,
    cfg: &CheckedConfig,
    out: &Path,
    opts: &RunOptions,
    stages: Stages,
    progress: &dyn Progress,
) -> Result<RunSummary, Error> {
    // Refuse an output that would overwrite the input or anything not rhetor's, before
    // doing any work. Nothing is created on disk until the first table is written.
    export::check_no_overlap(corpus_path, out, "corpus")?;
    check_coded(opts, out, stages)?;
    let dir = RunDir::create(out, opts.force)?.with_formats(&cfg.config.output.formats);
    let mut ctx = new_ctx(progress, dir.notes());
    let loaded = load(corpus_path, cfg, &mut ctx)?;
    let texts = loaded.texts();
    let vectors = match stages >= Stages::Embed {
        true => Some(stages::embed_fit(cfg, &texts, &mut ctx)?),
        false => None,
    };
    let topics = match (&vectors, stages >= Stages::Cluster) {
        (Some(v), true) => Some(stages::topics_fit(cfg, &texts, v, &mut ctx)?.0),
        _ => None,
    };
    let labelled = match (&vectors, stages >= Stages::Label) {
        (Some(v), true) => stages::label(
            &cfg.codebooks,
            &cfg.classifiers,
            &cfg.config.label,
            &texts,
            v,
            &mut ctx,
        )?,
        _ => Vec::new(),
    };
    let chosen_k = topics.as_ref().map(|t| ChosenK {
        k: t.centroids.nrows(),
        automatic: cfg.config.cluster.k.is_none(),
        searched: ctx.details.cluster.as_ref().and_then(|c| {
            c.silhouette_by_k
                .first()
                .zip(c.silhouette_by_k.last())
                .map(|(a, b)| (a.0, b.0))
        }),
        from_bundle: false,
    });
    finish(
        Finish {
            command,
            corpus_path,
            cfg,
            stages,
            applied: None,
            chosen_k,
            coded: opts.coded.as_deref(),
            out,
        },
        dir,
        loaded,
        vectors.as_ref(),
        topics.as_ref(),
        labelled,
        ctx,
    )
}

/// What a finished `fit` reports back.
#[derive(Clone, Debug)]
pub struct FitSummary {
    /// Where the bundle was written.
    pub out: PathBuf,
    /// Counts of the fit corpus.
    pub counts: Counts,
    /// Skipped inputs.
    pub skipped: Vec<Skipped>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The number of topics.
    pub k: ChosenK,
    /// The bundle's manifest.
    pub manifest: BundleManifest,
}

impl FitSummary {
    /// Whether some input could not be read (the CLI's exit code says so).
    pub fn has_failures(&self) -> bool {
        self.skipped.iter().any(|s| s.reason.is_failure())
    }
}

/// Fits every model stage on `corpus_path` and writes the pipeline bundle `out` (see
/// [`crate::bundle`]). The fitted models are exactly those `run` fits with the same
/// configuration and seed.
pub fn fit(
    corpus_path: &Path,
    cfg: &CheckedConfig,
    out: &Path,
    force: bool,
    sample: Option<usize>,
    progress: &dyn Progress,
) -> Result<FitSummary, Error> {
    export::check_no_overlap(corpus_path, out, "corpus")?;
    if sample == Some(0) {
        return Err(crate::validate::ValidateError::Params(
            "--sample 0 leaves nothing to fit; give the number of paragraphs to fit on".into(),
        )
        .into());
    }
    let dir = RunDir::create(out, force)?;
    let mut ctx = new_ctx(progress, dir.notes());
    let loaded = load(corpus_path, cfg, &mut ctx)?;
    let all = loaded.texts();
    let (texts, sampled_from) = match sample {
        Some(n) if n < all.len() => {
            let keep = reservoir(all.len(), n, cfg.config.seed);
            ctx.warnings.push(format!(
                "fitted on a random sample of {n} of the corpus's {} paragraphs (seed {})",
                all.len(),
                cfg.config.seed
            ));
            (keep.iter().map(|&i| all[i]).collect(), Some(all.len()))
        }
        _ => (all, None),
    };
    let vectors = stages::embed_fit(cfg, &texts, &mut ctx)?;
    let (topics, cluster) = stages::topics_fit(cfg, &texts, &vectors, &mut ctx)?;
    let embed = match (&vectors.lsa, &vectors.embedder, &cfg.config.embed) {
        (Some(l), _, _) => EmbedInfo::Tfidf {
            n_features: vectors.vectorizer.vocabulary().len(),
            n_components: l.components.nrows(),
            singular_values: l.singular_values.clone(),
            explained_variance_ratio: l.explained_variance_ratio.clone(),
        },
        (None, Some(e), crate::embed::EmbedConfig::Transformer(tp)) => EmbedInfo::Transformer {
            model: tp.model.clone(),
            dimension: e.dimension(),
            model_files: bundle::model_files(e.dir())?,
        },
        _ => unreachable!("embed_fit returns an LSA or an embedder"),
    };
    let b = Bundle {
        manifest: BundleManifest {
            format: bundle::FORMAT.into(),
            format_version: bundle::FORMAT_VERSION,
            rhetor_version: crate::VERSION.into(),
            config: cfg.config.clone(),
            fitted_on: FittedOn {
                corpus: corpus_path.display().to_string(),
                documents: loaded.corpus.documents.len(),
                paragraphs: texts.len(),
                sampled_from,
            },
            embed,
            cluster: ClusterInfo {
                k: cluster.k,
                dimension: topics.centroids.ncols(),
                k_chosen_automatically: cluster.k_chosen_automatically,
                silhouette_by_k: cluster.silhouette_by_k.clone(),
                inertia: cluster.inertia,
            },
            topics: topics
                .topics
                .iter()
                .map(|t| TopicInfo {
                    topic_id: t.id,
                    size: t.size,
                    label: t.label.clone(),
                    terms: t.terms.clone(),
                    scores: t.scores.clone(),
                    label_from: t.label_from.to_string(),
                })
                .collect(),
            codebooks: Vec::new(),
            classifiers: Vec::new(),
            files: BTreeMap::new(),
        },
        vectorizer: vectors.vectorizer,
        lsa_components: vectors.lsa.map(|l| l.components),
        centroids: topics.centroids,
        term_vectorizer: topics.term_vectorizer,
        codebooks: cfg.codebooks.clone(),
        classifiers: cfg.classifiers.clone(),
    };
    let manifest = bundle::write(&dir, &b)?;
    let out = dir.commit()?;
    let counts = counts(&loaded);
    Ok(FitSummary {
        out,
        counts,
        skipped: loaded.corpus.skipped,
        warnings: ctx.warnings,
        k: ChosenK {
            k: cluster.k,
            automatic: cluster.k_chosen_automatically,
            searched: cluster
                .silhouette_by_k
                .first()
                .zip(cluster.silhouette_by_k.last())
                .map(|(a, b)| (a.0, b.0)),
            from_bundle: false,
        },
        manifest,
    })
}

/// A uniform random sample of `n` of the indices `0..len`, in increasing order: reservoir
/// sampling (Algorithm R) over the paragraphs in corpus order, seeded by `seed`, so it can
/// run over a stream; the same seed gives the same sample.
pub fn reservoir(len: usize, n: usize, seed: u64) -> Vec<usize> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(crate::seed::derive(
        seed,
        &[crate::seed::name_hash("fit.sample")],
    ));
    let mut keep: Vec<usize> = (0..n.min(len)).collect();
    for i in n..len {
        let j = rng.gen_range(0..=i);
        if j < n {
            keep[j] = i;
        }
    }
    keep.sort_unstable();
    keep
}

/// The configuration an `apply` runs with: the bundle's for everything fitted
/// (segmentation, unit, embedding, topics, labelling), `own`'s for reading the corpus
/// (columns, separator, size limit), grouping, comparison, output and the seed of the
/// statistics.
pub fn apply_config(bundle: &Bundle, own: &Config) -> Result<CheckedConfig, Error> {
    let fitted = &bundle.manifest.config;
    let mut c = fitted.clone();
    c.seed = own.seed;
    c.corpus = crate::corpus::CorpusParams {
        unit: fitted.corpus.unit,
        ..own.corpus.clone()
    };
    c.groups = own.groups.clone();
    c.compare = own.compare.clone();
    c.output = own.output.clone();
    // The codebooks and classifiers are the bundle's files, not the paths it was fitted from.
    c.label.codebooks = Vec::new();
    c.label.classifiers = Vec::new();
    let mut checked = c.check()?;
    checked.codebooks = bundle.codebooks.clone();
    checked.classifiers = bundle.classifiers.clone();
    checked.config.label.codebooks = bundle.manifest.codebooks.clone();
    checked.config.label.classifiers = bundle
        .manifest
        .classifiers
        .iter()
        .map(|c| c.file.clone())
        .collect();
    Ok(checked)
}

pub use shard::{apply_shard, merge, PartManifest, Shard, ShardError, ShardSummary};

/// Applies the bundle in `bundle_dir` to `corpus_path` and writes the run directory `out`:
/// segments, embeds, assigns topics and labels with the fitted models (nothing is refitted),
/// then compares and reports as [`run`] does. `own` supplies what is not fitted (see
/// [`apply_config`]).
pub fn apply(
    bundle_dir: &Path,
    corpus_path: &Path,
    own: &Config,
    out: &Path,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunSummary, Error> {
    export::check_no_overlap(corpus_path, out, "corpus")?;
    export::check_no_overlap(bundle_dir, out, "bundle")?;
    check_coded(opts, out, Stages::All)?;
    let b = bundle::read(bundle_dir)?;
    let cfg = apply_config(&b, own)?;
    let manifest_bytes = std::fs::read(bundle_dir.join(bundle::MANIFEST)).map_err(|source| {
        bundle::BundleError::Read {
            path: bundle_dir.join(bundle::MANIFEST),
            source,
        }
    })?;
    let applied = AppliedBundle {
        path: bundle_dir.display().to_string(),
        sha256: crate::corpus::sha256_hex(&manifest_bytes),
        rhetor_version: b.manifest.rhetor_version.clone(),
        fitted_on: b.manifest.fitted_on.clone(),
    };
    let dir = RunDir::create(out, opts.force)?.with_formats(&cfg.config.output.formats);
    let mut ctx = new_ctx(progress, dir.notes());
    if let Some(chunks) = corpus::chunks(corpus_path, &cfg.config.corpus, stream::chunk_rows())? {
        let a = Applied {
            command: "apply",
            bundle: &b,
            cfg: &cfg,
            corpus_path,
            applied,
            opts,
            out,
        };
        return stream::apply_streaming(a, dir, chunks, ctx);
    }
    let loaded = load(corpus_path, &cfg, &mut ctx)?;
    let vectors = stages::embed_apply(&b, &loaded.texts(), &mut ctx)?;
    finish_applied(
        Applied {
            command: "apply",
            bundle: &b,
            cfg: &cfg,
            corpus_path,
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

/// What [`finish_applied`] needs besides the run's data.
struct Applied<'a> {
    command: &'a str,
    bundle: &'a Bundle,
    cfg: &'a CheckedConfig,
    corpus_path: &'a Path,
    applied: AppliedBundle,
    opts: &'a RunOptions,
    out: &'a Path,
}

/// The rest of an applied bundle's run once the vectors are there (`apply`, `merge`): the
/// nearest topic, the labels, then [`finish`].
fn finish_applied(
    a: Applied<'_>,
    dir: RunDir,
    loaded: Loaded,
    vectors: Vectors,
    mut ctx: Ctx<'_>,
) -> Result<RunSummary, Error> {
    let b = a.bundle;
    if b.manifest.rhetor_version != crate::VERSION {
        ctx.warnings.push(format!(
            "the bundle was fitted by rhetor {}, this is rhetor {}",
            b.manifest.rhetor_version,
            crate::VERSION
        ));
    }
    let (topics, labelled) = {
        let texts = loaded.texts();
        let topics = stages::topics_apply(b, &texts, &vectors, &a.cfg.topics, &mut ctx)?;
        let labelled = stages::label(
            &a.cfg.codebooks,
            &a.cfg.classifiers,
            &a.cfg.config.label,
            &texts,
            &vectors,
            &mut ctx,
        )?;
        (topics, labelled)
    };
    let c = &b.manifest.cluster;
    let chosen_k = Some(ChosenK {
        k: c.k,
        automatic: c.k_chosen_automatically,
        searched: None,
        from_bundle: true,
    });
    finish(
        Finish {
            command: a.command,
            corpus_path: a.corpus_path,
            cfg: a.cfg,
            stages: Stages::All,
            applied: Some(a.applied),
            chosen_k,
            coded: a.opts.coded.as_deref(),
            out: a.out,
        },
        dir,
        loaded,
        Some(&vectors),
        Some(&topics),
        labelled,
        ctx,
    )
}

/// Validates the staged run (every table written) against a coded sample, as `rhetor
/// validate` does with the run's seed.
fn validate_staged(
    dir: &RunDir,
    coded: &Path,
    seed: u64,
    progress: &dyn Progress,
) -> Result<crate::validate::Validation, Error> {
    use crate::validate::{coded as codes, run_data, validation, ValidateParams};
    progress.start("validate", 0);
    let staged = dir.staging_dir()?;
    let run = run_data::load(&staged, None)?;
    let c = codes::read(coded, &run, ',')?;
    let params = ValidateParams {
        seed,
        ..ValidateParams::default()
    };
    let v = validation::validate(&run, &c, &params)?;
    progress.finish();
    Ok(v)
}

/// The settings of [`finish`].
struct Finish<'a> {
    command: &'a str,
    corpus_path: &'a Path,
    cfg: &'a CheckedConfig,
    stages: Stages,
    applied: Option<AppliedBundle>,
    chosen_k: Option<ChosenK>,
    coded: Option<&'a Path>,
    out: &'a Path,
}

/// A coded sample needs the comparison (its corrected shares are per group), a file that
/// exists, and must not be inside the output (replacing the run would delete it).
fn check_coded(opts: &RunOptions, out: &Path, stages: Stages) -> Result<(), Error> {
    let Some(coded) = &opts.coded else {
        return Ok(());
    };
    if stages < Stages::Compare {
        return Err(crate::validate::ValidateError::Params(
            "--coded validates the labels and corrects the shares of groups: it needs `rhetor run`, `compare` or `apply`".into(),
        )
        .into());
    }
    if !coded.is_file() {
        return Err(crate::validate::ValidateError::Params(format!(
            "--coded '{}' is not a file (give the coded sample, e.g. the sample.csv of `rhetor sample` with its label columns filled in)",
            coded.display()
        ))
        .into());
    }
    export::check_no_overlap(coded, out, "coded file")?;
    Ok(())
}

fn counts(loaded: &Loaded) -> Counts {
    let (corpus, seg) = (&loaded.corpus, &loaded.seg);
    Counts {
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
    }
}

/// How a labelled dimension is compared (the report's caveat), or `None` with a warning for
/// a multi-label one, which is not compared.
fn compared_method(
    d: &DimensionLabels,
    warnings: &mut Vec<String>,
) -> Option<report::DimensionMethod> {
    if d.kind == crate::label::Kind::Multi {
        warnings.push(format!(
            "dimension '{}' is multi-label: it is in paragraphs.parquet but not compared",
            d.name
        ));
        return None;
    }
    Some(if d.codebook.starts_with("classifier:") {
        report::DimensionMethod::Classifier
    } else if d.method == crate::label::Method::Prototype {
        report::DimensionMethod::Prototype
    } else {
        report::DimensionMethod::Keywords
    })
}

/// The dimensions compared: topics, then every single-label dimension.
fn compared_dimensions(
    t: &TopicModel,
    labelled: &[DimensionLabels],
    warnings: &mut Vec<String>,
) -> Vec<framing::ComparedDimension> {
    let mut dims = vec![framing::topic_dimension(&t.assignment, &t.topics)];
    for d in labelled {
        let Some(method) = compared_method(d, warnings) else {
            continue;
        };
        dims.push(framing::ComparedDimension::from_chosen(
            &d.name,
            &d.labels,
            &d.chosen,
            d.score.clone(),
            method,
        ));
    }
    dims
}

/// Compares, reports and writes every table of a run, then commits it.
#[allow(clippy::too_many_arguments)]
fn finish(
    f: Finish<'_>,
    dir: RunDir,
    loaded: Loaded,
    vectors: Option<&Vectors>,
    topics: Option<&TopicModel>,
    labelled: Vec<DimensionLabels>,
    mut ctx: Ctx<'_>,
) -> Result<RunSummary, Error> {
    let (cfg, progress) = (f.cfg, ctx.progress);
    let (corpus, seg) = (&loaded.corpus, &loaded.seg);
    let c = &cfg.config;
    let mut tables = Tables::new(&dir, cfg);
    let mut write = |name: &str, df: &mut DataFrame| tables.write(name, df);
    let mut para_extra: Vec<Column> = Vec::new();
    let mut report_file: Option<&'static str> = None;
    let mut report_data = None;
    // The codebooks as used (target filled in): `rhetor sample` writes its coding guide
    // from them, and they document the run's labels.
    if f.stages >= Stages::Label {
        write_codebooks(&dir, cfg)?;
    }
    if let Some(v) = vectors {
        dir.write_json("tfidf_vectorizer.json", &v.vectorizer)?;
        write(
            "embeddings.parquet",
            &mut embeddings_frame(corpus, seg, v.embedding.view())?,
        )?;
        ctx.timer.lap("export");
    }
    if let Some(t) = topics {
        para_extra = topic_columns(&t.assignment, &t.topics);
        write("topics.parquet", &mut topics_frame(corpus, seg, &t.topics)?)?;
        para_extra.extend(label_columns(&labelled));
    }
    if let (Some(t), true) = (topics, f.stages >= Stages::Compare) {
        let grouping = framing::grouping(corpus, seg, c.groups.by.as_deref(), &mut ctx.warnings)?;
        let dims = compared_dimensions(t, &labelled, &mut ctx.warnings);
        progress.start("compare", 0);
        let cmp = framing::compare(
            corpus,
            seg,
            &grouping,
            &dims,
            &t.term_counts,
            t.term_vectorizer.vocabulary(),
            &cfg.compare,
            &c.groups,
            c.seed,
            progress,
        )?;
        progress.finish();
        ctx.timer.lap("compare");
        ctx.warnings.extend(cmp.warnings.iter().cloned());
        write_comparison(&mut write, &cmp, c, &t.topics)?;
        let time = match c.time.col.as_deref() {
            Some(col) => {
                let values = framing::time_values(corpus, seg, col)?;
                let para_doc: Vec<u32> = seg.paragraphs.iter().map(|p| p.doc as u32).collect();
                let counts: Vec<_> = dims.iter().map(|d| d.counts(&para_doc)).collect();
                let series = c.groups.by.is_some().then_some(&grouping);
                Some(write_time(
                    &mut write, &counts, &values, series, cfg, &t.topics, &mut ctx,
                )?)
            }
            None => None,
        };
        let mut data = report_data::report_data(
            f.corpus_path,
            &counts(&loaded),
            cfg,
            framing::topic_infos(corpus, seg, &t.topics),
            &dims,
            cmp,
            &ctx.warnings,
            &ctx.details,
            f.applied.as_ref(),
        );
        data.time = time;
        data.topic_map = Some(crate::report::topic_map(t.centroids.view()));
        dir.write_json("report.json", &data)?;
        if f.stages >= Stages::All {
            for (name, text) in report::render_all(&data) {
                dir.write_text(name, &text)?;
            }
            report_file = Some("report.html");
            ctx.timer.lap("report");
        }
        report_data = Some(data);
    }
    write("documents.parquet", &mut documents_frame(corpus, seg)?)?;
    write(
        "paragraphs.parquet",
        &mut paragraphs_frame(corpus, seg, para_extra)?,
    )?;
    ctx.timer.lap("export");

    let counts = counts(&loaded);
    let inputs = loaded.corpus.inputs.clone();
    let tables = tables.info;
    commit_run(
        f,
        dir,
        Written {
            tables,
            counts,
            inputs,
            skipped: loaded.corpus.skipped,
            report_file,
            report_data,
        },
        ctx,
    )
}

/// The Parquet tables of a run as they are written, with their manifest entries.
struct Tables<'a> {
    dir: &'a RunDir,
    /// The key-value metadata of every table: the seed and the configuration.
    kv: Vec<(String, String)>,
    info: BTreeMap<String, TableInfo>,
}

impl<'a> Tables<'a> {
    fn new(dir: &'a RunDir, cfg: &CheckedConfig) -> Self {
        let c = &cfg.config;
        let kv = vec![
            ("rhetor.seed".to_string(), c.seed.to_string()),
            (
                "rhetor.config".to_string(),
                serde_json::to_string(c).unwrap_or_default(),
            ),
        ];
        Tables {
            dir,
            kv,
            info: BTreeMap::new(),
        }
    }

    fn write(&mut self, name: &str, df: &mut DataFrame) -> Result<(), Error> {
        self.dir.write_parquet(name, df, &self.kv)?;
        let columns = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        self.info.insert(
            name.to_string(),
            TableInfo {
                rows: df.height(),
                columns,
            },
        );
        Ok(())
    }
}

/// Writes the comparison's tables: `doc_labels`, `divergence` and `keyness.parquet`.
fn write_comparison(
    write: &mut impl FnMut(&str, &mut DataFrame) -> Result<(), Error>,
    cmp: &framing::Comparison,
    c: &Config,
    topics: &[crate::topics::Topic],
) -> Result<(), Error> {
    let group_by = c.groups.by.clone().unwrap_or_else(|| "doc_id".to_string());
    write(
        "doc_labels.parquet",
        &mut framing::shares_frame(&cmp.shares, &group_by, topics)?,
    )?;
    write(
        "divergence.parquet",
        &mut framing::divergence_frame(&cmp.divergence, &cmp.adjust)?,
    )?;
    write(
        "keyness.parquet",
        &mut framing::keyness_frame(&cmp.keyness_rows)?,
    )
}

/// The shares over time (`[time] col` set): writes `time_labels.parquet` and returns the
/// report's view of it.
fn write_time(
    write: &mut impl FnMut(&str, &mut DataFrame) -> Result<(), Error>,
    counts: &[crate::compare::DimensionCounts],
    values: &[String],
    series: Option<&crate::compare::Grouping>,
    cfg: &CheckedConfig,
    topics: &[crate::topics::Topic],
    ctx: &mut Ctx<'_>,
) -> Result<crate::report::TimeReport, Error> {
    let c = &cfg.config;
    let col = c.time.col.as_deref().unwrap_or("date");
    ctx.progress.start("time", 0);
    ctx.progress.message("shares over time");
    let table = framing::over_time(
        counts,
        values,
        series,
        &c.time,
        &cfg.compare,
        c.seed,
        &mut ctx.warnings,
    )?;
    ctx.progress.finish();
    write(
        "time_labels.parquet",
        &mut framing::time_frame(&table, c.groups.by.as_deref(), topics)?,
    )?;
    ctx.timer.lap("time");
    Ok(framing::time_report(
        &table,
        col,
        c.groups.max_in_report,
        topics,
    ))
}

/// Writes the codebooks as used (target filled in) into the run.
fn write_codebooks(dir: &RunDir, cfg: &CheckedConfig) -> Result<(), Error> {
    for cb in &cfg.codebooks {
        let text = toml::to_string_pretty(cb).map_err(|e| {
            crate::export::ExportError::Refused(format!(
                "cannot encode codebook '{}': {e}",
                cb.codebook.name
            ))
        })?;
        dir.write_text(&crate::bundle::codebook_file(&cb.codebook.name), &text)?;
    }
    Ok(())
}

/// What a run wrote before its manifest.
struct Written {
    tables: BTreeMap<String, TableInfo>,
    counts: Counts,
    inputs: Vec<crate::corpus::InputFile>,
    skipped: Vec<crate::corpus::Skipped>,
    report_file: Option<&'static str>,
    report_data: Option<report::ReportData>,
}

/// Writes the manifest, validates against the coded sample when there is one, and commits
/// the run directory.
fn commit_run(
    f: Finish<'_>,
    dir: RunDir,
    w: Written,
    mut ctx: Ctx<'_>,
) -> Result<RunSummary, Error> {
    let (c, progress) = (&f.cfg.config, ctx.progress);
    let Written {
        tables,
        counts,
        inputs,
        skipped,
        report_file,
        report_data,
    } = w;
    let mut manifest = Manifest {
        rhetor_version: crate::VERSION.to_string(),
        schema_version: SCHEMA_VERSION,
        command: f.command.to_string(),
        corpus: f.corpus_path.display().to_string(),
        seed: c.seed,
        config: c.clone(),
        bundle: f.applied,
        inputs,
        counts: counts.clone(),
        skipped: skipped.clone(),
        tables,
        stages: ctx.details,
        timings_s: ctx.timer.0.clone(),
    };
    dir.write_json("manifest.json", &manifest)?;
    let validation = match (f.coded, report_data) {
        (Some(coded), Some(mut data)) => {
            let v = validate_staged(&dir, coded, c.seed, progress)?;
            crate::validate::output::write_validation(
                &dir,
                &v,
                &f.out.display().to_string(),
                &coded.display().to_string(),
            )?;
            data.validation = Some(crate::validate::output::report_validation(
                &v,
                &format!("--coded {}", coded.display()),
            ));
            dir.write_json("report.json", &data)?;
            if f.stages >= Stages::All {
                for (name, text) in report::render_all(&data) {
                    dir.write_text(name, &text)?;
                }
            }
            for (name, rows) in [
                ("validation_summary.parquet", v.summary.len()),
                ("validation_labels.parquet", v.labels.len()),
                ("corrected_shares.parquet", v.shares.len()),
            ] {
                let columns = crate::validate::output::validation_frames(&v)?
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, df)| {
                        df.get_column_names()
                            .iter()
                            .map(|c| c.to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                manifest
                    .tables
                    .insert(name.to_string(), TableInfo { rows, columns });
            }
            dir.write_json("manifest.json", &manifest)?;
            ctx.timer.lap("validate");
            Some(v)
        }
        _ => None,
    };
    let out = dir.commit()?;
    Ok(RunSummary {
        report: report_file.map(|f| out.join(f)),
        out,
        counts,
        skipped,
        warnings: ctx.warnings,
        k: f.chosen_k,
        validation,
    })
}
