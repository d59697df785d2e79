//! Masked pooling of token embeddings into one vector per sequence, as sentence-transformers'
//! `Pooling` module does, and its `Normalize` module (L2).

use std::path::Path;

use ndarray::{Array1, ArrayView2};
use serde::Deserialize;

use super::TransformerError;

/// One way to pool token embeddings; a folder may ask for several, which are concatenated in
/// sentence-transformers' order (cls, max, mean, mean-sqrt-len).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolingMode {
    /// The first token's embedding (`[CLS]`).
    Cls,
    /// Element-wise maximum over the unmasked tokens.
    Max,
    /// Mean over the unmasked tokens.
    Mean,
    /// Sum over the unmasked tokens divided by the square root of their count.
    MeanSqrtLen,
}

/// `1_Pooling/config.json` of a sentence-transformers folder.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PoolingConfig {
    pub word_embedding_dimension: usize,
    #[serde(default)]
    pub pooling_mode_cls_token: bool,
    #[serde(default)]
    pub pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pub pooling_mode_max_tokens: bool,
    #[serde(default)]
    pub pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pub pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pub pooling_mode_lasttoken: bool,
    #[serde(default)]
    pub include_prompt: Option<bool>,
}

impl PoolingConfig {
    /// The modes asked for, in the order sentence-transformers concatenates them.
    pub(crate) fn modes(&self, path: &Path) -> Result<Vec<PoolingMode>, TransformerError> {
        if self.pooling_mode_weightedmean_tokens || self.pooling_mode_lasttoken {
            return Err(TransformerError::Pooling {
                path: path.to_path_buf(),
                message: "weighted-mean and last-token pooling are not supported \
                          (only cls, max, mean and mean_sqrt_len)"
                    .into(),
            });
        }
        if self.include_prompt == Some(false) {
            return Err(TransformerError::Pooling {
                path: path.to_path_buf(),
                message: "include_prompt = false is not supported".into(),
            });
        }
        let mut modes = Vec::new();
        if self.pooling_mode_cls_token {
            modes.push(PoolingMode::Cls);
        }
        if self.pooling_mode_max_tokens {
            modes.push(PoolingMode::Max);
        }
        if self.pooling_mode_mean_tokens {
            modes.push(PoolingMode::Mean);
        }
        if self.pooling_mode_mean_sqrt_len_tokens {
            modes.push(PoolingMode::MeanSqrtLen);
        }
        if modes.is_empty() {
            return Err(TransformerError::Pooling {
                path: path.to_path_buf(),
                message: "no pooling mode is enabled".into(),
            });
        }
        Ok(modes)
    }
}

/// Pools one sequence's token embeddings (`tokens × hidden`) under its attention mask
/// (1 = real token, 0 = padding). Padding never contributes; a sequence whose mask is all
/// zeros gives zeros for mean pooling (sentence-transformers clamps the count at 1e-9) and
/// -1e9 for max pooling (its fill value).
pub fn pool(hidden: ArrayView2<'_, f32>, mask: &[u32], mode: PoolingMode) -> Array1<f32> {
    let dim = hidden.ncols();
    match mode {
        PoolingMode::Cls => hidden.row(0).to_owned(),
        PoolingMode::Max => {
            let mut out = Array1::from_elem(dim, f32::NEG_INFINITY);
            for (row, &m) in hidden.rows().into_iter().zip(mask) {
                if m != 0 {
                    out.zip_mut_with(&row, |o, &v| *o = o.max(v));
                }
            }
            out.mapv_inplace(|v| if v == f32::NEG_INFINITY { -1e9 } else { v });
            out
        }
        PoolingMode::Mean | PoolingMode::MeanSqrtLen => {
            let mut sum = Array1::<f32>::zeros(dim);
            let mut count = 0.0f32;
            for (row, &m) in hidden.rows().into_iter().zip(mask) {
                if m != 0 {
                    sum += &row;
                    count += 1.0;
                }
            }
            let denom = if mode == PoolingMode::Mean {
                count.max(1e-9)
            } else {
                count.max(1e-9).sqrt()
            };
            sum / denom
        }
    }
}

/// Pools with every mode in `modes` and concatenates the results.
pub fn pool_all(hidden: ArrayView2<'_, f32>, mask: &[u32], modes: &[PoolingMode]) -> Array1<f32> {
    let parts: Vec<Array1<f32>> = modes.iter().map(|&m| pool(hidden, mask, m)).collect();
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(ndarray::Axis(0), &views).unwrap_or_else(|_| Array1::zeros(0))
}

/// L2-normalises `v` in place as `torch.nn.functional.normalize` does (norm clamped at 1e-12).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    // 4 tokens × 3 dims, last token is padding.
    fn hidden() -> ndarray::Array2<f32> {
        array![
            [1.0, -2.0, 3.0],
            [3.0, 4.0, -1.0],
            [-1.0, 0.0, 5.0],
            [100.0, 100.0, 100.0]
        ]
    }
    const MASK: [u32; 4] = [1, 1, 1, 0];

    #[test]
    fn mean_ignores_padding() {
        let p = pool(hidden().view(), &MASK, PoolingMode::Mean);
        assert_eq!(p, array![1.0, 2.0 / 3.0, 7.0 / 3.0]);
    }

    #[test]
    fn max_ignores_padding() {
        let p = pool(hidden().view(), &MASK, PoolingMode::Max);
        assert_eq!(p, array![3.0, 4.0, 5.0]);
    }

    #[test]
    fn cls_is_first_token() {
        let p = pool(hidden().view(), &MASK, PoolingMode::Cls);
        assert_eq!(p, array![1.0, -2.0, 3.0]);
    }

    #[test]
    fn mean_sqrt_len() {
        let p = pool(hidden().view(), &MASK, PoolingMode::MeanSqrtLen);
        let s = 3f32.sqrt();
        assert_eq!(p, array![3.0 / s, 2.0 / s, 7.0 / s]);
    }

    #[test]
    fn all_masked_is_finite() {
        let m = [0, 0, 0, 0];
        assert_eq!(
            pool(hidden().view(), &m, PoolingMode::Mean),
            array![0.0, 0.0, 0.0]
        );
        assert_eq!(
            pool(hidden().view(), &m, PoolingMode::Max),
            array![-1e9, -1e9, -1e9]
        );
    }

    #[test]
    fn concatenation_order() {
        let p = pool_all(
            hidden().view(),
            &MASK,
            &[PoolingMode::Cls, PoolingMode::Max, PoolingMode::Mean],
        );
        assert_eq!(p.len(), 9);
        assert_eq!(p[0], 1.0);
        assert_eq!(p[3], 3.0);
        assert_eq!(p[6], 1.0);
    }

    #[test]
    fn normalize() {
        let mut v = [3.0, 4.0];
        l2_normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut z = [0.0, 0.0];
        l2_normalize(&mut z);
        assert_eq!(z, [0.0, 0.0]);
    }
}
