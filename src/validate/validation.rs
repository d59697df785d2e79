//! `rhetor validate`: rhetor's labels against a hand-coded sample, per dimension — accuracy,
//! macro-F1, per-label precision and recall with intervals, Krippendorff's α between the
//! coders and between rhetor and the coders — and each group's label shares corrected for
//! classifier error by prediction-powered inference (PPI++).

use super::agreement::{self, Level, ReliabilityData};
use super::coded::{self, Coded};
use super::ppi::{self, Lambda, PpiSample};
use super::run_data::RunData;
use super::ValidateError;
use crate::compare::normal_quantile;
use crate::label::Kind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings of `rhetor validate`.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidateParams {
    /// Bootstrap replicates of Krippendorff's α.
    pub n_boot: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Confidence level of every interval (0.95).
    pub level: f64,
}

impl Default for ValidateParams {
    fn default() -> Self {
        ValidateParams {
            n_boot: 1000,
            seed: 42,
            level: 0.95,
        }
    }
}

fn nominal() -> String {
    "nominal".into()
}

/// Agreement and accuracy of one dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Dimension.
    pub dimension: String,
    /// How rhetor labelled it.
    pub method: String,
    /// `single` or `multi`.
    pub kind: String,
    /// Level of measurement of both α columns (`nominal`, or the codebook's `level`).
    #[serde(default = "nominal")]
    pub alpha_level: String,
    /// Coders who coded it.
    pub n_coders: usize,
    /// Paragraphs coded by at least one coder.
    pub n_coded: usize,
    /// Paragraphs with a reference label (a label given by a strict majority of their coders).
    pub n_reference: usize,
    /// Coded paragraphs left out because no label has a strict majority of their coders
    /// (a tie, or a plurality short of half).
    pub n_no_majority: usize,
    /// Share of reference paragraphs rhetor labels correctly (unsure counts as wrong;
    /// multi-label: the whole set must match).
    pub accuracy: f64,
    /// Wilson interval of `accuracy`.
    pub accuracy_low: f64,
    /// Wilson interval of `accuracy`.
    pub accuracy_high: f64,
    /// Share of reference paragraphs rhetor gave a label (was not unsure).
    pub coverage: f64,
    /// Mean F1 over the labels found in the reference or rhetor's labels.
    pub macro_f1: f64,
    /// Krippendorff's α (at `alpha_level`) between the human coders; null with one coder or for
    /// multi-label dimensions.
    pub alpha_coders: Option<f64>,
    /// Bootstrap interval of `alpha_coders`.
    pub alpha_coders_low: Option<f64>,
    /// Bootstrap interval of `alpha_coders`.
    pub alpha_coders_high: Option<f64>,
    /// α between rhetor and the reference labels (rhetor's unsure paragraphs as a value of
    /// their own, so they count as disagreement); null for multi-label dimensions.
    pub alpha_rhetor: Option<f64>,
    /// Bootstrap interval of `alpha_rhetor`.
    pub alpha_rhetor_low: Option<f64>,
    /// Bootstrap interval of `alpha_rhetor`.
    pub alpha_rhetor_high: Option<f64>,
}

/// Precision and recall of one label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelRow {
    /// Dimension.
    pub dimension: String,
    /// Label.
    pub label: String,
    /// Reference paragraphs with the label.
    pub support: usize,
    /// Reference paragraphs rhetor gave the label.
    pub predicted: usize,
    /// Both.
    pub correct: usize,
    /// correct / predicted (null when never predicted).
    pub precision: Option<f64>,
    /// Wilson interval of precision.
    pub precision_low: Option<f64>,
    /// Wilson interval of precision.
    pub precision_high: Option<f64>,
    /// correct / support (null when absent from the reference).
    pub recall: Option<f64>,
    /// Wilson interval of recall.
    pub recall_low: Option<f64>,
    /// Wilson interval of recall.
    pub recall_high: Option<f64>,
    /// 2·correct / (support + predicted) (null when both are 0).
    pub f1: Option<f64>,
}

/// Naive and corrected share of one label in one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareRow {
    /// Dimension.
    pub dimension: String,
    /// Group.
    pub group_id: String,
    /// Label.
    pub label: String,
    /// Paragraphs of the group.
    pub n: usize,
    /// Paragraphs rhetor labelled (not unsure).
    pub n_labelled: usize,
    /// Reference-coded paragraphs of the group.
    pub n_coded: usize,
    /// rhetor's share: labelled paragraphs with the label / labelled paragraphs (null when
    /// rhetor labelled fewer than 2 paragraphs of the group).
    pub naive_share: Option<f64>,
    /// Normal interval of the naive share (cluster-robust over documents).
    pub naive_low: Option<f64>,
    /// Normal interval of the naive share.
    pub naive_high: Option<f64>,
    /// The share among the coded paragraphs alone (weighted by 1 / inclusion probability).
    pub coded_share: f64,
    /// PPI++ estimate: share of the group's paragraphs whose true label it is.
    pub corrected_share: f64,
    /// Its interval (accounts for both samples; cluster-robust over documents when the
    /// group has several), clipped to [0, 1].
    pub corrected_low: f64,
    /// Its interval.
    pub corrected_high: f64,
    /// The power-tuning λ PPI++ chose (0 = coded sample alone, 1 = classic PPI).
    pub lambda: f64,
}

/// Everything `rhetor validate` finds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// run_id of the validated run.
    pub run_id: String,
    /// The coded sample.
    pub coded: String,
    /// The grouping column.
    pub group_by: String,
    /// Confidence level.
    pub level: f64,
    /// One row per dimension.
    pub summary: Vec<SummaryRow>,
    /// One row per dimension and label.
    pub labels: Vec<LabelRow>,
    /// One row per dimension, group and label.
    pub shares: Vec<ShareRow>,
    /// What the reader should know (ties, undefined α, …).
    pub notes: Vec<String>,
}

/// Wilson score interval of `k` successes in `n` (Wilson 1927).
pub fn wilson(k: usize, n: usize, level: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The Wilson interval of 0/1 values that are all equal (where a normal interval has width
/// 0), else `None`.
fn constant_wilson(v: &[f64], level: f64) -> Option<(f64, f64)> {
    let first = *v.first()?;
    v.iter().all(|&x| x == first).then(|| {
        let k = v.iter().filter(|&&x| x > 0.5).count();
        wilson(k, v.len(), level)
    })
}

fn ratio(k: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

/// rhetor's label indices of paragraph `p` in dimension `d` (empty when unsure).
fn predicted(run: &RunData, d: usize, p: usize) -> Vec<usize> {
    let dim = &run.dims[d];
    let mut v: Vec<usize> = dim.predicted[p]
        .as_deref()
        .map(|cell| {
            dim.split(cell)
                .iter()
                .filter_map(|l| dim.label_index(l))
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// α and its bootstrap interval, or the reason it is undefined (as a note).
fn alpha_with_interval(
    data: &ReliabilityData,
    level: Level,
    params: &ValidateParams,
    what: &str,
    dimension: &str,
    notes: &mut Vec<String>,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    match agreement::bootstrap_alpha(data, level, params.n_boot, params.seed, params.level) {
        Ok(a) => (Some(a.alpha), Some(a.low), Some(a.high)),
        Err(e) => {
            notes.push(format!("{dimension}: α {what} is not defined: {e}"));
            (None, None, None)
        }
    }
}

/// Validates every coded dimension of `run` against `coded`.
pub fn validate(
    run: &RunData,
    coded: &Coded,
    params: &ValidateParams,
) -> Result<Validation, ValidateError> {
    let mut summary = Vec::new();
    let mut labels_out = Vec::new();
    let mut shares = Vec::new();
    let mut notes = Vec::new();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (p, g) in run.group.iter().enumerate() {
        groups.entry(g.as_str()).or_default().push(p);
    }
    for cd in &coded.dims {
        let dim = &run.dims[cd.dim];
        let k = dim.labels.len();
        let (reference, ties) = coded::gold(cd, k, dim.kind);
        let coded_paras: std::collections::BTreeSet<usize> =
            cd.codes.iter().map(|c| c.para).collect();
        let coders: std::collections::BTreeSet<usize> = cd.codes.iter().map(|c| c.coder).collect();
        if ties > 0 {
            notes.push(format!(
                "{}: {ties} coded paragraph(s) left out of accuracy and corrected shares: no label has a strict majority of their coders",
                dim.name
            ));
        }

        // Accuracy and per-label precision/recall on the reference paragraphs.
        let n_ref = reference.len();
        let mut correct_all = 0;
        let mut labelled = 0;
        let mut counts = vec![(0usize, 0usize, 0usize); k]; // (correct, support, predicted)
        for (&p, truth) in &reference {
            let pred = predicted(run, cd.dim, p);
            if !pred.is_empty() {
                labelled += 1;
            }
            if pred == *truth {
                correct_all += 1;
            }
            for (l, cnt) in counts.iter_mut().enumerate() {
                let (t, q) = (truth.contains(&l), pred.contains(&l));
                cnt.0 += usize::from(t && q);
                cnt.1 += usize::from(t);
                cnt.2 += usize::from(q);
            }
        }
        let mut f1s = Vec::new();
        for (l, &(c, s, q)) in counts.iter().enumerate() {
            let f1 = (s + q > 0).then(|| 2.0 * c as f64 / (s + q) as f64);
            f1s.extend(f1);
            let (pl, ph) = wilson(c, q, params.level);
            let (rl, rh) = wilson(c, s, params.level);
            labels_out.push(LabelRow {
                dimension: dim.name.clone(),
                label: dim.labels[l].clone(),
                support: s,
                predicted: q,
                correct: c,
                precision: ratio(c, q),
                precision_low: (q > 0).then_some(pl),
                precision_high: (q > 0).then_some(ph),
                recall: ratio(c, s),
                recall_low: (s > 0).then_some(rl),
                recall_high: (s > 0).then_some(rh),
                f1,
            });
        }
        let macro_f1 = if f1s.is_empty() {
            0.0
        } else {
            f1s.iter().sum::<f64>() / f1s.len() as f64
        };
        let (acc_low, acc_high) = wilson(correct_all, n_ref, params.level);

        // Krippendorff's α (single-label dimensions): between the coders, and between rhetor
        // and the reference labels, rhetor's "unsure" being a value of its own (so it counts
        // as disagreement instead of dropping out).
        let (mut a_c, mut a_r) = ((None, None, None), (None, None, None));
        if dim.kind == Kind::Single {
            let units: Vec<usize> = coded_paras.iter().copied().collect();
            let coder_ids: Vec<usize> = coders.iter().copied().collect();
            let unit_of: BTreeMap<usize, usize> =
                units.iter().enumerate().map(|(u, &p)| (p, u)).collect();
            let n_h = coder_ids.len();
            if n_h >= 2 {
                let mut cells = vec![None; n_h * units.len()];
                for c in &cd.codes {
                    let row = coder_ids.iter().position(|&x| x == c.coder).unwrap_or(0);
                    cells[row * units.len() + unit_of[&c.para]] = Some(c.labels[0] as u32);
                }
                let humans =
                    ReliabilityData::new(n_h, units.len(), k, cells).map_err(|source| {
                        ValidateError::Agreement {
                            dimension: dim.name.clone(),
                            source,
                        }
                    })?;
                a_c = alpha_with_interval(
                    &humans,
                    dim.level,
                    params,
                    "between the coders",
                    &dim.name,
                    &mut notes,
                );
            }
            let refs: Vec<(&usize, &Vec<usize>)> = reference.iter().collect();
            let mut cells = vec![None; 2 * refs.len()];
            // Nominal: rhetor's "unsure" is a value of its own (it disagrees with every
            // label). On an ordered scale it has no place, so it is left out of α (accuracy
            // still counts it as wrong).
            let unsure = (dim.level == Level::Nominal).then_some(k as u32);
            for (u, (&p, truth)) in refs.iter().enumerate() {
                cells[u] = Some(truth[0] as u32);
                cells[refs.len() + u] = predicted(run, cd.dim, p)
                    .first()
                    .map(|&l| l as u32)
                    .or(unsure);
            }
            let pair = ReliabilityData::new(2, refs.len(), k + 1, cells).map_err(|source| {
                ValidateError::Agreement {
                    dimension: dim.name.clone(),
                    source,
                }
            })?;
            a_r = alpha_with_interval(
                &pair,
                dim.level,
                params,
                "between rhetor and the reference labels",
                &dim.name,
                &mut notes,
            );
        }
        summary.push(SummaryRow {
            dimension: dim.name.clone(),
            method: dim.method.clone(),
            kind: match dim.kind {
                Kind::Single => "single".into(),
                Kind::Multi => "multi".into(),
            },
            alpha_level: dim.level.as_str().into(),
            n_coders: coders.len(),
            n_coded: coded_paras.len(),
            n_reference: n_ref,
            n_no_majority: ties,
            accuracy: ratio(correct_all, n_ref).unwrap_or(0.0),
            accuracy_low: acc_low,
            accuracy_high: acc_high,
            coverage: ratio(labelled, n_ref).unwrap_or(0.0),
            macro_f1,
            alpha_coders: a_c.0,
            alpha_coders_low: a_c.1,
            alpha_coders_high: a_c.2,
            alpha_rhetor: a_r.0,
            alpha_rhetor_low: a_r.1,
            alpha_rhetor_high: a_r.2,
        });

        // Corrected shares per group and label.
        let alpha = 1.0 - params.level;
        for (&g, paras) in &groups {
            let coded_here: Vec<usize> = paras
                .iter()
                .copied()
                .filter(|p| reference.contains_key(p))
                .collect();
            if coded_here.len() < 2 {
                return Err(ValidateError::TooFewCoded {
                    dimension: dim.name.clone(),
                    group: g.to_string(),
                    coded: coded_here.len(),
                });
            }
            let mut doc_index: BTreeMap<&str, u32> = BTreeMap::new();
            for &p in paras {
                let next = doc_index.len() as u32;
                doc_index.entry(run.doc_id[p].as_str()).or_insert(next);
            }
            let clustered = doc_index.len() > 1;
            let cl = |ps: &[usize]| -> Vec<u32> {
                ps.iter()
                    .map(|&p| doc_index[run.doc_id[p].as_str()])
                    .collect()
            };
            let cl_all = cl(paras);
            let cl_coded = cl(&coded_here);
            let lab_paras: Vec<usize> = paras
                .iter()
                .copied()
                .filter(|&p| !predicted(run, cd.dim, p).is_empty())
                .collect();
            let cl_lab = cl(&lab_paras);
            let probs: Vec<f64> = coded_here
                .iter()
                .map(|p| coded.inclusion_prob.get(p).copied().unwrap_or(1.0))
                .collect();
            let weighted = probs.iter().any(|&x| x != probs[0]);
            let w: Vec<f64> = probs.iter().map(|x| 1.0 / x).collect();
            let preds: Vec<Vec<usize>> = paras.iter().map(|&p| predicted(run, cd.dim, p)).collect();
            for l in 0..k {
                let yhat_unl: Vec<f64> = preds
                    .iter()
                    .map(|v| f64::from(u8::from(v.contains(&l))))
                    .collect();
                let y: Vec<f64> = coded_here
                    .iter()
                    .map(|p| f64::from(u8::from(reference[p].contains(&l))))
                    .collect();
                let yhat: Vec<f64> = coded_here
                    .iter()
                    .map(|&p| f64::from(u8::from(predicted(run, cd.dim, p).contains(&l))))
                    .collect();
                let err = |source| ValidateError::Ppi {
                    context: format!(
                        "dimension '{}', group '{g}', label '{}'",
                        dim.name, dim.labels[l]
                    ),
                    source,
                };
                let sample = PpiSample {
                    y: &y,
                    yhat: &yhat,
                    yhat_unlabeled: &yhat_unl,
                    w: weighted.then_some(w.as_slice()),
                    w_unlabeled: None,
                    clusters: clustered.then_some(cl_coded.as_slice()),
                    clusters_unlabeled: clustered.then_some(cl_all.as_slice()),
                };
                let mut corrected = ppi::ppi_mean(&sample, alpha, Lambda::Tuned).map_err(err)?;
                // A coded sample in which the label never (or always) occurs has no
                // variance to estimate, and the normal interval collapses to a point: use
                // the Wilson interval of the coded sample instead (0 of 15 coded → up to 20%).
                if let Some((lo, hi)) = constant_wilson(&y, params.level) {
                    corrected.ci_low = corrected.ci_low.min(lo);
                    corrected.ci_high = corrected.ci_high.max(hi);
                }
                let lab_ind: Vec<f64> = lab_paras
                    .iter()
                    .map(|&p| f64::from(u8::from(predicted(run, cd.dim, p).contains(&l))))
                    .collect();
                let naive = if lab_ind.len() >= 2 {
                    let mut m =
                        ppi::naive_mean(&lab_ind, clustered.then_some(cl_lab.as_slice()), alpha)
                            .map_err(err)?;
                    if let Some((lo, hi)) = constant_wilson(&lab_ind, params.level) {
                        (m.ci_low, m.ci_high) = (m.ci_low.min(lo), m.ci_high.max(hi));
                    }
                    Some(m)
                } else {
                    None
                };
                let wsum: f64 = w.iter().sum();
                let coded_share = y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / wsum;
                shares.push(ShareRow {
                    dimension: dim.name.clone(),
                    group_id: g.to_string(),
                    label: dim.labels[l].clone(),
                    n: paras.len(),
                    n_labelled: lab_paras.len(),
                    n_coded: coded_here.len(),
                    naive_share: naive.as_ref().map(|m| m.estimate),
                    naive_low: naive.as_ref().map(|m| m.ci_low.max(0.0)),
                    naive_high: naive.as_ref().map(|m| m.ci_high.min(1.0)),
                    coded_share,
                    corrected_share: corrected.estimate,
                    corrected_low: corrected.ci_low.max(0.0),
                    corrected_high: corrected.ci_high.min(1.0),
                    lambda: corrected.lambda,
                });
            }
        }
    }
    Ok(Validation {
        run_id: run.run_id.clone(),
        coded: coded.path.display().to_string(),
        group_by: run.group_by.clone(),
        level: params.level,
        summary,
        labels: labels_out,
        shares,
        notes,
    })
}
