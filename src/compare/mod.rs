//! # How framing differs: shares, divergence tests and distinctive terms
//!
//! A **dimension** labels paragraphs (a topic, a frame, a stance…). Each labelled unit
//! ([`Labelled`]) belongs to a document; a [`Grouping`] puts documents into groups (outlets,
//! parties, years; or each document on its own with [`Grouping::identity`]). This module
//! answers three questions, each with its uncertainty.
//!
//! ## 1. How often does each label occur in each group? — [`shares`]
//!
//! For every group × label: `count`, `share = count / n` where `n` is the number of
//! *labelled* units of the group (units whose label is `None` or empty are unsure/missing:
//! they are excluded from `n` and counted in `n_unlabelled`), and a `1 − alpha` interval:
//!
//! * **Group with ≥ 2 documents, label carried by many documents: cluster
//!   (document-level) bootstrap-t** (`"cluster_bootstrap_t_docs"`), for a label that at
//!   least 10 of the group's documents carry and at least 10 do not carry throughout.
//!   Paragraphs of one document are not independent, so the
//!   resampling unit is the document: the group's documents are drawn with replacement
//!   `n_boot` times (drawn per type of document, see "Sufficient statistics and cost"
//!   below) and the pooled share `Σ y_d / Σ n_d` is recomputed. The interval is the
//!   *studentized* (percentile-t) bootstrap interval
//!   `[p̂ − t*₁₋α/₂ · se, p̂ − t*α/₂ · se]`, where `t* = (p* − p̂) / se*` and `se` is the
//!   cluster-robust (linearisation) standard error of a ratio estimator,
//!   `se = √(G/(G−1) · Σ_d (y_d − p̂ n_d)²) / Σ_d n_d` over the `G` documents (Davison &
//!   Hinkley 1997, §3.8 and §5.2; Field & Welsh 2007). The plain percentile interval was
//!   measured too narrow with 20–40 documents (coverage 0.91–0.95 of a nominal 0.95), the
//!   percentile-t interval is calibrated (0.94–0.96), in line with Cameron, Gelbach & Miller
//!   (2008), who recommend percentile-t cluster bootstraps when clusters are few.
//! * **Group with ≥ 2 documents, label carried by few documents (or by nearly all
//!   paragraphs of nearly all documents), or a group of fewer than 10 documents: cluster
//!   Clopper–Pearson** (`"cluster_clopper_pearson_docs"`; Korn & Graubard 1998). The
//!   bootstrap-t degenerates there: a resample misses all `d` documents that carry a label
//!   with probability about `e^(−d)`, its `se*` is 0 and `t* = −∞`; from `d ≤ 3` on more than
//!   `α/2` of the resamples do, and the upper end became 1 (one paragraph of 468 had the
//!   interval [0, 1]); with few documents the `t*` quantiles come from a handful of distinct
//!   resamples. Instead, the exact binomial (Clopper–Pearson) interval is computed at the
//!   *effective sample size* of the clustered paragraphs: with the design effect
//!   `deff = se² / (p̂(1 − p̂)/n)`, `n* = (n / deff) · (z₁₋α/₂ / t_{G−1, 1−α/2})²` and
//!   `x* = p̂ n*`, the interval is `[B⁻¹(α/2; x*, n* − x* + 1), B⁻¹(1 − α/2; x* + 1, n* − x*)]`
//!   (Beta quantiles, real-valued `x*` and `n*`), `[0, 1 − (α/2)^(1/n*)]` at count 0 and
//!   mirrored at `p̂ = 1`. The ratio of normal and Student quantiles accounts for a
//!   variance estimated from only `G` documents (with 2 documents `n*` is 2.4% of `n/deff`:
//!   two documents cannot tell how strongly a document's paragraphs share labels). A rare
//!   label's own design effect rests on the few documents that carry it (and is undefined at
//!   count 0), so `deff` is the larger of the label's own and the group's
//!   (`Σ_l se_l² / Σ_l p̂_l(1 − p̂_l)/n` over all labels; in a Dirichlet–multinomial model
//!   every label has the same intra-document correlation, so the group's is the label's
//!   too), kept within `[1, Σ_d n_d² / n]` (from paragraphs as independent as coin flips to
//!   every document speaking with one label). Clopper–Pearson rather than Wilson because
//!   its coverage stays at or above the nominal level for counts of 0–3, where Wilson's dips
//!   below it. Simulated coverage of the nominal 95% (1,000 groups per cell; true shares
//!   0.2%–50%, 2–100 documents of 1–3 or 5–30 paragraphs, intra-document correlation 0–0.3;
//!   test `share_interval_coverage_table`; measured again with resamples drawn per type),
//!   the new rule covers 0.941–1.000 in all 216 cells (cells mostly by bootstrap-t
//!   0.941–0.981, Clopper–Pearson-only cells 0.979–1.000), and 99.7% of the 47,159
//!   simulated groups that counted 1–3 of the label. Bootstrap-t for
//!   every label covered 0.932–1.000, but up to 74% of a cell's intervals reached 1 for a
//!   share under 5% (none now): for true shares ≤ 5% in groups of ≥ 10 documents the mean
//!   width fell from 0.01–0.80 to 0.005–0.36. The price is paid by groups of 2–3
//!   documents, whose intervals are wide (mean width 0.35–0.98) because so few documents
//!   cannot show how clustered the labels are.
//!
//!   Either way the interval always contains the share and lies in `[0, 1]`; read `n_docs`
//!   in each row.
//! * **Group made of a single document: Goodman (1965) simultaneous multinomial
//!   intervals** (`"goodman_multinomial"`). With `k` labels in the dimension, `N` labelled
//!   units and `A = χ²₁(1 − α/k)`, label `i` with count `nᵢ` gets
//!   `[A + 2nᵢ ∓ √(A (A + 4 nᵢ (N − nᵢ)/N))] / (2 (N + A))`. This is a Bonferroni-corrected
//!   Wilson score interval; the `k` intervals hold *simultaneously* with probability at least
//!   `1 − α` (so each one is conservative). It is well behaved at `nᵢ = 0` (`[0, A/(N+A)]`)
//!   and `nᵢ = N`. Goodman was preferred over Sison & Glaz (1995) because it has a closed
//!   form and is accurate for the small `k` (a handful of labels) and moderate `N` of a
//!   document; Sison–Glaz is better when `k` is large and counts are spread thin.
//!   With a single document (the default grouping: each document on its own) there is one
//!   cluster and no between-document variation to estimate: the units are the document's
//!   paragraphs, treated as independent draws from the document's own label propensities,
//!   and the interval says how precisely this document's paragraphs pin down its own
//!   shares, not what other documents would say. Neighbouring paragraphs that share a label
//!   make it optimistic; its simultaneous (Bonferroni) level partly offsets that.
//!
//! A group without any labelled unit has no share rows; it is listed in
//! [`SharesTable::skipped`] with the reason.
//!
//! ## 2. Do two groups use the labels differently? — [`divergence`]
//!
//! For every dimension and every pair of groups `a < b`: the **Jensen–Shannon divergence**
//! (Lin 1991) of the two label distributions, `JSD = ½ KL(P‖M) + ½ KL(Q‖M)`, `M = (P+Q)/2`,
//! with base-2 logarithms so that it lies in `[0, 1]` (0: identical, 1: disjoint support).
//! Its **permutation p-value** is `p = (1 + #{JSD_perm ≥ JSD_obs}) / (1 + n_perm)`
//! (Phipson & Smyth 2010: never zero, valid for random permutations), with a `1e-12`
//! tolerance on `≥`. The permuted unit is the **document** (`"permutation_docs"`): the
//! documents of both groups are reshuffled between them, keeping the number of documents per
//! group, so dependence between paragraphs of a document is respected. With few documents
//! the smallest attainable p-value is `1 / C(docs_a + docs_b, docs_a)`, whatever `n_perm`.
//! Only when each of the two groups is a single document (a document-vs-document
//! comparison, e.g. with [`Grouping::identity`]) are **paragraphs** permuted between the
//! two documents (`"permutation_paragraphs"`), which assumes paragraphs are exchangeable.
//! P-values of the whole table (all dimensions, all pairs) are then adjusted with
//! [`holm`] (Holm 1979, family-wise error) or [`benjamini_hochberg`] (Benjamini & Hochberg
//! 1995, false discovery rate), chosen by [`Adjust`]; both match R's `p.adjust`.
//!
//! Permutations run in parallel (rayon) but deterministically: they are split into chunks of
//! [`CHUNK`] permutations, and chunk `c` uses its own generator seeded from
//! `(seed, dimension name, a, b, c)`, so results are bit-identical for any number of threads
//! and do not depend on the order of dimensions. The bootstrap does the same per
//! `(seed, dimension name, group, chunk)`.
//!
//! ### Sufficient statistics and cost
//!
//! Shares and divergence tests need only each document's label counts (and its unlabelled
//! units): a [`DimensionCounts`], which a streaming reader can accumulate chunk by chunk
//! ([`DimensionCounts::add`], [`DimensionCounts::merge`]) and pass to
//! [`shares_from_counts`] and [`divergence_from_counts`]; [`shares`] and [`divergence`]
//! build it from the units ([`DimensionCounts::from_units`]) and give the same tables, bit
//! for bit. Documents with the same count vector (all one-paragraph documents with the
//! same label, say) are one *type*, and every resample is drawn per type, not per document
//! (module `sample`):
//!
//! * a **permutation** of documents between groups `a` and `b` takes a uniformly random
//!   subset of `min(docs_a, docs_b)` of their documents as one side: the number of
//!   documents of each type on that side is a multivariate hypergeometric draw, made as one
//!   univariate hypergeometric draw per type in a fixed type order (the paragraph
//!   permutation does the same with the labels as types);
//! * a **bootstrap resample** of a group's `G` documents with replacement is the number of
//!   times each type is drawn, a multinomial draw with probabilities (documents of the
//!   type)/`G`, made as one binomial draw per type in type order; the resample's pooled
//!   share is `Σ_t c_t y_t / Σ_t c_t n_t` and its standard error the formula above with
//!   `Σ_d` over the resample's documents written `Σ_t c_t (y_t − p̂* n_t)²` (`c_t` draws of
//!   type `t`).
//!
//! These are exactly the distributions of the document-by-document draws (a uniformly
//! random subset; `G` uniform draws with replacement), so the tests and intervals are the
//! same statistical method; only the random numbers differ (releases before this one drew
//! one document at a time). The univariate draws are exact (inversion from the mode with
//! Loader's (2000) probabilities; Kemp 1981) and cost about one step per standard
//! deviation of the drawn count. A permutation or resample therefore costs `O(T k)` for
//! `T` types and `k` labels plus at most about `√(T · G)` steps for the draws, instead of
//! `O(G)` draws: at 1M one-paragraph documents in 12 groups with 20 labels, a few hundred
//! types. When every document is its own type (long documents), `T = G` and the cost is
//! `O(G k)` per resample as before.
//!
//! ## 3. Which words are distinctive of a group? — [`keyness`]
//!
//! Monroe, Colaresi & Quinn (2008) "Fightin' Words" log-odds ratio with an informative
//! Dirichlet prior, each group against the rest of the corpus. The prior is the corpus
//! itself: `α_w = α0 · y_w / y` (`y_w` the count of term `w` over all groups, `y` the total),
//! with `α0 = keyness_prior` (default 1000). For group `i` against the rest `j`:
//! `δ_w = ln((y_iw + α_w)/(n_i + α0 − y_iw − α_w)) − ln((y_jw + α_w)/(n_j + α0 − y_jw − α_w))`,
//! `σ²_w = 1/(y_iw + α_w) + 1/(n_i + α0 − y_iw − α_w) + 1/(y_jw + α_w) + 1/(n_j + α0 − y_jw − α_w)`
//! and `z_w = δ_w / σ_w`. (MCQ's eq. 22 keeps only the first and third variance terms; the
//! full four-term delta-method variance used here is slightly larger.) A larger `α0` shrinks
//! rare words' log-odds towards 0 harder. [`top_terms`] keeps the `n` highest `z` per group.
//!
//! ## References
//!
//! * Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B*
//!   57(1), 289–300.
//! * Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements for
//!   inference with clustered errors. *Review of Economics and Statistics* 90(3), 414–427.
//! * Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their Application*.
//!   Cambridge University Press.
//! * Field, C. A. & Welsh, A. H. (2007). Bootstrapping clustered data. *JRSS B* 69(3),
//!   369–390.
//! * Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits
//!   illustrated in the case of the binomial. *Biometrika* 26(4), 404–413.
//! * Goodman, L. A. (1965). On simultaneous confidence intervals for multinomial
//!   proportions. *Technometrics* 7(2), 247–254.
//! * Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
//!   Journal of Statistics* 6(2), 65–70.
//! * Kemp, C. D. (1981). Efficient generation of logarithmically distributed pseudo-random
//!   variables. *Applied Statistics* 30(3), 249–253 (inversion by search from the mode);
//!   see also Devroye, L. (1986). *Non-Uniform Random Variate Generation*. Springer, §III.2.
//! * Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small
//!   expected number of positive counts estimated from survey data. *Survey Methodology*
//!   24(2), 193–201.
//! * Lin, J. (1991). Divergence measures based on the Shannon entropy. *IEEE Transactions on
//!   Information Theory* 37(1), 145–151.
//! * Loader, C. (2000). Fast and accurate computation of binomial probabilities. Technical
//!   report, Bell Labs (the algorithm of R's `dbinom` and `dhyper`).
//! * Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: lexical feature
//!   selection and evaluation for identifying the content of political conflict. *Political
//!   Analysis* 16(4), 372–403.
//! * Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero.
//!   *Statistical Applications in Genetics and Molecular Biology* 9(1), art. 39.
//! * Sison, C. P. & Glaz, J. (1995). Simultaneous confidence intervals and sample size
//!   determination for multinomial proportions. *JASA* 90(429), 366–369.
//! * Wichura, M. J. (1988). Algorithm AS 241: the percentage points of the normal
//!   distribution. *Applied Statistics* 37(3), 477–484.
//!
//! ## Example
//!
//! ```
//! use rhetor::compare::{divergence, shares, CompareParams, Dimension, Grouping, Labelled};
//! let grouping = Grouping::new(vec![0, 0, 1, 1], vec!["left".into(), "right".into()]).unwrap();
//! let labels = [
//!     (0, "economy"), (0, "economy"), (0, "security"), (1, "economy"), (1, "economy"),
//!     (2, "security"), (2, "security"), (2, "economy"), (3, "security"), (3, "security"),
//! ];
//! let units: Vec<Labelled> = labels
//!     .iter()
//!     .map(|&(doc, l)| Labelled { doc, label: Some(l) })
//!     .collect();
//! let dim = Dimension { name: "frame", units: &units };
//! let params = CompareParams::default().check().unwrap();
//! let s = shares(&dim, &grouping, &params, 42).unwrap();
//! assert_eq!(s.rows.len(), 4); // 2 groups × 2 labels
//! assert!(s.rows.iter().all(|r| r.ci_low <= r.share && r.share <= r.ci_high));
//! let d = divergence(&[dim], &grouping, &params, 42).unwrap();
//! assert_eq!(d.rows.len(), 1); // one pair of groups
//! assert!(d.rows[0].jsd > 0.0 && d.rows[0].p_value > 0.0);
//! ```

mod counts;
mod divergence;
mod error;
mod keyness;
mod params;
mod sample;
mod shares;
pub mod time;

pub use counts::DimensionCounts;
pub use divergence::{
    benjamini_hochberg, divergence, divergence_from_counts, holm, jensen_shannon, DivergenceRow,
    DivergenceTable, PermMethod,
};
pub use error::CompareError;
pub use keyness::{
    keyness, keyness_top, top_terms, KeynessRow, KeynessTable, SkippedTermGroup, TopTerm,
};
pub use params::{
    Adjust, CompareParams, CompareParamsError, CompareValidParams, GroupParams, MIN_RESAMPLES,
};
pub use shares::{
    chi_square_1_quantile, goodman_intervals, normal_quantile, shares, shares_from_counts,
    student_t_quantile, ShareMethod, ShareRow, SharesTable,
};

use serde::{Deserialize, Serialize};

/// One labelled unit (a paragraph): the document it belongs to and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Labelled<'a> {
    /// Index of the unit's document in [`Grouping::doc_group`].
    pub doc: usize,
    /// The unit's label; `None` (or an empty string) is unsure/missing: excluded from shares
    /// and tests, counted in `n_unlabelled`.
    pub label: Option<&'a str>,
}

/// A dimension: a name and the labelling of units along it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimension<'a> {
    /// The dimension's name (e.g. `"topic"`, `"frame"`); copied into every output row and
    /// part of the random seeds, so results do not depend on the order of dimensions.
    pub name: &'a str,
    /// The labelled units.
    pub units: &'a [Labelled<'a>],
}

/// Which group each document is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grouping {
    /// Group index (into `group_names`) of each document.
    pub doc_group: Vec<usize>,
    /// The groups' names.
    pub group_names: Vec<String>,
}

impl Grouping {
    /// A checked grouping: every group index must be below `group_names.len()`.
    pub fn new(doc_group: Vec<usize>, group_names: Vec<String>) -> Result<Self, CompareError> {
        let g = Grouping {
            doc_group,
            group_names,
        };
        g.check()?;
        Ok(g)
    }

    /// Documents as groups: document `d` is group `d`, named `doc_names[d]`.
    pub fn identity(doc_names: Vec<String>) -> Self {
        Grouping {
            doc_group: (0..doc_names.len()).collect(),
            group_names: doc_names,
        }
    }

    /// Checks that every group index is valid.
    pub fn check(&self) -> Result<(), CompareError> {
        let n_groups = self.group_names.len();
        match self
            .doc_group
            .iter()
            .enumerate()
            .find(|(_, &g)| g >= n_groups)
        {
            Some((doc, &group)) => Err(CompareError::GroupOutOfRange {
                doc,
                group,
                n_groups,
            }),
            None => Ok(()),
        }
    }
}

/// Why a group has no rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSkipReason {
    /// The group has no labelled unit along this dimension (no document, or only
    /// unsure/missing labels): shares and divergences are undefined.
    NoLabelledUnits,
}

/// A group left out of a shares or divergence table, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedGroup {
    /// The dimension.
    pub dimension: String,
    /// The group's index.
    pub group: usize,
    /// The group's name.
    pub group_name: String,
    /// Its units without a label (unsure/missing).
    pub n_unlabelled: u64,
    /// Why it was left out.
    pub reason: GroupSkipReason,
}

/// Permutations (and bootstrap resamples) per independently seeded chunk.
pub const CHUNK: usize = 64;

/// Label counts of one document.
#[derive(Clone, Debug)]
pub(crate) struct DocCounts {
    /// Labelled units.
    pub n: u64,
    /// Count per label.
    pub counts: Vec<u64>,
}

/// A list of documents as indices into a list of distinct count vectors (types), so that
/// work per resample can be done once per type rather than once per document.
#[derive(Clone, Debug, Default)]
pub(crate) struct DocList {
    /// Each document's type.
    pub of: Vec<u32>,
}

impl DocList {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.of.len()
    }
}

/// Documents of one group (or pair of groups) with their own, dense numbering of types:
/// `types[of[d]]` is document `d`'s counts.
#[derive(Clone, Debug)]
pub(crate) struct Typed<'a> {
    /// Distinct count vectors.
    pub types: Vec<&'a DocCounts>,
    /// Each document's type (index into `types`).
    pub of: Vec<u32>,
}

impl<'a> Typed<'a> {
    /// Every document its own type.
    #[cfg(test)]
    pub fn each(docs: &'a [DocCounts]) -> Self {
        Typed {
            types: docs.iter().collect(),
            of: (0..docs.len() as u32).collect(),
        }
    }

    /// The documents of `lists` (in order) with types renumbered densely from the shared
    /// `types`, in order of first appearance.
    pub fn select(types: &'a [DocCounts], lists: &[&DocList]) -> Self {
        let mut local = vec![u32::MAX; types.len()];
        let mut t = Typed {
            types: Vec::new(),
            of: Vec::with_capacity(lists.iter().map(|l| l.len()).sum()),
        };
        for &g in lists.iter().flat_map(|l| &l.of) {
            let slot = &mut local[g as usize];
            if *slot == u32::MAX {
                *slot = t.types.len() as u32;
                t.types.push(&types[g as usize]);
            }
            t.of.push(*slot);
        }
        t
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.of.len()
    }

    /// Document `d`'s counts.
    pub fn doc(&self, d: usize) -> &'a DocCounts {
        self.types[self.of[d] as usize]
    }
}

/// One group's documents (those with ≥ 1 labelled unit) and pooled counts.
#[derive(Clone, Debug)]
pub(crate) struct GroupCounts {
    /// The documents, in document order, as types of [`Tabulated::types`].
    pub docs: DocList,
    pub n: u64,
    pub counts: Vec<u64>,
    pub n_unlabelled: u64,
}

/// A dimension tabulated by group and document.
#[derive(Clone, Debug)]
pub(crate) struct Tabulated {
    /// Sorted distinct labels.
    pub labels: Vec<String>,
    /// The distinct count vectors of the documents with ≥ 1 labelled unit.
    pub types: Vec<DocCounts>,
    /// Per group.
    pub groups: Vec<GroupCounts>,
}

impl Tabulated {
    /// Groups without labelled units, as skip records.
    pub fn skipped(&self, dimension: &str, grouping: &Grouping) -> Vec<SkippedGroup> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.n == 0)
            .map(|(i, g)| SkippedGroup {
                dimension: dimension.to_string(),
                group: i,
                group_name: grouping.group_names[i].clone(),
                n_unlabelled: g.n_unlabelled,
                reason: GroupSkipReason::NoLabelledUnits,
            })
            .collect()
    }
}

/// Checks the inputs and counts labels per document and group.
#[cfg(test)]
pub(crate) fn tabulate(
    dim: &Dimension<'_>,
    grouping: &Grouping,
) -> Result<Tabulated, CompareError> {
    DimensionCounts::from_units(dim, grouping)?.tabulate(grouping)
}

pub(crate) use crate::seed::{derive as derive_seed, name_hash};

/// Test-only simulation helpers shared by the submodules' tests.
#[cfg(test)]
pub(crate) mod sim {
    use rand::Rng;
    use rand_xoshiro::Xoshiro256Plus;

    /// A standard normal draw (Box–Muller).
    pub fn std_normal(rng: &mut Xoshiro256Plus) -> f64 {
        let u1: f64 = 1.0 - rng.gen::<f64>();
        let u2: f64 = rng.gen();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A Gamma(a, 1) draw (Marsaglia & Tsang 2000).
    pub fn gamma(rng: &mut Xoshiro256Plus, a: f64) -> f64 {
        if a < 1.0 {
            let u: f64 = 1.0 - rng.gen::<f64>();
            return gamma(rng, a + 1.0) * u.powf(1.0 / a);
        }
        let d = a - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = std_normal(rng);
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u: f64 = 1.0 - rng.gen::<f64>();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// A Dirichlet(conc · mean) draw.
    pub fn dirichlet(rng: &mut Xoshiro256Plus, mean: &[f64], conc: f64) -> Vec<f64> {
        let mut p: Vec<f64> = mean.iter().map(|&m| gamma(rng, conc * m)).collect();
        let s: f64 = p.iter().sum();
        p.iter_mut().for_each(|x| *x /= s);
        p
    }

    /// A categorical draw.
    pub fn categorical(rng: &mut Xoshiro256Plus, p: &[f64]) -> usize {
        let u: f64 = rng.gen();
        let mut c = 0.0;
        for (i, &pi) in p.iter().enumerate() {
            c += pi;
            if u < c {
                return i;
            }
        }
        p.len() - 1
    }

    /// Label counts of `n` paragraphs drawn from `p`.
    pub fn multinomial(rng: &mut Xoshiro256Plus, n: usize, p: &[f64]) -> Vec<u64> {
        let mut c = vec![0u64; p.len()];
        for _ in 0..n {
            c[categorical(rng, p)] += 1;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabulate_counts_per_group_and_skips_missing_labels() {
        let g = Grouping::new(vec![0, 0, 1, 2], vec!["a".into(), "b".into(), "c".into()]).unwrap();
        let units = [
            Labelled {
                doc: 0,
                label: Some("x"),
            },
            Labelled {
                doc: 1,
                label: Some("y"),
            },
            Labelled {
                doc: 1,
                label: None,
            },
            Labelled {
                doc: 2,
                label: Some(""),
            },
            Labelled {
                doc: 3,
                label: Some("x"),
            },
        ];
        let t = tabulate(
            &Dimension {
                name: "d",
                units: &units,
            },
            &g,
        )
        .unwrap();
        assert_eq!(t.labels, vec!["x", "y"]);
        assert_eq!(t.groups[0].n, 2);
        assert_eq!(t.groups[0].docs.len(), 2);
        assert_eq!(t.groups[0].counts, vec![1, 1]);
        assert_eq!(t.groups[0].n_unlabelled, 1);
        assert_eq!(t.groups[1].n, 0);
        assert_eq!(t.groups[1].n_unlabelled, 1);
        assert_eq!(t.groups[2].counts, vec![1, 0]);
        let s = t.skipped("d", &g);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].group, 1);
        assert_eq!(s[0].reason, GroupSkipReason::NoLabelledUnits);
    }

    #[test]
    fn bad_indices_are_errors_naming_the_values() {
        let e = Grouping::new(vec![0, 3], vec!["a".into()]).unwrap_err();
        assert_eq!(
            e,
            CompareError::GroupOutOfRange {
                doc: 1,
                group: 3,
                n_groups: 1
            }
        );
        assert!(e.to_string().contains("group 3"));
        let g = Grouping::identity(vec!["d0".into()]);
        let units = [Labelled {
            doc: 5,
            label: Some("x"),
        }];
        let e = tabulate(
            &Dimension {
                name: "topic",
                units: &units,
            },
            &g,
        )
        .unwrap_err();
        assert!(e.to_string().contains("document 5"), "{e}");
        assert!(e.to_string().contains("'topic'"), "{e}");
    }

    #[test]
    fn seeds_differ_by_path() {
        assert_ne!(derive_seed(1, &[0, 1]), derive_seed(1, &[1, 0]));
        assert_ne!(derive_seed(1, &[0]), derive_seed(2, &[0]));
        assert_eq!(derive_seed(7, &[3, 4]), derive_seed(7, &[3, 4]));
        assert_ne!(name_hash("topic"), name_hash("frame"));
    }
}
