//! Lloyd iterations, inertia and empty-cluster relocation.

use rayon::prelude::*;

use super::kernels::assign;
use super::{Points, Run, CHUNK};

/// Lloyd iterations from `centers` (scikit-learn's `_kmeans_single_lloyd`).
pub(super) fn lloyd(p: &Points, mut centers: Vec<f32>, k: usize, max_iter: usize, tol: f64) -> Run {
    let (n, d) = (p.n, p.d);
    let mut labels = vec![0u32; n];
    let mut labels_old = vec![u32::MAX; n];
    let mut dists = vec![0.0f32; n];
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let (mut sums, mut counts) = assign(p, &centers, k, &mut labels, &mut dists, true);
        relocate_empty(p, &labels, &dists, &mut sums, &mut counts);
        let mut shift = 0.0f64;
        let mut new_centers = centers.clone();
        for j in 0..k {
            if counts[j] == 0 {
                continue; // only possible when relocation emptied it: keep the old centre
            }
            let inv = 1.0 / counts[j] as f64;
            for t in 0..d {
                let v = (sums[j * d + t] * inv) as f32;
                let diff = f64::from(v) - f64::from(centers[j * d + t]);
                shift += diff * diff;
                new_centers[j * d + t] = v;
            }
        }
        centers = new_centers;
        if labels == labels_old {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
        labels_old.copy_from_slice(&labels);
    }
    if !strict {
        assign(p, &centers, k, &mut labels, &mut dists, false);
    }
    let inertia = inertia(p, &centers, &labels);
    Run {
        labels,
        centroids: centers,
        inertia,
        n_iter,
    }
}

/// Exact inertia (`f64` per block, blocks added in order).
fn inertia(p: &Points, centers: &[f32], labels: &[u32]) -> f64 {
    let d = p.d;
    let parts: Vec<f64> = labels
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(b, lab)| {
            let mut s = 0.0f64;
            for (t, &l) in lab.iter().enumerate() {
                let x = p.row(b * CHUNK + t);
                let c = &centers[l as usize * d..(l as usize + 1) * d];
                s += x
                    .iter()
                    .zip(c)
                    .map(|(&a, &b)| {
                        let t = f64::from(a) - f64::from(b);
                        t * t
                    })
                    .sum::<f64>();
            }
            s
        })
        .collect();
    parts.iter().sum()
}

/// scikit-learn's `_relocate_empty_clusters_dense`: each empty cluster takes the next point
/// farthest from its assigned centre (ties: smaller row index).
fn relocate_empty(
    p: &Points,
    labels: &[u32],
    dists: &[f32],
    sums: &mut [f64],
    counts: &mut [usize],
) {
    let empty: Vec<usize> = (0..counts.len()).filter(|&j| counts[j] == 0).collect();
    if empty.is_empty() {
        return;
    }
    let d = p.d;
    let mut order: Vec<usize> = (0..p.n).collect();
    order.sort_by(|&a, &b| dists[b].total_cmp(&dists[a]).then(a.cmp(&b)));
    for (&new, &far) in empty.iter().zip(&order) {
        let old = labels[far] as usize;
        let x = p.row(far);
        for (s, &v) in sums[old * d..(old + 1) * d].iter_mut().zip(x) {
            *s -= f64::from(v);
        }
        counts[old] -= 1;
        for (s, &v) in sums[new * d..(new + 1) * d].iter_mut().zip(x) {
            *s = f64::from(v);
        }
        counts[new] = 1;
    }
}
