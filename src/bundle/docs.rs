//! The documentation of the bundle format: `docs/bundle.md` is [`reference_markdown`].
//! Regenerate it with `RHETOR_UPDATE_DOCS=1 cargo test --lib bundle::docs`; the tests fail
//! when a field of `bundle.json` has no entry here, an entry names no field, or the file is
//! stale.

use super::{FORMAT, FORMAT_VERSION, MANIFEST};

/// The files of a bundle: `(file name, what it holds)`.
pub const BUNDLE_FILES: &[(&str, &str)] = &[
    (MANIFEST, "The manifest: format and version, the configuration, the embedder, the topics, and the sha256 of every other file (fields below)."),
    ("tfidf_vectorizer.json", "The fitted TF-IDF vectorizer of the embed stage: `format_version`, `params` (as the `[embed]` keys), `n_docs`, `vocabulary` (sorted terms; a term's column is its index) and `idf` (one smoothed idf per term, as scikit-learn's `TfidfVectorizer.idf_`). With a sentence-transformer it still weighs the TF-IDF label space."),
    ("topic_terms_vectorizer.json", "The term vectorizer of topic terms and keyness (same format): word 1..`[topics] ngram_max`-grams, English stop words removed. `apply` counts new paragraphs' terms over this vocabulary."),
    ("lsa.safetensors", "TF-IDF embedder only. Tensor `components`: float64, `n_components × n_terms`, the LSA right singular vectors `Vᵀ` (rows orthonormal, sign fixed as scikit-learn's `svd_flip`). A paragraph's embedding is its TF-IDF row times `V`, then divided by its Euclidean norm (all-zero rows stay zero). In Python: `safetensors.numpy.load_file(\"lsa.safetensors\")[\"components\"]`."),
    ("centroids.safetensors", "Tensor `centroids`: float32, `k × dimension`, the k-means centroid of each topic, row `i` = topic `i`. A paragraph goes to the nearest centroid (Euclidean)."),
    ("codebook.<name>.toml", "Each codebook the pipeline labels with, as a codebook file (the same format as `models/codebooks/*.toml`), with the stance target already filled in. Prototypes are recomputed from its descriptions and examples with the bundle's vectorizer or model, so they are the fitted ones."),
    ("classifier.<dimension>.json", "Each trained classifier (`rhetor train` model file, unchanged)."),
    (".rhetor-run.json", "The list of files rhetor wrote (lets `--force` replace the bundle and nothing else)."),
];

/// Every field of `bundle.json`: `(path, meaning)`; a path is the JSON key path with `.`
/// between levels and `[]` for the elements of a list. `config` is the whole configuration,
/// documented in `docs/config.md`.
pub const BUNDLE_DOCS: &[(&str, &str)] = &[
    ("format", "Always `\"rhetor-pipeline\"`."),
    ("format_version", "The bundle format version. A rhetor reads only its own version and refuses others with a message naming both."),
    ("rhetor_version", "The rhetor version that fitted the bundle."),
    ("config", "The configuration the bundle was fitted with, every key resolved (see docs/config.md); `config.seed` is the seed. `apply` takes the segmentation, embedding, topic and labelling settings from here, and corpus reading, grouping, comparison and output settings from its own configuration."),
    ("fitted_on", "What the bundle was fitted on."),
    ("fitted_on.corpus", "The corpus path as given to `fit`."),
    ("fitted_on.documents", "Documents read."),
    ("fitted_on.paragraphs", "Paragraphs (units) fitted on."),
    ("fitted_on.sampled_from", "With `fit --sample N`: the number of paragraphs of the corpus, of which `paragraphs` were drawn by a seeded uniform random sample (reservoir sampling, the config's seed) and fitted on. Absent when the whole corpus was used."),
    ("embed", "The embedder; `kind` says which."),
    ("embed.kind", "`\"tfidf\"` (TF-IDF, then LSA: `lsa.safetensors`) or `\"transformer\"` (a sentence-transformer)."),
    ("embed.n_features", "tfidf: the vocabulary size (columns of `components`)."),
    ("embed.n_components", "tfidf: LSA components (rows of `components`, the embedding dimension)."),
    ("embed.singular_values", "tfidf: the singular values of the fit corpus's TF-IDF matrix, largest first."),
    ("embed.explained_variance_ratio", "tfidf: the share of variance of each component on the fit corpus."),
    ("embed.model", "transformer: the model name or path (`[embed] model`)."),
    ("embed.dimension", "transformer: the vector length."),
    ("embed.model_files", "transformer: sha256 of the model's files (config, tokenizer, weights), by path in the model folder. `apply` refuses a model whose files differ."),
    ("cluster", "The k-means clustering."),
    ("cluster.k", "The number of topics (rows of `centroids`)."),
    ("cluster.dimension", "The embedding dimension (columns of `centroids`)."),
    ("cluster.k_chosen_automatically", "Whether k was chosen by silhouette."),
    ("cluster.silhouette_by_k", "`[k, mean silhouette]` of every k compared (empty when k was given)."),
    ("cluster.inertia", "Sum of squared distances to the own centroid on the fit corpus."),
    ("topics", "The topics, in id order: ids, labels and terms are kept by `apply`."),
    ("topics[].topic_id", "Topic id, 0 = largest on the fit corpus."),
    ("topics[].size", "Paragraphs of the fit corpus in the topic."),
    ("topics[].label", "The label: top distinct terms."),
    ("topics[].terms", "Top terms by c-TF-IDF weight on the fit corpus."),
    ("topics[].scores", "Their weights."),
    ("codebooks", "The codebook files, in labelling order."),
    ("classifiers", "The classifier files, in labelling order."),
    ("classifiers[].dimension", "The dimension (column of paragraphs.parquet) the classifier labels."),
    ("classifiers[].file", "Its file in the bundle."),
    ("files", "sha256 (lowercase hex) of every other file of the bundle, by file name. A file that is missing or differs is refused."),
];

/// `docs/bundle.md`.
pub fn reference_markdown() -> String {
    let mut s = String::new();
    s.push_str("# The pipeline bundle\n\n");
    s.push_str("<!-- Generated from src/bundle/docs.rs: RHETOR_UPDATE_DOCS=1 cargo test --lib bundle::docs -->\n\n");
    s.push_str(&format!(
        "`rhetor fit CORPUS --out MODEL_DIR` writes a fitted pipeline, the **bundle**, and \
         `rhetor apply MODEL_DIR CORPUS --out RUN` applies it to new documents without refitting: \
         topics keep their ids, labels and terms. A bundle is a directory of JSON, TOML and \
         [safetensors](https://github.com/huggingface/safetensors) files, readable without rhetor. \
         This is format `{FORMAT}`, version {FORMAT_VERSION}.\n\n"
    ));
    s.push_str("## Files\n\n| file | holds |\n|---|---|\n");
    for (f, m) in BUNDLE_FILES {
        s.push_str(&format!("| `{f}` | {m} |\n"));
    }
    s.push_str(&format!(
        "\n## `{MANIFEST}`\n\n| field | meaning |\n|---|---|\n"
    ));
    for (f, m) in BUNDLE_DOCS {
        s.push_str(&format!("| `{f}` | {m} |\n"));
    }
    s.push_str(
        "\n## Compatibility\n\n\
         A bundle records its format version; this rhetor reads its own version and refuses \
         any other with a message naming both (a newer one asks to update rhetor, an older one \
         to fit again). Every file's sha256 is checked when the bundle is read, so a damaged or \
         edited file is refused, naming the file. A bundle fitted with a sentence-transformer \
         records the sha256 of the model's files and is refused with a model whose files \
         differ.\n\n\
         ## Reading a bundle in Python\n\n\
         ```python\n\
         import json\n\
         from safetensors.numpy import load_file\n\
         manifest = json.load(open(\"MODEL_DIR/bundle.json\"))\n\
         centroids = load_file(\"MODEL_DIR/centroids.safetensors\")[\"centroids\"]  # k × dim\n\
         vec = json.load(open(\"MODEL_DIR/tfidf_vectorizer.json\"))  # vocabulary, idf\n\
         ```\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn paths(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.insert(p.clone());
                    // `config` is documented in docs/config.md, `files` and model files are maps.
                    if p != "config" && p != "files" && p != "embed.model_files" {
                        paths(x, &p, out);
                    }
                }
            }
            serde_json::Value::Array(a) => {
                for x in a {
                    if x.is_object() {
                        paths(x, &format!("{prefix}[]"), out);
                    }
                }
            }
            _ => {}
        }
    }

    fn sample(embed: super::super::EmbedInfo) -> serde_json::Value {
        use super::super::*;
        let m = BundleManifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            rhetor_version: "x".into(),
            config: crate::config::Config::default(),
            fitted_on: FittedOn {
                corpus: "c".into(),
                documents: 1,
                paragraphs: 1,
                sampled_from: Some(2),
            },
            embed,
            cluster: ClusterInfo {
                k: 1,
                dimension: 1,
                k_chosen_automatically: true,
                silhouette_by_k: vec![(1, 0.0)],
                inertia: 0.0,
            },
            topics: vec![TopicInfo {
                topic_id: 0,
                size: 1,
                label: "a".into(),
                terms: vec!["a".into()],
                scores: vec![1.0],
                label_from: "terms".into(),
            }],
            codebooks: vec!["codebook.x.toml".into()],
            classifiers: vec![ClassifierRef {
                dimension: "d".into(),
                file: "classifier.d.json".into(),
            }],
            files: Default::default(),
        };
        serde_json::to_value(m).unwrap()
    }

    #[test]
    fn every_field_is_documented_and_every_entry_is_a_field() {
        use super::super::EmbedInfo;
        let mut found = BTreeSet::new();
        paths(
            &sample(EmbedInfo::Tfidf {
                n_features: 1,
                n_components: 1,
                singular_values: vec![],
                explained_variance_ratio: vec![],
            }),
            "",
            &mut found,
        );
        paths(
            &sample(EmbedInfo::Transformer {
                model: "m".into(),
                dimension: 1,
                model_files: Default::default(),
            }),
            "",
            &mut found,
        );
        let documented: BTreeSet<String> = BUNDLE_DOCS.iter().map(|(p, _)| p.to_string()).collect();
        let missing: Vec<_> = found.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&found).collect();
        assert!(missing.is_empty(), "fields without docs: {missing:?}");
        assert!(stale.is_empty(), "docs of no field: {stale:?}");
    }

    #[test]
    fn docs_bundle_md_is_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bundle.md");
        let want = reference_markdown();
        if std::env::var_os("RHETOR_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let got = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "docs/bundle.md is stale: run RHETOR_UPDATE_DOCS=1 cargo test --lib bundle::docs"
        );
    }
}
