//! linfa's traits for the LSA: `ParamGuard` on [`ReduceParams`], `Fit` on
//! [`ReduceValidParams`] and [`SeededReduceParams`] (records: [`SparseRecords`]), and
//! `Transformer` on the fitted [`Lsa`] (new rows go through [`project`]).
//!
//! ```
//! use linfa::traits::{Fit, Transformer};
//! use rhetor::embed::lsa::{ReduceParams, SparseRecords};
//! let mut t = sprs::TriMat::new((3, 4));
//! for (r, c, v) in [(0, 0, 1.0), (1, 1, 2.0), (2, 2, 3.0), (2, 3, 1.0)] {
//!     t.add_triplet(r, c, v);
//! }
//! let x: sprs::CsMat<f64> = t.to_csr();
//! let params = ReduceParams { n_components: 2, ..Default::default() };
//! // Checked by linfa's ParamGuard, then fitted with seed 7.
//! let checked = linfa::ParamGuard::check(params).unwrap().with_seed(7);
//! let lsa = checked.fit(&linfa::DatasetBase::new(SparseRecords(&x), ())).unwrap();
//! assert_eq!(lsa, checked.params().fit_transform(&x, 7).unwrap());
//! let new_rows = lsa.transform(SparseRecords(&x)).unwrap();
//! assert_eq!(new_rows.dim(), (3, 2));
//! ```

use linfa::traits::{Fit, Transformer};
use linfa::{DatasetBase, ParamGuard};
use ndarray::Array2;

use super::{project, Lsa, ReduceError, ReduceParams, ReduceParamsError, ReduceValidParams};
use crate::linfa_records::SparseRecords;

/// The seed of [`ReduceValidParams`]'s `Fit` (linfa's `fit` takes no seed argument).
const DEFAULT_SEED: u64 = 0;

/// linfa's parameter guard: the rules of [`ReduceParams::check`], which stays the method
/// the rest of rhetor calls.
impl ParamGuard for ReduceParams {
    type Checked = ReduceValidParams;
    type Error = ReduceParamsError;

    /// Checks `self` and, when valid, returns `self` itself seen as checked params: no
    /// checked copy has to be stored, since [`ReduceValidParams`] is `#[repr(transparent)]`
    /// over a [`ReduceParams`]. (linfa's own params do the reverse, the unchecked type
    /// wrapping the checked one; here `ReduceParams` keeps its public fields.)
    fn check_ref(&self) -> Result<&ReduceValidParams, ReduceParamsError> {
        self.validate()?;
        // SAFETY: `ReduceValidParams` is `#[repr(transparent)]` with `ReduceParams` as its only
        // field, so both have the same layout and validity: the reference is valid as a
        // `&ReduceValidParams` for the same lifetime. The params were just validated.
        Ok(unsafe { &*(self as *const ReduceParams).cast::<ReduceValidParams>() })
    }

    /// [`ReduceParams::check`] without the copy.
    fn check(self) -> Result<ReduceValidParams, ReduceParamsError> {
        self.validate()?;
        Ok(ReduceValidParams { params: self })
    }
}

/// [`ReduceValidParams`] with the seed of the random test matrix, for linfa's `Fit`, which
/// takes no seed argument (made by [`ReduceValidParams::with_seed`]). Fitting gives the same
/// bits as [`ReduceValidParams::fit_transform`] with that seed.
///
/// A separate type rather than a seed field in [`ReduceValidParams`]: linfa's
/// `ParamGuard::check_ref` must return a `&ReduceValidParams` borrowed from the
/// [`ReduceParams`] it checks, which holds no seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededReduceParams {
    params: ReduceValidParams,
    seed: u64,
}

impl SeededReduceParams {
    /// The checked params.
    pub fn params(&self) -> &ReduceValidParams {
        &self.params
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl ReduceValidParams {
    /// These params with a `seed`, to fit through linfa's `Fit` (whose `fit` has no seed
    /// argument; `Fit` on `ReduceValidParams` itself uses seed 0).
    pub fn with_seed(self, seed: u64) -> SeededReduceParams {
        SeededReduceParams { params: self, seed }
    }
}

/// Fits with seed 0: the same bits as `self.fit_transform(records, 0)`; use
/// [`ReduceValidParams::with_seed`] for another seed. Through linfa's blanket impl,
/// unchecked [`ReduceParams`] fit too, checked first (an invalid value gives
/// [`ReduceError::Params`]).
impl<'a> Fit<SparseRecords<'a>, (), ReduceError> for ReduceValidParams {
    type Object = Lsa;

    fn fit(&self, dataset: &DatasetBase<SparseRecords<'a>, ()>) -> Result<Lsa, ReduceError> {
        self.fit_transform(dataset.records.0, DEFAULT_SEED)
    }
}

/// Fits with the stored seed: the same bits as `params.fit_transform(records, seed)`.
impl<'a> Fit<SparseRecords<'a>, (), ReduceError> for SeededReduceParams {
    type Object = Lsa;

    fn fit(&self, dataset: &DatasetBase<SparseRecords<'a>, ()>) -> Result<Lsa, ReduceError> {
        self.params.fit_transform(dataset.records.0, self.seed)
    }
}

/// Projects new rows onto the fitted components with [`project`] (scikit-learn's
/// `TruncatedSVD.transform`, rows then l2-normalised); the rows must have as many columns
/// as the fitted matrix ([`ReduceError::ColumnMismatch`] otherwise).
impl<'a> Transformer<SparseRecords<'a>, Result<Array2<f32>, ReduceError>> for Lsa {
    fn transform(&self, x: SparseRecords<'a>) -> Result<Array2<f32>, ReduceError> {
        project(self.components.view(), x.0)
    }
}
