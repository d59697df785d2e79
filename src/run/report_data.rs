//! The report's content, assembled from a finished run's results.

use super::manifest::{AppliedBundle, EmbedDetails, StageDetails};
use crate::config::CheckedConfig;
use crate::embed::transformer::Precision;
use crate::framing;
use crate::report::{self, Methods, ReportData, Summary};
use std::path::Path;

/// Assembles the report's content from the run.
#[allow(clippy::too_many_arguments)]
pub(super) fn report_data(
    corpus_path: &Path,
    counts: &super::manifest::Counts,
    cfg: &CheckedConfig,
    topics: Vec<report::TopicInfo>,
    dims: &[framing::ComparedDimension],
    cmp: framing::Comparison,
    warnings: &[String],
    details: &StageDetails,
    applied: Option<&AppliedBundle>,
) -> ReportData {
    let c = &cfg.config;
    let cp = &c.compare;
    let tf = match &c.embed {
        crate::embed::EmbedConfig::Tfidf(tf) => tf.clone(),
        crate::embed::EmbedConfig::Transformer(_) => crate::embed::clustering_tfidf_defaults(),
    };
    let n_features = match &details.embed {
        Some(EmbedDetails::Tfidf { n_features, .. }) => *n_features,
        _ => 0,
    };
    let n_comp = details.reduce.as_ref().map_or(0, |r| r.n_components);
    let k = details.cluster.as_ref().map_or(0, |c| c.k);
    let (dimension, precision) = match &details.embed {
        Some(EmbedDetails::Transformer {
            dimension,
            precision,
            ..
        }) => (*dimension, Some(*precision)),
        _ => (0, None),
    };
    let mut k_how = if c.cluster.k.is_some() {
        "k was given".to_string()
    } else if c.cluster.choose_k == crate::cluster::ChooseK::Stability {
        format!(
            "k was chosen automatically as the k in {}..={} (capped at √(n/2)) with the highest stability",
            c.cluster.k_min, c.cluster.k_max
        )
    } else {
        format!(
            "k was chosen automatically as the k in {}..={} (capped at √(n/2)) with the highest mean silhouette on a seeded sample of at most {} paragraphs",
            c.cluster.k_min, c.cluster.k_max, c.cluster.silhouette_sample
        )
    };
    if c.cluster.stability_runs > 0 && applied.is_none() {
        k_how.push_str(&format!(
            "; stability: {} re-fits per k, each with its own seed on a random {:.0}% of the paragraphs, matched to the topics by the Hungarian algorithm on the Jaccard overlap of their members; a topic's stability is its mean overlap with its matched topics, the stability of k the mean over its topics (after Greene, O'Callaghan & Cunningham 2014)",
            c.cluster.stability_runs,
            c.cluster.stability_sample * 100.0
        ));
    }
    let methods = Methods {
        segmentation: format!(
            "Documents were split into paragraphs by rhetor's line-based segmenter: blank-line and one-paragraph-per-line layouts, hard-wrapped lines joined, paragraphs broken by a stray blank line rejoined, short title-like lines (at most {} words without final punctuation, or title case up to {} words) treated as section headings, and link lists and share/subscribe footers dropped. Unit of analysis: {}.",
            c.segment.max_heading_words, c.segment.max_title_words, c.corpus.unit
        ),
        embedding: match &c.embed {
            crate::embed::EmbedConfig::Transformer(tp) => format!(
                "Paragraphs were embedded with the sentence-transformer model {} ({}-dimensional, mean pooling and l2 normalisation as the model's sentence-transformers configuration says; texts longer than the model's maximum length were {}), computed in Rust with {}; the vectors are clustered directly. Topic terms use TF-IDF counts.",
                tp.model,
                dimension,
                if matches!(tp.long, crate::embed::transformer::Long::Truncate) { "truncated, as sentence-transformers does" } else { "embedded as the mean of windows" },
                match (tp.engine, precision) {
                    (crate::embed::transformer::Engine::Candle, _) => "candle's BERT implementation",
                    (_, Some(Precision::Bf16)) => "rhetor's own BERT encoder with bfloat16 matrix products (cosine ≥ 0.999 to f32)",
                    _ => "rhetor's own BERT encoder in f32 (cosine ≥ 0.9999 to sentence-transformers)",
                }
            ),
            crate::embed::EmbedConfig::Tfidf(_) => format!(
            "Paragraphs were represented as TF-IDF vectors (scikit-learn-compatible: {} n-grams {:?}, min_df = {}, max_df = {}, {}sublinear tf, smooth idf, l2 norm; {} features), reduced to {} dimensions by randomized truncated SVD (LSA) and l2-normalised.",
            tf.analyzer, tf.ngram_range, tf.min_df, tf.max_df,
            if tf.sublinear_tf { "" } else { "no " }, n_features, n_comp
        ),
        },
        clustering: match applied {
            None => format!(
                "Topics: k-means (k-means++ initialisation, {} restarts, Lloyd iterations) on the reduced vectors; {k_how}; k = {k}. Topic ids are canonical (0 = largest). Topic terms are class-based TF-IDF (BERTopic's c-TF-IDF) over unigrams and bigrams without English stop words; representative paragraphs are those closest to the topic centroid. topic_prob is the fuzzy c-means membership (m = 2) of the assigned topic; topic_distance the distance to its centroid.",
                c.cluster.n_init
            ),
            Some(b) => format!(
                "Topics: not fitted on this corpus. The pipeline bundle {} (fitted by rhetor {} on {} documents, {} paragraphs of {}) was applied unchanged: its vocabulary, {}, k = {k} centroids and topic descriptions; each paragraph went to the nearest centroid. Topic ids, labels and terms are the bundle's (terms are c-TF-IDF on the fit corpus); sizes and representative paragraphs are this corpus's. topic_prob is the fuzzy c-means membership (m = 2) of the assigned topic; topic_distance the distance to its centroid: paragraphs far from every centroid are ones the fitted topics describe poorly.",
                b.path,
                b.rhetor_version,
                b.fitted_on.documents,
                b.fitted_on.paragraphs,
                b.fitted_on.corpus,
                if precision.is_some() || matches!(details.embed, Some(EmbedDetails::Transformer { .. })) { "its sentence-transformer (files checked by sha256)" } else { "LSA components" },
            ),
        },
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
    let mut data = ReportData {
        title: "How the documents frame the issue".to_string(),
        rhetor_version: crate::VERSION.to_string(),
        seed: c.seed,
        summary: Summary {
            corpus: corpus_path.display().to_string(),
            documents: counts.documents as u64,
            paragraphs: counts.paragraphs as u64,
            skipped: counts.skipped as u64,
            dropped: counts.dropped as u64,
            headings: counts.headings as u64,
        },
        group_by: c.groups.by.clone(),
        groups: cmp.groups,
        summarised: None,
        dimension_info: cmp.dimension_info,
        alpha: cmp.alpha,
        topics,
        dimensions: dims.iter().map(|d| d.name.clone()).collect(),
        shares: cmp.shares,
        divergence: cmp.divergence,
        adjust: cmp.adjust,
        keyness: cmp.keyness,
        claims: cmp.claims,
        methods,
        warnings: warnings.to_vec(),
        validation: None,
        k_choice: details.cluster.as_ref().map(|d| report::KChoice {
            k: d.k,
            automatic: d.k_chosen_automatically,
            criterion: d.choose_k.clone(),
            silhouette_by_k: d.silhouette_by_k.clone(),
            stability_by_k: d.stability_by_k.clone(),
            stability_runs: d.stability_runs,
            stability_sample: c.cluster.stability_sample,
        }),
        topic_map: None,
        time: None,
    };
    // With many groups the report shows a bounded selection (the tables keep every group).
    report::summarise(&mut data, c.groups.max_in_report);
    data
}

fn labelling_method(cfg: &CheckedConfig, dims: &[framing::ComparedDimension]) -> String {
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

fn codebook_method(cfg: &CheckedConfig, dims: &[framing::ComparedDimension]) -> String {
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
