//! Parameters of the classifiers, of cross-validation and of the bootstrap, each with a
//! `check()` that validates every rule once and returns the matching `Valid` type.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::encoder::{SentenceEncoder, TransformerFeatureParams};
use super::error::ClassifyParamsError;
use super::features::{FeatureParams, FeatureValidParams};
use super::hashtags::Hashtags;
pub use super::stack::{StackParams, StackView};

/// The linear model trained on the features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// L2-regularised squared-hinge linear SVM (LIBLINEAR's `L2R_L2LOSS_SVC_DUAL`, as
    /// scikit-learn's `LinearSVC(loss="squared_hinge", dual=True)`), `"linear_svm"`.
    #[default]
    LinearSvm,
    /// L2-regularised logistic regression (LIBLINEAR's `L2R_LR_DUAL`, as scikit-learn's
    /// `LogisticRegression(solver="liblinear", dual=True)` one-vs-rest),
    /// `"logistic_regression"`.
    LogisticRegression,
    /// A stacked ensemble (`"stack"`, see [`stack`](super::stack)): a TF-IDF linear SVM, a
    /// logistic regression on the sentence embedding and a naive-Bayes-weighted TF-IDF
    /// logistic regression, combined by a logistic-regression meta model trained on their
    /// inner out-of-fold decision values. Its parameters are [`StackParams`]
    /// (`[classify.stack]`); `c` is the C of the TF-IDF SVM view. Single-label only.
    Stack,
}

impl ModelKind {
    /// The name in configuration files (`"linear_svm"`, `"logistic_regression"`,
    /// `"stack"`).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::LinearSvm => "linear_svm",
            ModelKind::LogisticRegression => "logistic_regression",
            ModelKind::Stack => "stack",
        }
    }

    /// The hashtag handling of the TF-IDF blocks when `hashtags` is not set:
    /// `"tag_and_split"` for the stack (in 5-fold CV on the train splits it changed the
    /// stack's F_avg by −0.01, +0.49 and +0.11 on P-Stance with three fold seeds, a gain
    /// over the TF-IDF SVM of +2.06, +2.39 and +1.82, and by +0.65 on SemEval-2016),
    /// `"keep"` for the others (whose model files stay unchanged).
    pub fn default_hashtags(self) -> Hashtags {
        match self {
            ModelKind::Stack => Hashtags::TagAndSplit,
            ModelKind::LinearSvm | ModelKind::LogisticRegression => Hashtags::Keep,
        }
    }

    /// Whether the predictions have class probabilities (logistic regression, and the
    /// stack, whose meta model is one).
    pub fn has_probabilities(self) -> bool {
        matches!(self, ModelKind::LogisticRegression | ModelKind::Stack)
    }
}

/// How examples are weighted in the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every example has weight 1 (`"none"`).
    #[default]
    #[serde(rename = "none")]
    Uniform,
    /// `weight_c = n / (k · n_c)` over the `k` classes present in the training data
    /// (`"balanced"`, as scikit-learn), applied as a per-example `C` in the dual. As in
    /// LIBLINEAR (so scikit-learn): in a binary model each example gets its class's weight;
    /// in a multi-class one-vs-rest sub-problem the positives get `C · weight_c` and the
    /// rest `C`; in a multi-label model each label's sub-problem is weighted on its own
    /// (`n / (2 · n_pos)`, `n / (2 · n_neg)`), as `OneVsRestClassifier` does. The
    /// multi-class rule is the same for logistic regression (scikit-learn's older
    /// `LogisticRegression(solver="liblinear", multi_class="ovr")`); scikit-learn ≥ 1.8
    /// only has `OneVsRestClassifier` for it, which balances each binary problem on its own.
    Balanced,
}

/// Parameters of a text classifier: features and linear model (a TOML/JSON table; unknown
/// keys are rejected, missing ones take the defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierParams {
    /// The linear model (default `"linear_svm"`).
    pub model: ModelKind,
    /// Inverse regularisation strength `C` (default 1.0, > 0); the key `C` is accepted too.
    #[serde(alias = "C")]
    pub c: f64,
    /// Stopping tolerance of the dual coordinate descent (default 1e-4, > 0): the SVM stops
    /// when the spread of the projected gradient is at most `tol`, logistic regression when
    /// its largest sub-problem gradient is below `tol` (LIBLINEAR's criteria).
    pub tol: f64,
    /// Maximum number of passes over the data per sub-problem (default 1000, ≥ 1).
    pub max_iter: usize,
    /// Learn an intercept (default true), as LIBLINEAR: an appended constant feature of
    /// value `intercept_scaling` whose weight is regularised like the others.
    pub fit_intercept: bool,
    /// Value of the appended constant feature (default 1.0, > 0).
    pub intercept_scaling: f64,
    /// Example weighting (default `"none"`).
    pub class_weight: ClassWeight,
    /// Shrink the active set of the SVM solver, as LIBLINEAR always does (default true;
    /// no effect on logistic regression).
    pub shrinking: bool,
    /// Seed of the random coordinate order (default 0).
    pub seed: u64,
    /// The TF-IDF feature blocks.
    pub features: FeatureParams,
    /// How the TF-IDF blocks see hashtags (see [`hashtags`](super::hashtags)): `"keep"`,
    /// `"split"` (`#CamelCaseTag` → `Camel Case Tag`) or `"tag_and_split"`
    /// (→ `HT_CamelCaseTag Camel Case Tag`), applied before the word and character n-grams
    /// are built; the sentence embedding sees the original text. No effect without a TF-IDF
    /// block. Not set by default (`None`): the model's default,
    /// [`ModelKind::default_hashtags`] (`"tag_and_split"` for `"stack"`, else `"keep"`).
    ///
    /// [`check`](Self::check) resolves it: the checked parameters (so the model file's
    /// `params`) hold the mode explicitly for a stack, and for other models only when it is
    /// not `"keep"` (their files are unchanged). In a model file a missing key means
    /// `"keep"`, as in every file written before the option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashtags: Option<Hashtags>,
    /// The sentence-embedding feature block (`[classify.transformer]`, default: none):
    /// each text's L2-normalised sentence embedding times a weight, appended after the
    /// TF-IDF columns. With `features.word` and `features.char` both off (`null`), the
    /// embeddings are the only features. Training needs the loaded model
    /// ([`ClassifierValidParams::with_encoder`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformer: Option<TransformerFeatureParams>,
    /// The stacked ensemble's parameters (`[classify.stack]`, default: none, which with
    /// `model = "stack"` means [`StackParams::default`]); only with `model = "stack"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackParams>,
}

impl Default for ClassifierParams {
    fn default() -> Self {
        ClassifierParams {
            model: ModelKind::LinearSvm,
            c: 1.0,
            tol: 1e-4,
            max_iter: 1000,
            fit_intercept: true,
            intercept_scaling: 1.0,
            class_weight: ClassWeight::Uniform,
            shrinking: true,
            seed: 0,
            features: FeatureParams::default(),
            hashtags: None,
            transformer: None,
            stack: None,
        }
    }
}

/// Checked [`ClassifierParams`], ready to train (see
/// [`ClassifierValidParams::train`](super::ClassifierValidParams::train)); dereferences to
/// the parameters. With a sentence-embedding block it also holds the loaded model
/// ([`with_encoder`](Self::with_encoder)).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierValidParams {
    params: ClassifierParams,
    features: FeatureValidParams,
    encoder: Option<SentenceEncoder>,
}

impl Deref for ClassifierValidParams {
    type Target = ClassifierParams;
    fn deref(&self) -> &ClassifierParams {
        &self.params
    }
}

impl ClassifierValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &ClassifierParams {
        &self.params
    }

    /// The validated feature parameters.
    pub fn features(&self) -> &FeatureValidParams {
        &self.features
    }

    /// These parameters with the loaded sentence-transformer model that embeds the texts
    /// of the sentence-embedding block (ignored without one).
    pub fn with_encoder(mut self, encoder: SentenceEncoder) -> ClassifierValidParams {
        self.encoder = Some(encoder);
        self
    }

    /// The loaded sentence-transformer model, if one was attached.
    pub fn encoder(&self) -> Option<&SentenceEncoder> {
        self.encoder.as_ref()
    }

    /// The stack's parameters when `model = "stack"` (the `[classify.stack]` table or its
    /// defaults), else `None`.
    pub fn stack_params(&self) -> Option<StackParams> {
        (self.params.model == ModelKind::Stack)
            .then(|| self.params.stack.clone().unwrap_or_default())
    }

    /// These parameters for one linear model of a stack: `model`, `c`, and the features
    /// (TF-IDF only, or none) replaced; tol, max_iter, intercept, class weight, shrinking
    /// and seed kept.
    pub(crate) fn linear_variant(&self, model: ModelKind, c: f64) -> ClassifierValidParams {
        let mut params = self.params.clone();
        params.model = model;
        params.c = c;
        params.stack = None;
        ClassifierValidParams {
            params,
            features: self.features.clone(),
            encoder: self.encoder.clone(),
        }
    }
}

impl ClassifierParams {
    /// The hashtag handling of the TF-IDF blocks: `hashtags`, or the model's default
    /// ([`ModelKind::default_hashtags`]) when it is not set.
    pub fn resolved_hashtags(&self) -> Hashtags {
        self.hashtags.unwrap_or(self.model.default_hashtags())
    }

    /// Checks every rule (`hashtags` is checked when it is read): `c` finite and > 0, `tol` finite and > 0, `max_iter ≥ 1`,
    /// `intercept_scaling` finite and > 0 when `fit_intercept`, the feature rules of
    /// [`FeatureParams::check`] (both TF-IDF blocks may be off when the sentence-embedding
    /// block is on) and those of [`TransformerFeatureParams::check`]. With `model =
    /// "stack"`: the rules of [`StackParams::check`], the sentence-embedding block present
    /// when the embedding view is used and a TF-IDF block when a TF-IDF view is; a
    /// `stack` table with another model is an error.
    pub fn check(&self) -> Result<ClassifierValidParams, ClassifyParamsError> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(ClassifyParamsError::InvalidC(self.c));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(ClassifyParamsError::InvalidTol(self.tol));
        }
        if self.max_iter == 0 {
            return Err(ClassifyParamsError::ZeroMaxIter);
        }
        if self.fit_intercept
            && !(self.intercept_scaling.is_finite() && self.intercept_scaling > 0.0)
        {
            return Err(ClassifyParamsError::InvalidInterceptScaling(
                self.intercept_scaling,
            ));
        }
        let no_tfidf = self.features.word.is_none() && self.features.char.is_none();
        match (self.model, &self.stack) {
            (ModelKind::Stack, stack) => {
                let stack = stack.clone().unwrap_or_default();
                stack.check()?;
                if stack.views.contains(&StackView::EmbeddingLr) && self.transformer.is_none() {
                    return Err(ClassifyParamsError::StackNeedsTransformer);
                }
                if let Some(v) = stack.views.iter().find(|v| v.uses_tfidf()) {
                    if no_tfidf {
                        return Err(ClassifyParamsError::StackNeedsTfidf(v.name()));
                    }
                }
            }
            (model, Some(_)) => {
                return Err(ClassifyParamsError::StackTableWithoutStack(model.name()))
            }
            (_, None) => {}
        }
        let features = match &self.transformer {
            Some(t) => {
                t.check()?;
                let tfidf = if no_tfidf {
                    FeatureValidParams::no_tfidf()
                } else {
                    self.features.check()?
                };
                tfidf.with_transformer(Some(t.clone()))
            }
            None => self.features.check()?,
        };
        let hashtags = self.resolved_hashtags();
        let mut params = self.clone();
        params.hashtags =
            (self.model == ModelKind::Stack || !hashtags.is_keep()).then_some(hashtags);
        Ok(ClassifierValidParams {
            params,
            features: features.with_hashtags(hashtags),
            encoder: None,
        })
    }
}

/// Parameters of k-fold cross-validation (stratified or grouped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CvParams {
    /// Number of folds (default 5, ≥ 2).
    pub folds: usize,
    /// Seed of the shuffle of stratified k-fold (default 0; grouped k-fold is
    /// deterministic and does not use it).
    pub seed: u64,
}

impl Default for CvParams {
    fn default() -> Self {
        CvParams { folds: 5, seed: 0 }
    }
}

/// Checked [`CvParams`]; dereferences to the parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvValidParams(CvParams);

impl Deref for CvValidParams {
    type Target = CvParams;
    fn deref(&self) -> &CvParams {
        &self.0
    }
}

impl CvValidParams {
    /// `folds` (at least 2, the caller's guarantee) and `seed`, checked.
    pub(crate) fn new(folds: usize, seed: u64) -> CvValidParams {
        CvValidParams(CvParams {
            folds: folds.max(2),
            seed,
        })
    }
}

impl CvParams {
    /// Checks `folds ≥ 2`.
    pub fn check(&self) -> Result<CvValidParams, ClassifyParamsError> {
        if self.folds < 2 {
            return Err(ClassifyParamsError::TooFewFolds(self.folds));
        }
        Ok(CvValidParams(self.clone()))
    }
}

/// Parameters of the bootstrap interval of a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BootstrapParams {
    /// Number of resamples (default 1,000, ≥ 1).
    pub resamples: usize,
    /// Confidence level of the percentile interval (default 0.95, in (0, 1)).
    pub level: f64,
    /// Seed of the resampling (default 0).
    pub seed: u64,
}

impl Default for BootstrapParams {
    fn default() -> Self {
        BootstrapParams {
            resamples: 1000,
            level: 0.95,
            seed: 0,
        }
    }
}

/// Checked [`BootstrapParams`]; dereferences to the parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BootstrapValidParams(BootstrapParams);

impl Deref for BootstrapValidParams {
    type Target = BootstrapParams;
    fn deref(&self) -> &BootstrapParams {
        &self.0
    }
}

impl BootstrapParams {
    /// Checks `resamples ≥ 1` and `0 < level < 1`.
    pub fn check(&self) -> Result<BootstrapValidParams, ClassifyParamsError> {
        if self.resamples == 0 {
            return Err(ClassifyParamsError::ZeroResamples);
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(ClassifyParamsError::InvalidLevel(self.level));
        }
        Ok(BootstrapValidParams(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::tfidf::{Analyzer, TfidfParams, TfidfParamsError};

    fn err(p: ClassifierParams) -> ClassifyParamsError {
        p.check().unwrap_err()
    }

    #[test]
    fn defaults_are_valid() {
        let p = ClassifierParams::default().check().unwrap();
        assert_eq!(p.c, 1.0);
        assert_eq!(p.tol, 1e-4);
        assert_eq!(p.max_iter, 1000);
        assert!(CvParams::default().check().is_ok());
        assert!(BootstrapParams::default().check().is_ok());
    }

    #[test]
    fn c_must_be_positive_and_finite() {
        for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = err(ClassifierParams {
                c,
                ..Default::default()
            });
            assert!(matches!(e, ClassifyParamsError::InvalidC(_)), "{e}");
        }
        let e = err(ClassifierParams {
            c: -2.5,
            ..Default::default()
        });
        assert!(e.to_string().contains("-2.5"), "{e}");
    }

    #[test]
    fn tol_must_be_positive_and_finite() {
        for tol in [0.0, -1e-4, f64::NAN] {
            let e = err(ClassifierParams {
                tol,
                ..Default::default()
            });
            assert!(matches!(e, ClassifyParamsError::InvalidTol(_)), "{e}");
        }
    }

    #[test]
    fn max_iter_must_be_positive() {
        let e = err(ClassifierParams {
            max_iter: 0,
            ..Default::default()
        });
        assert_eq!(e, ClassifyParamsError::ZeroMaxIter);
    }

    #[test]
    fn intercept_scaling_must_be_positive_when_fitting_an_intercept() {
        let e = err(ClassifierParams {
            intercept_scaling: 0.0,
            ..Default::default()
        });
        assert_eq!(e, ClassifyParamsError::InvalidInterceptScaling(0.0));
        assert!(ClassifierParams {
            intercept_scaling: 0.0,
            fit_intercept: false,
            ..Default::default()
        }
        .check()
        .is_ok());
    }

    #[test]
    fn at_least_one_feature_block() {
        let e = err(ClassifierParams {
            features: FeatureParams {
                word: None,
                char: None,
            },
            ..Default::default()
        });
        assert_eq!(e, ClassifyParamsError::NoFeatureBlock);
    }

    #[test]
    fn embeddings_alone_are_a_feature_set_and_their_rules_are_checked() {
        let mut p = ClassifierParams {
            transformer: Some(TransformerFeatureParams::default()),
            ..Default::default()
        };
        p.features.word = None;
        p.features.char = None;
        let v = p.check().unwrap();
        assert!(v.features().transformer().is_some());
        assert!(v.encoder().is_none());
        p.transformer.as_mut().unwrap().weight = 0.0;
        assert_eq!(
            err(p.clone()),
            ClassifyParamsError::InvalidTransformerWeight(0.0)
        );
        // Training without the loaded model is a typed error.
        let v = ClassifierParams {
            transformer: Some(TransformerFeatureParams::default()),
            ..Default::default()
        }
        .check()
        .unwrap();
        let e = v
            .train(
                &["aa bb", "cc dd"],
                &crate::classify::Labels::Single(vec!["x".into(), "y".into()]),
            )
            .unwrap_err();
        assert!(
            matches!(&e, crate::classify::ClassifyError::NoEncoder { model } if model == "all-MiniLM-L6-v2"),
            "{e}"
        );
    }

    #[test]
    fn default_params_serialize_without_a_transformer_key() {
        let s = serde_json::to_string(&ClassifierParams::default()).unwrap();
        assert!(!s.contains("transformer"), "{s}");
        let p: ClassifierParams =
            serde_json::from_str(r#"{"transformer": {"weight": 0.5}}"#).unwrap();
        assert_eq!(p.transformer.unwrap().weight, 0.5);
        let t: ClassifierParams = toml::from_str("[transformer]\nweight = 2.0\n").unwrap();
        assert_eq!(t.transformer.unwrap().model, "all-MiniLM-L6-v2");
    }

    #[test]
    fn hashtags_default_to_keep_are_not_written_and_invalid_values_name_the_allowed_ones() {
        let s = serde_json::to_string(&ClassifierParams::default()).unwrap();
        assert!(!s.contains("hashtags"), "{s}");
        let checked = ClassifierParams::default().check().unwrap();
        assert_eq!(checked.features().hashtags(), Hashtags::Keep);
        assert!(!serde_json::to_string(checked.params())
            .unwrap()
            .contains("hashtags"));
        let t: ClassifierParams = toml::from_str("hashtags = \"tag_and_split\"\n").unwrap();
        assert_eq!(t.hashtags, Some(Hashtags::TagAndSplit));
        let v = t.check().unwrap();
        assert_eq!(v.features().hashtags(), Hashtags::TagAndSplit);
        let s = serde_json::to_string(v.params()).unwrap();
        assert!(s.contains("\"hashtags\":\"tag_and_split\""), "{s}");
        assert_eq!(serde_json::from_str::<ClassifierParams>(&s).unwrap(), t);
        let s: ClassifierParams = toml::from_str("hashtags = \"split\"").unwrap();
        assert_eq!(s.hashtags, Some(Hashtags::Split));
        // An explicit "keep" of a plain model is not written either.
        let k: ClassifierParams = toml::from_str("hashtags = \"keep\"").unwrap();
        assert_eq!(k.check().unwrap().params().hashtags, None);
        let e = toml::from_str::<ClassifierParams>("hashtags = \"both\"").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("\"both\"")
                && msg.contains("\"keep\"")
                && msg.contains("\"split\"")
                && msg.contains("\"tag_and_split\""),
            "{msg}"
        );
        assert!(toml::from_str::<ClassifierParams>("hashtags = 1").is_err());
    }

    #[test]
    fn the_stack_defaults_to_tag_and_split_and_writes_its_mode() {
        let stack = |hashtags| ClassifierParams {
            model: ModelKind::Stack,
            transformer: Some(TransformerFeatureParams::default()),
            hashtags,
            ..Default::default()
        };
        let v = stack(None).check().unwrap();
        assert_eq!(v.features().hashtags(), Hashtags::TagAndSplit);
        assert_eq!(v.params().hashtags, Some(Hashtags::TagAndSplit));
        let v = stack(Some(Hashtags::Keep)).check().unwrap();
        assert_eq!(v.features().hashtags(), Hashtags::Keep);
        let s = serde_json::to_string(v.params()).unwrap();
        assert!(s.contains("\"hashtags\":\"keep\""), "{s}");
        for model in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
            assert_eq!(model.default_hashtags(), Hashtags::Keep);
        }
    }

    #[test]
    fn block_analyzer_must_match_block() {
        let mut p = ClassifierParams::default();
        p.features.word.as_mut().unwrap().analyzer = Analyzer::Char;
        assert!(matches!(
            err(p),
            ClassifyParamsError::BlockAnalyzer { block: "word", .. }
        ));
        let mut p = ClassifierParams::default();
        p.features.char.as_mut().unwrap().analyzer = Analyzer::Word;
        assert!(matches!(
            err(p),
            ClassifyParamsError::BlockAnalyzer { block: "char", .. }
        ));
        let mut p = ClassifierParams::default();
        p.features.char.as_mut().unwrap().analyzer = Analyzer::CharWb;
        assert!(p.check().is_ok());
    }

    #[test]
    fn tfidf_block_rules_are_checked() {
        let p = ClassifierParams {
            features: FeatureParams {
                word: Some(TfidfParams {
                    ngram_range: (3, 1),
                    ..TfidfParams::default()
                }),
                char: None,
            },
            ..Default::default()
        };
        let e = err(p);
        assert_eq!(
            e,
            ClassifyParamsError::Tfidf {
                block: "word",
                source: TfidfParamsError::NgramRangeReversed { min: 3, max: 1 }
            }
        );
        assert!(e.to_string().starts_with("features.word: "), "{e}");
    }

    #[test]
    fn folds_must_be_at_least_two() {
        for folds in [0, 1] {
            let e = CvParams { folds, seed: 0 }.check().unwrap_err();
            assert_eq!(e, ClassifyParamsError::TooFewFolds(folds));
        }
        assert!(CvParams { folds: 2, seed: 0 }.check().is_ok());
    }

    #[test]
    fn bootstrap_resamples_must_be_positive() {
        let e = BootstrapParams {
            resamples: 0,
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e, ClassifyParamsError::ZeroResamples);
    }

    #[test]
    fn bootstrap_level_must_be_in_open_unit_interval() {
        for level in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            let e = BootstrapParams {
                level,
                ..Default::default()
            }
            .check()
            .unwrap_err();
            assert!(matches!(e, ClassifyParamsError::InvalidLevel(_)), "{e}");
        }
    }

    #[test]
    fn params_round_trip_through_json_and_reject_unknown_keys() {
        let p = ClassifierParams {
            model: ModelKind::LogisticRegression,
            class_weight: ClassWeight::Balanced,
            ..Default::default()
        };
        let s = serde_json::to_string(&p).unwrap();
        assert!(
            s.contains("\"logistic_regression\"") && s.contains("\"balanced\""),
            "{s}"
        );
        let q: ClassifierParams = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        let none: ClassifierParams = serde_json::from_str(r#"{"class_weight":"none"}"#).unwrap();
        assert_eq!(none.class_weight, ClassWeight::Uniform);
        let big_c: ClassifierParams = serde_json::from_str(r#"{"C":2.0}"#).unwrap();
        assert_eq!(big_c.c, 2.0);
        assert!(serde_json::from_str::<ClassifierParams>(r#"{"cost":1}"#).is_err());
    }
}
