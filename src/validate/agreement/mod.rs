//! Krippendorff's α: agreement between coders who coded the same units, for nominal, ordinal
//! and interval codes, with missing values.
//!
//! The computation follows Krippendorff (2011), "Computing Krippendorff's alpha-reliability",
//! and gives the numbers of the Python package `krippendorff` 0.9.0 (to 1e-9; the unit tests
//! compare against it, see `tests/python/gen_krippendorff_reference.py`):
//!
//! 1. Each unit coded by `m ≥ 2` coders adds its `m (m − 1)` ordered pairs of values to the
//!    coincidence matrix `o`, each with weight `1 / (m − 1)` ([`coincidences`]). Units with fewer
//!    than two values are not pairable and drop out.
//! 2. The marginals `n_c` of `o` give the expected coincidences
//!    `e_ck = (n_c n_k − δ_ck n_c) / (n − 1)`, `n = Σ n_c`.
//! 3. `α = 1 − D_o / D_e`, with `D_o = Σ o_ck δ²_ck` and `D_e = Σ e_ck δ²_ck` for the distance
//!    `δ²` of the [`Level`].
//!
//! Values are indices `0..n_values` into an ordered value domain (a codebook's labels in order).
//! This equals the package called with `value_domain=list(range(n_values))`, and also with the
//! package's default domain (the observed values): categories nobody used have zero marginals,
//! so they change neither the ordinal nor the interval distances that matter.
//!
//! ```
//! use rhetor::validate::agreement::{alpha, Level, ReliabilityData};
//! // Two coders (rows), four units (columns), three values; coder 1 skipped unit 3.
//! let data = ReliabilityData::new(2, 4, 3, vec![
//!     Some(0), Some(1), Some(2), Some(2),
//!     Some(0), Some(1), Some(1), None,
//! ])?;
//! let a = alpha(&data, Level::Nominal)?;
//! assert!(a > 0.0 && a < 1.0);
//! # Ok::<(), rhetor::validate::agreement::AgreementError>(())
//! ```

use ndarray::Array2;
use rand::Rng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

#[cfg(test)]
mod tests;

pub use crate::label::codebook::Level;

/// Why α (or its interval) cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum AgreementError {
    /// The cells do not fill the coders × units table.
    #[error(
        "the reliability data has {got} cells, but {n_coders} coders × {n_units} units need {expected}"
    )]
    CellCount {
        /// Cells given.
        got: usize,
        /// `n_coders * n_units`.
        expected: usize,
        /// Coders (rows).
        n_coders: usize,
        /// Units (columns).
        n_units: usize,
    },
    /// A cell holds a value index outside the value domain.
    #[error(
        "coder {coder} gave unit {unit} the value {value}, but the value domain has only {n_values} values (0..{n_values})"
    )]
    ValueOutOfRange {
        /// Coder (row) of the cell.
        coder: usize,
        /// Unit (column) of the cell.
        unit: usize,
        /// The value index found.
        value: u32,
        /// Size of the value domain.
        n_values: usize,
    },
    /// Agreement needs at least two coders.
    #[error("α needs at least two coders; the data has {0}")]
    TooFewCoders(usize),
    /// No unit was coded by two or more coders, so there is no pair of values to compare.
    #[error(
        "no unit was coded by at least two coders (of {n_units} units), so there is nothing to compare"
    )]
    NoPairableUnit {
        /// Units in the data.
        n_units: usize,
    },
    /// Every pairable value is the same, so the expected disagreement is 0 and α is undefined.
    #[error(
        "α is undefined: every value in the units coded by two or more coders is {value}, so no disagreement can be expected (0/0)"
    )]
    NoVariation {
        /// The one value coded.
        value: u32,
    },
    /// The bootstrap needs at least one replicate.
    #[error("the bootstrap needs at least one replicate; got n_boot = 0")]
    NoReplicates,
    /// The confidence level is not strictly between 0 and 1.
    #[error("the confidence level must be strictly between 0 and 1 (e.g. 0.95); got {0}")]
    BadConfidence(f64),
    /// α was undefined in every bootstrap replicate.
    #[error(
        "α was undefined in all {n_boot} bootstrap replicates (each resample had only one value)"
    )]
    AllReplicatesUndefined {
        /// Replicates drawn.
        n_boot: usize,
    },
}

/// Reliability data: `n_coders` rows × `n_units` columns (the package's `reliability_data`
/// layout), each cell a value index into an ordered value domain `0..n_values`, or `None`
/// (missing: that coder did not code that unit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReliabilityData {
    n_coders: usize,
    n_units: usize,
    n_values: usize,
    /// Row-major: cell `(coder, unit)` at `coder * n_units + unit`.
    cells: Vec<Option<u32>>,
}

impl ReliabilityData {
    /// The data from its cells, row-major coders × units (all of coder 0's units, then coder
    /// 1's, …). Errors if the number of cells is not `n_coders * n_units` or a value is not below
    /// `n_values`.
    pub fn new(
        n_coders: usize,
        n_units: usize,
        n_values: usize,
        cells: Vec<Option<u32>>,
    ) -> Result<Self, AgreementError> {
        let expected = n_coders * n_units;
        if cells.len() != expected {
            return Err(AgreementError::CellCount {
                got: cells.len(),
                expected,
                n_coders,
                n_units,
            });
        }
        for (i, cell) in cells.iter().enumerate() {
            if let Some(value) = *cell {
                if value as usize >= n_values {
                    return Err(AgreementError::ValueOutOfRange {
                        coder: i / n_units,
                        unit: i % n_units,
                        value,
                        n_values,
                    });
                }
            }
        }
        Ok(Self {
            n_coders,
            n_units,
            n_values,
            cells,
        })
    }

    /// Number of coders (rows).
    pub fn n_coders(&self) -> usize {
        self.n_coders
    }

    /// Number of units (columns).
    pub fn n_units(&self) -> usize {
        self.n_units
    }

    /// Size of the value domain: values are `0..n_values`.
    pub fn n_values(&self) -> usize {
        self.n_values
    }

    /// The value `coder` gave `unit`, or `None` if missing.
    ///
    /// # Panics
    /// If `coder >= n_coders` or `unit >= n_units`.
    pub fn get(&self, coder: usize, unit: usize) -> Option<u32> {
        assert!(
            coder < self.n_coders && unit < self.n_units,
            "cell (coder {coder}, unit {unit}) outside {} coders × {} units",
            self.n_coders,
            self.n_units
        );
        self.cells[coder * self.n_units + unit]
    }

    /// Units with ≥ 2 values (pairable).
    pub fn n_pairable_units(&self) -> usize {
        (0..self.n_units)
            .filter(|&u| {
                self.unit_value_counts(u)
                    .iter()
                    .map(|&(_, n)| n)
                    .sum::<u32>()
                    >= 2
            })
            .count()
    }

    /// The same data restricted to (and ordered as) the given units, repeats allowed (for the
    /// bootstrap).
    ///
    /// # Panics
    /// If a unit index is not below `n_units`.
    pub fn select_units(&self, units: &[usize]) -> ReliabilityData {
        let cells = (0..self.n_coders)
            .flat_map(|c| units.iter().map(move |&u| self.get(c, u)))
            .collect();
        ReliabilityData {
            n_coders: self.n_coders,
            n_units: units.len(),
            n_values: self.n_values,
            cells,
        }
    }

    /// Binary recoding: 1 where the value is `value`, 0 otherwise, missing stays missing (for
    /// the α of one label against all others). The result has `n_values = 2`. A `value` outside
    /// the domain gives all zeros.
    pub fn indicator(&self, value: u32) -> ReliabilityData {
        ReliabilityData {
            n_coders: self.n_coders,
            n_units: self.n_units,
            n_values: 2,
            cells: self
                .cells
                .iter()
                .map(|cell| cell.map(|v| u32::from(v == value)))
                .collect(),
        }
    }

    /// The values `unit` received, as (value index, number of coders who gave it), in value
    /// order, zero counts left out.
    fn unit_value_counts(&self, unit: usize) -> Vec<(usize, u32)> {
        let mut values: Vec<u32> = (0..self.n_coders)
            .filter_map(|c| self.cells[c * self.n_units + unit])
            .collect();
        values.sort_unstable();
        let mut counts: Vec<(usize, u32)> = Vec::new();
        for v in values {
            match counts.last_mut() {
                Some((last, n)) if *last == v as usize => *n += 1,
                _ => counts.push((v as usize, 1)),
            }
        }
        counts
    }

    /// The value counts of the pairable units (≥ 2 values), in unit order.
    fn pairable_unit_counts(&self) -> Vec<Vec<(usize, u32)>> {
        (0..self.n_units)
            .map(|u| self.unit_value_counts(u))
            .filter(|counts| counts.iter().map(|&(_, n)| n).sum::<u32>() >= 2)
            .collect()
    }
}

/// Adds one unit's pairs to the coincidence matrix: `(n_c n_k − δ_ck n_c) / (m − 1)` for the
/// unit's value counts `n_c` summing to `m`. A unit with fewer than two values adds nothing.
fn add_unit(o: &mut Array2<f64>, counts: &[(usize, u32)]) {
    let m: u32 = counts.iter().map(|&(_, n)| n).sum();
    if m < 2 {
        return;
    }
    let weight = 1.0 / f64::from(m - 1);
    for &(c, n_c) in counts {
        for &(k, n_k) in counts {
            let pairs = if c == k {
                f64::from(n_c) * f64::from(n_c - 1)
            } else {
                f64::from(n_c) * f64::from(n_k)
            };
            o[[c, k]] += pairs * weight;
        }
    }
}

/// The coincidence matrix o_ck (n_values × n_values), as in Krippendorff (2011): how often value
/// `c` was paired with value `k` within a unit, each unit's pairs weighted by `1 / (m − 1)` for
/// its `m` values, so that a pairable unit adds `m` in total. Symmetric; units with fewer than
/// two values add nothing.
pub fn coincidences(data: &ReliabilityData) -> Array2<f64> {
    let mut o = Array2::zeros((data.n_values, data.n_values));
    for unit in 0..data.n_units {
        add_unit(&mut o, &data.unit_value_counts(unit));
    }
    o
}

/// The distance δ²(c, k) of the level, given the coincidence marginals `n_v`.
fn distance(level: Level, c: usize, k: usize, n_v: &[f64]) -> f64 {
    match level {
        Level::Nominal => f64::from(u8::from(c != k)),
        Level::Ordinal => {
            let (lo, hi) = (c.min(k), c.max(k));
            let between: f64 = n_v[lo..=hi].iter().sum();
            (between - (n_v[lo] + n_v[hi]) / 2.0).powi(2)
        }
        Level::Interval => (c as f64 - k as f64).powi(2),
    }
}

/// α from a coincidence matrix with at least one pairable unit.
fn alpha_from_coincidences(o: &Array2<f64>, level: Level) -> Result<f64, AgreementError> {
    let n_v: Vec<f64> = o.columns().into_iter().map(|col| col.sum()).collect();
    let observed: Vec<usize> = (0..n_v.len()).filter(|&c| n_v[c] > 0.0).collect();
    if let [value] = observed[..] {
        return Err(AgreementError::NoVariation {
            value: value as u32,
        });
    }
    let n: f64 = n_v.iter().sum();
    let (mut d_o, mut d_e) = (0.0, 0.0);
    for &c in &observed {
        for &k in &observed {
            if c == k {
                continue; // δ²(c, c) = 0 at every level
            }
            let d = distance(level, c, k, &n_v);
            d_o += o[[c, k]] * d;
            d_e += n_v[c] * n_v[k] / (n - 1.0) * d;
        }
    }
    Ok(1.0 - d_o / d_e)
}

/// The checks shared by [`alpha`] and [`percent_agreement`]: two coders and a pairable unit.
fn check_pairable(data: &ReliabilityData) -> Result<(), AgreementError> {
    if data.n_coders < 2 {
        return Err(AgreementError::TooFewCoders(data.n_coders));
    }
    if data.n_pairable_units() == 0 {
        return Err(AgreementError::NoPairableUnit {
            n_units: data.n_units,
        });
    }
    Ok(())
}

/// Krippendorff's α at the given level: 1 is perfect agreement, 0 is agreement at chance level,
/// below 0 is systematic disagreement.
///
/// Errors: fewer than 2 coders; no pairable unit; expected disagreement 0 (every pairable value
/// the same: α is undefined, as 0/0; the package returns NaN).
pub fn alpha(data: &ReliabilityData, level: Level) -> Result<f64, AgreementError> {
    check_pairable(data)?;
    alpha_from_coincidences(&coincidences(data), level)
}

/// Observed share of agreeing pairs (percent agreement over pairable values), for the summary
/// table: `Σ_c o_cc / n`, i.e. each pairable value's share of partners that agree with it,
/// averaged over the pairable values (`1 − D_o` at the nominal level). With two coders and no
/// missing values this is the share of units on which they agree.
///
/// Errors: fewer than 2 coders; no pairable unit.
pub fn percent_agreement(data: &ReliabilityData) -> Result<f64, AgreementError> {
    check_pairable(data)?;
    let o = coincidences(data);
    Ok(o.diag().sum() / o.sum())
}

/// A bootstrap percentile interval for α.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlphaInterval {
    /// α on the data itself.
    pub alpha: f64,
    /// Lower bound of the percentile interval.
    pub low: f64,
    /// Upper bound of the percentile interval.
    pub high: f64,
    /// Replicates drawn.
    pub n_boot: usize,
    /// Replicates where α was undefined (every resampled value the same), left out of the
    /// interval.
    pub n_undefined: usize,
}

/// The `q` quantile of sorted values, linearly interpolated between order statistics (numpy's
/// default, "type 7").
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    match sorted.get(i + 1) {
        Some(&next) if frac > 0.0 => sorted[i] + frac * (next - sorted[i]),
        _ => sorted[i],
    }
}

/// Bootstrap interval for α: resample the pairable units with replacement (as many as there
/// are), `n_boot` replicates, percentile interval at `level_conf` (e.g. 0.95: the 2.5% and 97.5%
/// quantiles of the replicates, numpy's linear interpolation). Replicates where α is undefined
/// are skipped and counted in [`AlphaInterval::n_undefined`].
///
/// Deterministic: replicate `r` draws from `Xoshiro256PlusPlus` seeded with
/// [`crate::seed::stream`]`(seed, r)`, so the result is the same for any rayon thread count.
///
/// Errors: those of [`alpha`] on the data itself; `n_boot = 0`; `level_conf` not strictly
/// between 0 and 1; α undefined in every replicate.
pub fn bootstrap_alpha(
    data: &ReliabilityData,
    level: Level,
    n_boot: usize,
    seed: u64,
    level_conf: f64,
) -> Result<AlphaInterval, AgreementError> {
    if n_boot == 0 {
        return Err(AgreementError::NoReplicates);
    }
    if !(level_conf > 0.0 && level_conf < 1.0) {
        return Err(AgreementError::BadConfidence(level_conf));
    }
    let point = alpha(data, level)?;
    let units = data.pairable_unit_counts();
    let replicates: Vec<Option<f64>> = (0..n_boot)
        .into_par_iter()
        .map(|r| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(crate::seed::stream(seed, r as u64));
            let mut o = Array2::zeros((data.n_values, data.n_values));
            for _ in 0..units.len() {
                add_unit(&mut o, &units[rng.gen_range(0..units.len())]);
            }
            // The only error possible here is NoVariation: the resample has pairable units.
            alpha_from_coincidences(&o, level).ok()
        })
        .collect();
    let mut defined: Vec<f64> = replicates.into_iter().flatten().collect();
    if defined.is_empty() {
        return Err(AgreementError::AllReplicatesUndefined { n_boot });
    }
    defined.sort_by(f64::total_cmp);
    let tail = (1.0 - level_conf) / 2.0;
    Ok(AlphaInterval {
        alpha: point,
        low: quantile(&defined, tail),
        high: quantile(&defined, 1.0 - tail),
        n_boot,
        n_undefined: n_boot - defined.len(),
    })
}

/// Confusion between two coders: counts over the units both coded, rows = `coder_a`'s value,
/// columns = `coder_b`'s (n_values × n_values).
///
/// # Panics
/// If a coder index is not below `n_coders`.
pub fn coder_confusion(data: &ReliabilityData, coder_a: usize, coder_b: usize) -> Array2<u64> {
    assert!(
        coder_a < data.n_coders && coder_b < data.n_coders,
        "coders {coder_a} and {coder_b}: the data has {} coders",
        data.n_coders
    );
    let mut confusion = Array2::zeros((data.n_values, data.n_values));
    for unit in 0..data.n_units {
        if let (Some(a), Some(b)) = (data.get(coder_a, unit), data.get(coder_b, unit)) {
            confusion[[a as usize, b as usize]] += 1;
        }
    }
    confusion
}
