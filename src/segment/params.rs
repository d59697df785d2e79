//! Segmentation parameters.

use serde::{Deserialize, Serialize};

/// Parameters of paragraph segmentation (the `[segment]` section of the config).
///
/// Defaults: `max_heading_words = 12`, `max_title_words = 25`, `wrap_width = 100`,
/// `drop_boilerplate = true`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentParams {
    /// A line without final punctuation and at most this many words is a heading (default 12).
    pub max_heading_words: usize,
    /// A title-cased line without final punctuation and at most this many words is a heading
    /// too (default 25).
    pub max_title_words: usize,
    /// Blocks whose lines are all at most this many characters are hard-wrapped text whose
    /// lines are joined; longer lines mean one paragraph per line (default 100).
    pub wrap_width: usize,
    /// Drop link lists and share/subscribe footers, and count them (default true).
    pub drop_boilerplate: bool,
}

impl Default for SegmentParams {
    fn default() -> Self {
        Self {
            max_heading_words: 12,
            max_title_words: 25,
            wrap_width: 100,
            drop_boilerplate: true,
        }
    }
}

/// Checked segmentation parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentValidParams(SegmentParams);

impl SegmentValidParams {
    /// The checked values.
    pub fn params(&self) -> &SegmentParams {
        &self.0
    }
}

/// An invalid segmentation parameter.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SegmentParamsError {
    /// `max_heading_words` is zero.
    #[error("segment.max_heading_words must be at least 1 (max_heading_words = 0)")]
    ZeroHeadingWords,
    /// `max_title_words` is smaller than `max_heading_words`.
    #[error("segment.max_title_words must be at least segment.max_heading_words (max_title_words = {0}, max_heading_words = {1})")]
    TitleWords(usize, usize),
    /// `wrap_width` is too small to mean anything.
    #[error("segment.wrap_width must be at least 20 characters (wrap_width = {0})")]
    WrapWidth(usize),
}

impl SegmentParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<SegmentValidParams, SegmentParamsError> {
        if self.max_heading_words == 0 {
            return Err(SegmentParamsError::ZeroHeadingWords);
        }
        if self.max_title_words < self.max_heading_words {
            return Err(SegmentParamsError::TitleWords(
                self.max_title_words,
                self.max_heading_words,
            ));
        }
        if self.wrap_width < 20 {
            return Err(SegmentParamsError::WrapWidth(self.wrap_width));
        }
        Ok(SegmentValidParams(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(SegmentParams::default().check().is_ok());
    }

    #[test]
    fn max_heading_words_cannot_be_zero() {
        let p = SegmentParams {
            max_heading_words: 0,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(SegmentParamsError::ZeroHeadingWords));
    }

    #[test]
    fn max_title_words_below_heading_words_is_an_error() {
        let p = SegmentParams {
            max_title_words: 5,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(SegmentParamsError::TitleWords(5, 12)));
    }

    #[test]
    fn tiny_wrap_width_is_an_error() {
        let p = SegmentParams {
            wrap_width: 3,
            ..Default::default()
        };
        assert_eq!(p.check(), Err(SegmentParamsError::WrapWidth(3)));
    }
}
