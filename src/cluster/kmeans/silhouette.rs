//! The mean silhouette of candidate labellings, for the automatic choice of k.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;

use super::kernels::dot;
use super::Points;
use crate::progress::Progress;

/// Stream separator for the silhouette sample (independent of the k-means streams).
const SILHOUETTE_STREAM: u64 = 0x5111_0e77_e5a3_91e5;

/// Mean silhouette (Euclidean) of each labelling on the rows `sample`; one unit of
/// `progress` per sample row.
pub(super) fn silhouettes(
    p: &Points,
    sample: &[usize],
    labelings: &[(usize, &[u32])],
    progress: &dyn Progress,
) -> Vec<f64> {
    let s = sample.len();
    let sizes: Vec<Vec<usize>> = labelings
        .iter()
        .map(|&(k, lab)| {
            let mut sz = vec![0usize; k];
            for &i in sample {
                sz[lab[i] as usize] += 1;
            }
            sz
        })
        .collect();
    let per_point: Vec<Vec<f64>> = sample
        .par_chunks(64)
        .flat_map_iter(|block| {
            let rows = block
                .iter()
                .map(|&i| {
                    let xi = p.row(i);
                    let dist: Vec<f32> = sample
                        .iter()
                        .map(|&j| {
                            if j == i {
                                0.0
                            } else {
                                (p.sq[i] + p.sq[j] - 2.0 * dot(xi, p.row(j)))
                                    .max(0.0)
                                    .sqrt()
                            }
                        })
                        .collect();
                    labelings
                        .iter()
                        .zip(&sizes)
                        .map(|(&(k, lab), sz)| {
                            let mut sums = vec![0.0f64; k];
                            for (&j, &dj) in sample.iter().zip(&dist) {
                                sums[lab[j] as usize] += f64::from(dj);
                            }
                            let own = lab[i] as usize;
                            if sz[own] <= 1 {
                                return 0.0;
                            }
                            let a = sums[own] / (sz[own] - 1) as f64;
                            let b = (0..k)
                                .filter(|&c| c != own && sz[c] > 0)
                                .map(|c| sums[c] / sz[c] as f64)
                                .fold(f64::INFINITY, f64::min);
                            if !b.is_finite() {
                                return 0.0;
                            }
                            let m = a.max(b);
                            if m > 0.0 {
                                (b - a) / m
                            } else {
                                0.0
                            }
                        })
                        .collect::<Vec<f64>>()
                })
                .collect::<Vec<_>>();
            progress.inc(block.len() as u64);
            rows
        })
        .collect();
    (0..labelings.len())
        .map(|li| per_point.iter().map(|v| v[li]).sum::<f64>() / s as f64)
        .collect()
}

/// Sorted seeded sample of at most `size` row indices.
pub(super) fn sample_rows(n: usize, size: usize, seed: u64) -> Vec<usize> {
    if n <= size {
        return (0..n).collect();
    }
    let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ SILHOUETTE_STREAM);
    let mut v = rand::seq::index::sample(&mut rng, n, size).into_vec();
    v.sort_unstable();
    v
}
