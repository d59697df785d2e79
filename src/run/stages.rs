//! The model stages of a run, each fitted on the corpus (`run`, `fit`) or applied from a
//! bundle (`apply`): embed, topics, label. Both ways give the same types, so everything after
//! them (compare, report, tables) is one code path.

use super::manifest::{ClusterDetails, EmbedDetails, LabelDetails, ReduceDetails, StageDetails};
use super::Timer;
use crate::bundle::{Bundle, EmbedInfo};
use crate::classify::ModelFile;
use crate::cluster::{self, Assignment};
use crate::config::CheckedConfig;
use crate::embed::tfidf::{FittedTfidf, TfidfValidParams};
use crate::embed::transformer::{self, Embedder, TransformerParams};
use crate::embed::EmbedConfig;
use crate::error::Error;
use crate::label::{Codebook, DimensionLabels, LabelParams, Space};
use crate::progress::Progress;
use crate::topics::{Topic, TopicsValidParams};
use ndarray::Array2;
use sprs::CsMat;

/// Below this many paragraphs, document-frequency bounds that leave no vocabulary are
/// relaxed (with a warning) instead of failing: `min_df = 2, max_df = 0.5` cannot work on a
/// corpus of one or two paragraphs.
pub const SMALL_CORPUS: usize = 20;

/// What the stages record as they go.
pub(super) struct Ctx<'a> {
    pub progress: &'a dyn Progress,
    pub timer: Timer,
    pub details: StageDetails,
    pub warnings: Vec<String>,
}

/// The LSA of a fit.
pub(super) struct LsaFit {
    pub components: Array2<f64>,
    pub singular_values: Vec<f64>,
    pub explained_variance_ratio: Vec<f64>,
}

/// Paragraph vectors, fitted or applied.
pub(super) struct Vectors {
    /// The TF-IDF vectorizer (embed stage; the TF-IDF label space).
    pub vectorizer: FittedTfidf,
    /// TF-IDF rows of the paragraphs.
    pub x: CsMat<f64>,
    /// The vectors clustered: LSA of `x`, or sentence embeddings.
    pub embedding: Array2<f32>,
    /// The sentence-transformer, when the run uses one.
    pub embedder: Option<Embedder>,
    /// The LSA, when this run fitted one.
    pub lsa: Option<LsaFit>,
}

/// Topics, fitted or applied.
pub(super) struct TopicModel {
    /// `k × dimension` centroids.
    pub centroids: Array2<f32>,
    /// Topic descriptions; sizes and representatives are this corpus's.
    pub topics: Vec<Topic>,
    /// Each paragraph's topic.
    pub assignment: Assignment,
    /// The term vectorizer of topic terms and keyness.
    pub term_vectorizer: FittedTfidf,
    /// Term counts of the paragraphs over its vocabulary.
    pub term_counts: CsMat<f64>,
}

fn fit_tfidf(
    params: &TfidfValidParams,
    texts: &[&str],
    warnings: &mut Vec<String>,
    progress: &dyn Progress,
) -> Result<(FittedTfidf, CsMat<f64>), Error> {
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

fn tfidf_details(v: &FittedTfidf, x: &CsMat<f64>) -> EmbedDetails {
    EmbedDetails::Tfidf {
        n_features: v.vocabulary().len(),
        nnz: x.nnz(),
    }
}

/// Loads the sentence-transformer and embeds `texts`.
fn embed_transformer(
    tp: &TransformerParams,
    texts: &[&str],
    n_tfidf: usize,
    ctx: &mut Ctx<'_>,
    check: impl FnOnce(&Embedder) -> Result<(), Error>,
) -> Result<(Array2<f32>, Embedder), Error> {
    let progress = ctx.progress;
    progress.start("embed", 0);
    progress.message("loading the transformer model");
    let models = transformer::fetch::default_models_dir();
    let embedder = transformer::load(&models, tp)?;
    check(&embedder)?;
    let (e, stats) = embedder.embed_with_progress(texts, progress)?;
    progress.finish();
    ctx.timer.lap("embed_transformer");
    ctx.details.embed = Some(EmbedDetails::Transformer {
        model: tp.model.clone(),
        model_dir: embedder.dir().display().to_string(),
        dimension: embedder.dimension(),
        max_length: embedder.max_length(),
        precision: embedder.precision(),
        n_truncated: stats.n_truncated,
        n_tokens: stats.n_tokens,
        n_pad_tokens: stats.n_pad_tokens,
        n_cached: stats.n_cached,
        engine: format!("{:?}", tp.engine).to_lowercase(),
        kernel: embedder.kernel().to_string(),
        cpu: crate::cpu::cpu_model().to_string(),
        cache: embedder.cache_path().map(|p| p.display().to_string()),
        tfidf_features_for_topic_terms: n_tfidf,
    });
    ctx.details.reduce = Some(ReduceDetails {
        method: "none (sentence embeddings are clustered directly)".into(),
        n_components: e.ncols(),
        explained_variance: None,
    });
    Ok((e, embedder))
}

/// Fits the embed stage on `texts`: TF-IDF, then LSA or a sentence-transformer.
pub(super) fn embed_fit(
    cfg: &CheckedConfig,
    texts: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<Vectors, Error> {
    let progress = ctx.progress;
    progress.start("embed", texts.len() as u64);
    progress.message("paragraphs tokenised (TF-IDF)");
    let (vectorizer, x) = fit_tfidf(&cfg.tfidf, texts, &mut ctx.warnings, progress)?;
    progress.finish();
    ctx.timer.lap("embed");
    ctx.details.embed = Some(tfidf_details(&vectorizer, &x));
    let (embedding, embedder, lsa) = match &cfg.config.embed {
        EmbedConfig::Transformer(tp) => {
            let n = vectorizer.vocabulary().len();
            let (e, embedder) = embed_transformer(tp, texts, n, ctx, |_| Ok(()))?;
            (e, Some(embedder), None)
        }
        EmbedConfig::Tfidf(_) => {
            progress.start("reduce", 0);
            let lsa = cfg
                .reduce
                .fit_transform_with_progress(&x, cfg.config.seed, progress)?;
            progress.finish();
            ctx.timer.lap("reduce");
            ctx.details.reduce = Some(ReduceDetails {
                method: "truncated_svd_randomized+l2".into(),
                n_components: lsa.n_components,
                explained_variance: Some(lsa.explained_variance_ratio.iter().sum::<f64>()),
            });
            let fit = LsaFit {
                components: lsa.components,
                singular_values: lsa.singular_values,
                explained_variance_ratio: lsa.explained_variance_ratio,
            };
            (lsa.embedding, None, Some(fit))
        }
    };
    Ok(Vectors {
        vectorizer,
        x,
        embedding,
        embedder,
        lsa,
    })
}

/// Paragraph vectors computed elsewhere: by the shards of a sharded apply.
pub(super) struct Given {
    /// Every paragraph's vector, in corpus order.
    pub embedding: Array2<f32>,
    /// The embed details of the shards, added up.
    pub embed: Option<EmbedDetails>,
}

/// Applies the bundle's embed stage to `texts`: its vectorizer, then its LSA components or
/// its sentence-transformer (whose files must be the ones it was fitted with).
pub(super) fn embed_apply(
    bundle: &Bundle,
    texts: &[&str],
    ctx: &mut Ctx<'_>,
) -> Result<Vectors, Error> {
    embed_apply_given(bundle, texts, ctx, None)
}

/// [`embed_apply`], taking the vectors from `given` when there are some (only the TF-IDF
/// rows are computed, and the transformer is loaded for the labels' prototypes).
pub(super) fn embed_apply_given(
    bundle: &Bundle,
    texts: &[&str],
    ctx: &mut Ctx<'_>,
    given: Option<Given>,
) -> Result<Vectors, Error> {
    let progress = ctx.progress;
    progress.start("embed", 0);
    progress.message("paragraphs tokenised (TF-IDF, fitted vocabulary)");
    let vectorizer = bundle.vectorizer.clone();
    let x = vectorizer.transform(texts);
    progress.finish();
    ctx.timer.lap("embed");
    ctx.details.embed = Some(tfidf_details(&vectorizer, &x));
    let (embedding, embedder) = match (&bundle.manifest.config.embed, &bundle.lsa_components) {
        (EmbedConfig::Transformer(tp), _) => match given {
            Some(g) => {
                let models = transformer::fetch::default_models_dir();
                let embedder = transformer::load(&models, tp)?;
                crate::bundle::check_model(&bundle.manifest, embedder.dir())?;
                ctx.details.embed = g.embed;
                ctx.details.reduce = Some(ReduceDetails {
                    method: "none (sentence embeddings are clustered directly)".into(),
                    n_components: g.embedding.ncols(),
                    explained_variance: None,
                });
                (g.embedding, Some(embedder))
            }
            None => {
                let n = vectorizer.vocabulary().len();
                let (e, embedder) = embed_transformer(tp, texts, n, ctx, |e| {
                    Ok(crate::bundle::check_model(&bundle.manifest, e.dir())?)
                })?;
                (e, Some(embedder))
            }
        },
        (EmbedConfig::Tfidf(_), Some(components)) => {
            let empty = x.outer_iterator().filter(|r| r.nnz() == 0).count();
            if empty > 0 {
                ctx.warnings.push(no_terms_warning(empty, texts.len()));
            }
            let e = match given {
                Some(g) => g.embedding,
                None => {
                    progress.start("reduce", 0);
                    progress.message("projecting onto the fitted LSA components");
                    let e = crate::embed::lsa::project(components.view(), &x)?;
                    progress.finish();
                    ctx.timer.lap("reduce");
                    e
                }
            };
            let explained = match &bundle.manifest.embed {
                EmbedInfo::Tfidf {
                    explained_variance_ratio,
                    ..
                } => Some(explained_variance_ratio.iter().sum::<f64>()),
                EmbedInfo::Transformer { .. } => None,
            };
            ctx.details.reduce = Some(ReduceDetails {
                method: "fitted truncated_svd projection+l2".into(),
                n_components: e.ncols(),
                explained_variance: explained,
            });
            (e, None)
        }
        (EmbedConfig::Tfidf(_), None) => {
            return Err(Error::Bundle(crate::bundle::BundleError::Invalid {
                path: "bundle.json".into(),
                message: "the embedder is TF-IDF but the bundle has no LSA components".into(),
            }))
        }
    };
    Ok(Vectors {
        vectorizer,
        x,
        embedding,
        embedder,
        lsa: None,
    })
}

/// The warning for `empty` of `total` paragraphs without a term of the bundle's vocabulary.
pub(super) fn no_terms_warning(empty: usize, total: usize) -> String {
    format!(
        "{empty} of {total} paragraphs share no term with the bundle's vocabulary: their \
         vector is zero, so their topic (the centroid nearest the origin) and labels \
         say nothing about them; find them by topic_distance or refit on a corpus \
         like this one"
    )
}

/// The cluster details of a run that applies the bundle's centroids.
pub(super) fn applied_cluster_details(bundle: &Bundle) -> ClusterDetails {
    let c = &bundle.manifest.cluster;
    ClusterDetails {
        method: "nearest fitted centroid (k-means++ lloyd, fitted by the bundle)".into(),
        k: c.k,
        k_chosen_automatically: c.k_chosen_automatically,
        silhouette_by_k: c.silhouette_by_k.clone(),
        choose_k: "silhouette".into(),
        stability_by_k: Vec::new(),
        stability_runs: 0,
        seeded: Vec::new(),
        merged: Vec::new(),
        inertia: c.inertia,
        n_iter: 0,
    }
}

/// Topic descriptions of `assignment`: fitted terms and labels, this corpus's sizes and
/// representative paragraphs.
fn describe_assigned(
    assignment: &Assignment,
    centroids: &Array2<f32>,
    embedding: &Array2<f32>,
    described: impl Iterator<Item = (String, Vec<String>, Vec<f64>)>,
    p: &TopicsValidParams,
) -> Vec<Topic> {
    let k = centroids.nrows();
    let reps = cluster::representatives(
        &assignment.labels,
        centroids.view(),
        embedding.view(),
        p.params().representatives,
    );
    let mut sizes = vec![0usize; k];
    for &l in &assignment.labels {
        sizes[l] += 1;
    }
    described
        .zip(reps)
        .enumerate()
        .map(|(id, ((label, terms, scores), r))| Topic {
            id,
            size: sizes[id],
            label,
            terms,
            scores,
            representatives: r,
            stability: None,
            label_from: crate::topics::label_from::TERMS,
        })
        .collect()
}

/// Fits k-means on the vectors and describes the topics.
pub(super) fn topics_fit(
    cfg: &CheckedConfig,
    texts: &[&str],
    v: &Vectors,
    ctx: &mut Ctx<'_>,
) -> Result<(TopicModel, ClusterDetails), Error> {
    let progress = ctx.progress;
    progress.start("cluster", 0);
    let tp = cfg.topics.params();
    // Guided topics: each seed's centre is the mean embedding of the paragraphs holding its
    // words.
    let mut guided = crate::topics::seed_members(texts, &cfg.topics);
    // A codebook label (`seed_dimension`) whose keywords occur nowhere seeds nothing: a
    // warning; a `seeds` entry that matches nothing is an error (below).
    guided.retain(|(name, rows)| {
        let from_table = cfg.config.topics.seeds.contains_key(name);
        if rows.is_empty() && !from_table {
            ctx.warnings.push(format!(
                "[topics] seed_dimension: no paragraph holds a keyword of '{name}', so it seeds no topic"
            ));
        }
        from_table || !rows.is_empty()
    });
    let mut clustering = if guided.is_empty() {
        cfg.cluster
            .fit_with_progress(v.embedding.view(), cfg.config.seed, progress)?
    } else {
        let d = v.embedding.ncols();
        let mut centres = ndarray::Array2::<f32>::zeros((guided.len(), d));
        for (j, (name, rows)) in guided.iter().enumerate() {
            if rows.is_empty() {
                return Err(crate::cluster::ClusterError::SeedMatchesNothing {
                    name: name.clone(),
                    words: tp.seeds[name].join(", "),
                }
                .into());
            }
            let mut sum = vec![0.0f64; d];
            for &r in rows {
                for (s, &x) in sum.iter_mut().zip(v.embedding.row(r)) {
                    *s += f64::from(x);
                }
            }
            for (o, s) in centres.row_mut(j).iter_mut().zip(&sum) {
                *o = (s / rows.len() as f64) as f32;
            }
        }
        cfg.cluster.fit_seeded(
            v.embedding.view(),
            cfg.config.seed,
            centres.view(),
            progress,
        )?
    };
    // Merged topics ([topics] merge), then renumbered.
    let fitted_k = clustering.k;
    let mut held: Vec<Vec<usize>> = (0..fitted_k).map(|t| vec![t]).collect();
    if !tp.merge.is_empty() {
        let (merged, h) = crate::topics::merge_topics(&clustering, &tp.merge, v.embedding.view())?;
        clustering = merged;
        held = h;
    }
    // Names: a guided topic's seed name, then [topics] names (by fitted id), which win.
    let mut names: Vec<Option<(String, &'static str)>> = vec![None; clustering.k];
    for ((name, _), &t) in guided.iter().zip(&clustering.seeded) {
        names[t].get_or_insert((name.clone(), crate::topics::label_from::SEED));
    }
    for (key, name) in &tp.names {
        let id: usize = key.trim().parse().unwrap_or(usize::MAX);
        let Some(t) = held.iter().position(|h| h.contains(&id)) else {
            return Err(crate::cluster::ClusterError::NoSuchTopic {
                key: "names".into(),
                id,
                k: fitted_k,
            }
            .into());
        };
        if names[t]
            .as_ref()
            .is_none_or(|n| n.1 != crate::topics::label_from::NAMES)
        {
            names[t] = Some((name.clone(), crate::topics::label_from::NAMES));
        }
    }
    let merged: Vec<(usize, Vec<usize>)> = held
        .iter()
        .enumerate()
        .filter(|(_, h)| h.len() > 1)
        .map(|(t, h)| (t, h.clone()))
        .collect();
    let seeded: Vec<(String, usize)> = guided
        .iter()
        .zip(&clustering.seeded)
        .map(|((name, _), &t)| (name.clone(), t))
        .collect();
    progress.finish();
    ctx.timer.lap("cluster");
    ctx.warnings.extend(clustering.warnings.iter().cloned());
    let details = ClusterDetails {
        method: "kmeans++ lloyd".into(),
        k: clustering.k,
        k_chosen_automatically: cfg.config.cluster.k.is_none(),
        silhouette_by_k: clustering.k_scores.clone(),
        choose_k: cfg.config.cluster.choose_k.as_str().into(),
        stability_by_k: clustering.stability_by_k.clone(),
        stability_runs: cfg.config.cluster.stability_runs,
        seeded,
        merged,
        inertia: clustering.inertia,
        n_iter: clustering.n_iter,
    };
    ctx.details.cluster = Some(details.clone());
    progress.start("topics", 0);
    progress.message("topic terms and representative paragraphs");
    let term_counts = crate::topics::TermCounts::new(texts, &cfg.topics)?;
    let mut topics =
        crate::topics::describe(&term_counts, &clustering, v.embedding.view(), &cfg.topics);
    for (t, name) in topics.iter_mut().zip(names) {
        if let Some((name, from)) = name {
            t.label = name;
            t.label_from = from;
        }
    }
    progress.finish();
    ctx.timer.lap("topics");
    let model = TopicModel {
        assignment: Assignment {
            labels: clustering.labels,
            prob: clustering.prob,
            distance: clustering.distance,
        },
        centroids: clustering.centroids,
        topics,
        term_vectorizer: term_counts.vectorizer,
        term_counts: term_counts.counts,
    };
    Ok((model, details))
}

/// Assigns every paragraph to the nearest fitted centroid of the bundle.
pub(super) fn topics_apply(
    bundle: &Bundle,
    texts: &[&str],
    v: &Vectors,
    p: &TopicsValidParams,
    ctx: &mut Ctx<'_>,
) -> Result<TopicModel, Error> {
    let progress = ctx.progress;
    progress.start("cluster", 0);
    progress.message("nearest fitted topic");
    let assignment = cluster::assign_nearest(bundle.centroids.view(), v.embedding.view())?;
    progress.finish();
    ctx.timer.lap("cluster");
    ctx.details.cluster = Some(applied_cluster_details(bundle));
    progress.start("topics", 0);
    progress.message("fitted topic terms, representative paragraphs");
    let term_vectorizer = bundle.term_vectorizer.clone();
    let term_counts = term_vectorizer.counts(texts);
    let mut topics = describe_assigned(
        &assignment,
        &bundle.centroids,
        &v.embedding,
        bundle
            .manifest
            .topics
            .iter()
            .map(|t| (t.label.clone(), t.terms.clone(), t.scores.clone())),
        p,
    );
    for (t, b) in topics.iter_mut().zip(&bundle.manifest.topics) {
        t.label_from = crate::topics::label_from::of(&b.label_from);
    }
    progress.finish();
    ctx.timer.lap("topics");
    Ok(TopicModel {
        centroids: bundle.centroids.clone(),
        topics,
        assignment,
        term_vectorizer,
        term_counts,
    })
}

/// Labels the paragraphs on every codebook dimension and classifier.
pub(super) fn label(
    codebooks: &[Codebook],
    classifiers: &[(String, ModelFile)],
    params: &LabelParams,
    texts: &[&str],
    v: &Vectors,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<DimensionLabels>, Error> {
    if codebooks.is_empty() && classifiers.is_empty() {
        return Ok(Vec::new());
    }
    let progress = ctx.progress;
    progress.start(
        "label",
        (codebooks.iter().map(|c| c.dimension.len()).sum::<usize>() + classifiers.len()) as u64,
    );
    let space = match &v.embedder {
        Some(e) => Space::Dense {
            paragraphs: v.embedding.view(),
            embedder: e,
        },
        None => Space::Tfidf {
            vectorizer: &v.vectorizer,
            x: &v.x,
        },
    };
    let mut labelled =
        crate::label::label_all_with_progress(codebooks, texts, &space, params, progress)?;
    for (name, model) in classifiers {
        progress.message(&format!("classifier '{name}'"));
        labelled.push(crate::label::classify_dimension(
            name,
            model,
            texts,
            params.target.as_deref(),
        )?);
        progress.inc(1);
    }
    progress.finish();
    ctx.timer.lap("label");
    ctx.details.label = Some(
        labelled
            .iter()
            .map(|d| LabelDetails {
                dimension: d.name.clone(),
                codebook: d.codebook.clone(),
                method: d.method,
                kind: d.kind,
                labels: d.labels.clone(),
                unsure: d.chosen.iter().filter(|c| c.is_none()).count(),
            })
            .collect(),
    );
    Ok(labelled)
}
