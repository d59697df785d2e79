//! Parameters of the comparison statistics (the `[compare]` section of the config).

use serde::{Deserialize, Serialize};

/// Multiple-testing adjustment applied over the whole divergence table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjust {
    /// Holm (1979) step-down: controls the family-wise error rate.
    Holm,
    /// Benjamini & Hochberg (1995) step-up: controls the false discovery rate (default).
    /// Also accepted as `"bh"`.
    #[default]
    #[serde(alias = "bh")]
    BenjaminiHochberg,
}

impl Adjust {
    /// Adjusts `p` with this method ([`holm`](super::holm) or
    /// [`benjamini_hochberg`](super::benjamini_hochberg)).
    pub fn apply(self, p: &[f64]) -> Vec<f64> {
        match self {
            Adjust::Holm => super::divergence::holm(p),
            Adjust::BenjaminiHochberg => super::divergence::benjamini_hochberg(p),
        }
    }

    /// The method's name as written in output tables: `"holm"` or `"benjamini_hochberg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Adjust::Holm => "holm",
            Adjust::BenjaminiHochberg => "benjamini_hochberg",
        }
    }
}

/// Parameters of shares, divergence tests and distinctive terms.
///
/// Defaults: `n_boot = 2000`, `n_perm = 2000`, `alpha = 0.05`, `adjust = "benjamini_hochberg"`,
/// `keyness_prior = 1000.0`, `top_terms = 15`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompareParams {
    /// Bootstrap resamples of documents per group for share intervals (default 2000, at
    /// least 100).
    pub n_boot: usize,
    /// Permutations per divergence test (default 2000, at least 100; the smallest possible
    /// p-value is `1 / (1 + n_perm)`).
    pub n_perm: usize,
    /// Intervals have level `1 - alpha`; an adjusted p-value below `alpha` is flagged
    /// significant (default 0.05, in `(0, 0.5]`).
    pub alpha: f64,
    /// Multiple-testing adjustment over the whole divergence table (default
    /// Benjamini–Hochberg).
    pub adjust: Adjust,
    /// α0, the total weight of the informative Dirichlet prior of the Fightin' Words
    /// log-odds (default 1000, finite and > 0).
    pub keyness_prior: f64,
    /// How many distinctive terms to keep per group (default 15, at least 1).
    pub top_terms: usize,
}

impl Default for CompareParams {
    fn default() -> Self {
        Self {
            n_boot: 2000,
            n_perm: 2000,
            alpha: 0.05,
            adjust: Adjust::default(),
            keyness_prior: 1000.0,
            top_terms: 15,
        }
    }
}

/// Checked comparison parameters: the only way to call the comparison functions.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareValidParams(CompareParams);

impl CompareValidParams {
    /// The checked values.
    pub fn params(&self) -> &CompareParams {
        &self.0
    }
}

/// The smallest accepted `n_boot` and `n_perm`.
pub const MIN_RESAMPLES: usize = 100;

/// An invalid comparison parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareParamsError {
    /// `n_boot` is below [`MIN_RESAMPLES`].
    #[error("compare.n_boot must be at least 100 for a percentile-t interval (n_boot = {0})")]
    NBoot(usize),
    /// `n_perm` is below [`MIN_RESAMPLES`].
    #[error("compare.n_perm must be at least 100 (n_perm = {0})")]
    NPerm(usize),
    /// `alpha` is not in `(0, 0.5]`.
    #[error("compare.alpha must be in (0, 0.5] (alpha = {0})")]
    Alpha(f64),
    /// `keyness_prior` is not finite and positive.
    #[error("compare.keyness_prior must be finite and > 0 (keyness_prior = {0})")]
    KeynessPrior(f64),
    /// `top_terms` is zero.
    #[error("compare.top_terms must be at least 1 (top_terms = 0)")]
    ZeroTopTerms,
}

impl CompareParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<CompareValidParams, CompareParamsError> {
        if self.n_boot < MIN_RESAMPLES {
            return Err(CompareParamsError::NBoot(self.n_boot));
        }
        if self.n_perm < MIN_RESAMPLES {
            return Err(CompareParamsError::NPerm(self.n_perm));
        }
        if !(self.alpha > 0.0 && self.alpha <= 0.5) {
            return Err(CompareParamsError::Alpha(self.alpha));
        }
        if !(self.keyness_prior.is_finite() && self.keyness_prior > 0.0) {
            return Err(CompareParamsError::KeynessPrior(self.keyness_prior));
        }
        if self.top_terms == 0 {
            return Err(CompareParamsError::ZeroTopTerms);
        }
        Ok(CompareValidParams(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let p = CompareParams::default().check().unwrap();
        assert_eq!(p.params().n_boot, 2000);
        assert_eq!(p.params().n_perm, 2000);
        assert_eq!(p.params().alpha, 0.05);
        assert_eq!(p.params().adjust, Adjust::BenjaminiHochberg);
        assert_eq!(p.params().keyness_prior, 1000.0);
        assert_eq!(p.params().top_terms, 15);
    }

    #[test]
    fn n_boot_below_minimum_is_an_error() {
        let p = CompareParams {
            n_boot: 0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(CompareParamsError::NBoot(0)));
        assert!(p.check().unwrap_err().to_string().contains("n_boot = 0"));
        let p = CompareParams {
            n_boot: 99,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(CompareParamsError::NBoot(99)));
    }

    #[test]
    fn n_perm_below_minimum_is_an_error() {
        let p = CompareParams {
            n_perm: 10,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(CompareParamsError::NPerm(10)));
        assert!(p.check().unwrap_err().to_string().contains("n_perm = 10"));
    }

    #[test]
    fn alpha_outside_range_is_an_error() {
        for a in [0.0, -0.1, 0.6, 1.0, f64::NAN, f64::INFINITY] {
            let p = CompareParams {
                alpha: a,
                ..Default::default()
            };
            assert!(
                matches!(p.check(), Err(CompareParamsError::Alpha(_))),
                "{a}"
            );
        }
        let p = CompareParams {
            alpha: 0.5,
            ..Default::default()
        };
        assert!(p.check().is_ok());
    }

    #[test]
    fn keyness_prior_must_be_positive_and_finite() {
        for k in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let p = CompareParams {
                keyness_prior: k,
                ..Default::default()
            };
            assert!(
                matches!(p.check(), Err(CompareParamsError::KeynessPrior(_))),
                "{k}"
            );
        }
    }

    #[test]
    fn top_terms_cannot_be_zero() {
        let p = CompareParams {
            top_terms: 0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(CompareParamsError::ZeroTopTerms));
    }

    #[test]
    fn serde_defaults_unknown_fields_and_adjust_names() {
        let p: CompareParams = serde_json::from_str(r#"{"n_boot": 500}"#).unwrap();
        assert_eq!(p.n_boot, 500);
        assert_eq!(p.n_perm, 2000);
        assert!(serde_json::from_str::<CompareParams>(r#"{"n_bot": 500}"#).is_err());
        let p: CompareParams = serde_json::from_str(r#"{"adjust": "holm"}"#).unwrap();
        assert_eq!(p.adjust, Adjust::Holm);
        let p: CompareParams = serde_json::from_str(r#"{"adjust": "bh"}"#).unwrap();
        assert_eq!(p.adjust, Adjust::BenjaminiHochberg);
        let s = serde_json::to_string(&CompareParams::default()).unwrap();
        assert!(s.contains(r#""adjust":"benjamini_hochberg""#), "{s}");
        assert!(serde_json::from_str::<CompareParams>(r#"{"adjust": "bonferroni"}"#).is_err());
    }
}

/// How documents are grouped for comparison (the `[groups]` section).
///
/// Defaults: `by = None` (each document is its own group), `max_pairwise = 30`,
/// `max_in_report = 30`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupParams {
    /// Metadata column whose values are the groups (e.g. `party`); none = documents.
    pub by: Option<String>,
    /// Pairwise divergence tests are run only up to this many groups (pairs grow
    /// quadratically); above it the shares and keyness are still written and a warning says
    /// why the divergence table is empty.
    pub max_pairwise: usize,
    /// With more groups than this, the report (report.html, report.md and report.json)
    /// summarises: it shows this many groups (those with a significant finding first, then
    /// the largest by paragraphs), says so, and suggests `--group-by`; the Parquet tables
    /// keep every group. At least 1.
    pub max_in_report: usize,
}

impl Default for GroupParams {
    fn default() -> Self {
        GroupParams {
            by: None,
            max_pairwise: 30,
            max_in_report: 30,
        }
    }
}
