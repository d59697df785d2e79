//! Parameters of the topic clustering.

use ndarray::{ArrayBase, ArrayView2, Data, Ix2};
use serde::{Deserialize, Serialize};

use super::error::{ClusterError, ClusterParamsError};
use super::kmeans::{self, Clustering};

/// Parameters of the k-means topic clustering (a TOML/JSON table; unknown keys are
/// rejected, missing ones take the defaults below).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterParams {
    /// Number of topics. `None` (the default) chooses it automatically among
    /// `k_min..=k_max` by the mean silhouette coefficient (see [`ClusterValidParams::fit`]).
    pub k: Option<usize>,
    /// Smallest number of topics tried by the automatic choice (default 2, at least 2).
    pub k_min: usize,
    /// Largest number of topics tried by the automatic choice (default 12).
    pub k_max: usize,
    /// Number of k-means++ restarts; the one with the lowest inertia is kept (default 10).
    pub n_init: usize,
    /// Maximum number of Lloyd iterations per restart (default 300).
    pub max_iter: usize,
    /// Convergence tolerance, relative to the mean per-column variance of the data, on the
    /// summed squared centroid shift between two iterations (default 1e-4, as scikit-learn).
    pub tol: f64,
    /// Largest number of rows (a seeded random sample) on which the silhouette of each
    /// candidate `k` is computed (default 2,000; cost grows with its square).
    pub silhouette_sample: usize,
    /// Re-fits per k for the stability of the topics (default 0: not measured). Each re-fit
    /// has its own seed and a random `stability_sample` fraction of the paragraphs; a topic's
    /// stability is the mean Jaccard overlap of its members with its Hungarian-matched topic
    /// of each re-fit (Greene, O'Callaghan & Cunningham 2014).
    pub stability_runs: usize,
    /// Fraction of the paragraphs each stability re-fit sees (default 0.8, in `(0, 1]`; 1.0
    /// changes only the seed).
    pub stability_sample: f64,
    /// How the automatic k is chosen: by the mean silhouette (default) or by the stability
    /// (needs `stability_runs ≥ 2`).
    pub choose_k: ChooseK,
}

/// The criterion of the automatic choice of k.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChooseK {
    /// The highest mean silhouette.
    #[default]
    Silhouette,
    /// The highest stability across re-fits.
    Stability,
}

impl ChooseK {
    /// Its name in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            ChooseK::Silhouette => "silhouette",
            ChooseK::Stability => "stability",
        }
    }
}

impl Default for ClusterParams {
    fn default() -> Self {
        Self {
            k: None,
            k_min: 2,
            k_max: 12,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            silhouette_sample: 2000,
            stability_runs: 0,
            stability_sample: 0.8,
            choose_k: ChooseK::Silhouette,
        }
    }
}

/// Checked [`ClusterParams`], ready to [`fit`](ClusterValidParams::fit).
///
/// Also a linfa algorithm: [`linfa::traits::Fit`] on a [`linfa::DatasetBase`] of `f32`
/// records gives the same [`Clustering`] as [`fit`](ClusterValidParams::fit) with seed
/// [`DEFAULT_SEED`] (42); [`with_seed`](ClusterValidParams::with_seed) gives params that fit
/// with another. `#[repr(transparent)]`, for linfa's `ParamGuard::check_ref`.
#[derive(Clone, Debug, PartialEq)]
#[repr(transparent)]
pub struct ClusterValidParams {
    params: ClusterParams,
}

/// The seed of [`ClusterValidParams`]' linfa `Fit` (42, as linfa's own k-means default
/// `Xoshiro256Plus::seed_from_u64(42)`); [`ClusterValidParams::with_seed`] sets another.
pub const DEFAULT_SEED: u64 = 42;

/// [`ClusterValidParams`] with a seed, for linfa's `Fit`, which takes no seed argument (made
/// by [`ClusterValidParams::with_seed`]). Fitting gives the same bits as
/// [`ClusterValidParams::fit`] with that seed.
///
/// A separate type rather than a seed field in [`ClusterValidParams`]: linfa's
/// `ParamGuard::check_ref` must return a `&ClusterValidParams` borrowed from the
/// [`ClusterParams`] it checks, which holds no seed (as the LSA's `SeededReduceParams`).
#[derive(Clone, Debug, PartialEq)]
pub struct SeededClusterParams {
    params: ClusterValidParams,
    seed: u64,
}

impl SeededClusterParams {
    /// The checked params.
    pub fn params(&self) -> &ClusterValidParams {
        &self.params
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl ClusterParams {
    /// Checks every rule (each is independent of the data): `k ≠ Some(0)`, `n_init ≥ 1`,
    /// `max_iter ≥ 1`, `tol` finite and `≥ 0`, `k_min ≥ 2`, `k_min ≤ k_max`,
    /// `silhouette_sample ≥ 2`. The range rules apply even when `k` is given.
    pub fn check(&self) -> Result<ClusterValidParams, ClusterParamsError> {
        self.validate()?;
        Ok(ClusterValidParams {
            params: self.clone(),
        })
    }

    /// The validation rules, shared by [`check`](Self::check) and linfa's `ParamGuard`.
    fn validate(&self) -> Result<(), ClusterParamsError> {
        if self.k == Some(0) {
            return Err(ClusterParamsError::ZeroK);
        }
        if self.n_init == 0 {
            return Err(ClusterParamsError::ZeroNInit(self.n_init));
        }
        if self.max_iter == 0 {
            return Err(ClusterParamsError::ZeroMaxIter(self.max_iter));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(ClusterParamsError::InvalidTol(self.tol));
        }
        if self.k_min < 2 {
            return Err(ClusterParamsError::KMinTooSmall(self.k_min));
        }
        if self.k_min > self.k_max {
            return Err(ClusterParamsError::KRangeEmpty {
                k_min: self.k_min,
                k_max: self.k_max,
            });
        }
        if self.silhouette_sample < 2 {
            return Err(ClusterParamsError::SilhouetteSampleTooSmall(
                self.silhouette_sample,
            ));
        }
        if !(self.stability_sample > 0.0 && self.stability_sample <= 1.0) {
            return Err(ClusterParamsError::StabilitySample(self.stability_sample));
        }
        if self.choose_k == ChooseK::Stability && self.stability_runs < 2 {
            return Err(ClusterParamsError::ChooseKNeedsRuns(self.stability_runs));
        }
        Ok(())
    }
}

impl ClusterValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &ClusterParams {
        &self.params
    }

    /// These params with a `seed`, to fit through linfa's `Fit` (whose `fit` has no seed
    /// argument; `Fit` on `ClusterValidParams` itself uses [`DEFAULT_SEED`]). The inherent
    /// [`fit`](Self::fit) takes its seed as an argument.
    pub fn with_seed(self, seed: u64) -> SeededClusterParams {
        SeededClusterParams { params: self, seed }
    }

    /// Clusters the rows of `x` (paragraph embeddings, normally l2-normalised: LSA output or
    /// sentence embeddings) with k-means. `seed` drives every random choice; the result is
    /// bit-identical for any number of rayon threads.
    ///
    /// **Fixed `k`**: k-means++ (greedy, `2 + ⌊ln k⌋` local trials) then Lloyd iterations,
    /// `n_init` restarts, the lowest inertia kept. `k` larger than the number of rows is
    /// [`ClusterError::TooFewRows`].
    ///
    /// **Automatic `k`** (`k = None`): every `k` in the search range is fitted as above and
    /// scored by the mean silhouette coefficient (Euclidean distance between rows, as
    /// scikit-learn's `silhouette_score`) on one seeded sample of at most
    /// `silhouette_sample` rows shared by all candidates; the highest score wins, ties going
    /// to the smaller `k`. The silhouette is used because, unlike inertia, it does not
    /// improve mechanically with `k`: it rewards topics that are tight *and* apart from the
    /// nearest other topic, needs no labelled data, and is what scikit-learn users compare.
    /// The search range is `lo..=hi` with `lo = min(k_min, n − 1)` and
    /// `hi = min(k_max, n − 1, max(lo, ⌊√(n / 2)⌋))` for `n` rows: the silhouette is only
    /// defined for `2 ≤ k ≤ n − 1`, and more topics than the rule of thumb k ≈ √(n/2) are not
    /// tried (the silhouette of TF-IDF vectors tends to grow with k on small corpora, which
    /// would otherwise split a few essays into many two-paragraph topics).
    /// When the range had to be narrowed this way a warning says so. With fewer than 3 rows
    /// no `k ≥ 2` can be scored: all rows form one topic (`k = 1`) and a warning says why.
    ///
    /// Topics are numbered canonically: topic 0 is the largest, ties broken by the smallest
    /// row index among the members (empty topics, possible only with duplicate rows, come
    /// last and are reported in a warning).
    pub fn fit(&self, x: ArrayView2<f32>, seed: u64) -> Result<Clustering, ClusterError> {
        kmeans::fit(&self.params, x, seed, None, &crate::progress::NoProgress)
    }

    /// [`fit`](Self::fit), reporting to `progress`: one unit per k-means restart (message
    /// `k 7 of 2..=12, restart 3/10`), then, for automatic k, a `silhouette` step with one
    /// unit per sampled row. The result does not depend on it.
    pub fn fit_with_progress(
        &self,
        x: ArrayView2<f32>,
        seed: u64,
        progress: &dyn crate::progress::Progress,
    ) -> Result<Clustering, ClusterError> {
        kmeans::fit(&self.params, x, seed, None, progress)
    }

    /// [`fit_with_progress`](Self::fit_with_progress) with guided topics: the rows of
    /// `seeds` (seed centres, e.g. the mean embedding of the paragraphs holding a topic's seed
    /// words) are the first k-means centres of every restart, the others drawn by k-means++
    /// given them; Lloyd iterations then move all of them. [`Clustering::seeded`] gives the
    /// topic each seed became. k must be at least the number of seeds (the automatic search
    /// starts there).
    pub fn fit_seeded(
        &self,
        x: ArrayView2<f32>,
        seed: u64,
        seeds: ArrayView2<f32>,
        progress: &dyn crate::progress::Progress,
    ) -> Result<Clustering, ClusterError> {
        kmeans::fit(&self.params, x, seed, Some(seeds), progress)
    }
}

/// linfa's parameter guard: the rules of [`ClusterParams::check`], which stays the method
/// the rest of rhetor calls. Through linfa's blanket impl, unchecked [`ClusterParams`] fit
/// too, checked first (an invalid value gives [`ClusterError::Params`]).
impl linfa::ParamGuard for ClusterParams {
    type Checked = ClusterValidParams;
    type Error = ClusterParamsError;

    /// Checks `self` and, when valid, returns `self` itself seen as checked params: no
    /// checked copy has to be stored, since [`ClusterValidParams`] is `#[repr(transparent)]`
    /// over a [`ClusterParams`].
    fn check_ref(&self) -> Result<&ClusterValidParams, ClusterParamsError> {
        self.validate()?;
        // SAFETY: `ClusterValidParams` is `#[repr(transparent)]` with `ClusterParams` as its
        // only field, so both have the same layout and validity: the reference is valid as a
        // `&ClusterValidParams` for the same lifetime. The params were just validated.
        Ok(unsafe { &*(self as *const ClusterParams).cast::<ClusterValidParams>() })
    }

    /// [`ClusterParams::check`] without the copy.
    fn check(self) -> Result<ClusterValidParams, ClusterParamsError> {
        self.validate()?;
        Ok(ClusterValidParams { params: self })
    }
}

/// k-means as a linfa algorithm with seed [`DEFAULT_SEED`]: `Fit::fit(&params, &dataset)`
/// is [`ClusterValidParams::fit`]`(dataset.records().view(), DEFAULT_SEED)` (the targets
/// are ignored). Call it as `linfa::traits::Fit::fit(&params, &dataset)`: the inherent
/// `fit` has the same name.
impl<D, T> linfa::traits::Fit<ArrayBase<D, Ix2>, T, ClusterError> for ClusterValidParams
where
    D: Data<Elem = f32>,
{
    type Object = Clustering;

    fn fit(
        &self,
        dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Clustering, ClusterError> {
        kmeans::fit(
            &self.params,
            dataset.records().view(),
            DEFAULT_SEED,
            None,
            &crate::progress::NoProgress,
        )
    }
}

/// k-means as a linfa algorithm with the stored seed: the same bits as
/// [`ClusterValidParams::fit`]`(dataset.records().view(), seed)`.
impl<D, T> linfa::traits::Fit<ArrayBase<D, Ix2>, T, ClusterError> for SeededClusterParams
where
    D: Data<Elem = f32>,
{
    type Object = Clustering;

    fn fit(
        &self,
        dataset: &linfa::DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Clustering, ClusterError> {
        kmeans::fit(
            &self.params.params,
            dataset.records().view(),
            self.seed,
            None,
            &crate::progress::NoProgress,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut ClusterParams)) -> Result<ClusterValidParams, ClusterParamsError> {
        let mut p = ClusterParams::default();
        f(&mut p);
        p.check()
    }

    #[test]
    fn defaults_are_valid() {
        let p = ClusterParams::default();
        assert_eq!(p.k, None);
        assert_eq!((p.k_min, p.k_max, p.n_init, p.max_iter), (2, 12, 10, 300));
        assert_eq!(p.tol, 1e-4);
        assert_eq!(p.silhouette_sample, 2000);
        assert!(p.check().is_ok());
    }

    #[test]
    fn k_zero_is_rejected() {
        let e = with(|p| p.k = Some(0)).unwrap_err();
        assert_eq!(e, ClusterParamsError::ZeroK);
        assert!(e.to_string().contains("k = 0"));
        assert!(with(|p| p.k = Some(1)).is_ok());
    }

    #[test]
    fn n_init_zero_is_rejected() {
        let e = with(|p| p.n_init = 0).unwrap_err();
        assert_eq!(e, ClusterParamsError::ZeroNInit(0));
        assert!(e.to_string().contains("got 0"));
    }

    #[test]
    fn max_iter_zero_is_rejected() {
        let e = with(|p| p.max_iter = 0).unwrap_err();
        assert_eq!(e, ClusterParamsError::ZeroMaxIter(0));
        assert!(e.to_string().contains("max_iter"));
    }

    #[test]
    fn negative_or_non_finite_tol_is_rejected() {
        let e = with(|p| p.tol = -1e-3).unwrap_err();
        assert_eq!(e, ClusterParamsError::InvalidTol(-1e-3));
        assert!(e.to_string().contains("-0.001"));
        assert!(matches!(
            with(|p| p.tol = f64::NAN),
            Err(ClusterParamsError::InvalidTol(_))
        ));
        assert!(matches!(
            with(|p| p.tol = f64::INFINITY),
            Err(ClusterParamsError::InvalidTol(_))
        ));
        assert!(with(|p| p.tol = 0.0).is_ok());
    }

    #[test]
    fn k_min_above_k_max_is_rejected() {
        let e = with(|p| {
            p.k_min = 9;
            p.k_max = 4;
        })
        .unwrap_err();
        assert_eq!(e, ClusterParamsError::KRangeEmpty { k_min: 9, k_max: 4 });
        assert!(e.to_string().contains("k_min = 9") && e.to_string().contains("k_max = 4"));
        assert!(with(|p| {
            p.k_min = 4;
            p.k_max = 4;
        })
        .is_ok());
    }

    #[test]
    fn k_min_below_two_is_rejected() {
        for k_min in [0, 1] {
            let e = with(|p| p.k_min = k_min).unwrap_err();
            assert_eq!(e, ClusterParamsError::KMinTooSmall(k_min));
            assert!(e.to_string().contains(&format!("got {k_min}")));
        }
    }

    #[test]
    fn tiny_silhouette_sample_is_rejected() {
        let e = with(|p| p.silhouette_sample = 1).unwrap_err();
        assert_eq!(e, ClusterParamsError::SilhouetteSampleTooSmall(1));
        assert!(e.to_string().contains("got 1"));
    }

    #[test]
    fn serde_defaults_and_unknown_keys() {
        let p: ClusterParams = serde_json::from_str(r#"{"k": 5, "n_init": 3}"#).unwrap();
        assert_eq!(p.k, Some(5));
        assert_eq!(p.n_init, 3);
        assert_eq!(p.max_iter, 300);
        let e = serde_json::from_str::<ClusterParams>(r#"{"kk": 5}"#).unwrap_err();
        assert!(e.to_string().contains("kk"));
        let back: ClusterParams =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}

#[cfg(test)]
mod linfa_tests {
    use super::*;

    /// One case per rule of [`ClusterParams::check`]: the guard rejects exactly the same.
    #[test]
    fn param_guard_rejects_what_check_rejects() {
        let cases: Vec<ClusterParams> = vec![
            ClusterParams::default(),
            ClusterParams {
                k: Some(0),
                ..Default::default()
            },
            ClusterParams {
                n_init: 0,
                ..Default::default()
            },
            ClusterParams {
                max_iter: 0,
                ..Default::default()
            },
            ClusterParams {
                tol: f64::NAN,
                ..Default::default()
            },
            ClusterParams {
                tol: -1.0,
                ..Default::default()
            },
            ClusterParams {
                k_min: 1,
                ..Default::default()
            },
            ClusterParams {
                k_min: 5,
                k_max: 4,
                ..Default::default()
            },
            ClusterParams {
                silhouette_sample: 1,
                ..Default::default()
            },
            ClusterParams {
                stability_sample: 0.0,
                ..Default::default()
            },
            ClusterParams {
                stability_sample: 1.5,
                ..Default::default()
            },
            ClusterParams {
                choose_k: ChooseK::Stability,
                stability_runs: 1,
                ..Default::default()
            },
            ClusterParams {
                choose_k: ChooseK::Stability,
                stability_runs: 2,
                ..Default::default()
            },
        ];
        for p in cases {
            // Errors compared by message: `InvalidTol(NaN)` is not equal to itself.
            let msg = |e: ClusterParamsError| e.to_string();
            let inherent = ClusterParams::check(&p).map_err(msg);
            let by_ref = linfa::ParamGuard::check_ref(&p).cloned().map_err(msg);
            let by_value = linfa::ParamGuard::check(p.clone()).map_err(msg);
            assert_eq!(by_ref, inherent, "{p:?}");
            assert_eq!(by_value, inherent, "{p:?}");
            if inherent.is_ok() {
                // `check_ref` returns `p` itself, seen as checked params.
                let r = linfa::ParamGuard::check_ref(&p).unwrap();
                assert!(std::ptr::eq(r.params(), &p));
            }
        }
    }

    #[test]
    fn with_seed_keeps_the_params() {
        let p = ClusterParams::default().check().unwrap();
        let s = p.clone().with_seed(7);
        assert_eq!((s.seed(), s.params()), (7, &p));
    }
}
