//! Jensen–Shannon divergence between groups with permutation p-values, and Holm /
//! Benjamini–Hochberg adjustment.

use super::sample::multivariate_hypergeometric;
use super::{
    derive_seed, name_hash, Adjust, CompareError, CompareValidParams, Dimension, DimensionCounts,
    DocCounts, GroupCounts, Grouping, SkippedGroup, Typed, CHUNK,
};
#[cfg(test)]
use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Seed stream of the permutation tests.
const STREAM_PERM: u64 = 2;

/// Tolerance of `JSD_perm ≥ JSD_obs`.
const TIE_TOLERANCE: f64 = 1e-12;

/// What the permutation test reshuffles between the two groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PermMethod {
    /// Whole documents (the groups contain documents; at least one has two or more).
    #[serde(rename = "permutation_docs")]
    Documents,
    /// Paragraphs between two single documents (document-vs-document comparison).
    #[serde(rename = "permutation_paragraphs")]
    Paragraphs,
}

impl PermMethod {
    /// The name written in output tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PermMethod::Documents => "permutation_docs",
            PermMethod::Paragraphs => "permutation_paragraphs",
        }
    }
}

/// The divergence between two groups along one dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DivergenceRow {
    /// The dimension.
    pub dimension: String,
    /// Index of the first group (`group_a < group_b`).
    pub group_a: usize,
    /// Index of the second group.
    pub group_b: usize,
    /// Name of the first group.
    pub name_a: String,
    /// Name of the second group.
    pub name_b: String,
    /// Labelled units of the first group.
    pub n_a: u64,
    /// Labelled units of the second group.
    pub n_b: u64,
    /// Documents (with labelled units) of the first group.
    pub docs_a: usize,
    /// Documents (with labelled units) of the second group.
    pub docs_b: usize,
    /// Jensen–Shannon divergence (base 2, in `[0, 1]`) of the two label distributions.
    pub jsd: f64,
    /// Permutation p-value `(1 + #{JSD_perm ≥ JSD_obs}) / (1 + n_perm)`.
    pub p_value: f64,
    /// `p_value` adjusted over the whole table (see [`DivergenceTable::adjust`]).
    pub p_adjusted: f64,
    /// `p_adjusted < alpha`.
    pub significant: bool,
    /// What was permuted.
    pub method: PermMethod,
    /// Number of permutations.
    pub n_perm: usize,
}

/// Divergences of all pairs of groups along all dimensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DivergenceTable {
    /// One row per dimension × pair of groups with labelled units, by dimension (in the
    /// order given) then `group_a`, then `group_b`.
    pub rows: Vec<DivergenceRow>,
    /// Groups without labelled units along a dimension: no pairs with them.
    pub skipped: Vec<SkippedGroup>,
    /// The adjustment of `p_adjusted`.
    pub adjust: Adjust,
    /// The significance level of `significant`.
    pub alpha: f64,
}

/// Jensen–Shannon divergence (base-2 logarithms, in `[0, 1]`) between two distributions
/// given as non-negative weights (counts or probabilities; each is normalised by its sum).
/// `None` when the lengths differ, a weight is negative or not finite, or a side sums to 0.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> Option<f64> {
    if p.len() != q.len() || p.iter().chain(q).any(|&x| !(x.is_finite() && x >= 0.0)) {
        return None;
    }
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    if !(sp > 0.0 && sq > 0.0 && sp.is_finite() && sq.is_finite()) {
        return None;
    }
    Some(jsd_terms(p.iter().zip(q).map(|(&a, &b)| (a / sp, b / sq))))
}

/// JSD of pairs of probabilities.
fn jsd_terms(pq: impl Iterator<Item = (f64, f64)>) -> f64 {
    let mut s = 0.0;
    for (p, q) in pq {
        let m = 0.5 * (p + q);
        if p > 0.0 {
            s += p * (p / m).log2();
        }
        if q > 0.0 {
            s += q * (q / m).log2();
        }
    }
    (0.5 * s).clamp(0.0, 1.0)
}

/// JSD of two count vectors with totals `na`, `nb` (both > 0).
fn jsd_counts(a: &[u64], na: u64, b: &[u64], nb: u64) -> f64 {
    let (na, nb) = (na as f64, nb as f64);
    jsd_terms(
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (x as f64 / na, y as f64 / nb)),
    )
}

/// Counts the permutations (out of `n_perm`) whose JSD reaches `obs`, in chunks of
/// [`CHUNK`] each seeded from `(seed, chunk)`. The items permuted are `tally[t]` items of
/// each type `t` (an item of type `t` has the counts `types[t]`; items of one type are
/// interchangeable). A random split takes a uniformly random `s`-subset of the items: the
/// number of items of each type in it is a multivariate hypergeometric draw (one
/// univariate hypergeometric draw per type, in type order), and the JSD of the subset's
/// counts against the rest's is computed. A permutation costs `O(T k)` for `T` types and
/// `k` labels plus the draws (see [`sample`](super::sample)), whatever the number of items.
fn count_exceed(
    n_perm: usize,
    seed: u64,
    types: &[&DocCounts],
    tally: &[u64],
    s: u64,
    total: &[u64],
    obs: f64,
) -> usize {
    let k = total.len();
    let n_total: u64 = total.iter().sum();
    (0..n_perm.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let len = CHUNK.min(n_perm - c * CHUNK);
            let mut rng = Xoshiro256Plus::seed_from_u64(derive_seed(seed, &[c as u64]));
            let mut taken = vec![0u64; types.len()];
            let mut side = vec![0u64; k];
            let mut rest = vec![0u64; k];
            let mut hits = 0;
            for _ in 0..len {
                multivariate_hypergeometric(&mut rng, tally, s, &mut taken);
                side.iter_mut().for_each(|x| *x = 0);
                let mut n_side = 0;
                for (d, &m) in types.iter().zip(&taken) {
                    if m > 0 {
                        n_side += m * d.n;
                        for (x, &y) in side.iter_mut().zip(&d.counts) {
                            *x += m * y;
                        }
                    }
                }
                for ((r, &t), &x) in rest.iter_mut().zip(total).zip(&side) {
                    *r = t - x;
                }
                let j = jsd_counts(&side, n_side, &rest, n_total - n_side);
                if j >= obs - TIE_TOLERANCE {
                    hits += 1;
                }
            }
            hits
        })
        .sum()
}

/// Permutation test between two groups (both with labelled units) whose documents are
/// types of `types`.
fn test_pair(
    types: &[DocCounts],
    a: &GroupCounts,
    b: &GroupCounts,
    n_perm: usize,
    seed: u64,
) -> (f64, f64, PermMethod) {
    let k = a.counts.len();
    let obs = jsd_counts(&a.counts, a.n, &b.counts, b.n);
    let total: Vec<u64> = a.counts.iter().zip(&b.counts).map(|(x, y)| x + y).collect();
    let paragraphs = a.docs.len() == 1 && b.docs.len() == 1;
    let hits = if paragraphs {
        // Paragraphs: the pooled labels of the two documents, split n_a : n_b; a paragraph
        // is a document of one unit of its label.
        let units: Vec<DocCounts> = (0..k)
            .map(|l| {
                let mut counts = vec![0; k];
                counts[l] = 1;
                DocCounts { n: 1, counts }
            })
            .collect();
        let unit_types: Vec<&DocCounts> = units.iter().collect();
        let s = a.n.min(b.n);
        count_exceed(n_perm, seed, &unit_types, &total, s, &total, obs)
    } else {
        // Documents: the documents of both groups, split docs_a : docs_b.
        let docs = Typed::select(types, &[&a.docs, &b.docs]);
        let mut tally = vec![0u64; docs.types.len()];
        for &t in &docs.of {
            tally[t as usize] += 1;
        }
        let s = a.docs.len().min(b.docs.len()) as u64;
        count_exceed(n_perm, seed, &docs.types, &tally, s, &total, obs)
    };
    let method = if paragraphs {
        PermMethod::Paragraphs
    } else {
        PermMethod::Documents
    };
    let p = (1 + hits) as f64 / (1 + n_perm) as f64;
    (obs, p, method)
}

/// Jensen–Shannon divergence and permutation p-value for every pair of groups along every
/// dimension, with p-values adjusted over the whole table (see the [module docs](super)).
/// Deterministic for a given `seed`, whatever the number of threads. The same as
/// [`divergence_from_counts`] of [`DimensionCounts::from_units`] of each dimension.
pub fn divergence(
    dims: &[Dimension<'_>],
    grouping: &Grouping,
    params: &CompareValidParams,
    seed: u64,
) -> Result<DivergenceTable, CompareError> {
    grouping.check()?;
    check_names(dims.iter().map(|d| d.name))?;
    let counts = dims
        .iter()
        .map(|d| DimensionCounts::from_units(d, grouping))
        .collect::<Result<Vec<_>, _>>()?;
    divergence_from_counts(&counts, grouping, params, seed)
}

/// An error for the first name given twice.
fn check_names<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), CompareError> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(CompareError::DuplicateDimension(name.to_string()));
        }
    }
    Ok(())
}

/// [`divergence`] from the dimensions' sufficient statistics: the label counts of each
/// document. Every document of the counts must be in `grouping`.
pub fn divergence_from_counts(
    dims: &[DimensionCounts],
    grouping: &Grouping,
    params: &CompareValidParams,
    seed: u64,
) -> Result<DivergenceTable, CompareError> {
    let p = params.params();
    grouping.check()?;
    check_names(dims.iter().map(|d| d.name()))?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for dim in dims {
        let name = dim.name();
        let tab = dim.tabulate(grouping)?;
        skipped.extend(tab.skipped(name, grouping));
        let usable: Vec<usize> = (0..tab.groups.len())
            .filter(|&g| tab.groups[g].n > 0)
            .collect();
        let pairs: Vec<(usize, usize)> = usable
            .iter()
            .enumerate()
            .flat_map(|(i, &a)| usable[i + 1..].iter().map(move |&b| (a, b)))
            .collect();
        let dim_hash = name_hash(name);
        let tested: Vec<DivergenceRow> = pairs
            .par_iter()
            .map(|&(a, b)| {
                let (ga, gb) = (&tab.groups[a], &tab.groups[b]);
                let s = derive_seed(seed, &[STREAM_PERM, dim_hash, a as u64, b as u64]);
                let (jsd, p_value, method) = test_pair(&tab.types, ga, gb, p.n_perm, s);
                DivergenceRow {
                    dimension: name.to_string(),
                    group_a: a,
                    group_b: b,
                    name_a: grouping.group_names[a].clone(),
                    name_b: grouping.group_names[b].clone(),
                    n_a: ga.n,
                    n_b: gb.n,
                    docs_a: ga.docs.len(),
                    docs_b: gb.docs.len(),
                    jsd,
                    p_value,
                    p_adjusted: p_value,
                    significant: false,
                    method,
                    n_perm: p.n_perm,
                }
            })
            .collect();
        rows.extend(tested);
    }
    let raw: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    for (r, adj) in rows.iter_mut().zip(p.adjust.apply(&raw)) {
        r.p_adjusted = adj;
        r.significant = adj < p.alpha;
    }
    Ok(DivergenceTable {
        rows,
        skipped,
        adjust: p.adjust,
        alpha: p.alpha,
    })
}

/// Positions of the non-NaN values of `p`, sorted by increasing value (ties by position).
fn order_non_nan(p: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    idx
}

/// Holm (1979) step-down adjusted p-values, as R's `p.adjust(p, "holm")`: with `m` non-NaN
/// values sorted increasingly, `p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) p₍ⱼ₎)`. NaN stays NaN
/// and is not counted in `m`; the output is in the input's order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let idx = order_non_nan(p);
    let m = idx.len() as f64;
    let mut out = p.to_vec();
    let mut running = f64::NEG_INFINITY;
    for (j, &i) in idx.iter().enumerate() {
        let v = ((m - j as f64) * p[i]).min(1.0);
        running = running.max(v);
        out[i] = running;
    }
    out
}

/// Benjamini & Hochberg (1995) step-up adjusted p-values, as R's `p.adjust(p, "BH")`: with
/// `m` non-NaN values sorted increasingly, `p̃₍ᵢ₎ = min_{j ≥ i} min(1, m p₍ⱼ₎ / j)`. NaN stays
/// NaN and is not counted in `m`; the output is in the input's order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let idx = order_non_nan(p);
    let m = idx.len() as f64;
    let mut out = p.to_vec();
    let mut running = f64::INFINITY;
    for (j, &i) in idx.iter().enumerate().rev() {
        let v = (m * p[i] / (j + 1) as f64).min(1.0);
        running = running.min(v);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{sim, CompareParams, Labelled};
    use super::*;
    use approx::assert_relative_eq;

    fn params() -> CompareValidParams {
        CompareParams::default().check().unwrap()
    }

    #[test]
    fn jsd_identical_disjoint_and_hand_computed() {
        assert_eq!(
            jensen_shannon(&[0.2, 0.3, 0.5], &[2.0, 3.0, 5.0]),
            Some(0.0)
        );
        assert_eq!(jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]), Some(1.0));
        assert_eq!(
            jensen_shannon(&[1.0, 1.0, 0.0, 0.0], &[0.0, 0.0, 3.0, 1.0]),
            Some(1.0)
        );
        // P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4);
        // KL(P‖M) = ½ log2(2/3) + ½ log2(2) = ½ (1 − log2 3) + ½ = 1 − ½ log2 3,
        // KL(Q‖M) = log2(4/3) = 2 − log2 3; JSD = ½ (3 − 1.5 log2 3) = 1.5 − 0.75 log2 3
        // = 0.31127812445913283.
        let j = jensen_shannon(&[1.0, 1.0], &[1.0, 0.0]).unwrap();
        assert_relative_eq!(j, 1.5 - 0.75 * 3f64.log2(), epsilon = 1e-15);
        assert_relative_eq!(j, 0.31127812445913283, epsilon = 1e-15);
        // Symmetric.
        assert_eq!(jensen_shannon(&[1.0, 0.0], &[1.0, 1.0]), Some(j));
        assert_eq!(jensen_shannon(&[1.0], &[1.0, 0.0]), None);
        assert_eq!(jensen_shannon(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(jensen_shannon(&[-1.0, 2.0], &[1.0, 0.0]), None);
        assert_eq!(jensen_shannon(&[f64::NAN, 2.0], &[1.0, 0.0]), None);
    }

    #[test]
    fn holm_and_bh_match_r() {
        // R: p <- c(0.01, 0.04, 0.03, 0.005, 0.2)
        // p.adjust(p, "holm") = 0.040 0.090 0.090 0.025 0.200
        //   (sorted 0.005 0.01 0.03 0.04 0.2 × 5 4 3 2 1 = 0.025 0.04 0.09 0.08 0.2, cummax)
        // p.adjust(p, "BH")   = 0.025 0.050 0.050 0.025 0.200
        //   (sorted × 5/1..5/5 = 0.025 0.025 0.05 0.05 0.2, reverse cummin)
        let p = [0.01, 0.04, 0.03, 0.005, 0.2];
        let h = holm(&p);
        for (a, b) in h.iter().zip([0.04, 0.09, 0.09, 0.025, 0.2]) {
            assert_relative_eq!(*a, b, epsilon = 1e-15);
        }
        let bh = benjamini_hochberg(&p);
        for (a, b) in bh.iter().zip([0.025, 0.05, 0.05, 0.025, 0.2]) {
            assert_relative_eq!(*a, b, epsilon = 1e-15);
        }
        // R: p.adjust(c(0.5, 0.02, NA, 0.02, 0.9), "holm") = 1.00 0.08 NA 0.08 1.00
        //    p.adjust(c(0.5, 0.02, NA, 0.02, 0.9), "BH")   = 0.6666667 0.04 NA 0.04 0.9
        let p = [0.5, 0.02, f64::NAN, 0.02, 0.9];
        let h = holm(&p);
        assert!(h[2].is_nan());
        for (i, b) in [(0, 1.0), (1, 0.08), (3, 0.08), (4, 1.0)] {
            assert_relative_eq!(h[i], b, epsilon = 1e-15);
        }
        let bh = benjamini_hochberg(&p);
        assert!(bh[2].is_nan());
        for (i, b) in [(0, 2.0 / 3.0), (1, 0.04), (3, 0.04), (4, 0.9)] {
            assert_relative_eq!(bh[i], b, epsilon = 1e-15);
        }
        assert!(holm(&[]).is_empty() && benjamini_hochberg(&[]).is_empty());
        assert_eq!(holm(&[0.3]), vec![0.3]);
        assert_eq!(Adjust::Holm.apply(&[0.01, 0.04]), vec![0.02, 0.04]);
        assert_eq!(
            Adjust::BenjaminiHochberg.apply(&[0.01, 0.04]),
            vec![0.02, 0.04]
        );
    }

    /// Units of documents drawn with a document-level random effect around `mean`.
    fn sim_docs(
        rng: &mut Xoshiro256Plus,
        first_doc: usize,
        n_docs: usize,
        mean: &[f64],
        conc: f64,
        units: &mut Vec<Labelled<'static>>,
    ) {
        const LABELS: [&str; 4] = ["a", "b", "c", "d"];
        for doc in first_doc..first_doc + n_docs {
            let p = sim::dirichlet(rng, mean, conc);
            for _ in 0..rng.gen_range(5..=30) {
                units.push(Labelled {
                    doc,
                    label: Some(LABELS[sim::categorical(rng, &p)]),
                });
            }
        }
    }

    /// Two groups of 8–15 documents from the same process (document-level random effect,
    /// Dirichlet(10 · truth)), 200 simulations, 2,000 document permutations each.
    /// Measured rate of p < 0.05: 0.06 (12 of 200).
    #[test]
    fn document_permutation_is_calibrated() {
        let truth = [0.4, 0.3, 0.2, 0.1];
        let mut rng = Xoshiro256Plus::seed_from_u64(31);
        let sims = 200;
        let mut rejections = 0;
        for s in 0..sims {
            let (na, nb) = (rng.gen_range(8..=15), rng.gen_range(8..=15));
            let mut units = Vec::new();
            sim_docs(&mut rng, 0, na, &truth, 10.0, &mut units);
            sim_docs(&mut rng, na, nb, &truth, 10.0, &mut units);
            let g = Grouping::new(
                (0..na + nb).map(|d| usize::from(d >= na)).collect(),
                vec!["A".into(), "B".into()],
            )
            .unwrap();
            let t = divergence(
                &[Dimension {
                    name: "f",
                    units: &units,
                }],
                &g,
                &params(),
                s,
            )
            .unwrap();
            assert_eq!(t.rows[0].method, PermMethod::Documents);
            rejections += (t.rows[0].p_value < 0.05) as usize;
        }
        let rate = rejections as f64 / sims as f64;
        println!("document permutation: rate of p < 0.05 under H0 = {rate}");
        assert!((0.02..=0.09).contains(&rate), "{rate}");
    }

    /// Two single documents of 20–60 i.i.d. paragraphs from the same distribution, 200
    /// simulations, 2,000 paragraph permutations each. Measured rate of p < 0.05: 0.06
    /// (12 of 200).
    #[test]
    fn paragraph_permutation_is_calibrated() {
        let truth = [0.4, 0.3, 0.2, 0.1];
        let labels = ["a", "b", "c", "d"];
        let mut rng = Xoshiro256Plus::seed_from_u64(32);
        let sims = 200;
        let mut rejections = 0;
        let g = Grouping::identity(vec!["doc0".into(), "doc1".into()]);
        for s in 0..sims {
            let mut units = Vec::new();
            for doc in 0..2 {
                for _ in 0..rng.gen_range(20..=60) {
                    units.push(Labelled {
                        doc,
                        label: Some(labels[sim::categorical(&mut rng, &truth)]),
                    });
                }
            }
            let t = divergence(
                &[Dimension {
                    name: "f",
                    units: &units,
                }],
                &g,
                &params(),
                s,
            )
            .unwrap();
            assert_eq!(t.rows[0].method, PermMethod::Paragraphs);
            rejections += (t.rows[0].p_value < 0.05) as usize;
        }
        let rate = rejections as f64 / sims as f64;
        println!("paragraph permutation: rate of p < 0.05 under H0 = {rate}");
        assert!((0.02..=0.09).contains(&rate), "{rate}");
    }

    /// Under the null (both groups' documents from one process) the permutation p-value is
    /// uniform up to its grid `1/(1 + n_perm)`: 2,000 simulated pairs of groups, 199
    /// permutations each (p on multiples of 1/200), half with 5–30 documents of 5–30
    /// paragraphs (a document-level random effect; nearly every document its own type),
    /// half with 50–400 one-paragraph documents (4 types with large multiplicities). The
    /// fraction of p-values at or below 0.05, 0.25 and 0.5 must lie within 3.5 binomial
    /// standard errors of 0.05, 0.25, 0.5. Measured: see the test's output.
    #[test]
    fn document_permutation_p_values_are_uniform_under_the_null() {
        let truth = [0.4, 0.3, 0.2, 0.1];
        let labels = ["a", "b", "c", "d"];
        let mut rng = Xoshiro256Plus::seed_from_u64(35);
        let params = CompareParams {
            n_perm: 199,
            ..Default::default()
        }
        .check()
        .unwrap();
        let sims = 2000;
        let cuts = [0.05, 0.25, 0.5];
        let mut below = [[0usize; 3]; 2];
        for s in 0..sims {
            let design = s % 2;
            let mut units = Vec::new();
            let (na, nb) = if design == 0 {
                let (na, nb) = (rng.gen_range(5..=30), rng.gen_range(5..=30));
                sim_docs(&mut rng, 0, na, &truth, 10.0, &mut units);
                sim_docs(&mut rng, na, nb, &truth, 10.0, &mut units);
                (na, nb)
            } else {
                let (na, nb) = (rng.gen_range(50..=400), rng.gen_range(50..=400));
                for doc in 0..na + nb {
                    units.push(Labelled {
                        doc,
                        label: Some(labels[sim::categorical(&mut rng, &truth)]),
                    });
                }
                (na, nb)
            };
            let g = Grouping::new(
                (0..na + nb).map(|d| usize::from(d >= na)).collect(),
                vec!["A".into(), "B".into()],
            )
            .unwrap();
            let t = divergence(
                &[Dimension {
                    name: "f",
                    units: &units,
                }],
                &g,
                &params,
                s as u64,
            )
            .unwrap();
            assert_eq!(t.rows[0].method, PermMethod::Documents);
            for (b, &c) in below[design].iter_mut().zip(&cuts) {
                *b += usize::from(t.rows[0].p_value <= c + 1e-12);
            }
        }
        let per = (sims / 2) as f64;
        for (design, counts) in ["long documents", "one-paragraph documents"]
            .iter()
            .zip(&below)
        {
            let rates: Vec<f64> = counts.iter().map(|&c| c as f64 / per).collect();
            println!("{design}: fraction of p ≤ {cuts:?} under H0 = {rates:?}");
            for (&r, &c) in rates.iter().zip(&cuts) {
                let bound = 3.5 * (c * (1.0 - c) / per).sqrt();
                assert!((r - c).abs() <= bound, "{design}: {r} vs {c} ± {bound}");
            }
        }
    }

    #[test]
    fn clearly_different_groups_have_small_p() {
        let mut rng = Xoshiro256Plus::seed_from_u64(33);
        let mut units = Vec::new();
        sim_docs(&mut rng, 0, 12, &[0.7, 0.1, 0.1, 0.1], 20.0, &mut units);
        sim_docs(&mut rng, 12, 12, &[0.1, 0.1, 0.1, 0.7], 20.0, &mut units);
        let g = Grouping::new(
            (0..24).map(|d| usize::from(d >= 12)).collect(),
            vec!["A".into(), "B".into()],
        )
        .unwrap();
        let t = divergence(
            &[Dimension {
                name: "f",
                units: &units,
            }],
            &g,
            &params(),
            1,
        )
        .unwrap();
        let r = &t.rows[0];
        assert!(r.p_value < 0.01, "{}", r.p_value);
        assert_eq!(r.p_value, 1.0 / 2001.0);
        assert!(r.jsd > 0.2 && r.jsd <= 1.0);
        assert!(r.significant);
        // Document vs document: two documents of 40 paragraphs.
        let labels = ["a", "b", "c", "d"];
        let mut units = Vec::new();
        for (doc, p) in [(0, [0.7, 0.1, 0.1, 0.1]), (1, [0.1, 0.1, 0.1, 0.7])] {
            for _ in 0..40 {
                units.push(Labelled {
                    doc,
                    label: Some(labels[sim::categorical(&mut rng, &p)]),
                });
            }
        }
        let g = Grouping::identity(vec!["d0".into(), "d1".into()]);
        let t = divergence(
            &[Dimension {
                name: "f",
                units: &units,
            }],
            &g,
            &params(),
            1,
        )
        .unwrap();
        let r = &t.rows[0];
        assert_eq!(r.method, PermMethod::Paragraphs);
        assert!(r.p_value < 0.01, "{}", r.p_value);
    }

    #[test]
    fn identical_groups_give_p_one_and_table_is_adjusted() {
        // Two documents with the same labels in each group: JSD 0, p = 1.
        let units: Vec<Labelled> = [
            (0, "x"),
            (0, "y"),
            (1, "x"),
            (1, "y"),
            (2, "y"),
            (2, "x"),
            (3, "x"),
            (3, "y"),
        ]
        .iter()
        .map(|&(doc, l)| Labelled {
            doc,
            label: Some(l),
        })
        .collect();
        let g = Grouping::new(vec![0, 0, 1, 1], vec!["A".into(), "B".into()]).unwrap();
        let other: Vec<Labelled> = units
            .iter()
            .map(|u| Labelled {
                doc: u.doc,
                label: if u.doc < 2 { Some("x") } else { Some("y") },
            })
            .collect();
        let dims = [
            Dimension {
                name: "same",
                units: &units,
            },
            Dimension {
                name: "apart",
                units: &other,
            },
        ];
        let t = divergence(&dims, &g, &params(), 3).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].jsd, 0.0);
        assert_eq!(t.rows[0].p_value, 1.0);
        assert_eq!(t.rows[1].jsd, 1.0);
        // 4 documents, 2 per group: only 6 splits, 2 of which reach JSD = 1.
        assert!(
            (t.rows[1].p_value - 1.0 / 3.0).abs() < 0.05,
            "{}",
            t.rows[1].p_value
        );
        let raw: Vec<f64> = t.rows.iter().map(|r| r.p_value).collect();
        let adj: Vec<f64> = t.rows.iter().map(|r| r.p_adjusted).collect();
        assert_eq!(adj, benjamini_hochberg(&raw));
        assert_eq!(t.adjust, Adjust::BenjaminiHochberg);
        let e = divergence(&[dims[0], dims[0]], &g, &params(), 3).unwrap_err();
        assert_eq!(e, CompareError::DuplicateDimension("same".into()));
    }

    #[test]
    fn groups_without_labels_are_skipped_not_nan() {
        let units = [
            Labelled {
                doc: 0,
                label: Some("x"),
            },
            Labelled {
                doc: 1,
                label: None,
            },
            Labelled {
                doc: 2,
                label: Some("y"),
            },
        ];
        let g = Grouping::identity(vec!["a".into(), "b".into(), "c".into()]);
        let t = divergence(
            &[Dimension {
                name: "f",
                units: &units,
            }],
            &g,
            &params(),
            0,
        )
        .unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!((t.rows[0].group_a, t.rows[0].group_b), (0, 2));
        assert!(t.rows[0].p_value.is_finite());
        assert_eq!(t.skipped.len(), 1);
        assert_eq!(t.skipped[0].group_name, "b");
        // Nothing labelled at all: no rows, no error.
        let none = [Labelled {
            doc: 0,
            label: None,
        }];
        let t = divergence(
            &[Dimension {
                name: "f",
                units: &none,
            }],
            &g,
            &params(),
            0,
        )
        .unwrap();
        assert!(t.rows.is_empty());
        assert_eq!(t.skipped.len(), 3);
    }

    #[test]
    fn permutations_are_identical_for_any_thread_count() {
        let mut rng = Xoshiro256Plus::seed_from_u64(34);
        let mut units = Vec::new();
        sim_docs(&mut rng, 0, 10, &[0.4, 0.3, 0.2, 0.1], 10.0, &mut units);
        sim_docs(&mut rng, 10, 10, &[0.3, 0.3, 0.3, 0.1], 10.0, &mut units);
        sim_docs(&mut rng, 20, 1, &[0.3, 0.3, 0.3, 0.1], 10.0, &mut units);
        sim_docs(&mut rng, 21, 1, &[0.4, 0.3, 0.2, 0.1], 10.0, &mut units);
        let g = Grouping::new(
            (0..22)
                .map(|d| match d {
                    0..=9 => 0,
                    10..=19 => 1,
                    20 => 2,
                    _ => 3,
                })
                .collect(),
            vec!["A".into(), "B".into(), "C".into(), "D".into()],
        )
        .unwrap();
        let dims = [Dimension {
            name: "f",
            units: &units,
        }];
        let run = |threads: usize| {
            crate::test_util::in_pool(threads, || divergence(&dims, &g, &params(), 77).unwrap())
        };
        let one = run(1);
        let two = run(2);
        assert_eq!(one, two);
        for (a, b) in one.rows.iter().zip(&two.rows) {
            assert_eq!(a.jsd.to_bits(), b.jsd.to_bits());
            assert_eq!(a.p_value.to_bits(), b.p_value.to_bits());
        }
        assert_eq!(one.rows.len(), 6);
        let cd = one
            .rows
            .iter()
            .find(|r| r.group_a == 2 && r.group_b == 3)
            .unwrap();
        assert_eq!(cd.method, PermMethod::Paragraphs);
        assert!(one
            .rows
            .iter()
            .filter(|r| r.group_a < 2)
            .all(|r| r.method == PermMethod::Documents));
    }
}
