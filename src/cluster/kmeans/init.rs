//! Greedy k-means++ initialisation.

use rand::Rng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

use super::kernels::{dot, trial_block};
use super::{Points, CHUNK};

/// Greedy k-means++ (as scikit-learn's `_kmeans_plusplus`). With `fixed` centres (guided
/// topics: `s = fixed.len() / d` of them, `s ≤ k`), those are the first `s` centres and the
/// other `k − s` are drawn by k-means++ given them; without, the first centre is a random row.
pub(super) fn kmeans_plusplus(
    p: &Points,
    k: usize,
    fixed: &[f32],
    rng: &mut Xoshiro256Plus,
) -> Vec<f32> {
    let (n, d) = (p.n, p.d);
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let mut closest = vec![0.0f32; n];
    let start = if fixed.is_empty() {
        let first = rng.gen_range(0..n);
        centers.extend_from_slice(p.row(first));
        closest
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(b, out)| {
                let c = p.row(first);
                for (t, o) in out.iter_mut().enumerate() {
                    let i = b * CHUNK + t;
                    *o = (p.sq[i] + p.sq[first] - 2.0 * dot(p.row(i), c)).max(0.0);
                }
            });
        1
    } else {
        centers.extend_from_slice(fixed);
        let seeds: Vec<(&[f32], f32)> = fixed.chunks_exact(d).map(|c| (c, dot(c, c))).collect();
        closest
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(b, out)| {
                for (t, o) in out.iter_mut().enumerate() {
                    let i = b * CHUNK + t;
                    *o = seeds
                        .iter()
                        .map(|&(c, sq)| (p.sq[i] + sq - 2.0 * dot(p.row(i), c)).max(0.0))
                        .fold(f32::INFINITY, f32::min);
                }
            });
        fixed.len() / d
    };
    let mut cumsum = vec![0.0f64; n];
    let mut trial = vec![0.0f32; n * n_trials];
    for _ in start..k {
        let mut acc = 0.0f64;
        for (c, &v) in cumsum.iter_mut().zip(&closest) {
            acc += f64::from(v);
            *c = acc;
        }
        let cands: Vec<usize> = (0..n_trials)
            .map(|_| {
                let v = rng.gen::<f64>() * acc;
                cumsum.partition_point(|&s| s < v).min(n - 1)
            })
            .collect();
        let parts: Vec<Vec<f64>> = trial
            .par_chunks_mut(CHUNK * n_trials)
            .enumerate()
            .map(|(b, out)| trial_block(p, &cands, &closest, b * CHUNK, out))
            .collect();
        let mut pot = vec![0.0f64; n_trials];
        for part in parts {
            for (a, b) in pot.iter_mut().zip(part) {
                *a += b;
            }
        }
        let mut best = 0;
        for s in 1..n_trials {
            if pot[s] < pot[best] {
                best = s;
            }
        }
        for (i, c) in closest.iter_mut().enumerate() {
            *c = trial[i * n_trials + best];
        }
        centers.extend_from_slice(p.row(cands[best]));
    }
    centers
}
