//! Stability of the topics across seeds and subsamples, in the spirit of Greene,
//! O'Callaghan & Cunningham (2014), "How many topics? Stability analysis for topic models".
//!
//! For a number of topics k and a reference clustering (the run's own), `runs` more
//! clusterings are fitted, each with its own seed on a random subsample of the rows (a
//! fraction `sample` of them, 0.8 by default as in Greene et al.; 1.0 re-fits on every row,
//! so only the seed changes). Each is matched to the reference by the Hungarian algorithm on
//! the Jaccard overlap of the topics' members (among the subsample's rows). A topic's
//! stability is the mean Jaccard overlap with its matched topics over the runs (1: the same
//! members every time; near 0: an accident of the seed); the stability of k is the mean over
//! its topics. Greene et al. compare the topics' top terms; members are what rhetor's
//! shares count, so they are compared here.
//!
//! Why not a crate for the matching: the assignment problems are at most k × k for k in the
//! tens, solved in well under a millisecond by the 50 lines of [`max_assignment`]
//! (`pathfinding`'s Kuhn–Munkres needs integer weights, and would be a dependency for it).

use super::{fit_k_from, Points, Run};
use crate::cluster::params::ClusterParams;
use crate::progress::NoProgress;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

/// Seed stream of the stability runs.
const STREAM_STABILITY: u64 = 21;

/// The stability of one k: its score and each reference topic's.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stability {
    /// Mean over the topics with members.
    pub score: f64,
    /// Per reference topic: mean Jaccard overlap with its matched topics; `NaN` for a topic
    /// without members.
    pub per_topic: Vec<f64>,
}

/// Rows `0..n` subsampled: `⌈fraction · n⌉` of them (at least k), in increasing order.
fn subsample(n: usize, fraction: f64, k: usize, rng: &mut Xoshiro256Plus) -> Vec<usize> {
    use rand::Rng;
    let m = ((fraction * n as f64).ceil() as usize).clamp(k.min(n), n);
    if m == n {
        return (0..n).collect();
    }
    // Partial Fisher–Yates: the first m of a random permutation.
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = rng.gen_range(i..n);
        idx.swap(i, j);
    }
    let mut out = idx[..m].to_vec();
    out.sort_unstable();
    out
}

/// The stability of the clustering `labels` (of the rows of `p`, `k` topics) over `runs`
/// re-fits (see the [module docs](self)). Deterministic for a seed.
pub(crate) fn stability(
    p: &Points,
    k: usize,
    labels: &[usize],
    fixed: &[f32],
    params: &ClusterParams,
    seed: u64,
) -> Stability {
    let runs = params.stability_runs;
    let mut sum = vec![0.0f64; k];
    let mut seen = vec![0usize; k];
    for r in 0..runs {
        let s = crate::seed::derive(seed, &[STREAM_STABILITY, k as u64, r as u64]);
        let mut rng = Xoshiro256Plus::seed_from_u64(s);
        let rows = subsample(p.n, params.stability_sample, k, &mut rng);
        let sub = p.subset(&rows);
        let run: Run = fit_k_from(&sub, k, fixed, params, s, &NoProgress, "stability");
        // Contingency of reference topics × run topics over the subsample.
        let mut c = vec![vec![0usize; k]; k];
        for (m, &row) in rows.iter().enumerate() {
            c[labels[row]][run.labels[m] as usize] += 1;
        }
        let a: Vec<usize> = c.iter().map(|r| r.iter().sum()).collect();
        let b: Vec<usize> = (0..k).map(|j| c.iter().map(|r| r[j]).sum()).collect();
        let jaccard: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| {
                        let union = a[i] + b[j] - c[i][j];
                        if union == 0 {
                            0.0
                        } else {
                            c[i][j] as f64 / union as f64
                        }
                    })
                    .collect()
            })
            .collect();
        let matched = max_assignment(&jaccard);
        for i in 0..k {
            if a[i] > 0 {
                sum[i] += jaccard[i][matched[i]];
                seen[i] += 1;
            }
        }
    }
    let per_topic: Vec<f64> = sum
        .iter()
        .zip(&seen)
        .map(|(&s, &n)| if n > 0 { s / n as f64 } else { f64::NAN })
        .collect();
    let present: Vec<f64> = per_topic
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let score = if present.is_empty() {
        f64::NAN
    } else {
        present.iter().sum::<f64>() / present.len() as f64
    };
    Stability { score, per_topic }
}

/// The assignment of rows to columns of the square matrix `w` with the largest total weight
/// (the Hungarian algorithm with potentials, O(k³)): `out[i]` is row i's column. Ties go to
/// the first optimum the algorithm meets, the same on every run.
pub fn max_assignment(w: &[Vec<f64>]) -> Vec<usize> {
    let n = w.len();
    if n == 0 {
        return Vec::new();
    }
    // Minimise the cost −w; 1-based arrays as in the classic formulation.
    let cost = |i: usize, j: usize| -w[i - 1][j - 1];
    let inf = f64::INFINITY;
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0, j) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![0usize; n];
    for j in 1..=n {
        if p[j] > 0 {
            out[p[j] - 1] = j - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The best total by trying every permutation.
    fn brute(w: &[Vec<f64>]) -> f64 {
        fn go(w: &[Vec<f64>], i: usize, used: &mut Vec<bool>) -> f64 {
            if i == w.len() {
                return 0.0;
            }
            let mut best = f64::NEG_INFINITY;
            for j in 0..w.len() {
                if !used[j] {
                    used[j] = true;
                    best = best.max(w[i][j] + go(w, i + 1, used));
                    used[j] = false;
                }
            }
            best
        }
        go(w, 0, &mut vec![false; w.len()])
    }

    #[test]
    fn hungarian_finds_the_best_assignment() {
        use rand::Rng;
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        for n in 1..=7 {
            for _ in 0..20 {
                let w: Vec<Vec<f64>> = (0..n)
                    .map(|_| (0..n).map(|_| rng.gen_range(0.0..1.0)).collect())
                    .collect();
                let a = max_assignment(&w);
                let mut cols = a.clone();
                cols.sort_unstable();
                assert_eq!(cols, (0..n).collect::<Vec<_>>(), "a permutation");
                let total: f64 = a.iter().enumerate().map(|(i, &j)| w[i][j]).sum();
                assert!(
                    (total - brute(&w)).abs() < 1e-9,
                    "n = {n}: {total} vs {}",
                    brute(&w)
                );
            }
        }
    }

    #[test]
    fn subsamples_are_sorted_distinct_and_sized() {
        let mut rng = Xoshiro256Plus::seed_from_u64(1);
        let s = subsample(100, 0.8, 3, &mut rng);
        assert_eq!(s.len(), 80);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(subsample(10, 1.0, 3, &mut rng), (0..10).collect::<Vec<_>>());
        assert_eq!(subsample(10, 0.01, 3, &mut rng).len(), 3);
    }
}
