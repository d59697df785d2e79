//! Unit tests of the LSA: params rules, QR and SVD accuracy against an exact reference,
//! kernels bit for bit, tiny and extreme inputs, thread-count independence.

use super::kernels::*;
use super::linalg::*;
use super::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use sprs::TriMat;

/// Seeded standard normal draws (`f64` test data).
fn gaussian(len: usize, seed: u64) -> Vec<f64> {
    gaussian_f32(len, seed).into_iter().map(f64::from).collect()
}

fn csr(rows: usize, cols: usize, entries: &[(usize, usize, f64)]) -> CsMat<f64> {
    let mut t = TriMat::new((rows, cols));
    for &(r, c, v) in entries {
        t.add_triplet(r, c, v);
    }
    t.to_csr()
}

fn random_sparse(rows: usize, cols: usize, density: f64, seed: u64) -> CsMat<f64> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut t = TriMat::new((rows, cols));
    for r in 0..rows {
        for c in 0..cols {
            if rng.gen::<f64>() < density {
                t.add_triplet(r, c, rng.gen::<f64>());
            }
        }
    }
    t.to_csr()
}

fn to_dense(x: &CsMat<f64>) -> Array2<f64> {
    let mut d = Array2::zeros((x.rows(), x.cols()));
    for (r, row) in x.outer_iterator().enumerate() {
        for (c, &v) in row.iter() {
            d[[r, c]] = v;
        }
    }
    d
}

/// Exact singular values via Jacobi on the full dense matrix (reference).
fn exact_singular_values(d: &Array2<f64>) -> Vec<f64> {
    let (m, n) = d.dim();
    // Column-major n columns of length m, padded square is not needed: use AᵀA-free
    // one-sided Jacobi on the columns when m >= n.
    assert!(m >= n);
    let mut a = vec![0.0; n * n];
    // QR first so the Jacobi input is square.
    let mut y: Vec<f64> = d.iter().copied().collect();
    let r = householder_qr(&mut y, m, n);
    for j in 0..n {
        for i in 0..n {
            a[j * n + i] = r[j * n + i]; // column j of Rᵀ = row j of R
        }
    }
    jacobi_svd(&mut a, n);
    let mut s: Vec<f64> = (0..n).map(|j| norm(&a[j * n..(j + 1) * n])).collect();
    s.sort_by(|x, y| y.total_cmp(x));
    s
}

#[test]
fn default_params_match_sklearn() {
    let p = ReduceParams::default();
    assert_eq!((p.n_components, p.n_iter, p.n_oversamples), (100, 5, 10));
    let p: ReduceParams = serde_json::from_str(r#"{"n_components": 7}"#).unwrap();
    assert_eq!((p.n_components, p.n_iter, p.n_oversamples), (7, 5, 10));
    assert!(serde_json::from_str::<ReduceParams>(r#"{"n_comp": 7}"#).is_err());
}

#[test]
fn zero_components_rejected() {
    let p = ReduceParams {
        n_components: 0,
        ..Default::default()
    };
    let err = p.check().unwrap_err();
    assert_eq!(err, ReduceParamsError::ZeroComponents(0));
    assert!(err.to_string().contains("got 0"));
}

#[test]
fn empty_and_non_finite_rejected() {
    let p = ReduceParams::default().check().unwrap();
    let e = p.fit_transform(&csr(0, 5, &[]), 1).unwrap_err();
    assert!(e.to_string().contains("0 rows × 5 columns"), "{e}");
    let e = p.fit_transform(&csr(3, 0, &[]), 1).unwrap_err();
    assert_eq!(e, ReduceError::Empty { rows: 3, cols: 0 });
    let e = p
        .fit_transform(&csr(2, 2, &[(0, 0, 1.0), (1, 1, f64::NAN)]), 1)
        .unwrap_err();
    assert!(
        matches!(e, ReduceError::NonFinite { row: 1, col: 1, .. }),
        "{e}"
    );
}

#[test]
fn qr_is_orthonormal_and_reconstructs() {
    let (m, l) = (300, 12);
    let y0 = gaussian(m * l, 3);
    for rank_deficient in [false, true] {
        let mut y = y0.clone();
        if rank_deficient {
            // Column 5 = column 2, column 7 = 0.
            for i in 0..m {
                y[i * l + 5] = y[i * l + 2];
                y[i * l + 7] = 0.0;
            }
        }
        let orig = y.clone();
        let r = orthonormalize(&mut y, m, l);
        let g = gram(&y, l);
        for a in 0..l {
            for b in 0..l {
                let e = if a == b { 1.0 } else { 0.0 };
                assert!(
                    (g[a * l + b] - e).abs() < 1e-12,
                    "QᵀQ[{a},{b}] = {}",
                    g[a * l + b]
                );
            }
        }
        for i in 0..m {
            for j in 0..l {
                let rec: f64 = (0..l).map(|t| y[i * l + t] * r[t * l + j]).sum();
                assert!((rec - orig[i * l + j]).abs() < 1e-10);
            }
        }
    }
}

#[test]
fn singular_values_match_exact_svd_on_low_rank_plus_noise() {
    // 60 × 40 matrix; ask for all 40 components (l capped at 40): exact up to rounding.
    let x = random_sparse(60, 40, 0.3, 11);
    let lsa = ReduceParams {
        n_components: 40,
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit_transform(&x, 5)
    .unwrap();
    assert_eq!(lsa.n_components, 40);
    let exact = exact_singular_values(&to_dense(&x));
    for (a, b) in lsa.singular_values.iter().zip(&exact) {
        assert!((a - b).abs() < 1e-9 * exact[0], "{a} vs {b}");
    }
    // Explained variance ratios sum to 1 when every component is kept (the centred
    // variance is fully captured by the full-rank U·Σ).
    let total: f64 = lsa.explained_variance_ratio.iter().sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
}

#[test]
fn truncated_values_are_accurate_and_components_orthonormal() {
    // Rank-10 signal with well separated singular values plus sparse noise.
    let (m, n) = (200, 150);
    let g = gaussian(m * 10 + n * 10, 12);
    let mut t = TriMat::new((m, n));
    let noise = random_sparse(m, n, 0.05, 13);
    let noise = to_dense(&noise);
    for i in 0..m {
        for j in 0..n {
            let mut v = 0.01 * noise[[i, j]];
            for c in 0..10 {
                v += (10 - c) as f64 * g[i * 10 + c] * g[m * 10 + j * 10 + c];
            }
            t.add_triplet(i, j, v);
        }
    }
    let x: CsMat<f64> = t.to_csr();
    let lsa = ReduceParams {
        n_components: 10,
        ..Default::default()
    }
    .check()
    .unwrap()
    .fit_transform(&x, 9)
    .unwrap();
    let dense = to_dense(&x);
    let exact = exact_singular_values(&dense);
    for (a, b) in lsa.singular_values.iter().zip(&exact) {
        assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
    }
    let vvt = lsa.components.dot(&lsa.components.t());
    for a in 0..10 {
        for b in 0..10 {
            let e = if a == b { 1.0 } else { 0.0 };
            assert!((vvt[[a, b]] - e).abs() < 1e-10);
        }
    }
    // Sign convention: the largest-|value| entry of each component is positive.
    for row in lsa.components.rows() {
        let best = row
            .iter()
            .copied()
            .fold(0.0f64, |acc, v| if v.abs() > acc.abs() { v } else { acc });
        assert!(best > 0.0);
    }
    // Rows are unit length, and match A·Vᵀᵀ normalised.
    let proj = dense.dot(&lsa.components.t());
    for (i, row) in lsa.embedding.rows().into_iter().enumerate() {
        let n: f32 = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-5);
        let pn = proj.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
        for (c, &v) in row.iter().enumerate() {
            assert!((v as f64 - proj[[i, c]] / pn).abs() < 1e-4);
        }
    }
}

#[test]
fn vectorised_kernels_match_the_generic_ones_bit_for_bit() {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let (rows, l) = (23, 11);
    let y = gaussian(rows * l, 17);
    assert_eq!(bits(&gram_block(&y, l)), bits(&gram_block_generic(&y, l)));
    let u: Vec<f64> = gaussian(l * l, 18)
        .into_iter()
        .enumerate()
        .map(|(i, v)| if i / l <= i % l { v } else { 0.0 })
        .collect();
    let m = gaussian(l * 7, 19);
    for (b, cols) in [(&u, l), (&m, 7)] {
        let (mut a, mut g) = (vec![1.0; rows * cols], vec![2.0; rows * cols]);
        rows_mul(&y, l, b, cols, &mut a);
        rows_mul_generic(&y, l, b, cols, &mut g);
        assert_eq!(bits(&a), bits(&g));
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::avx512f() {
            let mut c = vec![3.0; rows * cols];
            unsafe { rows_mul_avx512(&y, l, b, cols, &mut c) };
            assert_eq!(bits(&c), bits(&g));
        }
    }
    // Wide products: several panels and masked registers.
    for cols in [1, 8, 9, 100, 128, 129, 300] {
        let b = gaussian(l * cols, 23);
        let (mut a, mut g) = (vec![1.0; rows * cols], vec![2.0; rows * cols]);
        rows_mul(&y, l, &b, cols, &mut a);
        rows_mul_generic(&y, l, &b, cols, &mut g);
        assert_eq!(bits(&a), bits(&g), "cols = {cols}");
    }
    let x = Csr::from_csmat(&random_sparse(rows, 30, 0.3, 20)).unwrap();
    let dmat = gaussian(30 * l, 21);
    let (mut a, mut b) = (vec![0.0; rows * l], vec![0.0; rows * l]);
    spmm_block(&x, &dmat, l, 0, &mut a);
    spmm_block_generic(&x, &dmat, l, 0, &mut b);
    assert_eq!(bits(&a), bits(&b));
    // The f32 product: every panel shape of the AVX-512 kernel (full and masked
    // registers, one and several panels), against the portable loop.
    let x32 = Csr32::new(&x).unwrap();
    for l in [1, 11, 16, 17, 110, 128, 130, 257] {
        let dmat = gaussian_f32(30 * l, 22);
        let (mut a, mut b) = (vec![1.0f32; rows * l], vec![2.0f32; rows * l]);
        spmm32_block(&x32, &dmat, l, 0, &mut a);
        spmm32_block_generic(&x32, &dmat, l, 0, &mut b);
        let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits32(&a), bits32(&b), "l = {l}");
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::avx512f() {
            let mut c = vec![3.0f32; rows * l];
            unsafe { spmm32_block_avx512(&x32, &dmat, l, 0, &mut c) };
            assert_eq!(bits32(&c), bits32(&b), "l = {l}");
        }
    }
}

#[test]
fn tiny_shapes_do_not_panic() {
    let p = ReduceParams::default().check().unwrap();
    let one_row = csr(1, 4, &[(0, 1, 2.0), (0, 3, 1.0)]);
    let lsa = p.fit_transform(&one_row, 0).unwrap();
    assert_eq!(lsa.n_components, 1);
    assert_eq!(lsa.embedding.dim(), (1, 1));
    assert!((lsa.embedding[[0, 0]] - 1.0).abs() < 1e-6);
    assert!((lsa.singular_values[0] - 5f64.sqrt()).abs() < 1e-12);
    // One column.
    let one_col = csr(3, 1, &[(0, 0, 1.0), (2, 0, 3.0)]);
    let lsa = p.fit_transform(&one_col, 0).unwrap();
    assert_eq!(lsa.embedding.dim(), (3, 1));
    assert_eq!(lsa.embedding[[1, 0]], 0.0);
    assert!((lsa.singular_values[0] - 10f64.sqrt()).abs() < 1e-12);
    // All zero.
    let zeros = csr(4, 3, &[]);
    let lsa = p.fit_transform(&zeros, 0).unwrap();
    assert_eq!(lsa.n_components, 3);
    assert!(lsa.embedding.iter().all(|&v| v == 0.0));
    assert!(lsa.explained_variance_ratio.iter().all(|&v| v == 0.0));
    // Duplicated rows (rank 1) with many components requested.
    let dup = csr(
        5,
        6,
        &(0..5)
            .flat_map(|r| [(r, 0, 1.0), (r, 4, 2.0)])
            .collect::<Vec<_>>(),
    );
    let lsa = p.fit_transform(&dup, 0).unwrap();
    assert_eq!(lsa.n_components, 5);
    assert!((lsa.singular_values[0] - 25f64.sqrt()).abs() < 1e-12);
    assert!(lsa.singular_values[1..].iter().all(|&s| s < 1e-12));
    assert!(lsa.embedding.iter().all(|v| v.is_finite()));
}

#[test]
fn extreme_magnitudes_are_rescaled() {
    let p = ReduceParams {
        n_components: 2,
        ..Default::default()
    }
    .check()
    .unwrap();
    let x = random_sparse(30, 20, 0.3, 6);
    let base = p.fit_transform(&x, 1).unwrap();
    for factor in [1e200, 1e-200] {
        let mut y = x.clone();
        y.data_mut().iter_mut().for_each(|v| *v *= factor);
        let big = p.fit_transform(&y, 1).unwrap();
        for (a, b) in base.singular_values.iter().zip(&big.singular_values) {
            assert!((a * factor - b).abs() <= 1e-9 * b, "{a} {b}");
        }
        for (a, b) in base.embedding.iter().zip(big.embedding.iter()) {
            assert!((a - b).abs() < 1e-5);
        }
    }
}

#[test]
fn csc_input_gives_the_same_result() {
    let x = random_sparse(40, 30, 0.2, 4);
    let p = ReduceParams {
        n_components: 5,
        ..Default::default()
    }
    .check()
    .unwrap();
    let a = p.fit_transform(&x, 2).unwrap();
    let b = p.fit_transform(&x.to_csc(), 2).unwrap();
    assert_eq!(a, b);
}

#[test]
fn identical_bits_for_one_and_two_threads() {
    let x = random_sparse(1500, 400, 0.02, 8);
    let p = ReduceParams {
        n_components: 20,
        ..Default::default()
    }
    .check()
    .unwrap();
    let run =
        |threads: usize| crate::test_util::in_pool(threads, || p.fit_transform(&x, 42).unwrap());
    let a = run(1);
    let b = run(2);
    let bits = |l: &Lsa| {
        (
            l.embedding.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            l.components.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            l.singular_values
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(bits(&a), bits(&b));
    // And a different seed gives (slightly) different bits but the same subspace sizes.
    let c = p.fit_transform(&x, 43).unwrap();
    for (s, t) in a.singular_values.iter().zip(&c.singular_values) {
        assert!((s - t).abs() < 1e-2 * s);
    }
}

fn lsa_bits(l: &Lsa) -> Vec<Vec<u64>> {
    vec![
        l.embedding.iter().map(|v| u64::from(v.to_bits())).collect(),
        l.components.iter().map(|v| v.to_bits()).collect(),
        l.singular_values.iter().map(|v| v.to_bits()).collect(),
        l.explained_variance_ratio
            .iter()
            .map(|v| v.to_bits())
            .collect(),
    ]
}

#[test]
fn fit_through_linfa_gives_the_bits_of_fit_transform() {
    use linfa::traits::{Fit, Transformer};
    let x = random_sparse(80, 50, 0.1, 31);
    let params = ReduceParams {
        n_components: 6,
        ..Default::default()
    };
    let checked = params.check().unwrap();
    let ds = linfa::DatasetBase::new(SparseRecords(&x), ());
    let direct = checked.fit_transform(&x, 0).unwrap();
    // Checked params: seed 0.
    let a = checked.fit(&ds).unwrap();
    assert_eq!(lsa_bits(&a), lsa_bits(&direct));
    // Unchecked params, through linfa's blanket impl (checked first).
    let b: Result<Lsa, ReduceError> = params.fit(&ds);
    assert_eq!(lsa_bits(&b.unwrap()), lsa_bits(&direct));
    // Another seed.
    let seeded = checked.clone().with_seed(7);
    assert_eq!((seeded.seed(), seeded.params()), (7, &checked));
    let c = seeded.fit(&ds).unwrap();
    assert_eq!(
        lsa_bits(&c),
        lsa_bits(&checked.fit_transform(&x, 7).unwrap())
    );
    assert_ne!(lsa_bits(&c), lsa_bits(&direct));
    // The fitted Lsa transforms new rows as `project` does.
    let y = random_sparse(10, 50, 0.2, 32);
    let t = a.transform(SparseRecords(&y)).unwrap();
    assert_eq!(t, project(a.components.view(), &y).unwrap());
    let narrow = random_sparse(3, 49, 0.5, 33);
    assert_eq!(
        a.transform(SparseRecords(&narrow)).unwrap_err(),
        ReduceError::ColumnMismatch {
            cols: 49,
            components: 50
        }
    );
}

#[test]
fn param_guard_rejects_what_check_rejects() {
    for n_components in [0, 1, 100] {
        let p = ReduceParams {
            n_components,
            ..Default::default()
        };
        let want = ReduceParams::check(&p);
        let by_ref = linfa::ParamGuard::check_ref(&p);
        if let Ok(r) = by_ref {
            // No copy: the checked params are `p` itself.
            assert!(std::ptr::eq(r.params(), &p));
        }
        assert_eq!(by_ref.cloned(), want);
        assert_eq!(linfa::ParamGuard::check(p.clone()), want);
    }
    // Unchecked params fitted through linfa: the check error, wrapped.
    let x = random_sparse(5, 5, 0.5, 1);
    let p = ReduceParams {
        n_components: 0,
        ..Default::default()
    };
    let ds = linfa::DatasetBase::new(SparseRecords(&x), ());
    let e: Result<Lsa, ReduceError> = linfa::traits::Fit::fit(&p, &ds);
    assert_eq!(
        e.unwrap_err(),
        ReduceError::Params(ReduceParamsError::ZeroComponents(0))
    );
    let e = ReduceError::from(linfa::Error::NotEnoughSamples);
    assert_eq!(e.to_string(), "linfa: not enough samples");
}
