//! quanteda-style dictionary matching: `*` wildcards, multi-word phrases, case-insensitive,
//! on the paragraph's Unicode words (UAX #29).

use super::DimensionSpec;
use unicode_segmentation::UnicodeSegmentation;

/// One word pattern.
#[derive(Clone, Debug, PartialEq)]
enum Pat {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// General glob with `*` inside: the literal pieces in order.
    Glob(Vec<String>, bool, bool),
}

impl Pat {
    fn new(p: &str) -> Pat {
        let p = p.to_lowercase();
        let starts = p.starts_with('*');
        let ends = p.ends_with('*');
        let core = p.trim_matches('*');
        if !core.contains('*') {
            return match (starts, ends) {
                (false, false) => Pat::Exact(core.to_string()),
                (false, true) => Pat::Prefix(core.to_string()),
                (true, false) => Pat::Suffix(core.to_string()),
                (true, true) => Pat::Contains(core.to_string()),
            };
        }
        Pat::Glob(
            core.split('*')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            starts,
            ends,
        )
    }

    fn matches(&self, w: &str) -> bool {
        match self {
            Pat::Exact(s) => w == s,
            Pat::Prefix(s) => w.starts_with(s.as_str()),
            Pat::Suffix(s) => w.ends_with(s.as_str()),
            Pat::Contains(s) => w.contains(s.as_str()),
            Pat::Glob(parts, open_start, open_end) => {
                let mut rest = w;
                for (i, part) in parts.iter().enumerate() {
                    let found = if i == 0 && !open_start {
                        rest.starts_with(part.as_str()).then_some(0)
                    } else {
                        rest.find(part.as_str())
                    };
                    match found {
                        Some(pos) => rest = &rest[pos + part.len()..],
                        None => return false,
                    }
                }
                *open_end || rest.is_empty()
            }
        }
    }
}

/// Compiled keywords of every label of a dimension.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// Per label, its entries; an entry is a sequence of word patterns (a phrase).
    labels: Vec<Vec<Vec<Pat>>>,
}

impl Matcher {
    /// Compiles the keywords of `d`.
    pub fn new(d: &DimensionSpec) -> Matcher {
        Matcher {
            labels: d
                .label
                .iter()
                .map(|l| {
                    l.keywords
                        .iter()
                        .map(|k| k.split_whitespace().map(Pat::new).collect::<Vec<_>>())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .collect(),
        }
    }

    /// Matches per label in `text`.
    pub fn counts(&self, text: &str) -> Vec<u32> {
        let words: Vec<String> = text.unicode_words().map(str::to_lowercase).collect();
        self.labels
            .iter()
            .map(|entries| {
                let mut n = 0;
                for i in 0..words.len() {
                    for e in entries {
                        if i + e.len() <= words.len()
                            && e.iter().zip(&words[i..]).all(|(p, w)| p.matches(w))
                        {
                            n += 1;
                        }
                    }
                }
                n
            })
            .collect()
    }

    /// Share of matches per label; `None` for a text without words.
    pub fn distribution(&self, text: &str) -> Option<Vec<f32>> {
        let c = self.counts(text);
        let total: u32 = c.iter().sum();
        if text.trim().is_empty() {
            return None;
        }
        Some(
            c.iter()
                .map(|&x| {
                    if total == 0 {
                        0.0
                    } else {
                        x as f32 / total as f32
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(Pat::new("tax*").matches("taxpayers"));
        assert!(!Pat::new("tax*").matches("syntax"));
        assert!(Pat::new("*migra*").matches("immigration"));
        assert!(Pat::new("*ism").matches("racism"));
        assert!(Pat::new("Deport").matches("deport"));
        assert!(!Pat::new("deport").matches("deported"));
        assert!(Pat::new("im*ion").matches("immigration"));
        assert!(!Pat::new("im*ion").matches("immigrant"));
    }

    #[test]
    fn phrases_and_counts() {
        let d: DimensionSpec = toml::from_str(
            r#"name = "frame"
[[label]]
name = "economic"
description = "Money."
keywords = ["tax*", "cost*"]
[[label]]
name = "security"
description = "Safety."
keywords = ["border patrol", "secur*"]"#,
        )
        .unwrap();
        let m = Matcher::new(&d);
        assert_eq!(
            m.counts("Taxes cost money; the Border Patrol said security first."),
            vec![2, 2]
        );
        assert_eq!(
            m.distribution("nothing relevant here"),
            Some(vec![0.0, 0.0])
        );
        assert_eq!(m.distribution("  "), None);
    }
}
