use super::solver::*;
use super::*;
use crate::classify::labels::sigmoid;
use crate::classify::params::ClassifierParams;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn csr(rows: &[&[(usize, f64)]], cols: usize) -> CsMat<f64> {
    let mut tri = sprs::TriMat::new((rows.len(), cols));
    for (r, row) in rows.iter().enumerate() {
        for &(c, v) in row.iter() {
            tri.add_triplet(r, c, v);
        }
    }
    tri.to_csr()
}

fn single(labels: &[&str]) -> EncodedLabels {
    let l = Labels::Single(labels.iter().map(|s| s.to_string()).collect());
    l.encode(&l.classes().unwrap()).unwrap()
}

#[test]
fn separable_binary_problem_is_learned() {
    let x = csr(
        &[
            &[(0, 1.0)],
            &[(0, 0.9), (2, 0.1)],
            &[(1, 1.0)],
            &[(1, 0.8), (2, 0.2)],
        ],
        3,
    );
    let y = single(&["a", "a", "b", "b"]);
    for model in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
        let p = ClassifierParams {
            model,
            ..Default::default()
        }
        .check()
        .unwrap();
        let m = LinearModel::fit(&x, &y, &p).unwrap();
        assert_eq!(m.coef().len(), 1);
        assert!(m.fit_info()[0].converged);
        assert_eq!(m.fit_info()[0].class, "b");
        let pred = m.predict(&x).unwrap();
        assert_eq!(pred.top, vec![0, 0, 1, 1]);
        let s = &pred.scores;
        for r in 0..4 {
            assert_eq!(s[[r, 0]], -s[[r, 1]]);
        }
        match model {
            ModelKind::LinearSvm => assert!(pred.probabilities.is_none()),
            ModelKind::LogisticRegression | ModelKind::Stack => {
                let pr = pred.probabilities.unwrap();
                for r in 0..4 {
                    approx::assert_abs_diff_eq!(pr[[r, 0]] + pr[[r, 1]], 1.0, epsilon = 1e-12);
                }
                assert!(pr[[0, 0]] > 0.5 && pr[[2, 1]] > 0.5);
            }
        }
    }
}

/// The dual optimum satisfies the KKT conditions of the primal: at the solution,
/// w = Σ αᵢ yᵢ xᵢ with αᵢ = 2Cᵢ·max(0, 1 − yᵢ f(xᵢ)). Check the primal gradient is ~0.
#[test]
fn svm_solution_is_stationary() {
    let x = csr(
        &[
            &[(0, 1.0), (1, 0.5)],
            &[(0, 0.3), (2, 1.0)],
            &[(1, 1.0), (2, 0.4)],
            &[(0, 0.7), (1, 0.7)],
            &[(2, 0.9), (3, 0.1)],
            &[(3, 1.0)],
        ],
        4,
    );
    let y = single(&["p", "n", "n", "p", "n", "p"]);
    let p = ClassifierParams {
        tol: 1e-10,
        max_iter: 100_000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m = LinearModel::fit(&x, &y, &p).unwrap();
    assert!(m.fit_info()[0].converged);
    // Positive class is "p" (classes sorted: n, p).
    let yy = [1.0, -1.0, -1.0, 1.0, -1.0, 1.0];
    let d = m.decision_function(&x).unwrap();
    // Gradient of ½‖w̃‖² + C Σ max(0, 1 − y f)², w̃ = (w, b) with the bias feature 1.
    let mut grad = m.coef()[0].clone();
    grad.push(m.intercept()[0]);
    for i in 0..6 {
        let margin = 1.0 - yy[i] * d[[i, 1]];
        if margin > 0.0 {
            let g = -2.0 * yy[i] * margin;
            let row = x.outer_view(i).unwrap();
            for (j, v) in row.iter() {
                grad[j] += g * v;
            }
            grad[4] += g;
        }
    }
    for g in grad {
        assert!(g.abs() < 1e-6, "{g}");
    }
    // Without shrinking: the same optimum.
    let q = ClassifierParams {
        shrinking: false,
        tol: 1e-10,
        max_iter: 100_000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m2 = LinearModel::fit(&x, &y, &q).unwrap();
    let d2 = m2.decision_function(&x).unwrap();
    for (a, b) in d.iter().zip(d2.iter()) {
        assert!((a - b).abs() < 1e-6, "{a} {b}");
    }
}

/// Logistic regression: the primal gradient of ½‖w̃‖² + Σ Cᵢ ln(1 + e^(−yᵢ f(xᵢ))) is ~0,
/// here with balanced class weights (Cᵢ = C · weight of the example's class).
#[test]
fn lr_solution_is_stationary_with_balanced_weights() {
    let x = csr(
        &[
            &[(0, 1.0), (1, 0.5)],
            &[(0, 0.3), (2, 1.0)],
            &[(1, 1.0), (2, 0.4)],
            &[(0, 0.7), (1, 0.7)],
            &[(2, 0.9), (3, 0.1)],
        ],
        4,
    );
    let y = single(&["p", "n", "n", "p", "n"]);
    let p = ClassifierParams {
        model: ModelKind::LogisticRegression,
        class_weight: ClassWeight::Balanced,
        tol: 1e-12,
        max_iter: 100_000,
        ..Default::default()
    }
    .check()
    .unwrap();
    let m = LinearModel::fit(&x, &y, &p).unwrap();
    assert!(m.fit_info()[0].converged);
    let yy = [1.0, -1.0, -1.0, 1.0, -1.0];
    // n = 5: weight(n) = 5 / (2 · 3), weight(p) = 5 / (2 · 2).
    let cost = |yi: f64| if yi > 0.0 { 1.25 } else { 5.0 / 6.0 };
    let d = m.decision_function(&x).unwrap();
    let mut grad = m.coef()[0].clone();
    grad.push(m.intercept()[0]);
    for i in 0..5 {
        let g = -cost(yy[i]) * yy[i] * sigmoid(-yy[i] * d[[i, 1]]);
        for (j, v) in x.outer_view(i).unwrap().iter() {
            grad[j] += g * v;
        }
        grad[4] += g;
    }
    for g in grad {
        // The weights are rounded to f32: ~1e-7 relative.
        assert!(g.abs() < 1e-6, "{g}");
    }
}

#[test]
fn multiclass_and_multilabel_have_one_model_per_class() {
    let x = csr(
        &[&[(0, 1.0)], &[(1, 1.0)], &[(2, 1.0)], &[(0, 1.0), (1, 1.0)]],
        3,
    );
    let y = single(&["a", "b", "c", "a"]);
    let p = ClassifierParams::default().check().unwrap();
    let m = LinearModel::fit(&x, &y, &p).unwrap();
    assert_eq!(m.coef().len(), 3);
    assert_eq!(m.predict(&x).unwrap().top[..3], [0, 1, 2]);

    let l = Labels::Multi(vec![
        vec!["x".into()],
        vec!["y".into()],
        vec![],
        vec!["x".into(), "y".into(), "x".into()],
    ]);
    let e = l.encode(&l.classes().unwrap()).unwrap();
    assert_eq!(
        e.y(),
        &Encoded::Multi(vec![vec![0], vec![1], vec![], vec![0, 1]])
    );
    let m = LinearModel::fit(&x, &e, &p).unwrap();
    assert_eq!(m.coef().len(), 2);
    let pred = m.predict(&x).unwrap();
    assert_eq!(pred.assigned[0], vec![0]);
    assert_eq!(pred.assigned[1], vec![1]);
    assert_eq!(pred.assigned[3], vec![0, 1]);
    // Row 2 has no positive score: the argmax is assigned.
    assert_eq!(pred.assigned[2].len(), 1);
}

#[test]
fn deterministic_for_any_thread_count_and_seed_dependent_order() {
    let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut labels = Vec::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    for i in 0..200 {
        let class = i % 3;
        let mut r: Vec<(usize, f64)> = (0..8)
            .map(|_| (rng.gen_range(0..50), rng.gen::<f64>()))
            .collect();
        r.push((50 + class, 0.5));
        r.sort_by_key(|e| e.0);
        r.dedup_by_key(|e| e.0);
        rows.push(r);
        labels.push(["a", "b", "c"][class]);
    }
    let refs: Vec<&[(usize, f64)]> = rows.iter().map(|r| r.as_slice()).collect();
    let x = csr(&refs, 53);
    let y = single(&labels);
    for model in [ModelKind::LinearSvm, ModelKind::LogisticRegression] {
        let p = ClassifierParams {
            model,
            ..Default::default()
        }
        .check()
        .unwrap();
        let (a, b) =
            crate::test_util::on_1_and_n_threads(3, || LinearModel::fit(&x, &y, &p).unwrap());
        let bits = |m: &LinearModel| {
            m.coef()
                .iter()
                .flatten()
                .chain(m.intercept())
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&a), bits(&b));
    }
}

#[test]
fn balanced_weights_follow_scikit_learn() {
    // n = 6, k = 2, counts 4 and 2: weights 6/8 and 6/4.
    assert_eq!(balanced(&[4, 2], 6), vec![0.75, 1.5]);
    // Absent class: weight 1, k counts only the present classes.
    assert_eq!(balanced(&[3, 0, 1], 4), vec![4.0 / 6.0, 1.0, 2.0]);
}

#[test]
fn feature_count_mismatch_and_bad_labels_are_errors() {
    let x = csr(&[&[(0, 1.0)], &[(1, 1.0)]], 2);
    let y = single(&["a", "b"]);
    let p = ClassifierParams::default().check().unwrap();
    let m = LinearModel::fit(&x, &y, &p).unwrap();
    let z = csr(&[&[(0, 1.0)]], 3);
    assert_eq!(
        m.decision_function(&z).unwrap_err(),
        ClassifyError::FeatureCountMismatch {
            expected: 2,
            got: 3
        }
    );
    let one = single(&["a", "a"]);
    assert!(matches!(
        LinearModel::fit(&x, &one, &p).unwrap_err(),
        ClassifyError::SingleClass { .. }
    ));
    let short = single(&["a"]);
    assert!(matches!(
        LinearModel::fit(&x, &short, &p).unwrap_err(),
        ClassifyError::LengthMismatch { .. }
    ));
    let l = Labels::Single(vec!["a".into(), " ".into()]);
    assert_eq!(
        l.classes().unwrap_err(),
        ClassifyError::EmptyLabel { row: 1 }
    );
    let l = Labels::Single(vec!["a".into(), "zz".into()]);
    let e = l.encode(&["a".to_string(), "b".to_string()]).unwrap_err();
    assert!(e.to_string().contains("\"zz\""), "{e}");
}
