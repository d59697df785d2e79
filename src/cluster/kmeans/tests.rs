use super::kernels::*;
use super::*;
use crate::cluster::ClusterParams;
use ndarray::Array2;
use rand::Rng;

fn normal(rng: &mut Xoshiro256Plus) -> f32 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// `per` points around each of `centres`, with spread `sd`, rows shuffled.
fn blobs(centres: &[Vec<f32>], per: usize, sd: f32, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let d = centres[0].len();
    let mut rows: Vec<(usize, Vec<f32>)> = Vec::new();
    for (c, centre) in centres.iter().enumerate() {
        for _ in 0..per {
            rows.push((
                c,
                centre.iter().map(|&m| m + sd * normal(&mut rng)).collect(),
            ));
        }
    }
    // Fisher–Yates shuffle.
    for i in (1..rows.len()).rev() {
        let j = rng.gen_range(0..=i);
        rows.swap(i, j);
    }
    let truth = rows.iter().map(|r| r.0).collect();
    let flat: Vec<f32> = rows.into_iter().flat_map(|r| r.1).collect();
    (
        Array2::from_shape_vec((flat.len() / d, d), flat).unwrap(),
        truth,
    )
}

fn normalize_rows(x: &mut Array2<f32>) {
    for mut r in x.rows_mut() {
        let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
        if n > 0.0 {
            r.mapv_inplace(|v| v / n);
        }
    }
}

fn three_blobs(seed: u64) -> (Array2<f32>, Vec<usize>) {
    let centres = [
        vec![1.0, 0.0, 0.0, 0.0, 0.0],
        vec![0.0, 1.0, 0.0, 0.0, 0.0],
        vec![0.0, 0.0, 0.0, 1.0, 0.0],
    ];
    // Unequal sizes so the canonical order is known: 60, 60 would tie on size.
    let (a, ta) = blobs(&centres[..1], 50, 0.05, seed);
    let (b, tb) = blobs(&centres[1..2], 40, 0.05, seed + 1);
    let (c, tc) = blobs(&centres[2..], 30, 0.05, seed + 2);
    let x = ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view(), c.view()]).unwrap();
    let truth: Vec<usize> = ta
        .iter()
        .map(|_| 0)
        .chain(tb.iter().map(|_| 1))
        .chain(tc.iter().map(|_| 2))
        .collect();
    let mut x = x;
    normalize_rows(&mut x);
    (x, truth)
}

fn params(k: Option<usize>) -> ClusterParams {
    ClusterParams {
        k,
        ..Default::default()
    }
}

#[test]
fn k_max_warning_only_when_the_silhouette_still_rises_at_k_max() {
    let rising = [(2, 0.1), (3, 0.2), (4, 0.3)];
    let w = k_max_warning(&rising, 2, 4, ChooseK::Silhouette).unwrap();
    assert!(w.contains("k_max = 4") && w.contains("--k"), "{w}");
    assert_eq!(
        k_max_warning(&rising, 2, 5, ChooseK::Silhouette),
        None,
        "k_max was not reached"
    );
    assert_eq!(
        k_max_warning(&rising, 1, 4, ChooseK::Silhouette),
        None,
        "a smaller k won"
    );
    assert_eq!(
        k_max_warning(&[(4, 0.3)], 0, 4, ChooseK::Silhouette),
        None,
        "nothing to compare"
    );
    let flat = [(2, 0.1), (3, 0.3), (4, 0.3)];
    assert_eq!(k_max_warning(&flat, 2, 4, ChooseK::Silhouette), None);
    let w = k_max_warning(&rising, 2, 4, ChooseK::Stability).unwrap();
    assert!(w.contains("the stability still rises"), "{w}");
}

#[test]
fn progress_sees_every_restart_and_sampled_row_and_does_not_change_the_result() {
    use crate::progress::Recorder;
    let (x, _) = three_blobs(5);
    let p = params(None).check().unwrap();
    let plain = p.fit(x.view(), 3).unwrap();
    let rec = Recorder::new();
    rec.start("cluster", 0);
    let seen = p.fit_with_progress(x.view(), 3, &rec).unwrap();
    assert_eq!(plain.labels, seen.labels);
    assert_eq!(plain.k_scores, seen.k_scores);
    let n_k = plain.k_scores.len() as u64;
    let c = rec.stage("cluster").unwrap();
    assert_eq!((c.total, c.done), (n_k * 10, n_k * 10));
    assert!(
        c.messages.iter().any(|m| m.contains("restart 10/10")),
        "{:?}",
        c.messages
    );
    let s = rec.stage("silhouette").unwrap();
    assert_eq!((s.total, s.done), (x.nrows() as u64, x.nrows() as u64));
}

#[test]
fn three_separated_blobs_are_recovered_exactly() {
    let (x, truth) = three_blobs(7);
    let c = params(Some(3)).check().unwrap().fit(x.view(), 1).unwrap();
    assert_eq!(c.k, 3);
    assert_eq!(c.labels, truth, "canonical ids: largest blob first");
    assert!(c.prob.iter().all(|&p| p > 0.9 && p <= 1.0), "{:?}", c.prob);
    assert!(c.k_scores.is_empty());
    assert!(c.warnings.is_empty());
    // Auto-k finds the same three topics.
    let a = params(None).check().unwrap().fit(x.view(), 1).unwrap();
    assert_eq!(a.k, 3, "{:?}", a.k_scores);
    assert_eq!(a.labels, truth);
    assert_eq!(a.k_scores.first().map(|s| s.0), Some(2));
    let cap = ((x.nrows() as f64) / 2.0).sqrt() as usize;
    assert_eq!(a.k_scores.last().map(|s| s.0), Some(cap.min(12)));
    let best = a.k_scores.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    assert_eq!(a.k_scores[1], (3, best));
}

#[test]
fn labels_do_not_depend_on_seed_or_row_labelling() {
    let (x, truth) = three_blobs(3);
    for seed in 0..5 {
        let c = params(Some(3))
            .check()
            .unwrap()
            .fit(x.view(), seed)
            .unwrap();
        assert_eq!(c.labels, truth);
    }
}

#[test]
fn identical_bits_for_one_and_two_threads() {
    let mut rng = Xoshiro256Plus::seed_from_u64(5);
    let centres: Vec<Vec<f32>> = (0..8)
        .map(|_| (0..24).map(|_| normal(&mut rng)).collect())
        .collect();
    let (mut x, _) = blobs(&centres, 400, 0.8, 9);
    normalize_rows(&mut x);
    for k in [Some(8), None] {
        let p = ClusterParams {
            k,
            k_max: 6,
            n_init: 4,
            silhouette_sample: 700,
            ..Default::default()
        }
        .check()
        .unwrap();
        let (a, b) = crate::test_util::on_1_and_n_threads(2, || p.fit(x.view(), 1234).unwrap());
        assert_eq!(a.labels, b.labels);
        let bits = |c: &Clustering| c.centroids.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        let pb = |c: &Clustering| c.prob.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(pb(&a), pb(&b));
        let sb = |c: &Clustering| {
            c.k_scores
                .iter()
                .map(|s| (s.0, s.1.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(sb(&a), sb(&b));
        assert_eq!(a, b);
    }
}

#[test]
fn vectorised_kernel_matches_the_generic_one_bit_for_bit() {
    let mut rng = Xoshiro256Plus::seed_from_u64(21);
    for (n, d, k) in [
        (37, 13, 5),
        (64, 100, 20),
        (9, 8, 9),
        (5, 3, 1),
        (40, 7, 31),
    ] {
        let data: Vec<f32> = (0..n * d).map(|_| normal(&mut rng)).collect();
        let x = Array2::from_shape_vec((n, d), data).unwrap();
        let p = Points::new(x.view()).unwrap();
        let cent: Vec<f32> = (0..k * d).map(|_| normal(&mut rng)).collect();
        let cnorm = centroid_norms(&cent, d);
        let ct = transpose_centroids(&cent, k, d);
        let ctx = AssignCtx {
            p: &p,
            ct: &ct,
            cnorm: &cnorm,
            accumulate: true,
        };
        let (mut l1, mut d1) = (vec![0u32; n], vec![0f32; n]);
        let (mut l2, mut d2) = (vec![0u32; n], vec![0f32; n]);
        let (s1, c1) = assign_block_generic::<DotsGeneric>(&ctx, 0, &mut l1, &mut d1);
        let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        // The dispatched path and, where the CPU has them, each vector path explicitly.
        type Kernel = fn(&AssignCtx<'_>, usize, &mut [u32], &mut [f32]) -> (Vec<f64>, Vec<usize>);
        let mut paths: Vec<(&str, Kernel)> = vec![("dispatch", assign_block)];
        #[cfg(target_arch = "x86_64")]
        {
            if crate::cpu::avx512f() {
                paths.push(("avx512", |c, f, l, d| unsafe {
                    assign_block_avx512(c, f, l, d)
                }));
            }
            if crate::cpu::avx2() {
                paths.push(("avx2", |c, f, l, d| unsafe {
                    assign_block_avx2(c, f, l, d)
                }));
            }
        }
        for (name, kernel) in paths {
            let (s2, c2) = kernel(&ctx, 0, &mut l2, &mut d2);
            assert_eq!(l1, l2, "{name}");
            assert_eq!(c1, c2, "{name}");
            assert_eq!(bits32(&d1), bits32(&d2), "{name}");
            assert_eq!(bits64(&s1), bits64(&s2), "{name}");
        }
        // And the labels are the true nearest centroids.
        for (i, &li) in l1.iter().enumerate() {
            let exact = |j: usize| -> f64 {
                (0..d)
                    .map(|t| (f64::from(p.row(i)[t]) - f64::from(cent[j * d + t])).powi(2))
                    .sum()
            };
            let best = (0..k).fold(0, |b, j| if exact(j) < exact(b) { j } else { b });
            assert!(exact(li as usize) <= exact(best) + 1e-4);
        }
    }
}

#[test]
fn too_few_rows_for_k_names_both_numbers() {
    let x = Array2::<f32>::eye(5);
    let e = params(Some(8))
        .check()
        .unwrap()
        .fit(x.view(), 0)
        .unwrap_err();
    assert_eq!(e, ClusterError::TooFewRows { k: 8, rows: 5 });
    assert_eq!(
        e.to_string(),
        "k = 8 topics were asked for, but the corpus has only 5 paragraphs; \
         lower k or omit it to choose k automatically"
    );
    let one = Array2::<f32>::eye(1);
    let e = params(Some(2))
        .check()
        .unwrap()
        .fit(one.view(), 0)
        .unwrap_err();
    assert!(e.to_string().contains("only 1 paragraph;"), "{e}");
    // k = n is allowed: every row its own topic.
    let c = params(Some(5)).check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.labels, vec![0, 1, 2, 3, 4]);
    assert!(c.prob.iter().all(|&p| p == 1.0));
    assert_eq!(c.inertia, 0.0);
}

#[test]
fn single_row_is_one_topic_with_prob_one() {
    let x = Array2::from_shape_vec((1, 3), vec![0.6f32, 0.8, 0.0]).unwrap();
    for k in [None, Some(1)] {
        let c = params(k).check().unwrap().fit(x.view(), 0).unwrap();
        assert_eq!(c.k, 1);
        assert_eq!(c.labels, vec![0]);
        assert_eq!(c.prob, vec![1.0]);
        assert_eq!(c.k_scores, vec![]);
        assert_eq!(c.representatives(x.view(), 3), vec![vec![0]]);
        assert_eq!(c.warnings.len(), usize::from(k.is_none()));
    }
}

#[test]
fn auto_k_on_few_rows_lowers_the_range_with_a_warning() {
    // Four rows: the √(n/2) ceiling keeps k = 2, which is the default, so no warning.
    let x = Array2::<f32>::eye(4);
    let c = params(None).check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.k_scores.iter().map(|s| s.0).collect::<Vec<_>>(), vec![2]);
    assert_eq!(c.k, 2);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // A k_min above n − 1 is lowered, with a warning.
    let mut p = params(None);
    p.k_min = 3;
    let x = Array2::<f32>::eye(3);
    let c = p.check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.k, 2);
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0].contains("2..=2 instead of 3..="),
        "{}",
        c.warnings[0]
    );
    let x = Array2::<f32>::eye(2);
    let c = params(None).check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!((c.k, c.labels.clone()), (1, vec![0, 0]));
    assert!(c.warnings[0].contains("at least 3 paragraphs"));
    // A k_min above the corpus size is lowered too.
    let x = Array2::<f32>::eye(6);
    let p = ClusterParams {
        k_min: 8,
        k_max: 10,
        ..Default::default()
    };
    let c = p.check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.k_scores.iter().map(|s| s.0).collect::<Vec<_>>(), vec![5]);
    assert!(c.warnings[0].contains("5..=5 instead of 8..=10"));
}

#[test]
fn duplicate_rows_terminate_without_panic() {
    let x = Array2::from_elem((50, 4), 0.5f32);
    let c = params(Some(3)).check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.k, 3);
    assert!(c.labels.iter().all(|&l| l == 0));
    assert_eq!(c.inertia, 0.0);
    assert!(c.prob.iter().all(|&p| p.is_finite() && p > 0.0));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.contains("2 of the 3 topics empty")));
    let reps = c.representatives(x.view(), 2);
    assert_eq!(reps, vec![vec![0, 1], vec![], vec![]]);
    let a = params(None).check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(a.k, 2);
    assert!(a.k_scores.iter().all(|s| s.1 == 0.0));
    // Two distinct points, many copies.
    let mut y = Array2::from_elem((40, 2), 0.0f32);
    for i in 0..40 {
        y[[i, i % 2]] = 1.0;
    }
    let c = params(Some(4)).check().unwrap().fit(y.view(), 0).unwrap();
    assert_eq!(c.inertia, 0.0);
    assert_eq!(c.labels.iter().filter(|&&l| l < 2).count(), 40);
}

#[test]
fn non_finite_and_empty_input_are_errors() {
    let mut x = Array2::<f32>::eye(4);
    x[[2, 1]] = f32::NAN;
    let e = params(Some(2))
        .check()
        .unwrap()
        .fit(x.view(), 0)
        .unwrap_err();
    assert!(
        matches!(e, ClusterError::NonFinite { row: 2, col: 1, .. }),
        "{e}"
    );
    x[[2, 1]] = f32::INFINITY;
    assert!(params(None).check().unwrap().fit(x.view(), 0).is_err());
    let big = Array2::from_elem((3, 2), 1e30f32);
    assert_eq!(
        params(None)
            .check()
            .unwrap()
            .fit(big.view(), 0)
            .unwrap_err(),
        ClusterError::Overflow { row: 0 }
    );
    let empty = Array2::<f32>::zeros((0, 3));
    assert_eq!(
        params(None)
            .check()
            .unwrap()
            .fit(empty.view(), 0)
            .unwrap_err(),
        ClusterError::NoRows
    );
    let nodim = Array2::<f32>::zeros((3, 0));
    assert_eq!(
        params(None)
            .check()
            .unwrap()
            .fit(nodim.view(), 0)
            .unwrap_err(),
        ClusterError::NoDimensions { rows: 3 }
    );
}

#[test]
fn membership_rows_sum_to_one_and_match_prob() {
    let (x, _) = three_blobs(11);
    let c = params(Some(3)).check().unwrap().fit(x.view(), 2).unwrap();
    let m = c.membership(x.view());
    assert_eq!(m.dim(), (x.nrows(), 3));
    for (i, row) in m.rows().into_iter().enumerate() {
        let s: f32 = row.sum();
        assert!((s - 1.0).abs() < 1e-5);
        assert_eq!(row[c.labels[i]], c.prob[i]);
        let argmax = (0..3).fold(0, |b, j| if row[j] > row[b] { j } else { b });
        assert_eq!(argmax, c.labels[i]);
    }
    // Hand-checked formula: distances² 1 and 4 → memberships 0.8 and 0.2.
    let mut u = [0.0; 2];
    fuzzy_membership(&[1.0, 4.0], &mut u);
    assert!((u[0] - 0.8).abs() < 1e-12 && (u[1] - 0.2).abs() < 1e-12);
    fuzzy_membership(&[0.0, 4.0], &mut u);
    assert_eq!(u, [1.0, 0.0]);
}

#[test]
fn representatives_are_closest_members_first() {
    let x = Array2::from_shape_vec((6, 1), vec![0.0f32, 1.0, 0.5, 10.0, 10.2, 9.9]).unwrap();
    let c = params(Some(2)).check().unwrap().fit(x.view(), 0).unwrap();
    // Equal sizes: topic 0 holds row 0 (smallest index).
    assert_eq!(c.labels, vec![0, 0, 0, 1, 1, 1]);
    let reps = c.representatives(x.view(), 2);
    assert_eq!(reps, vec![vec![2, 0], vec![3, 5]]);
    let none: Vec<Vec<usize>> = vec![vec![], vec![]];
    assert_eq!(c.representatives(x.view(), 0), none);
    let wrong = Array2::<f32>::zeros((6, 2));
    assert_eq!(c.representatives(wrong.view(), 2), none);
}

#[test]
fn matches_sklearn_tolerance_semantics_on_max_iter_one() {
    // With max_iter = 1 the labels still match the returned centres (final E-step).
    let (x, _) = three_blobs(2);
    let p = ClusterParams {
        k: Some(3),
        max_iter: 1,
        n_init: 1,
        ..Default::default()
    };
    let c = p.check().unwrap().fit(x.view(), 0).unwrap();
    assert_eq!(c.n_iter, 1);
    for (i, row) in x.rows().into_iter().enumerate() {
        let dist = |j: usize| -> f64 {
            row.iter()
                .zip(c.centroids.row(j))
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum()
        };
        let nearest = (0..3).fold(0, |b, j| if dist(j) < dist(b) { j } else { b });
        assert_eq!(nearest, c.labels[i]);
    }
}

#[test]
fn linfa_fit_is_the_inherent_fit_and_predict_gives_the_fitted_labels() {
    use linfa::traits::{Fit, Predict};
    let (x, _) = three_blobs(4);
    for k in [Some(3), None] {
        let p = params(k).check().unwrap();
        let inherent = p.fit(x.view(), 99).unwrap();
        let seeded = p.clone().with_seed(99);
        let ds = linfa::DatasetBase::from(x.clone());
        let trait_fit: Clustering = Fit::fit(&seeded, &ds).unwrap();
        assert_eq!(trait_fit, inherent);
        let bits = |c: &Clustering| c.centroids.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&trait_fit), bits(&inherent));
        assert_eq!(trait_fit.inertia.to_bits(), inherent.inertia.to_bits());
        // The default seed is 42, and unchecked params are checked first.
        let default_seed = p.fit(x.view(), crate::cluster::DEFAULT_SEED).unwrap();
        assert_eq!(Fit::fit(&p, &ds).unwrap(), default_seed);
        let unchecked: Clustering = Fit::fit(&params(k), &ds).unwrap();
        assert_eq!(unchecked, default_seed);
        // Predict on the fitted rows (an owned array and a view) gives the fitted labels.
        let pred: ndarray::Array1<usize> = trait_fit.predict(&x);
        assert_eq!(pred.to_vec(), inherent.labels);
        let pred: ndarray::Array1<usize> = trait_fit.predict(&x.view());
        assert_eq!(pred.to_vec(), inherent.labels);
    }
    // Invalid params come back as ClusterError::Params.
    let ds = linfa::DatasetBase::from(x.clone());
    let e = Fit::fit(&params(Some(0)), &ds).unwrap_err();
    assert_eq!(
        e,
        ClusterError::Params(crate::cluster::ClusterParamsError::ZeroK)
    );
}

/// Four well-separated blobs: the topics of k = 4 are the blobs in every re-fit (stability
/// 1), while k = 3 or 6 must split or merge them differently from seed to seed; choosing k
/// by stability finds 4, and the result is the same on 1 and 3 threads.
#[test]
fn stability_finds_the_blobs_and_repeats_for_a_seed() {
    let mut rng = Xoshiro256Plus::seed_from_u64(11);
    let centres: Vec<Vec<f32>> = (0..4)
        .map(|_| (0..10).map(|_| 4.0 * normal(&mut rng)).collect())
        .collect();
    let (x, truth) = blobs(&centres, 60, 0.5, 2);
    let p = ClusterParams {
        k_min: 3,
        k_max: 6,
        n_init: 3,
        stability_runs: 6,
        choose_k: ChooseK::Stability,
        ..Default::default()
    }
    .check()
    .unwrap();
    let fit = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.fit(x.view(), 5).unwrap())
    };
    let c = fit(1);
    assert_eq!(c.k, 4, "{:?}", c.stability_by_k);
    let at = |k: usize| c.stability_by_k.iter().find(|s| s.0 == k).unwrap().1;
    assert!((at(4) - 1.0).abs() < 1e-12, "{:?}", c.stability_by_k);
    assert!(at(6) < 0.95, "{:?}", c.stability_by_k);
    assert_eq!(c.topic_stability.len(), 4);
    assert!(c.topic_stability.iter().all(|&s| (s - 1.0).abs() < 1e-12));
    // The blobs are the topics.
    let mut pairs: Vec<(usize, usize)> = truth
        .iter()
        .copied()
        .zip(c.labels.iter().copied())
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(pairs.len(), 4);
    assert_eq!(c, fit(3));
    // At a given k, only that k's stability.
    let given = ClusterParams {
        k: Some(6),
        n_init: 3,
        stability_runs: 4,
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit(x.view(), 5)
    .unwrap();
    assert_eq!(given.stability_by_k.len(), 1);
    assert_eq!(given.topic_stability.len(), 6);
}
