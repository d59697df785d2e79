//! What the validation loop reads from a run directory: the paragraphs with their text,
//! topic, group and rhetor's label per dimension, and the run's codebooks.

use super::ValidateError;
use crate::label::{Codebook, Kind, Level};
use polars::prelude::{DataFrame, DataType};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One labelled dimension of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    /// Dimension name (the paragraphs column).
    pub name: String,
    /// Codebook name, or `classifier:NAME`.
    pub codebook: String,
    /// How rhetor labelled it (`keywords`, `prototype`, `classifier`).
    pub method: String,
    /// Single- or multi-label.
    pub kind: Kind,
    /// Level of measurement for α (the codebook's `level`; nominal for classifiers).
    pub level: Level,
    /// Its labels, in codebook order.
    pub labels: Vec<String>,
    /// rhetor's label per paragraph (`None` = unsure; multi: labels joined with `;`).
    pub predicted: Vec<Option<String>>,
}

impl Dimension {
    /// The labels of one cell (split on `;` for multi-label dimensions), trimmed.
    pub fn split<'a>(&self, cell: &'a str) -> Vec<&'a str> {
        match self.kind {
            Kind::Single => vec![cell.trim()],
            Kind::Multi => cell
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    /// Index of a label.
    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }
}

/// A run directory, as the validation loop needs it.
#[derive(Clone, Debug)]
pub struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// Per paragraph: document id.
    pub doc_id: Vec<String>,
    /// Per paragraph: paragraph number.
    pub para_id: Vec<u32>,
    /// Per paragraph: the heading above it.
    pub section: Vec<Option<String>>,
    /// Per paragraph: its text.
    pub text: Vec<String>,
    /// Per paragraph: its topic label (`None` in runs without topics).
    pub topic: Vec<Option<String>>,
    /// The grouping column (`doc_id` when each document is a group).
    pub group_by: String,
    /// Per paragraph: its group.
    pub group: Vec<String>,
    /// Labelled dimensions, in the run's order.
    pub dims: Vec<Dimension>,
    /// The run's codebooks (from its `codebook.NAME.toml` copies), for the coding guide.
    pub codebooks: Vec<Codebook>,
    /// Identity of the paragraphs: the first 16 hex digits of the sha256 of every
    /// `doc_id`, `para_id` and text, in table order. The same for any run of the same
    /// corpus with the same segmentation, whatever the labelling.
    pub run_id: String,
    /// The run's seed.
    pub seed: u64,
}

impl RunData {
    /// Paragraph index by `(doc_id, para_id)`.
    pub fn index(&self) -> HashMap<(&str, u32), usize> {
        self.doc_id
            .iter()
            .zip(&self.para_id)
            .enumerate()
            .map(|(i, (d, &p))| ((d.as_str(), p), i))
            .collect()
    }

    /// Number of paragraphs.
    pub fn len(&self) -> usize {
        self.doc_id.len()
    }

    /// Whether the run has no paragraph.
    pub fn is_empty(&self) -> bool {
        self.doc_id.is_empty()
    }

    /// The dimension named `name`.
    pub fn dim(&self, name: &str) -> Option<&Dimension> {
        self.dims.iter().find(|d| d.name == name)
    }
}

/// The `run_id` of a list of paragraphs (see [`RunData::run_id`]).
pub fn run_id(doc_id: &[String], para_id: &[u32], text: &[String]) -> String {
    let mut h = Sha256::new();
    for ((d, p), t) in doc_id.iter().zip(para_id).zip(text) {
        h.update(d.as_bytes());
        h.update([0]);
        h.update(p.to_le_bytes());
        h.update(t.as_bytes());
        h.update([b'\n']);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run_err(dir: &Path, message: impl Into<String>) -> ValidateError {
    ValidateError::Run {
        run: dir.to_path_buf(),
        message: message.into(),
    }
}

fn strings(df: &DataFrame, name: &str, dir: &Path) -> Result<Vec<Option<String>>, ValidateError> {
    let c = df
        .column(name)
        .map_err(|_| run_err(dir, format!("its table has no column '{name}'")))?;
    let s = c
        .as_materialized_series()
        .cast(&DataType::String)
        .map_err(|e| run_err(dir, format!("column '{name}': {e}")))?;
    let ca = s
        .str()
        .map_err(|e| run_err(dir, format!("column '{name}': {e}")))?;
    Ok(ca.iter().map(|o| o.map(str::to_string)).collect())
}

fn required(df: &DataFrame, name: &str, dir: &Path) -> Result<Vec<String>, ValidateError> {
    strings(df, name, dir)?
        .into_iter()
        .map(|o| o.ok_or_else(|| run_err(dir, format!("column '{name}' has a null"))))
        .collect()
}

/// Reads a run directory: `manifest.json`, `paragraphs.parquet`, `documents.parquet` (for
/// `group_by`, default: the run's `[groups] by`, else each document is a group) and the
/// codebook copies.
pub fn load(dir: &Path, group_by: Option<&str>) -> Result<RunData, ValidateError> {
    let manifest_path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        run_err(
            dir,
            format!("{e} reading manifest.json (is this a directory written by `rhetor run` or `rhetor apply`?)"),
        )
    })?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| run_err(dir, format!("manifest.json is not valid JSON: {e}")))?;
    let seed = manifest["seed"].as_u64().unwrap_or(0);
    let label_details = manifest["stages"]["label"]
        .as_array()
        .cloned()
        .unwrap_or_default();

    let paragraphs = crate::export::read_parquet(&dir.join("paragraphs.parquet"))?;
    let doc_id = required(&paragraphs, "doc_id", dir)?;
    let para_id: Vec<u32> = {
        let c = paragraphs
            .column("para_id")
            .map_err(|_| run_err(dir, "paragraphs.parquet has no column 'para_id'"))?;
        let s = c
            .as_materialized_series()
            .cast(&DataType::UInt32)
            .map_err(|e| run_err(dir, format!("column 'para_id': {e}")))?;
        s.u32()
            .map_err(|e| run_err(dir, format!("column 'para_id': {e}")))?
            .iter()
            .map(|o| o.ok_or_else(|| run_err(dir, "column 'para_id' has a null")))
            .collect::<Result<_, _>>()?
    };
    let text = required(&paragraphs, "text", dir)?;
    let section = strings(&paragraphs, "section", dir)?;
    let topic = if paragraphs.column("topic_label").is_ok() {
        strings(&paragraphs, "topic_label", dir)?
    } else {
        vec![None; doc_id.len()]
    };

    let mut dims = Vec::new();
    for d in &label_details {
        let name = d["dimension"].as_str().unwrap_or_default().to_string();
        let kind = match d["kind"].as_str() {
            Some("multi") => Kind::Multi,
            _ => Kind::Single,
        };
        let labels = d["labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let predicted = strings(&paragraphs, &name, dir)?;
        let codebook = d["codebook"].as_str().unwrap_or_default().to_string();
        // Classifier dimensions carry the labeller's default method in the manifest.
        let method = if codebook.starts_with("classifier:") {
            "classifier".to_string()
        } else {
            d["method"].as_str().unwrap_or_default().to_string()
        };
        dims.push(Dimension {
            codebook,
            method,
            name,
            kind,
            level: Level::Nominal,
            labels,
            predicted,
        });
    }

    let configured = manifest["config"]["groups"]["by"].as_str();
    let group_by = group_by.or(configured).unwrap_or("doc_id").to_string();
    let group = if group_by == "doc_id" {
        doc_id.clone()
    } else {
        let docs = crate::export::read_parquet(&dir.join("documents.parquet"))?;
        let ids = required(&docs, "doc_id", dir)?;
        let values = strings(&docs, &group_by, dir).map_err(|_| {
            run_err(
                dir,
                format!(
                    "documents.parquet has no column '{group_by}' to group by (columns: {})",
                    docs.get_column_names()
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let of: HashMap<&str, String> = ids
            .iter()
            .zip(values)
            .map(|(d, v)| (d.as_str(), v.unwrap_or_else(|| "(missing)".to_string())))
            .collect();
        doc_id
            .iter()
            .map(|d| of.get(d.as_str()).cloned().unwrap_or_default())
            .collect()
    };

    let mut codebooks = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| run_err(dir, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("codebook.") && n.ends_with(".toml"))
        })
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p)
            .map_err(|e| run_err(dir, format!("{}: {e}", p.display())))?;
        codebooks.push(Codebook::from_toml(&text, &p).map_err(|e| run_err(dir, e.to_string()))?);
    }

    for d in dims
        .iter_mut()
        .filter(|d| !d.codebook.starts_with("classifier:"))
    {
        if let Some(spec) = codebooks
            .iter()
            .flat_map(|c| &c.dimension)
            .find(|s| s.name == d.name)
        {
            d.level = spec.level;
        }
    }

    let run_id = run_id(&doc_id, &para_id, &text);
    Ok(RunData {
        dir: dir.to_path_buf(),
        doc_id,
        para_id,
        section,
        text,
        topic,
        group_by,
        group,
        dims,
        codebooks,
        run_id,
        seed,
    })
}
