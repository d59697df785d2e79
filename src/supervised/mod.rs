//! Labelled data for `train`, `evaluate` and `predict`: reading a table's text, label,
//! target, group and split columns, and turning cross-validation outcomes into tables.

use crate::classify::{self, Encoded, Labels, Predictions};
use crate::corpus::{self, Body, CorpusParams, Unit};
use crate::export;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Which columns hold what.
#[derive(Clone, Debug, Default)]
pub struct DataColumns {
    /// Text column (default `text`).
    pub text_col: Option<String>,
    /// Id column (default `id`, else the row number).
    pub id_col: Option<String>,
    /// Label column (default `label`).
    pub label_col: Option<String>,
    /// One model per value of this column.
    pub target_col: Option<String>,
    /// Grouped cross-validation by this column.
    pub group_col: Option<String>,
    /// Train/test split column.
    pub split_col: Option<String>,
    /// Labels are lists (`;`-joined or JSON arrays).
    pub multi_label: bool,
    /// Skip rows without a label instead of failing.
    pub skip_unlabelled: bool,
}

/// Problems with labelled data.
#[derive(Debug, thiserror::Error)]
pub enum SupervisedError {
    /// The data file cannot be read.
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    /// A metric cannot be computed.
    #[error(transparent)]
    Metrics(#[from] crate::classify::MetricsError),
    /// A table cannot be built.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Training or prediction failed.
    #[error(transparent)]
    Classify(#[from] crate::classify::ClassifyError),
    /// A codebook cannot be used.
    #[error(transparent)]
    Codebook(#[from] crate::label::CodebookError),
    /// The sentence-transformer failed.
    #[error(transparent)]
    Transformer(#[from] crate::embed::transformer::TransformerError),
    /// TF-IDF failed.
    #[error(transparent)]
    Tfidf(#[from] crate::embed::tfidf::TfidfError),
    /// Invalid cross-validation or bootstrap settings.
    #[error("{0}")]
    Params(String),
    /// `--target-col` with group or split folds.
    #[error("--target-col combines with stratified k-fold only (not --group-col or --split-col)")]
    TargetWithFolds,
    /// No row is in the test split.
    #[error("no row has {column} = '{value}' (--test-value)")]
    NoTestRows {
        /// The split column.
        column: String,
        /// The test value asked for.
        value: String,
    },
    /// A zero-shot evaluation with no row to score.
    #[error("no row to evaluate (--test-value '{0}')")]
    NothingToEvaluate(String),
    /// The data has no labels where labels are needed.
    #[error("no label column (give it with --label-col)")]
    NoLabels,
    /// A zero-shot evaluation of multi-label data.
    #[error("--codebook evaluation needs single labels")]
    NotSingleLabel,
    /// A codebook without a dimension.
    #[error("the codebook '{0}' has no dimension")]
    NoDimension(String),
    /// A column is missing.
    #[error("'{path}' has no column '{column}' (given by {flag}); its columns are: {available}")]
    MissingColumn {
        /// File.
        path: PathBuf,
        /// Column.
        column: String,
        /// Flag.
        flag: String,
        /// Existing columns.
        available: String,
    },
    /// Rows without a label.
    #[error("'{path}': {count} rows have no label in column '{column}' (ids: {examples}); label them, or pass --skip-unlabelled to skip them")]
    Unlabelled {
        /// File.
        path: PathBuf,
        /// Label column.
        column: String,
        /// How many.
        count: usize,
        /// The first few row ids.
        examples: String,
    },
    /// No row is left.
    #[error("'{0}': no labelled row with text")]
    Empty(PathBuf),
    /// The label map file could not be read.
    #[error("cannot read label map '{path}': {source}")]
    LabelMapRead {
        /// File.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The label map is not a TOML table of strings.
    #[error("label map '{path}': expected lines like favor = \"FAVOR\" (codebook label = gold label): {message}")]
    LabelMapParse {
        /// File.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A key of the label map is not a label of the codebook's dimension.
    #[error("label map '{path}': '{label}' is not a label of the codebook dimension '{dimension}'; its labels are: {known}")]
    LabelMapCodebookLabel {
        /// File.
        path: PathBuf,
        /// The key as written.
        label: String,
        /// The codebook dimension.
        dimension: String,
        /// The dimension's labels.
        known: String,
    },
    /// A value of the label map is not a gold label of the evaluated rows.
    #[error("label map '{path}': '{gold}' (for codebook label '{label}') is not a gold label of the evaluated rows; the gold labels are: {known}")]
    LabelMapGoldLabel {
        /// File.
        path: PathBuf,
        /// The codebook label (key).
        label: String,
        /// The value as written.
        gold: String,
        /// The gold labels there are.
        known: String,
    },
}

/// The codebook-label → gold-label map of a zero-shot evaluation (`evaluate --codebook
/// --label-map`): a TOML table `favor = "FAVOR"`; several codebook labels may map to one
/// gold label. Codebook labels the map does not name match the gold label of the same name
/// ignoring case, if there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelMap {
    /// Where the map was read from (for messages).
    pub path: PathBuf,
    /// Codebook label → gold label.
    pub map: std::collections::BTreeMap<String, String>,
}

impl LabelMap {
    /// Parses a TOML label map; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<LabelMap, SupervisedError> {
        let map = toml::from_str(text).map_err(|e| SupervisedError::LabelMapParse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        Ok(LabelMap {
            path: path.to_path_buf(),
            map,
        })
    }

    /// Reads and parses a TOML label map file.
    pub fn load(path: &Path) -> Result<LabelMap, SupervisedError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| SupervisedError::LabelMapRead {
                path: path.to_path_buf(),
                source,
            })?;
        Self::from_toml(&text, path)
    }

    /// Checks that every key is a label of the codebook dimension (`dimension`, with labels
    /// `codebook_labels`) and every value a label of `gold` (the gold labels of the rows
    /// evaluated): a misspelt name would silently turn predictions into "unsure" and change
    /// the score.
    pub fn check(
        &self,
        dimension: &str,
        codebook_labels: &[String],
        gold: &[String],
    ) -> Result<(), SupervisedError> {
        for (label, g) in &self.map {
            if !codebook_labels.contains(label) {
                return Err(SupervisedError::LabelMapCodebookLabel {
                    path: self.path.clone(),
                    label: label.clone(),
                    dimension: dimension.to_string(),
                    known: codebook_labels.join(", "),
                });
            }
            if !gold.contains(g) {
                return Err(SupervisedError::LabelMapGoldLabel {
                    path: self.path.clone(),
                    label: label.clone(),
                    gold: g.clone(),
                    known: gold.join(", "),
                });
            }
        }
        Ok(())
    }

    /// The gold label a codebook label counts as: the map's, else the gold label equal to
    /// it ignoring case; `None` (counted as unsure) otherwise.
    pub fn to_gold(&self, label: &str, gold: &[String]) -> Option<String> {
        if let Some(g) = self.map.get(label) {
            return Some(g.clone());
        }
        gold.iter().find(|g| g.eq_ignore_ascii_case(label)).cloned()
    }

    /// Codebook labels that count as no gold label (neither in the map nor equal to a gold
    /// label ignoring case): their predictions are scored as unsure.
    pub fn unmatched<'a>(&self, codebook_labels: &'a [String], gold: &[String]) -> Vec<&'a str> {
        codebook_labels
            .iter()
            .filter(|l| self.to_gold(l, gold).is_none())
            .map(String::as_str)
            .collect()
    }
}

/// A labelled (or unlabelled, for predict) table.
#[derive(Clone, Debug)]
pub struct LabelledData {
    /// Row ids.
    pub ids: Vec<String>,
    /// Texts.
    pub texts: Vec<String>,
    /// Labels (`None` when the label column is absent and not needed).
    pub labels: Option<Labels>,
    /// Target per row.
    pub targets: Option<Vec<String>>,
    /// Group per row.
    pub groups: Option<Vec<String>>,
    /// Split value per row.
    pub split: Option<Vec<String>>,
    /// Rows skipped (empty text, unlabelled with --skip-unlabelled).
    pub n_skipped: usize,
    /// Rows the corpus reader left out, and why (a subset of `n_skipped`).
    pub skipped: Vec<corpus::Skipped>,
    /// Input checksum.
    pub inputs: Vec<corpus::InputFile>,
}

impl LabelledData {
    /// Whether some row could not be read (not merely empty), so the exit code should say so.
    pub fn has_failures(&self) -> bool {
        self.skipped.iter().any(|s| s.reason.is_failure())
    }

    /// Text slices.
    pub fn text_refs(&self) -> Vec<&str> {
        self.texts.iter().map(String::as_str).collect()
    }

    /// Target slices.
    pub fn target_refs(&self) -> Option<Vec<&str>> {
        self.targets
            .as_ref()
            .map(|t| t.iter().map(String::as_str).collect())
    }
}

fn parse_labels(v: &str, multi: bool) -> Vec<String> {
    let v = v.trim();
    if !multi {
        return if v.is_empty() {
            vec![]
        } else {
            vec![v.to_string()]
        };
    }
    if v.starts_with('[') {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(v) {
            return list.into_iter().filter(|s| !s.trim().is_empty()).collect();
        }
    }
    v.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Where a named column's values are, once the corpus reader has read the file.
#[derive(Clone, Copy)]
enum Col {
    /// A metadata column.
    Meta(usize),
    /// The id column.
    Id,
    /// The text column.
    Text,
    /// The `title` column.
    Title,
    /// The `date` column.
    Date,
    /// The `source` column.
    Source,
}

/// Reads a JSONL/CSV/Parquet file of labelled rows. With `need_labels`, the label column
/// must exist and every row must have a label (or be skipped with `skip_unlabelled`).
pub fn load(
    path: &Path,
    cols: &DataColumns,
    need_labels: bool,
) -> Result<LabelledData, SupervisedError> {
    let params = CorpusParams {
        text_col: cols.text_col.clone(),
        id_col: cols.id_col.clone(),
        doc_col: None,
        unit: Unit::Document,
        ..CorpusParams::default()
    };
    let c = corpus::load(path, &params)?;
    let text_name = params.text_col().to_string();
    let id_name = cols.id_col.clone().unwrap_or_else(|| "id".to_string());
    let find = |name: &str, flag: &str| -> Result<Col, SupervisedError> {
        if let Some(i) = c.doc_meta.iter().position(|m| m.name == name) {
            return Ok(Col::Meta(i));
        }
        if c.columns.iter().any(|n| n == name) {
            // A column the corpus reader renamed (its name is an output column's) or turned
            // into a document field.
            let renamed = format!("meta_{name}");
            if let Some(i) = c.doc_meta.iter().position(|m| m.name == renamed) {
                return Ok(Col::Meta(i));
            }
            match name {
                n if n == text_name => return Ok(Col::Text),
                n if n == id_name => return Ok(Col::Id),
                "title" => return Ok(Col::Title),
                "date" => return Ok(Col::Date),
                "source" => return Ok(Col::Source),
                _ => {}
            }
        }
        Err(SupervisedError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            flag: flag.to_string(),
            available: c.columns.join(", "),
        })
    };
    let label_name = cols.label_col.as_deref().unwrap_or("label");
    let label_i = match find(label_name, "--label-col") {
        Ok(i) => Some(i),
        Err(e) if need_labels => return Err(e),
        Err(_) => None,
    };
    let opt = |name: &Option<String>, flag: &str| -> Result<Option<Col>, SupervisedError> {
        match name {
            Some(n) => Ok(Some(find(n, flag)?)),
            None => Ok(None),
        }
    };
    let target_i = opt(&cols.target_col, "--target-col")?;
    let group_i = opt(&cols.group_col, "--group-col")?;
    let split_i = opt(&cols.split_col, "--split-col")?;
    let get = |col: Col, row: usize| -> String {
        let d = &c.documents[row];
        match col {
            Col::Meta(i) => c.doc_meta[i].values.get_string(row).unwrap_or_default(),
            Col::Id => d.id.clone(),
            Col::Text => match &d.body {
                Body::Text { text, .. } => text.clone(),
                Body::Rows(_) => String::new(),
            },
            Col::Title => d.title.clone().unwrap_or_default(),
            Col::Date => d.date.clone().unwrap_or_default(),
            Col::Source => d.source.clone(),
        }
    };

    let mut out = LabelledData {
        ids: Vec::new(),
        texts: Vec::new(),
        labels: None,
        targets: target_i.map(|_| Vec::new()),
        groups: group_i.map(|_| Vec::new()),
        split: split_i.map(|_| Vec::new()),
        n_skipped: c.skipped.len(),
        skipped: c.skipped.clone(),
        inputs: c.inputs.clone(),
    };
    let mut labels: Vec<Vec<String>> = Vec::new();
    let mut unlabelled: Vec<String> = Vec::new();
    for (row, d) in c.documents.iter().enumerate() {
        let Body::Text { text, .. } = &d.body else {
            continue;
        };
        if let Some(li) = label_i {
            let l = parse_labels(&get(li, row), cols.multi_label);
            if l.is_empty() && need_labels {
                if cols.skip_unlabelled {
                    out.n_skipped += 1;
                } else {
                    unlabelled.push(d.id.clone());
                }
                continue;
            }
            labels.push(l);
        }
        out.ids.push(d.id.clone());
        out.texts.push(text.clone());
        if let (Some(i), Some(v)) = (target_i, out.targets.as_mut()) {
            v.push(get(i, row));
        }
        if let (Some(i), Some(v)) = (group_i, out.groups.as_mut()) {
            v.push(get(i, row));
        }
        if let (Some(i), Some(v)) = (split_i, out.split.as_mut()) {
            v.push(get(i, row));
        }
    }
    if !unlabelled.is_empty() {
        return Err(SupervisedError::Unlabelled {
            path: path.to_path_buf(),
            column: label_name.to_string(),
            count: unlabelled.len(),
            examples: unlabelled
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if out.texts.is_empty() {
        return Err(SupervisedError::Empty(path.to_path_buf()));
    }
    if label_i.is_some() {
        out.labels = Some(if cols.multi_label {
            Labels::Multi(labels)
        } else {
            Labels::Single(labels.into_iter().map(|mut l| l.remove(0)).collect())
        });
    }
    Ok(out)
}

/// Predicted label(s) of a row as a string (`;`-joined for multi-label).
pub fn predicted_string(p: &Predictions, row: usize) -> String {
    p.labels(row).join(";")
}

/// Gold label(s) of a row as a string.
pub fn gold_string(truth: &Encoded, classes: &[String], row: usize) -> String {
    match truth {
        Encoded::Single(v) => classes[v[row]].clone(),
        Encoded::Multi(v) => v[row]
            .iter()
            .map(|&c| classes[c].as_str())
            .collect::<Vec<_>>()
            .join(";"),
    }
}

/// A predictions table: the id column, optional fold/target/gold, `predicted`, and one
/// `score_<class>` column per class (decision values; probabilities for logistic regression).
pub fn predictions_frame(
    file: &str,
    ids: Vec<String>,
    extra: Vec<Column>,
    p: &Predictions,
) -> Result<DataFrame, SupervisedError> {
    let n = ids.len();
    let mut cols = vec![Column::new("id".into(), ids)];
    cols.extend(extra);
    cols.push(Column::new(
        "predicted".into(),
        (0..n).map(|r| predicted_string(p, r)).collect::<Vec<_>>(),
    ));
    let scores = p.probabilities.as_ref().unwrap_or(&p.scores);
    for (j, c) in p.classes.iter().enumerate() {
        cols.push(Column::new(
            format!("score_{c}").into(),
            scores.column(j).to_vec(),
        ));
    }
    Ok(export::frame(file, n, cols)?)
}

/// Metrics rows for `eval_metrics.parquet`: (scope, metric, class, value, ci_low, ci_high).
#[derive(Clone, Debug, Default)]
pub struct MetricRows {
    /// `pooled` or a target value.
    pub scope: Vec<String>,
    /// Metric name.
    pub metric: Vec<String>,
    /// Class, for per-class metrics.
    pub class: Vec<Option<String>>,
    /// Value.
    pub value: Vec<f64>,
    /// Lower end of the 95% bootstrap interval (macro_f1, f_avg).
    pub ci_low: Vec<Option<f64>>,
    /// Upper end.
    pub ci_high: Vec<Option<f64>>,
}

impl MetricRows {
    fn push(
        &mut self,
        scope: &str,
        metric: &str,
        class: Option<&str>,
        value: f64,
        ci: Option<(f64, f64)>,
    ) {
        self.scope.push(scope.to_string());
        self.metric.push(metric.to_string());
        self.class.push(class.map(str::to_string));
        self.value.push(value);
        self.ci_low.push(ci.map(|c| c.0));
        self.ci_high.push(ci.map(|c| c.1));
    }

    /// Adds the metrics of one scope from out-of-fold predictions.
    pub fn add(
        &mut self,
        scope: &str,
        truth: &Encoded,
        p: &Predictions,
        boot: &classify::BootstrapValidParams,
    ) -> Result<(), SupervisedError> {
        let classes = &p.classes;
        match truth {
            Encoded::Single(t) => {
                let r = classify::metrics::report(t, &p.top, classes)?;
                let mf = classify::metrics::bootstrap_macro_f1(t, &p.top, classes, boot)?;
                self.push(scope, "rows", None, r.rows as f64, None);
                self.push(scope, "accuracy", None, r.accuracy, None);
                self.push(
                    scope,
                    "macro_f1",
                    None,
                    r.macro_f1,
                    Some((mf.lower, mf.upper)),
                );
                self.push(scope, "micro_f1", None, r.micro_f1, None);
                if let Some(fa) = r.f_avg {
                    let ci = classify::metrics::bootstrap_f_avg(t, &p.top, classes, boot)?;
                    self.push(scope, "f_avg", None, fa, ci.map(|c| (c.lower, c.upper)));
                }
                for c in &r.per_class {
                    self.push(scope, "precision", Some(&c.class), c.precision, None);
                    self.push(scope, "recall", Some(&c.class), c.recall, None);
                    self.push(scope, "f1", Some(&c.class), c.f1, None);
                    self.push(scope, "support", Some(&c.class), c.support as f64, None);
                }
                for (i, row) in r.confusion.iter().enumerate() {
                    for (j, &n) in row.iter().enumerate() {
                        self.push(
                            scope,
                            &format!("confusion:{}", classes[j]),
                            Some(&classes[i]),
                            n as f64,
                            None,
                        );
                    }
                }
            }
            Encoded::Multi(t) => {
                let r = classify::metrics::multilabel_report(t, &p.assigned, classes)?;
                let mf = classify::metrics::bootstrap_multilabel_macro_f1(
                    t,
                    &p.assigned,
                    classes,
                    boot,
                )?;
                self.push(scope, "rows", None, r.rows as f64, None);
                self.push(scope, "subset_accuracy", None, r.subset_accuracy, None);
                self.push(scope, "micro_f1", None, r.micro_f1, None);
                self.push(
                    scope,
                    "macro_f1",
                    None,
                    r.macro_f1,
                    Some((mf.lower, mf.upper)),
                );
                for c in &r.per_class {
                    self.push(scope, "precision", Some(&c.class), c.precision, None);
                    self.push(scope, "recall", Some(&c.class), c.recall, None);
                    self.push(scope, "f1", Some(&c.class), c.f1, None);
                    self.push(scope, "support", Some(&c.class), c.support as f64, None);
                }
            }
        }
        Ok(())
    }

    /// As a table.
    pub fn frame(&self) -> Result<DataFrame, SupervisedError> {
        let cols = vec![
            Column::new("scope".into(), self.scope.clone()),
            Column::new("metric".into(), self.metric.clone()),
            Column::new("class".into(), self.class.clone()),
            Column::new("value".into(), self.value.clone()),
            Column::new("ci_low".into(), self.ci_low.clone()),
            Column::new("ci_high".into(), self.ci_high.clone()),
        ];
        Ok(export::frame(
            "eval_metrics.parquet",
            self.scope.len(),
            cols,
        )?)
    }

    /// The headline numbers as text lines (scope, accuracy, macro-F1 [CI], F_avg [CI]).
    pub fn summary(&self) -> Vec<String> {
        let mut scopes: Vec<&str> = Vec::new();
        for s in &self.scope {
            if !scopes.contains(&s.as_str()) {
                scopes.push(s);
            }
        }
        scopes
            .iter()
            .map(|s| {
                let get = |m: &str| {
                    (0..self.scope.len())
                        .find(|&i| self.scope[i] == *s && self.metric[i] == m && self.class[i].is_none())
                };
                let fmt = |m: &str| match get(m) {
                    Some(i) => match (self.ci_low[i], self.ci_high[i]) {
                        (Some(l), Some(h)) => format!("{:.2} [{:.2}, {:.2}]", 100.0 * self.value[i], 100.0 * l, 100.0 * h),
                        _ => format!("{:.2}", 100.0 * self.value[i]),
                    },
                    None => "–".to_string(),
                };
                let n = get("rows").map(|i| self.value[i] as u64).unwrap_or(0);
                let acc = if get("accuracy").is_some() { fmt("accuracy") } else { fmt("subset_accuracy") };
                format!(
                    "{s:<36} rows {n:>6}  accuracy {acc:<8}  macro-F1 {:<22}  micro-F1 {:<8}  F_avg {}",
                    fmt("macro_f1"),
                    fmt("micro_f1"),
                    fmt("f_avg")
                )
            })
            .collect()
    }
}

mod evaluate;
mod zero_shot;
pub use evaluate::{cross_validate, Evaluation, FoldScheme};
pub use zero_shot::{zero_shot, ZeroShot, ZeroShotSpec};

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn label_map_names_misspelt_codebook_and_gold_labels() {
        let cb = strings(&["favor", "against", "neutral"]);
        let gold = strings(&["AGAINST", "FAVOR", "NONE"]);
        let ok = LabelMap::from_toml("neutral = \"NONE\"\n", Path::new("m.toml")).unwrap();
        ok.check("stance", &cb, &gold).unwrap();
        assert_eq!(ok.to_gold("neutral", &gold).as_deref(), Some("NONE"));
        assert_eq!(ok.to_gold("favor", &gold).as_deref(), Some("FAVOR"));
        assert!(ok.unmatched(&cb, &gold).is_empty());

        let typo = LabelMap::from_toml("nuetral = \"NONE\"\n", Path::new("m.toml")).unwrap();
        let e = typo.check("stance", &cb, &gold).unwrap_err().to_string();
        assert!(e.contains("'nuetral' is not a label"), "{e}");
        assert!(e.contains("favor, against, neutral"), "{e}");

        let bad_gold = LabelMap::from_toml("neutral = \"NEUTRAL\"\n", Path::new("m.toml")).unwrap();
        let e = bad_gold
            .check("stance", &cb, &gold)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'NEUTRAL'"), "{e}");
        assert!(e.contains("AGAINST, FAVOR, NONE"), "{e}");

        let none = LabelMap::default();
        assert_eq!(none.unmatched(&cb, &gold), vec!["neutral"]);
    }

    #[test]
    fn label_map_that_is_not_a_table_of_strings_is_an_error() {
        let e = LabelMap::from_toml("favor = 3\n", Path::new("m.toml")).unwrap_err();
        assert!(e.to_string().contains("label map 'm.toml'"), "{e}");
    }
}
