//! Sparse matrices as linfa records: [`SparseRecords`], so that stages fitted on `sprs`
//! matrices (the LSA) can implement linfa's `Fit` and `Transformer`.
//!
//! linfa implements [`linfa::dataset::Records`] for `ndarray` arrays only, and the orphan
//! rule forbids implementing it here for [`sprs::CsMat`] (both foreign), hence the newtype.

use sprs::CsMat;

/// A borrowed sparse matrix (CSR or CSC; rows = samples, columns = features) usable as the
/// records of a [`linfa::DatasetBase`]:
///
/// ```
/// use linfa::dataset::Records;
/// use rhetor::linfa_records::SparseRecords;
/// let x = sprs::CsMat::<f64>::zero((3, 5));
/// let ds = linfa::DatasetBase::new(SparseRecords(&x), ());
/// assert_eq!((ds.records.nsamples(), ds.records.nfeatures()), (3, 5));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SparseRecords<'a>(pub &'a CsMat<f64>);

impl linfa::dataset::Records for SparseRecords<'_> {
    type Elem = f64;

    /// Rows of the matrix.
    fn nsamples(&self) -> usize {
        self.0.rows()
    }

    /// Columns of the matrix.
    fn nfeatures(&self) -> usize {
        self.0.cols()
    }
}

#[cfg(test)]
mod tests {
    use super::SparseRecords;
    use linfa::dataset::Records;

    #[test]
    fn samples_are_rows_and_features_are_columns_for_csr_and_csc() {
        let mut t = sprs::TriMat::new((4, 7));
        t.add_triplet(3, 6, 1.0);
        let csr: sprs::CsMat<f64> = t.to_csr();
        let csc = csr.to_csc();
        for x in [&csr, &csc] {
            let r = SparseRecords(x);
            assert_eq!((r.nsamples(), r.nfeatures()), (4, 7));
        }
    }
}
