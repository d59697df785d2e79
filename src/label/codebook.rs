//! Codebooks: label dimensions defined by the analyst, loaded from TOML and validated.
//!
//! ```toml
//! [codebook]
//! name = "policy_frames"
//! title = "Policy Frames Codebook"
//! source = "Boydstun et al. (2014)"
//! version = 1
//!
//! [[dimension]]
//! name = "frame"
//! kind = "single"          # or "multi"
//! # target = "{target}"    # stance codebooks: replaced by the configured target
//!
//! [[dimension.label]]
//! name = "economic"
//! description = "Costs, benefits, or other financial implications."
//! examples = ["The program will cost taxpayers $2 billion a year."]
//! keywords = ["cost*", "tax*", "budget*"]
//! ```
//!
//! See `models/codebooks/README.md` for the full format.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Single- or multi-label dimension.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One label per paragraph.
    #[default]
    Single,
    /// Any number of labels per paragraph.
    Multi,
}

/// Level of measurement of a single-label dimension: which distance between two labels counts
/// as disagreement in Krippendorff's α (`rhetor agreement`, `rhetor validate`). For
/// `ordinal` and `interval` the labels are ordered as written in the codebook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Unordered categories: two different values disagree by 1.
    #[default]
    Nominal,
    /// Ordered categories: the distance between two values grows with how many coded values lie
    /// between them (Krippendorff's ordinal metric, from the coincidence marginals).
    Ordinal,
    /// Equally spaced values: the squared difference of the value indices.
    Interval,
}

impl Level {
    /// `nominal`, `ordinal` or `interval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Nominal => "nominal",
            Level::Ordinal => "ordinal",
            Level::Interval => "interval",
        }
    }

    fn is_nominal(&self) -> bool {
        *self == Level::Nominal
    }
}

/// The `[codebook]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodebookMeta {
    /// Short name.
    pub name: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Citation of the published definitions.
    #[serde(default)]
    pub source: String,
    /// Version of this codebook file.
    #[serde(default = "one")]
    pub version: u32,
    /// What it measures.
    #[serde(default)]
    pub description: String,
    /// A caveat for users.
    #[serde(default)]
    pub note: Option<String>,
}

fn one() -> u32 {
    1
}

/// One label of a dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// Label name (snake_case).
    pub name: String,
    /// What the label means (required).
    #[serde(default)]
    pub description: String,
    /// Example sentences.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Dictionary entries (`*` wildcards; several words = a phrase).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// One dimension of a codebook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Dimension name: a column name of `paragraphs.parquet`.
    pub name: String,
    /// Single or multi label.
    #[serde(default)]
    pub kind: Kind,
    /// Stance target (may be `{target}`, filled from the config).
    #[serde(default)]
    pub target: Option<String>,
    /// Level of measurement (`nominal` unless the codebook says `ordinal` or `interval`;
    /// then the labels are in scale order).
    #[serde(default, skip_serializing_if = "Level::is_nominal")]
    pub level: Level,
    /// The labels.
    #[serde(default)]
    pub label: Vec<LabelSpec>,
}

/// A codebook file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Metadata.
    pub codebook: CodebookMeta,
    /// Dimensions.
    #[serde(default)]
    pub dimension: Vec<DimensionSpec>,
    /// Where it was loaded from (not part of the file).
    #[serde(skip)]
    pub path: PathBuf,
}

/// A codebook problem, naming the file and the label.
#[derive(Debug, thiserror::Error)]
pub enum CodebookError {
    /// The file cannot be read.
    #[error(
        "cannot read codebook '{path}': {message}; shipped codebooks are in models/codebooks/"
    )]
    Read {
        /// File.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// TOML syntax, unknown key or wrong type.
    #[error("codebook '{path}': {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message (names the key and line).
        message: String,
    },
    /// A dimension without labels.
    #[error("codebook '{path}': dimension '{dimension}' has no labels")]
    EmptyDimension {
        /// File.
        path: PathBuf,
        /// Dimension.
        dimension: String,
    },
    /// No dimension at all.
    #[error("codebook '{path}' defines no [[dimension]]")]
    NoDimension {
        /// File.
        path: PathBuf,
    },
    /// The same label twice in a dimension.
    #[error("codebook '{path}': dimension '{dimension}' has label '{label}' twice")]
    DuplicateLabel {
        /// File.
        path: PathBuf,
        /// Dimension.
        dimension: String,
        /// Label.
        label: String,
    },
    /// A label without description.
    #[error("codebook '{path}': label '{label}' of dimension '{dimension}' has no description; every label needs one")]
    MissingDescription {
        /// File.
        path: PathBuf,
        /// Dimension.
        dimension: String,
        /// Label.
        label: String,
    },
    /// A name that cannot be a column name.
    #[error("codebook '{path}': '{name}' is not a valid name (use lowercase letters, digits and _, starting with a letter)")]
    BadName {
        /// File.
        path: PathBuf,
        /// The name.
        name: String,
    },
    /// A keyword that cannot match anything.
    #[error(
        "codebook '{path}': label '{label}' has an empty or wildcard-only keyword '{keyword}'"
    )]
    BadKeyword {
        /// File.
        path: PathBuf,
        /// Label.
        label: String,
        /// Keyword.
        keyword: String,
    },
    /// The same dimension name in two codebooks (or twice in one).
    #[error(
        "dimension '{dimension}' is defined twice ('{first}' and '{second}'); rename one of them"
    )]
    DuplicateDimension {
        /// Dimension.
        dimension: String,
        /// First file.
        first: PathBuf,
        /// Second file.
        second: PathBuf,
    },
    /// An ordinal or interval dimension must be single-label.
    #[error("codebook '{path}': dimension '{dimension}' is {level} but multi-label; an ordered scale needs kind = \"single\" (or drop level)")]
    LevelNeedsSingle {
        /// File.
        path: PathBuf,
        /// Dimension.
        dimension: String,
        /// The level.
        level: &'static str,
    },
    /// A stance dimension needs a target.
    #[error("codebook '{path}': dimension '{dimension}' is about a target; set one with [label] target = \"…\" in the config or --target")]
    NoTarget {
        /// File.
        path: PathBuf,
        /// Dimension.
        dimension: String,
    },
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Codebook {
    /// Parses and validates a codebook from TOML text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Codebook, CodebookError> {
        let mut cb: Codebook = toml::from_str(text).map_err(|e| CodebookError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        cb.path = path.to_path_buf();
        cb.validate()?;
        Ok(cb)
    }

    /// Reads, parses and validates a codebook file.
    pub fn load(path: &Path) -> Result<Codebook, CodebookError> {
        let text = std::fs::read_to_string(path).map_err(|e| CodebookError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_toml(&text, path)
    }

    fn validate(&self) -> Result<(), CodebookError> {
        let path = || self.path.clone();
        if self.dimension.is_empty() {
            return Err(CodebookError::NoDimension { path: path() });
        }
        let mut dims = BTreeSet::new();
        for d in &self.dimension {
            if !valid_name(&d.name) {
                return Err(CodebookError::BadName {
                    path: path(),
                    name: d.name.clone(),
                });
            }
            if !dims.insert(d.name.as_str()) {
                return Err(CodebookError::DuplicateDimension {
                    dimension: d.name.clone(),
                    first: path(),
                    second: path(),
                });
            }
            if d.label.is_empty() {
                return Err(CodebookError::EmptyDimension {
                    path: path(),
                    dimension: d.name.clone(),
                });
            }
            if d.level != Level::Nominal && d.kind == Kind::Multi {
                return Err(CodebookError::LevelNeedsSingle {
                    path: path(),
                    dimension: d.name.clone(),
                    level: d.level.as_str(),
                });
            }
            let mut labels = BTreeSet::new();
            for l in &d.label {
                if !valid_name(&l.name) {
                    return Err(CodebookError::BadName {
                        path: path(),
                        name: l.name.clone(),
                    });
                }
                if !labels.insert(l.name.as_str()) {
                    return Err(CodebookError::DuplicateLabel {
                        path: path(),
                        dimension: d.name.clone(),
                        label: l.name.clone(),
                    });
                }
                if l.description.trim().is_empty() {
                    return Err(CodebookError::MissingDescription {
                        path: path(),
                        dimension: d.name.clone(),
                        label: l.name.clone(),
                    });
                }
                for k in &l.keywords {
                    if k.chars().all(|c| c == '*' || c.is_whitespace()) {
                        return Err(CodebookError::BadKeyword {
                            path: path(),
                            label: l.name.clone(),
                            keyword: k.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces `{target}` in targets, descriptions and examples. Errors when a dimension
    /// needs a target and none is given.
    pub fn with_target(mut self, target: Option<&str>) -> Result<Codebook, CodebookError> {
        for d in &mut self.dimension {
            let needs = d.target.as_deref().is_some_and(|t| t.contains("{target}"))
                || d.label.iter().any(|l| {
                    l.description.contains("{target}")
                        || l.examples.iter().any(|e| e.contains("{target}"))
                });
            if !needs {
                continue;
            }
            let Some(t) = target else {
                return Err(CodebookError::NoTarget {
                    path: self.path.clone(),
                    dimension: d.name.clone(),
                });
            };
            d.target = Some(
                d.target
                    .as_deref()
                    .unwrap_or("{target}")
                    .replace("{target}", t),
            );
            for l in &mut d.label {
                l.description = l.description.replace("{target}", t);
                for e in &mut l.examples {
                    *e = e.replace("{target}", t);
                }
            }
        }
        Ok(self)
    }
}

/// Resolves a codebook argument: an existing path, or a shipped codebook's name
/// (`policy_frames` → `$RHETOR_MODELS/codebooks/policy_frames.toml`, else
/// `models/codebooks/policy_frames.toml`).
pub fn resolve(arg: &str, base: Option<&Path>) -> PathBuf {
    let p = PathBuf::from(arg);
    let candidates: Vec<PathBuf> = if p.is_absolute() {
        vec![p.clone()]
    } else {
        let mut c = Vec::new();
        if let Some(b) = base {
            c.push(b.join(&p));
        }
        c.push(p.clone());
        if !arg.contains('/') {
            let file = if arg.ends_with(".toml") {
                arg.to_string()
            } else {
                format!("{arg}.toml")
            };
            if let Ok(m) = std::env::var("RHETOR_MODELS") {
                c.push(PathBuf::from(m).join("codebooks").join(&file));
            }
            c.push(PathBuf::from("models/codebooks").join(&file));
            c.push(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("models/codebooks")
                    .join(&file),
            );
        }
        c
    };
    candidates
        .iter()
        .find(|c| c.is_file())
        .cloned()
        .unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
[codebook]
name = "t"
[[dimension]]
name = "frame"
[[dimension.label]]
name = "economic"
description = "Money."
examples = ["It costs a lot."]
keywords = ["cost*"]
[[dimension.label]]
name = "morality"
description = "Right and wrong."
"#;

    fn err(text: &str) -> String {
        Codebook::from_toml(text, Path::new("cb.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn valid_codebook_loads() {
        let cb = Codebook::from_toml(OK, Path::new("cb.toml")).unwrap();
        assert_eq!(cb.dimension[0].label.len(), 2);
    }

    #[test]
    fn level_is_read_and_checked() {
        let cb = Codebook::from_toml(OK, Path::new("cb.toml")).unwrap();
        assert_eq!(cb.dimension[0].level, Level::Nominal);
        // Nominal is not written back, so codebook copies of existing runs keep their bytes.
        assert!(!toml::to_string(&cb).unwrap().contains("level"));
        let t = OK.replace("name = \"frame\"", "name = \"frame\"\nlevel = \"ordinal\"");
        let cb = Codebook::from_toml(&t, Path::new("cb.toml")).unwrap();
        assert_eq!(cb.dimension[0].level, Level::Ordinal);
        assert!(toml::to_string(&cb)
            .unwrap()
            .contains("level = \"ordinal\""));
        let e = err(&t.replace(
            "level = \"ordinal\"",
            "level = \"ordinal\"\nkind = \"multi\"",
        ));
        assert!(e.contains("'frame' is ordinal but multi-label"), "{e}");
        let e = err(&t.replace("\"ordinal\"", "\"ratio\""));
        assert!(e.contains("ratio") && e.contains("nominal"), "{e}");
    }

    #[test]
    fn duplicate_label_names_file_and_label() {
        let t = OK.replace("name = \"morality\"", "name = \"economic\"");
        let e = err(&t);
        assert!(
            e.contains("cb.toml") && e.contains("'economic' twice"),
            "{e}"
        );
    }

    #[test]
    fn label_without_description_is_an_error() {
        let t = OK.replace("description = \"Right and wrong.\"", "");
        let e = err(&t);
        assert!(
            e.contains("cb.toml") && e.contains("'morality'") && e.contains("no description"),
            "{e}"
        );
    }

    #[test]
    fn empty_dimension_is_an_error() {
        let e = err("[codebook]\nname = \"t\"\n[[dimension]]\nname = \"frame\"\n");
        assert!(
            e.contains("cb.toml") && e.contains("'frame' has no labels"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err(&OK.replace("examples =", "exampels ="));
        assert!(e.contains("exampels"), "{e}");
    }

    #[test]
    fn bad_names_and_keywords() {
        assert!(
            err(&OK.replace("name = \"frame\"", "name = \"Frame X\"")).contains("not a valid name")
        );
        assert!(err(&OK.replace("\"cost*\"", "\"**\"")).contains("wildcard-only"));
    }

    #[test]
    fn target_is_substituted_or_required() {
        let t = OK.replace(
            "description = \"Money.\"",
            "description = \"Supports {target}.\"",
        );
        let cb = Codebook::from_toml(&t, Path::new("cb.toml")).unwrap();
        assert!(cb
            .clone()
            .with_target(None)
            .unwrap_err()
            .to_string()
            .contains("target"));
        let cb = cb.with_target(Some("ICE raids")).unwrap();
        assert_eq!(cb.dimension[0].label[0].description, "Supports ICE raids.");
    }
}
