//! Segmenting a whole corpus: every document's paragraphs with their place in the corpus.

use super::{Paragraph, SegmentValidParams};
use crate::corpus::{Body, Corpus, Unit};
use crate::progress::Progress;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// One paragraph with its place in the corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct ParagraphRecord {
    /// Index of the document in [`Corpus::documents`].
    pub doc: usize,
    /// 0-based paragraph number within the document.
    pub para_id: usize,
    /// The paragraph.
    pub para: Paragraph,
    /// Input row (doc_col mode), index into [`Corpus::row_meta`].
    pub row: Option<usize>,
}

/// Per-document segmentation figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocStats {
    /// Paragraphs kept.
    pub n_paragraphs: usize,
    /// Boilerplate pieces dropped.
    pub n_dropped: usize,
    /// Headings recognised.
    pub n_headings: usize,
    /// Title found by segmentation (when the header gave none).
    pub title: Option<String>,
}

/// The segmentation of a whole corpus.
#[derive(Clone, Debug, Default)]
pub struct Segmentation {
    /// All paragraphs, document by document.
    pub paragraphs: Vec<ParagraphRecord>,
    /// One entry per document.
    pub docs: Vec<DocStats>,
    /// Dropped boilerplate by reason.
    pub dropped: BTreeMap<String, usize>,
}

/// Paragraphs (with their input row), stats and drop reasons of one document.
type DocSegments = (
    Vec<(Paragraph, Option<usize>)>,
    DocStats,
    Vec<super::DropReason>,
);

/// Segments every document (in parallel; the result does not depend on the thread count).
pub fn segment_corpus(
    corpus: &Corpus,
    unit: Unit,
    params: &SegmentValidParams,
    progress: &dyn Progress,
) -> Segmentation {
    progress.start("segment", corpus.documents.len() as u64);
    let per_doc: Vec<DocSegments> = corpus
        .documents
        .par_iter()
        .map(|d| {
            let out = match (&d.body, unit) {
                (Body::Text { text, base, .. }, Unit::Document) => (
                    super::whole(text, *base)
                        .into_iter()
                        .map(|p| (p, None))
                        .collect(),
                    DocStats::default(),
                    Vec::new(),
                ),
                (Body::Text { text, base }, Unit::Paragraph) => {
                    let s = super::segment(text, *base, d.title.as_deref(), params);
                    let stats = DocStats {
                        n_dropped: s.dropped.len(),
                        n_headings: s.n_headings,
                        title: s.title,
                        ..Default::default()
                    };
                    (
                        s.paragraphs.into_iter().map(|p| (p, None)).collect(),
                        stats,
                        s.dropped.iter().map(|d| d.reason).collect(),
                    )
                }
                (Body::Rows(rows), Unit::Paragraph) => (
                    rows.iter()
                        .filter_map(|(r, t)| super::whole(t, 0).map(|p| (p, Some(*r))))
                        .collect(),
                    DocStats::default(),
                    Vec::new(),
                ),
                (Body::Rows(rows), Unit::Document) => {
                    let joined = rows
                        .iter()
                        .map(|(_, t)| t.as_str())
                        .collect::<Vec<_>>()
                        .join("\n\n");
                    (
                        super::whole(&joined, 0)
                            .into_iter()
                            .map(|p| (p, None))
                            .collect(),
                        DocStats::default(),
                        Vec::new(),
                    )
                }
            };
            progress.inc(1);
            out
        })
        .collect();
    progress.finish();

    let mut seg = Segmentation::default();
    for (doc, (paras, mut stats, reasons)) in per_doc.into_iter().enumerate() {
        stats.n_paragraphs = paras.len();
        for r in reasons {
            *seg.dropped.entry(r.as_str().to_string()).or_default() += 1;
        }
        for (para_id, (para, row)) in paras.into_iter().enumerate() {
            seg.paragraphs.push(ParagraphRecord {
                doc,
                para_id,
                para,
                row,
            });
        }
        seg.docs.push(stats);
    }
    seg
}
