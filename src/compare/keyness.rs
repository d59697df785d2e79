//! Distinctive terms: Monroe, Colaresi & Quinn (2008) "Fightin' Words" log-odds ratios
//! with an informative Dirichlet prior, each group against the rest.

use super::{CompareError, CompareValidParams};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One term of one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeynessRow {
    /// The group's index (row of the counts).
    pub group: usize,
    /// The group's name.
    pub group_name: String,
    /// The term's index in the vocabulary.
    pub term_id: usize,
    /// The term.
    pub term: String,
    /// The term's count in the group, `y_iw`.
    pub count: f64,
    /// Log-odds ratio of the group against the rest, `δ_w` (natural log; > 0: more typical
    /// of the group).
    pub log_odds: f64,
    /// Its approximate variance, `σ²_w`.
    pub variance: f64,
    /// `δ_w / σ_w`.
    pub z: f64,
}

/// A group without any term count: it has no rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedTermGroup {
    /// The group's index.
    pub group: usize,
    /// The group's name.
    pub group_name: String,
}

/// Fightin' Words statistics of every group × term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeynessTable {
    /// One row per group × term with a positive corpus count, by group then term index.
    pub rows: Vec<KeynessRow>,
    /// Groups whose counts sum to 0.
    pub skipped: Vec<SkippedTermGroup>,
    /// α0, the total weight of the prior.
    pub prior: f64,
}

/// A row of [`top_terms`] with its rank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopTerm {
    /// 1 for the most distinctive term of the group.
    pub rank: usize,
    /// The term's statistics.
    #[serde(flatten)]
    pub row: KeynessRow,
}

/// Fightin' Words log-odds ratios (see the [module docs](super)) of each group against the
/// rest of the corpus, with prior `α_w = α0 · y_w / y`, `α0 = keyness_prior`.
///
/// `counts[i]` holds group `i`'s term counts as sparse `(term index, count)` pairs over
/// `vocab` (repeated terms are summed; counts may be fractional but must be finite and
/// ≥ 0). A dense row converts with
/// `row.iter().copied().enumerate().filter(|&(_, c)| c > 0.0).collect()`.
/// Terms that never occur get no rows; groups without counts are listed in
/// [`KeynessTable::skipped`].
pub fn keyness(
    counts: &[Vec<(usize, f64)>],
    vocab: &[String],
    group_names: &[String],
    params: &CompareValidParams,
) -> Result<KeynessTable, CompareError> {
    let a0 = params.params().keyness_prior;
    let (totals, total, used) = check_counts(counts, vocab, group_names)?;
    let scored = score_groups(counts, &totals, total, &used, a0, |rows| rows)?;
    let skipped = skipped_groups(&scored, group_names);
    let rows = scored
        .into_iter()
        .enumerate()
        .flat_map(|(group, rows)| {
            rows.into_iter()
                .map(move |r| r.row(group, group_names, vocab))
        })
        .collect();
    Ok(KeynessTable {
        rows,
        skipped,
        prior: a0,
    })
}

/// Checks the counts; returns each term's total, the grand total and the terms used.
fn check_counts(
    counts: &[Vec<(usize, f64)>],
    vocab: &[String],
    group_names: &[String],
) -> Result<(Vec<f64>, f64, Vec<usize>), CompareError> {
    if counts.len() != group_names.len() {
        return Err(CompareError::RowsVsGroups {
            rows: counts.len(),
            groups: group_names.len(),
        });
    }
    if counts.len() < 2 {
        return Err(CompareError::TooFewGroups(counts.len()));
    }
    let v = vocab.len();
    let mut totals = vec![0.0; v];
    for (group, row) in counts.iter().enumerate() {
        for &(term, value) in row {
            if term >= v {
                return Err(CompareError::TermOutOfRange {
                    group,
                    term,
                    vocab: v,
                });
            }
            if !(value.is_finite() && value >= 0.0) {
                return Err(CompareError::BadCount { group, term, value });
            }
            totals[term] += value;
        }
    }
    let total: f64 = totals.iter().sum();
    if !total.is_finite() {
        return Err(CompareError::InfiniteTotal(total));
    }
    let used: Vec<usize> = (0..v).filter(|&w| totals[w] > 0.0).collect();
    if used.len() < 2 {
        return Err(CompareError::TooFewTerms(used.len()));
    }
    Ok((totals, total, used))
}

/// A term's statistics in one group, before its names are attached.
#[derive(Clone, Copy)]
struct Scored {
    term_id: usize,
    count: f64,
    log_odds: f64,
    variance: f64,
    z: f64,
}

impl Scored {
    fn row(&self, group: usize, group_names: &[String], vocab: &[String]) -> KeynessRow {
        KeynessRow {
            group,
            group_name: group_names[group].clone(),
            term_id: self.term_id,
            term: vocab[self.term_id].clone(),
            count: self.count,
            log_odds: self.log_odds,
            variance: self.variance,
            z: self.z,
        }
    }
}

fn skipped_groups(scored: &[Vec<Scored>], group_names: &[String]) -> Vec<SkippedTermGroup> {
    scored
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_empty())
        .map(|(group, _)| SkippedTermGroup {
            group,
            group_name: group_names[group].clone(),
        })
        .collect()
}

/// Every used term's statistics in every group (no rows for a group without counts).
fn score_groups(
    counts: &[Vec<(usize, f64)>],
    totals: &[f64],
    total: f64,
    used: &[usize],
    a0: f64,
    keep: impl Fn(Vec<Scored>) -> Vec<Scored> + Sync,
) -> Result<Vec<Vec<Scored>>, CompareError> {
    let v = totals.len();
    counts
        .par_iter()
        .enumerate()
        .map(|(group, row)| {
            let mut y = vec![0.0; v];
            for &(term, value) in row {
                y[term] += value;
            }
            let ni: f64 = row.iter().map(|&(_, c)| c).sum();
            if ni <= 0.0 {
                return Ok(Vec::new());
            }
            let nj = (total - ni).max(0.0);
            used.iter()
                .map(|&w| {
                    let aw = a0 * totals[w] / total;
                    let yi = y[w];
                    let yj = (totals[w] - yi).max(0.0);
                    let (ai, bi) = (yi + aw, (ni - yi).max(0.0) + a0 - aw);
                    let (aj, bj) = (yj + aw, (nj - yj).max(0.0) + a0 - aw);
                    let log_odds = (ai / bi).ln() - (aj / bj).ln();
                    let variance = 1.0 / ai + 1.0 / bi + 1.0 / aj + 1.0 / bj;
                    let z = log_odds / variance.sqrt();
                    if !(z.is_finite() && variance.is_finite()) {
                        return Err(CompareError::Degenerate {
                            group,
                            term: w,
                            count: yi,
                            total,
                        });
                    }
                    Ok(Scored {
                        term_id: w,
                        count: yi,
                        log_odds,
                        variance,
                        z,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(&keep)
        })
        .collect()
}

/// [`top_terms`] of [`keyness`] without the whole table: only the `n` best terms of each
/// group are ever given their names, so memory does not grow with vocabulary × groups.
/// The same rows, ranks, errors and skipped groups.
pub fn keyness_top(
    counts: &[Vec<(usize, f64)>],
    vocab: &[String],
    group_names: &[String],
    params: &CompareValidParams,
    n: usize,
) -> Result<(Vec<TopTerm>, Vec<SkippedTermGroup>), CompareError> {
    let (totals, total, used) = check_counts(counts, vocab, group_names)?;
    let a0 = params.params().keyness_prior;
    let order = |a: &Scored, b: &Scored| {
        b.z.partial_cmp(&a.z)
            .unwrap_or(Ordering::Equal)
            .then_with(|| vocab[a.term_id].cmp(&vocab[b.term_id]))
            .then(a.term_id.cmp(&b.term_id))
    };
    // Only the best n of a group are kept (an empty group stays empty: it is skipped).
    let scored = score_groups(counts, &totals, total, &used, a0, |mut rows| {
        if n < rows.len() {
            if n == 0 {
                rows.truncate(1);
                return rows;
            }
            rows.select_nth_unstable_by(n - 1, order);
            rows.truncate(n);
            // A truncated vector keeps its capacity: every group's scores of every term
            // (251 MB at 1M paragraphs, 12 groups) stayed allocated until the end.
            rows.shrink_to_fit();
        }
        rows.sort_by(order);
        rows
    })?;
    let skipped = skipped_groups(&scored, group_names);
    let mut out = Vec::new();
    for (group, rows) in scored.into_iter().enumerate() {
        out.extend(rows.iter().take(n).enumerate().map(|(i, r)| TopTerm {
            rank: i + 1,
            row: r.row(group, group_names, vocab),
        }));
    }
    Ok((out, skipped))
}

/// The `n` most distinctive terms of each group: highest `z` first, ties by term (then term
/// index); by group in increasing order.
pub fn top_terms(table: &KeynessTable, n: usize) -> Vec<TopTerm> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < table.rows.len() {
        let group = table.rows[start].group;
        let end = start
            + table.rows[start..]
                .iter()
                .take_while(|r| r.group == group)
                .count();
        let mut rows: Vec<&KeynessRow> = table.rows[start..end].iter().collect();
        rows.sort_by(|a, b| {
            b.z.partial_cmp(&a.z)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.term.cmp(&b.term))
                .then(a.term_id.cmp(&b.term_id))
        });
        out.extend(rows.into_iter().take(n).enumerate().map(|(i, r)| TopTerm {
            rank: i + 1,
            row: r.clone(),
        }));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::CompareParams;
    use super::*;
    use approx::assert_relative_eq;

    fn params(prior: f64) -> CompareValidParams {
        CompareParams {
            keyness_prior: prior,
            ..Default::default()
        }
        .check()
        .unwrap()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// keyness_top gives top_terms of the whole table: the same rows and ranks, ties (equal
    /// z, broken by the term) included, for n below, at and above the number of terms.
    #[test]
    fn keyness_top_is_top_terms_of_the_table() {
        let vocab: Vec<String> = (0..40).map(|i| format!("t{:02}", (i * 7) % 40)).collect();
        let groups = names(&["a", "b", "c", "empty"]);
        let counts: Vec<Vec<(usize, f64)>> = (0..4)
            .map(|g| {
                if g == 3 {
                    return Vec::new();
                }
                // Terms 30..40 get equal counts in every group: tied z.
                (0..40)
                    .map(|t| {
                        (
                            t,
                            if t >= 30 {
                                2.0
                            } else {
                                ((t * 13 + g * 5) % 9) as f64
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        let p = params(50.0);
        let table = keyness(&counts, &vocab, &groups, &p).unwrap();
        for n in [0, 1, 5, 39, 40, 100] {
            let (top, skipped) = keyness_top(&counts, &vocab, &groups, &p, n).unwrap();
            assert_eq!(top, top_terms(&table, n), "n = {n}");
            assert_eq!(skipped, table.skipped);
        }
    }

    /// Counts (rows groups, columns tax, war, school, health, unused):
    /// g0 = 10 2 5 0 0, g1 = 1 8 3 4 0, g2 = 0 0 2 6 0; α0 = 10.
    type Sparse = Vec<Vec<(usize, f64)>>;

    fn tiny() -> (Sparse, Vec<String>, Vec<String>) {
        let counts = vec![
            vec![(0, 6.0), (1, 2.0), (2, 5.0), (0, 4.0)], // tax given twice: summed
            vec![(0, 1.0), (1, 8.0), (2, 3.0), (3, 4.0), (4, 0.0)],
            vec![(2, 2.0), (3, 6.0)],
        ];
        (
            counts,
            names(&["tax", "war", "school", "health", "unused"]),
            names(&["g0", "g1", "g2"]),
        )
    }

    #[test]
    fn matches_hand_computation() {
        // Expected values computed by hand with python3 (no libraries), from the formulas in
        // the module docs: (group, term, δ, σ², z).
        let expected = [
            (
                0,
                0,
                1.9868072464431634,
                0.45320072507859455,
                2.9512801533143573,
            ),
            (
                0,
                1,
                -0.8117464118049085,
                0.40783650630460866,
                -1.2710930047959599,
            ),
            (
                0,
                2,
                0.30590651506644595,
                0.3576238729975104,
                0.5115351428173062,
            ),
            (
                0,
                3,
                -1.7595143698111988,
                0.5774872423952394,
                -2.3153764985838197,
            ),
            (
                1,
                0,
                -1.2365489747605487,
                0.4399868189928987,
                -1.8641956429906723,
            ),
            (
                1,
                1,
                1.5300741800562798,
                0.4180539091577607,
                2.3664446016168785,
            ),
            (
                1,
                2,
                -0.33358101469053114,
                0.37755761653804915,
                -0.5428873317000159,
            ),
            (
                1,
                3,
                0.0354168431550379,
                0.36257155411073694,
                0.058818369882594514,
            ),
            (
                2,
                0,
                -0.9800385911033258,
                0.54520749286894,
                -1.327279141499893,
            ),
            (
                2,
                1,
                -0.9542828681790015,
                0.587376948222416,
                -1.245141413254152,
            ),
            (
                2,
                2,
                0.020801768078766214,
                0.42552173547922567,
                0.03188888804354946,
            ),
            (
                2,
                3,
                1.6117813302235433,
                0.40574354457612166,
                2.5303483346490636,
            ),
        ];
        let (counts, vocab, groups) = tiny();
        let t = keyness(&counts, &vocab, &groups, &params(10.0)).unwrap();
        assert_eq!(t.rows.len(), 12); // "unused" has no rows
        assert_eq!(t.prior, 10.0);
        assert!(t.skipped.is_empty());
        for (row, &(g, w, d, v, z)) in t.rows.iter().zip(&expected) {
            assert_eq!((row.group, row.term_id), (g, w));
            assert_eq!(row.term, vocab[w]);
            assert_relative_eq!(row.log_odds, d, max_relative = 1e-12);
            assert_relative_eq!(row.variance, v, max_relative = 1e-12);
            assert_relative_eq!(row.z, z, max_relative = 1e-12);
        }
        assert_eq!(t.rows[0].count, 10.0);
        assert_eq!(t.rows[0].group_name, "g0");
    }

    #[test]
    fn top_terms_by_z_with_ties_by_term() {
        let (counts, vocab, groups) = tiny();
        let t = keyness(&counts, &vocab, &groups, &params(10.0)).unwrap();
        let top = top_terms(&t, 2);
        let got: Vec<(usize, usize, &str)> = top
            .iter()
            .map(|r| (r.row.group, r.rank, r.row.term.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 1, "tax"),
                (0, 2, "school"),
                (1, 1, "war"),
                (1, 2, "health"),
                (2, 1, "health"),
                (2, 2, "school"),
            ]
        );
        // Ties: two groups with identical, symmetric counts give equal z for "a" and "b".
        let counts = vec![vec![(0, 5.0), (1, 5.0)], vec![(0, 5.0), (1, 5.0)]];
        let t = keyness(
            &counts,
            &names(&["b", "a"]),
            &names(&["x", "y"]),
            &params(1000.0),
        )
        .unwrap();
        let top = top_terms(&t, 1);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].row.term, "a");
        assert!(top_terms(&t, 0).is_empty());
        let json = serde_json::to_string(&top[0]).unwrap();
        assert!(
            json.contains(r#""rank":1"#) && json.contains(r#""term":"a""#),
            "{json}"
        );
    }

    #[test]
    fn bad_inputs_are_errors_with_values() {
        let (counts, vocab, groups) = tiny();
        let p = params(1000.0);
        let e = keyness(&counts, &vocab, &groups[..2], &p).unwrap_err();
        assert_eq!(e, CompareError::RowsVsGroups { rows: 3, groups: 2 });
        let e = keyness(&counts, &vocab[..3], &groups, &p).unwrap_err();
        assert_eq!(
            e,
            CompareError::TermOutOfRange {
                group: 1,
                term: 3,
                vocab: 3
            }
        );
        let mut bad = counts.clone();
        bad[2].push((1, -2.0));
        let e = keyness(&bad, &vocab, &groups, &p).unwrap_err();
        assert!(e.to_string().contains("count -2"), "{e}");
        bad[2].pop();
        bad[2].push((1, f64::NAN));
        assert!(matches!(
            keyness(&bad, &vocab, &groups, &p),
            Err(CompareError::BadCount {
                group: 2,
                term: 1,
                ..
            })
        ));
        let big = vec![vec![(0, f64::MAX), (1, 1.0)], vec![(0, f64::MAX)]];
        assert!(matches!(
            keyness(&big, &vocab, &groups[..2], &p),
            Err(CompareError::InfiniteTotal(_))
        ));
        assert_eq!(
            keyness(&counts[..1], &vocab, &groups[..1], &p).unwrap_err(),
            CompareError::TooFewGroups(1)
        );
        let big = 2f64.powi(60); // big + 1 == big: the prior of term 0 is exactly α0
        let unbalanced = vec![vec![(0, big)], vec![(1, 1.0)]];
        let e = keyness(&unbalanced, &vocab, &groups[..2], &p).unwrap_err();
        // Which degenerate (group, term) is reported first depends on the parallel scan;
        // any of them is a correct error.
        assert!(matches!(e, CompareError::Degenerate { .. }), "{e}");
        let one_term = vec![vec![(0, 3.0)], vec![(0, 1.0)]];
        assert_eq!(
            keyness(&one_term, &vocab, &groups[..2], &p).unwrap_err(),
            CompareError::TooFewTerms(1)
        );
    }

    #[test]
    fn empty_group_is_skipped_and_everything_is_finite() {
        let counts = vec![vec![(0, 3.0), (1, 1.0)], vec![], vec![(1, 2.0), (2, 0.5)]];
        let t = keyness(
            &counts,
            &names(&["a", "b", "c"]),
            &names(&["x", "y", "z"]),
            &params(0.001),
        )
        .unwrap();
        assert_eq!(
            t.skipped,
            vec![SkippedTermGroup {
                group: 1,
                group_name: "y".into()
            }]
        );
        assert_eq!(t.rows.len(), 6);
        assert!(t
            .rows
            .iter()
            .all(|r| r.log_odds.is_finite() && r.z.is_finite() && r.variance > 0.0));
    }
}
