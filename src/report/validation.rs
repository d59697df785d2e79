//! A run's report with a hand-coded validation attached (`rhetor report RUN --validation
//! DIR`): which dimensions were checked and how well rhetor did, and the label shares
//! corrected for classifier error, shown beside rhetor's own.

use super::DimensionMethod;
use serde::{Deserialize, Serialize};

/// How one dimension did against hand coding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidatedDimension {
    /// Dimension.
    pub dimension: String,
    /// Coders.
    pub n_coders: usize,
    /// Paragraphs with a reference label.
    pub n_reference: usize,
    /// Share of them rhetor labels correctly.
    pub accuracy: f64,
    /// Wilson interval of `accuracy`.
    pub accuracy_low: f64,
    /// Wilson interval of `accuracy`.
    pub accuracy_high: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// Krippendorff's α between the coders.
    pub alpha_coders: Option<f64>,
    /// α between rhetor and the reference labels.
    pub alpha_rhetor: Option<f64>,
}

impl ValidatedDimension {
    /// Whether rhetor's labels are good enough to cite: accuracy ≥ 80% and α between rhetor
    /// and the reference ≥ 0.667 (Krippendorff's lowest bar for tentative conclusions).
    pub fn reliable(&self) -> bool {
        self.accuracy >= 0.8 && self.alpha_rhetor.is_some_and(|a| a >= 0.667)
    }
}

/// A group's share of a label, corrected for classifier error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrectedShare {
    /// Dimension.
    pub dimension: String,
    /// Group.
    pub group: String,
    /// Label.
    pub label: String,
    /// Coded paragraphs of the group.
    pub n_coded: usize,
    /// Paragraphs of the group.
    pub n: usize,
    /// rhetor's share (labelled paragraphs).
    pub naive_share: Option<f64>,
    /// The corrected share (PPI++).
    pub share: f64,
    /// Its 95% interval.
    pub ci_low: f64,
    /// Its 95% interval.
    pub ci_high: f64,
}

/// A validation attached to a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportValidation {
    /// The validation directory.
    pub source: String,
    /// The coded sample it used.
    pub coded: String,
    /// Validated dimensions.
    pub dimensions: Vec<ValidatedDimension>,
    /// Corrected shares.
    pub shares: Vec<CorrectedShare>,
}

/// What the report says beside a dimension's numbers: its labelling method's caveat, or
/// what its validation found.
#[derive(Clone, Copy, Debug)]
pub struct Caveat<'a> {
    /// How the dimension was labelled.
    pub method: DimensionMethod,
    /// Its validation, when one is attached.
    pub validated: Option<&'a ValidatedDimension>,
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn alpha(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |a| format!("{a:.2}"))
}

impl Caveat<'_> {
    /// Whether the caveat is a warning (⚠): unvalidated labels, or labels that disagree
    /// with the hand coding.
    pub fn warns(&self) -> bool {
        match self.validated {
            Some(v) => !v.reliable(),
            None => self.method.caveat().is_some(),
        }
    }

    /// The sentence(s) shown beside the dimension's numbers, or `None`.
    pub fn caveat(&self) -> Option<String> {
        let Some(v) = self.validated else {
            return self.method.caveat().map(str::to_string);
        };
        let checked = format!(
            "Checked against {} hand-coded paragraphs ({} coder{}, α between coders {}): rhetor's label is correct for {} of them (95% CI {}–{}), macro-F1 {:.2}, α between rhetor and the coders' labels {}.",
            v.n_reference,
            v.n_coders,
            if v.n_coders == 1 { "" } else { "s" },
            alpha(v.alpha_coders),
            pct(v.accuracy),
            pct(v.accuracy_low),
            pct(v.accuracy_high),
            v.macro_f1,
            alpha(v.alpha_rhetor),
        );
        Some(if v.reliable() {
            format!(
                "{checked} The Validation section gives the shares corrected for classifier error."
            )
        } else {
            format!("{checked} Do not cite these shares: cite the corrected shares in the Validation section, which account for rhetor's errors.")
        })
    }

    /// A few words for captions and headlines, or `None`.
    pub fn short_caveat(&self) -> Option<String> {
        match self.validated {
            Some(v) if v.reliable() => Some(format!("validated, accuracy {}", pct(v.accuracy))),
            Some(v) => Some(format!(
                "disagrees with hand coding: accuracy {}",
                pct(v.accuracy)
            )),
            None => self.method.short_caveat().map(str::to_string),
        }
    }
}
