//! Label shares over time: per period, or per group × period, with the intervals of
//! `doc_labels` (the same bootstrap over documents, [`shares_from_counts`]), a permutation
//! test for the change between consecutive periods and one for a monotone trend.
//!
//! - **Periods.** A document's time is a calendar day, a year-month or a year
//!   ([`parse_time`]); it falls in the period (day, ISO week, month, quarter, year) that
//!   contains it. A time coarser than the period (a year, with monthly periods) has no
//!   period: it is counted, never guessed.
//! - **Change.** For each series (group), label and pair of consecutive periods that have
//!   labelled documents: the difference of the shares, and a two-sided permutation test that
//!   shuffles the documents of the two periods between them (period sizes kept):
//!   `p = (1 + #{|Δ_perm| ≥ |Δ|}) / (1 + n_perm)`.
//! - **Trend.** For each series and label over ≥ 3 periods: Spearman's ρ between a
//!   document's period and its share of the label (documents as the units, ties at their
//!   mean rank), and a two-sided permutation test that shuffles the documents over all the
//!   series' periods (sizes kept): a test for a monotone association of share and time.
//!   (ρ of the T period shares alone could never reach p < 2/T!: 0.017 with 5 periods.)
//! - p-values are adjusted per dimension (change tests together, trend tests together) with
//!   the comparison's adjustment (Benjamini–Hochberg by default).

use super::{
    derive_seed, name_hash, shares_from_counts, CompareError, CompareValidParams, DimensionCounts,
    Grouping, ShareMethod, Typed,
};
use crate::corpus::{civil_from_days, days_from_civil, format_date, parse_date};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Seed streams of this module (the comparison's bootstrap and permutations use 1 and 2).
const STREAM_TIME_BOOT: u64 = 11;
const STREAM_TIME_TEST: u64 = 12;

/// Differences within this of the observed statistic count as ties (as the divergence tests).
const TIE_TOLERANCE: f64 = 1e-12;

/// The length of a period.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar day (`2024-03-05`).
    Day,
    /// An ISO week, Monday to Sunday (`2024-W10`).
    Week,
    /// A calendar month (`2024-03`).
    Month,
    /// A calendar quarter (`2024-Q1`).
    Quarter,
    /// A calendar year (`2024`).
    #[default]
    Year,
}

/// The `[time]` section: which column holds each document's time and the period length.
/// Default: no time analysis, yearly periods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeParams {
    /// The document column of the times; `None`: no time analysis.
    pub col: Option<String>,
    /// The period length.
    pub period: Period,
}

/// How precise a document's time is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// A calendar day (`YYYY-MM-DD`, optionally with a time of day).
    Day,
    /// A year and month (`YYYY-MM`).
    Month,
    /// A year (`YYYY`).
    Year,
}

impl Period {
    /// Its name in the configuration and the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// The coarsest time that still falls in one period.
    pub fn needs(self) -> Precision {
        match self {
            Period::Day | Period::Week => Precision::Day,
            Period::Month | Period::Quarter => Precision::Month,
            Period::Year => Precision::Year,
        }
    }

    /// The first day (days since 1970-01-01) of the period containing `day`.
    pub fn start(self, day: i32) -> i32 {
        let (y, m, _) = civil_from_days(day);
        let first = |y: i64, m: i64| days_from_civil(y, m, 1).unwrap_or(day);
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
            Period::Week => day - (day + 3).rem_euclid(7),
            Period::Month => first(y, m),
            Period::Quarter => first(y, (m - 1) / 3 * 3 + 1),
            Period::Year => first(y, 1),
        }
    }

    /// The last day of the period that starts on `start`.
    pub fn end(self, start: i32) -> i32 {
        let (y, m, _) = civil_from_days(start);
        let months_later = |n: i64| {
            let m0 = m - 1 + n;
            days_from_civil(y + m0.div_euclid(12), m0.rem_euclid(12) + 1, 1).unwrap_or(start) - 1
        };
        match self {
            Period::Day => start,
            Period::Week => start + 6,
            Period::Month => months_later(1),
            Period::Quarter => months_later(3),
            Period::Year => months_later(12),
        }
    }

    /// The period's name: `2024-03-05`, `2024-W10` (ISO week), `2024-03`, `2024-Q1`, `2024`.
    pub fn label(self, start: i32) -> String {
        let (y, m, _) = civil_from_days(start);
        match self {
            Period::Day => format_date(start),
            Period::Week => {
                // The ISO week's year is the year of its Thursday.
                let thursday = start + 3;
                let (ty, _, _) = civil_from_days(thursday);
                let jan1 = days_from_civil(ty, 1, 1).unwrap_or(thursday);
                format!("{ty:04}-W{:02}", (thursday - jan1) / 7 + 1)
            }
            Period::Month => format!("{y:04}-{m:02}"),
            Period::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
            Period::Year => format!("{y:04}"),
        }
    }
}

/// A document's time from its raw value: a calendar day `YYYY-MM-DD` (optionally followed
/// by a time of day, as [`parse_date`]), a year-month `YYYY-MM` or a year `YYYY` (also
/// `YYYY.0`, a year read from a float column), with its precision. `None` for anything
/// else (impossible days, other formats): such documents are counted as undated.
pub fn parse_time(raw: &str) -> Option<(i32, Precision)> {
    let s = raw.trim();
    if let Some(d) = parse_date(s) {
        return Some((d, Precision::Day));
    }
    let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    let num = |t: &str| t.parse::<i64>().ok();
    let b = s.as_bytes();
    if b.len() == 7 && b[4] == b'-' && digits(&b[..4]) && digits(&b[5..]) {
        let (y, m) = (num(&s[..4])?, num(&s[5..])?);
        return days_from_civil(y, m, 1).map(|d| (d, Precision::Month));
    }
    let year = s.strip_suffix(".0").unwrap_or(s);
    if year.len() == 4 && digits(year.as_bytes()) {
        return days_from_civil(num(year)?, 1, 1).map(|d| (d, Precision::Year));
    }
    None
}

/// One row of `time_labels`: a label's share in one period of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeRow {
    /// The dimension.
    pub dimension: String,
    /// The series (an index into the series' names).
    pub series: usize,
    /// The period's name ([`Period::label`]).
    pub period: String,
    /// Its first day (days since 1970-01-01).
    pub period_start: i32,
    /// Its last day.
    pub period_end: i32,
    /// The label.
    pub label: String,
    /// Units with the label.
    pub count: u64,
    /// Labelled units (the denominator).
    pub n: u64,
    /// Units without a label.
    pub n_unlabelled: u64,
    /// Documents with a labelled unit.
    pub n_docs: usize,
    /// `count / n`.
    pub share: f64,
    /// Lower end of the interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Interval method.
    pub method: ShareMethod,
    /// Share minus the share in the series' previous period with labelled documents (`None`
    /// in the first).
    pub change: Option<f64>,
    /// Permutation p-value of the change.
    pub p_change: Option<f64>,
    /// Adjusted over the dimension's change tests.
    pub p_change_adjusted: Option<f64>,
    /// Spearman's ρ of a document's period and its share of the label, over the series'
    /// documents (`None` under 3 periods).
    pub trend_rho: Option<f64>,
    /// Permutation p-value of the trend.
    pub p_trend: Option<f64>,
    /// Adjusted over the dimension's trend tests.
    pub p_trend_adjusted: Option<f64>,
}

/// Shares over time of every dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeTable {
    /// The period length.
    pub period: Period,
    /// The series' names (the groups, or one series `all`).
    pub series_names: Vec<String>,
    /// Rows by dimension, series, label, then period.
    pub rows: Vec<TimeRow>,
    /// Documents without a usable time (no value, or not a date).
    pub n_undated: usize,
    /// Documents whose time is coarser than the period (e.g. a year, with monthly periods).
    pub n_too_coarse: usize,
    /// Distinct periods with documents.
    pub n_periods: usize,
    /// Permutations per test.
    pub n_perm: usize,
    /// The p-value adjustment.
    pub adjust: String,
}

/// What [`over_time`] needs per document: its series and its time.
#[derive(Clone, Copy, Debug)]
pub struct TimeInput<'a> {
    /// Series of each document with their names; `None`: all documents are one series `all`.
    pub series: Option<&'a Grouping>,
    /// Each document's time ([`parse_time`]); `None` when it has none.
    pub doc_time: &'a [Option<(i32, Precision)>],
}

/// A test's results per label: statistic, p-value, adjusted p-value.
type Tested<'a> = (&'a [f64], &'a [f64], &'a [f64]);

/// One test: the cells (in period order) of one series.
struct Test {
    series: usize,
    /// Positions (into the series' present periods) of the cells; the change test of
    /// positions `i - 1, i` has `to = Some(i)`, the trend test `None`.
    to: Option<usize>,
    cells: Vec<usize>,
}

/// Label shares per period (per series × period) of every dimension's counts, with
/// intervals, change tests and trend tests (see the [module docs](self)). Deterministic
/// for a seed, whatever the number of threads.
pub fn over_time(
    counts: &[DimensionCounts],
    input: TimeInput<'_>,
    period: Period,
    params: &CompareValidParams,
    seed: u64,
) -> Result<TimeTable, CompareError> {
    let p = params.params();
    let n_docs = input.doc_time.len();
    let needs = period.needs();
    let mut n_undated = 0;
    let mut n_too_coarse = 0;
    let keys: Vec<Option<i32>> = input
        .doc_time
        .iter()
        .map(|t| match t {
            None => {
                n_undated += 1;
                None
            }
            Some((_, prec)) if *prec > needs => {
                n_too_coarse += 1;
                None
            }
            Some((d, _)) => Some(period.start(*d)),
        })
        .collect();
    let mut starts: Vec<i32> = keys.iter().flatten().copied().collect();
    starts.sort_unstable();
    starts.dedup();
    let (series_of, series_names): (Vec<usize>, Vec<String>) = match input.series {
        Some(g) => (g.doc_group.clone(), g.group_names.clone()),
        None => (vec![0; n_docs], vec!["all".to_string()]),
    };
    if series_of.len() != n_docs {
        return Err(CompareError::TimeDocs {
            docs: n_docs,
            grouped: series_of.len(),
        });
    }
    let (n_series, n_periods) = (series_names.len(), starts.len());
    let undated_cell = n_series * n_periods;
    let doc_cell: Vec<usize> = keys
        .iter()
        .zip(&series_of)
        .map(|(k, &s)| match k {
            Some(k) => s * n_periods + starts.binary_search(k).unwrap_or(0),
            None => undated_cell,
        })
        .collect();
    let cells = Grouping::new(
        doc_cell,
        (0..=undated_cell).map(|c| c.to_string()).collect(),
    )?;

    let mut rows = Vec::new();
    for c in counts {
        rows.extend(dimension_over_time(
            c, &cells, &starts, n_series, period, params, seed,
        )?);
    }
    Ok(TimeTable {
        period,
        series_names,
        rows,
        n_undated,
        n_too_coarse,
        n_periods,
        n_perm: p.n_perm,
        adjust: p.adjust.as_str().to_string(),
    })
}

/// [`over_time`] of one dimension, given the cells (series × period, then one cell of the
/// documents without a period).
fn dimension_over_time(
    c: &DimensionCounts,
    cells: &Grouping,
    starts: &[i32],
    n_series: usize,
    period: Period,
    params: &CompareValidParams,
    seed: u64,
) -> Result<Vec<TimeRow>, CompareError> {
    let p = params.params();
    let n_periods = starts.len();
    let name = c.name();
    let dim_hash = name_hash(name);
    let shares = shares_from_counts(c, cells, params, derive_seed(seed, &[STREAM_TIME_BOOT]))?;
    let tab = c.tabulate(cells)?;
    let k = tab.labels.len();

    // Per series, its cells with labelled documents, in period order.
    let present: Vec<Vec<usize>> = (0..n_series)
        .map(|s| {
            (0..n_periods)
                .map(|q| s * n_periods + q)
                .filter(|&cell| tab.groups[cell].n > 0)
                .collect()
        })
        .collect();
    let mut tests = Vec::new();
    for (s, cs) in present.iter().enumerate() {
        for i in 1..cs.len() {
            tests.push(Test {
                series: s,
                to: Some(i),
                cells: vec![cs[i - 1], cs[i]],
            });
        }
        if cs.len() >= 3 {
            tests.push(Test {
                series: s,
                to: None,
                cells: cs.clone(),
            });
        }
    }
    let results: Vec<(Vec<f64>, Vec<f64>)> = tests
        .par_iter()
        .map(|t| {
            let lists: Vec<_> = t.cells.iter().map(|&cell| &tab.groups[cell].docs).collect();
            let docs = Typed::select(&tab.types, &lists);
            let sizes: Vec<usize> = lists.iter().map(|l| l.len()).collect();
            let kind = t.to.map_or(0, |i| i as u64 + 1);
            let s = derive_seed(seed, &[STREAM_TIME_TEST, dim_hash, t.series as u64, kind]);
            if t.to.is_some() {
                change_test(&docs, &sizes, k, p.n_perm, s)
            } else {
                trend_test(&docs, &sizes, k, p.n_perm, s)
            }
        })
        .collect();

    // Adjusted p-values: change tests together, trend tests together.
    let adjust = |is_change: bool| -> Vec<Vec<f64>> {
        let flat: Vec<f64> = tests
            .iter()
            .zip(&results)
            .filter(|(t, _)| t.to.is_some() == is_change)
            .flat_map(|(_, r)| r.1.iter().copied())
            .collect();
        let adj = p.adjust.apply(&flat);
        adj.chunks(k.max(1)).map(<[f64]>::to_vec).collect()
    };
    let (adj_change, adj_trend) = (adjust(true), adjust(false));
    // (series, position) -> change results; series -> trend results.
    let mut change_of: HashMap<(usize, usize), Tested<'_>> = HashMap::new();
    let mut trend_of: HashMap<usize, Tested<'_>> = HashMap::new();
    let (mut ic, mut it) = (0, 0);
    for (t, r) in tests.iter().zip(&results) {
        match t.to {
            Some(i) => {
                change_of.insert((t.series, i), (&r.0, &r.1, &adj_change[ic]));
                ic += 1;
            }
            None => {
                trend_of.insert(t.series, (&r.0, &r.1, &adj_trend[it]));
                it += 1;
            }
        }
    }

    let undated_cell = n_series * n_periods;
    let mut rows: Vec<TimeRow> = Vec::with_capacity(shares.rows.len());
    for r in shares.rows {
        if r.group == undated_cell {
            continue;
        }
        let (s, q) = (r.group / n_periods, r.group % n_periods);
        let l = tab
            .labels
            .binary_search(&r.label)
            .unwrap_or_else(|_| unreachable!("shares' labels are the tabulated labels"));
        let pos = present[s].iter().position(|&cell| cell == r.group);
        let change = pos.and_then(|i| change_of.get(&(s, i)));
        let trend = trend_of.get(&s);
        rows.push(TimeRow {
            dimension: name.to_string(),
            series: s,
            period: period.label(starts[q]),
            period_start: starts[q],
            period_end: period.end(starts[q]),
            label: r.label,
            count: r.count,
            n: r.n,
            n_unlabelled: r.n_unlabelled,
            n_docs: r.n_docs,
            share: r.share,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            method: r.method,
            change: change.map(|c| c.0[l]),
            p_change: change.map(|c| c.1[l]),
            p_change_adjusted: change.map(|c| c.2[l]),
            trend_rho: trend.map(|t| t.0[l]),
            p_trend: trend.map(|t| t.1[l]),
            p_trend_adjusted: trend.map(|t| t.2[l]),
        });
    }
    rows.sort_by(|a, b| {
        (a.series, &a.label, a.period_start).cmp(&(b.series, &b.label, b.period_start))
    });
    Ok(rows)
}

/// Shares of the `k` labels in consecutive runs of `sizes` documents of `of` (types of `docs`).
fn cell_shares(docs: &Typed<'_>, of: &[u32], sizes: &[usize], k: usize) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(sizes.len());
    let mut at = 0;
    let mut counts = vec![0u64; k];
    for &size in sizes {
        counts.iter_mut().for_each(|c| *c = 0);
        let mut n = 0u64;
        for &t in &of[at..at + size] {
            let d = docs.types[t as usize];
            n += d.n;
            for (c, &v) in counts.iter_mut().zip(&d.counts) {
                *c += v;
            }
        }
        at += size;
        out.push(
            counts
                .iter()
                .map(|&c| if n > 0 { c as f64 / n as f64 } else { 0.0 })
                .collect(),
        );
    }
    out
}

/// Average ranks (1-based) of `x`, ties sharing the mean of their ranks.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &m in &idx[i..=j] {
            r[m] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson's r of the average ranks); 0 when either side is
/// constant. The reference [`trend_test`]'s document-level ρ is checked against.
#[cfg(test)]
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// The change of each label's share from the first cell to the second, and its two-sided
/// permutation p-value (the two cells' documents shuffled between them, sizes kept).
fn change_test(
    docs: &Typed<'_>,
    sizes: &[usize],
    k: usize,
    n_perm: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let diff = |of: &[u32]| -> Vec<f64> {
        let s = cell_shares(docs, of, sizes, k);
        (0..k).map(|l| s[1][l] - s[0][l]).collect()
    };
    permuted(docs, k, n_perm, seed, diff)
}

/// Per label, Spearman's ρ between a document's period (its cell's position) and the
/// document's share of the label, documents as the units (ties at their mean rank), and
/// its two-sided permutation p-value (documents shuffled over the cells, sizes kept). Both
/// rank vectors are fixed under the permutations, so each costs one pass over the documents.
fn trend_test(
    docs: &Typed<'_>,
    sizes: &[usize],
    k: usize,
    n_perm: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>) {
    let centred = |r: Vec<f64>| -> Vec<f64> {
        let m = r.iter().sum::<f64>() / r.len().max(1) as f64;
        r.into_iter().map(|x| x - m).collect()
    };
    let position: Vec<f64> = sizes
        .iter()
        .enumerate()
        .flat_map(|(c, &n)| std::iter::repeat_n(c as f64, n))
        .collect();
    let rp = centred(ranks(&position));
    let sp = rp.iter().map(|x| x * x).sum::<f64>().sqrt();
    // Per label, the centred rank of each type's share (all documents of a type share it).
    let per_label: Vec<(Vec<f64>, f64)> = (0..k)
        .map(|l| {
            let share = |t: u32| {
                let d = docs.types[t as usize];
                d.counts[l] as f64 / d.n.max(1) as f64
            };
            let doc_ranks = centred(ranks(
                &docs.of.iter().map(|&t| share(t)).collect::<Vec<_>>(),
            ));
            let mut of_type = vec![0.0; docs.types.len()];
            for (&t, &r) in docs.of.iter().zip(&doc_ranks) {
                of_type[t as usize] = r;
            }
            let norm = doc_ranks.iter().map(|x| x * x).sum::<f64>().sqrt();
            (of_type, norm)
        })
        .collect();
    let rho = |of: &[u32]| -> Vec<f64> {
        per_label
            .iter()
            .map(|(r, norm)| {
                if *norm <= 0.0 || sp <= 0.0 {
                    return 0.0;
                }
                let s: f64 = rp.iter().zip(of).map(|(a, &t)| a * r[t as usize]).sum();
                s / (sp * norm)
            })
            .collect()
    };
    permuted(docs, k, n_perm, seed, rho)
}

/// The statistic per label of the documents' order `docs.of`, and its two-sided permutation
/// p-value per label, `(1 + #{|perm| ≥ |observed|}) / (1 + n_perm)`, the documents shuffled
/// `n_perm` times (cell sizes stay, since cells are runs of positions).
fn permuted(
    docs: &Typed<'_>,
    k: usize,
    n_perm: usize,
    seed: u64,
    stat: impl Fn(&[u32]) -> Vec<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let mut of = docs.of.clone();
    let observed = stat(&of);
    let mut at_least = vec![0usize; k];
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    for _ in 0..n_perm {
        of.shuffle(&mut rng);
        for (a, (p, o)) in at_least.iter_mut().zip(stat(&of).iter().zip(&observed)) {
            *a += usize::from(p.abs() >= o.abs() - TIE_TOLERANCE);
        }
    }
    let p = at_least
        .iter()
        .map(|&a| (1 + a) as f64 / (1 + n_perm) as f64)
        .collect();
    (observed, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::CompareParams;

    #[test]
    fn times_parse_with_their_precision() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(
            parse_time("2024-03-05"),
            Some((d("2024-03-05"), Precision::Day))
        );
        assert_eq!(
            parse_time("2024-03-05T10:00:00Z"),
            Some((d("2024-03-05"), Precision::Day))
        );
        assert_eq!(
            parse_time("2024-03"),
            Some((d("2024-03-01"), Precision::Month))
        );
        assert_eq!(
            parse_time(" 1987 "),
            Some((d("1987-01-01"), Precision::Year))
        );
        assert_eq!(
            parse_time("1987.0"),
            Some((d("1987-01-01"), Precision::Year))
        );
        for bad in [
            "",
            "87",
            "2024-13",
            "2023-02-29",
            "March 2024",
            "2024/03/05",
            "19870",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn periods_start_end_and_names() {
        let d = |s| parse_date(s).unwrap();
        let day = d("2024-03-05"); // a Tuesday
        assert_eq!(Period::Week.start(day), d("2024-03-04"));
        assert_eq!(Period::Week.end(d("2024-03-04")), d("2024-03-10"));
        assert_eq!(Period::Week.label(d("2024-03-04")), "2024-W10");
        // ISO week 1 of 2021 starts on 2021-01-04; 2021-01-01 is in week 53 of 2020.
        assert_eq!(
            Period::Week.label(Period::Week.start(d("2021-01-01"))),
            "2020-W53"
        );
        assert_eq!(
            Period::Week.label(Period::Week.start(d("2021-01-04"))),
            "2021-W01"
        );
        assert_eq!(Period::Month.start(day), d("2024-03-01"));
        assert_eq!(Period::Month.end(d("2024-02-01")), d("2024-02-29"));
        assert_eq!(Period::Month.label(d("2024-03-01")), "2024-03");
        assert_eq!(Period::Quarter.start(day), d("2024-01-01"));
        assert_eq!(Period::Quarter.end(d("2024-10-01")), d("2024-12-31"));
        assert_eq!(Period::Quarter.label(d("2024-10-01")), "2024-Q4");
        assert_eq!(Period::Year.start(day), d("2024-01-01"));
        assert_eq!(Period::Year.end(d("2024-01-01")), d("2024-12-31"));
        assert_eq!(Period::Year.label(d("2024-01-01")), "2024");
        assert_eq!(Period::Day.label(day), "2024-03-05");
        // Before 1970 too.
        assert_eq!(Period::Week.start(d("1969-12-31")), d("1969-12-29"));
    }

    #[test]
    fn spearman_of_known_cases() {
        assert!((spearman(&[0.0, 1.0, 2.0], &[0.1, 0.2, 0.3]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[0.0, 1.0, 2.0], &[0.3, 0.2, 0.1]) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[0.0, 1.0, 2.0], &[0.2, 0.2, 0.2]), 0.0);
        // Ties get average ranks: y ranks 1.5, 1.5, 3 → ρ = 0.866…
        let r = spearman(&[0.0, 1.0, 2.0], &[0.1, 0.1, 0.5]);
        assert!((r - 0.75f64.sqrt()).abs() < 1e-12, "{r}");
    }

    /// A corpus of `per` one-paragraph documents per (series, year), the label "a" with a
    /// probability rising over the years in series 0 and flat in series 1.
    fn rising(
        per: usize,
        years: &[&str],
    ) -> (DimensionCounts, Grouping, Vec<Option<(i32, Precision)>>) {
        let mut c = DimensionCounts::new("frame");
        let (mut groups, mut times) = (Vec::new(), Vec::new());
        let mut doc = 0;
        for s in 0..2 {
            for (y, year) in years.iter().enumerate() {
                for i in 0..per {
                    // Series 0: share of "a" = (y + 1) / (years + 1); series 1: one half.
                    let a = if s == 0 {
                        i * (years.len() + 1) < per * (y + 1)
                    } else {
                        i % 2 == 0
                    };
                    c.add(doc, Some(if a { "a" } else { "b" }));
                    groups.push(s);
                    times.push(parse_time(year));
                    doc += 1;
                }
            }
        }
        // One undated document and one with a year-month.
        c.add(doc, Some("a"));
        groups.push(0);
        times.push(None);
        (
            c,
            Grouping::new(groups, vec!["rising".into(), "flat".into()]).unwrap(),
            times,
        )
    }

    fn params(n_perm: usize) -> CompareValidParams {
        CompareParams {
            n_perm,
            n_boot: 200,
            ..CompareParams::default()
        }
        .check()
        .unwrap()
    }

    #[test]
    fn document_spearman_is_the_pearson_of_the_ranks() {
        // Three cells of 2 documents; the label's shares per document 0, 0 | 0.5, 1 | 1, 1.
        let d = |n: u64, a: u64| crate::compare::DocCounts {
            n,
            counts: vec![a, n - a],
        };
        let types = [d(1, 0), d(2, 1), d(1, 1)];
        let docs = Typed {
            types: types.iter().collect(),
            of: vec![0, 0, 1, 2, 2, 2],
        };
        let (rho, p) = trend_test(&docs, &[2, 2, 2], 2, 199, 5);
        let want = spearman(
            &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
            &[0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
        );
        assert!(
            (rho[0] - want).abs() < 1e-12 && (rho[1] + want).abs() < 1e-12,
            "{rho:?} {want}"
        );
        assert!(p[0] > 0.0 && p[0] <= 1.0 && (p[0] - p[1]).abs() < 1e-12);
    }

    #[test]
    fn a_rising_share_is_a_significant_trend_and_a_flat_one_is_not() {
        let years = ["2001", "2002", "2003", "2004", "2005"];
        let (c, g, times) = rising(40, &years);
        let t = over_time(
            std::slice::from_ref(&c),
            TimeInput {
                series: Some(&g),
                doc_time: &times,
            },
            Period::Year,
            &params(499),
            7,
        )
        .unwrap();
        assert_eq!(t.n_undated, 1);
        assert_eq!(t.n_periods, 5);
        // 2 series × 2 labels × 5 years.
        assert_eq!(t.rows.len(), 20);
        let row = |s: usize, l: &str, y: &str| {
            t.rows
                .iter()
                .find(|r| r.series == s && r.label == l && r.period == y)
                .unwrap()
        };
        let first = row(0, "a", "2001");
        assert_eq!((first.count, first.n, first.n_docs), (7, 40, 40));
        assert!(first.change.is_none() && first.p_change.is_none());
        assert!(first.ci_low <= first.share && first.share <= first.ci_high);
        let last = row(0, "a", "2005");
        assert_eq!(last.count, 34);
        assert!((last.change.unwrap() - (34.0 - 27.0) / 40.0).abs() < 1e-12);
        assert!(last.trend_rho.unwrap() > 0.3, "{last:?}");
        assert!(last.p_trend_adjusted.unwrap() < 0.01, "{last:?}");
        assert_eq!(last.trend_rho, row(0, "a", "2001").trend_rho);
        assert_eq!(row(0, "b", "2001").trend_rho, last.trend_rho.map(|r| -r));
        let flat = row(1, "a", "2005");
        assert_eq!(flat.trend_rho, Some(0.0));
        assert!(flat.p_trend.unwrap() > 0.5, "{flat:?}");
        // The periods' bounds are dates.
        assert_eq!(format_date(last.period_start), "2005-01-01");
        assert_eq!(format_date(last.period_end), "2005-12-31");
    }

    #[test]
    fn years_are_too_coarse_for_months_and_results_repeat_for_a_seed() {
        let (c, g, times) = rising(10, &["2001", "2002", "2003"]);
        let input = TimeInput {
            series: Some(&g),
            doc_time: &times,
        };
        let t = over_time(
            std::slice::from_ref(&c),
            input,
            Period::Month,
            &params(199),
            1,
        )
        .unwrap();
        assert_eq!((t.n_too_coarse, t.n_undated, t.rows.len()), (60, 1, 0));
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    over_time(
                        std::slice::from_ref(&c),
                        input,
                        Period::Year,
                        &params(199),
                        3,
                    )
                })
                .unwrap()
        };
        assert_eq!(run(1), run(3));
        // Without series, all documents are one series.
        let all = over_time(
            std::slice::from_ref(&c),
            TimeInput {
                series: None,
                doc_time: &times,
            },
            Period::Year,
            &params(199),
            3,
        )
        .unwrap();
        assert_eq!(all.series_names, vec!["all".to_string()]);
        assert!(all.rows.iter().all(|r| r.series == 0 && r.n_docs == 20));
    }
}
