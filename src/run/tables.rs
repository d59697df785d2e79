//! The Parquet tables of a run directory, built from the stages' results.

use crate::cluster::Assignment;
use crate::corpus::{self, Corpus};
use crate::error::Error;
use crate::export;
use crate::segment::Segmentation;
use crate::topics::Topic;
use polars::prelude::*;

/// Builds `documents.parquet`.
pub fn documents_frame(corpus: &Corpus, seg: &Segmentation) -> Result<DataFrame, Error> {
    let docs = &corpus.documents;
    let n = docs.len();
    let mut cols = vec![
        Column::new(
            "doc_id".into(),
            docs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "title".into(),
            docs.iter()
                .zip(&seg.docs)
                .map(|(d, s)| d.title.clone().or_else(|| s.title.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "date".into(),
            docs.iter()
                .map(|d| d.date.as_deref().and_then(crate::corpus::parse_date))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .map_err(|e| export::ExportError::Table {
            path: "documents.parquet".into(),
            message: e.to_string(),
        })?,
        Column::new(
            "date_raw".into(),
            docs.iter().map(|d| d.date.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            docs.iter().map(|d| d.source.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_paragraphs".into(),
            seg.docs
                .iter()
                .map(|s| s.n_paragraphs as u32)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_headings".into(),
            seg.docs
                .iter()
                .map(|s| s.n_headings as u32)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_dropped".into(),
            seg.docs
                .iter()
                .map(|s| s.n_dropped as u32)
                .collect::<Vec<_>>(),
        ),
    ];
    cols.extend(corpus.doc_meta.iter().map(export::meta_column));
    Ok(export::frame("documents.parquet", n, cols)?)
}

/// Builds `paragraphs.parquet` (the segmentation columns, `extra` stage columns, then the
/// paragraph metadata of doc_col inputs).
pub fn paragraphs_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    extra: Vec<Column>,
) -> Result<DataFrame, Error> {
    let ps = &seg.paragraphs;
    let mut cols = vec![
        Column::new(
            "doc_id".into(),
            ps.iter()
                .map(|p| corpus.documents[p.doc].id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "para_id".into(),
            ps.iter().map(|p| p.para_id as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "section".into(),
            ps.iter()
                .map(|p| p.para.section.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "text".into(),
            ps.iter().map(|p| p.para.text.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "byte_start".into(),
            ps.iter()
                .map(|p| p.para.byte_start as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "byte_end".into(),
            ps.iter()
                .map(|p| p.para.byte_end as u64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_tokens".into(),
            ps.iter()
                .map(|p| p.para.n_tokens as u32)
                .collect::<Vec<_>>(),
        ),
    ];
    cols.extend(extra);
    if !corpus.row_meta.is_empty() {
        let rows: Vec<usize> = ps.iter().map(|p| p.row.unwrap_or(0)).collect();
        for c in &corpus.row_meta {
            let taken = corpus::MetaColumn {
                name: c.name.clone(),
                values: c.values.take(&rows),
            };
            cols.push(export::meta_column(&taken));
        }
    }
    Ok(export::frame("paragraphs.parquet", ps.len(), cols)?)
}

/// Builds `embeddings.parquet`: one reduced vector (list<f32>) per paragraph.
pub fn embeddings_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    x: ndarray::ArrayView2<f32>,
) -> Result<DataFrame, Error> {
    let ps = &seg.paragraphs;
    let vectors: Vec<Series> = x
        .rows()
        .into_iter()
        .map(|r| Series::new(PlSmallStr::EMPTY, r.to_vec()))
        .collect();
    let cols = vec![
        Column::new(
            "doc_id".into(),
            ps.iter()
                .map(|p| corpus.documents[p.doc].id.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "para_id".into(),
            ps.iter().map(|p| p.para_id as u32).collect::<Vec<_>>(),
        ),
        Column::new("vector".into(), vectors),
    ];
    Ok(export::frame("embeddings.parquet", ps.len(), cols)?)
}

/// The topic columns of `paragraphs.parquet`: `topic_id` (i32), `topic_label`, `topic_prob`
/// (f32, the soft membership of the assigned topic) and `topic_distance` (f32, the Euclidean
/// distance to the topic's centroid).
pub fn topic_columns(a: &Assignment, topics: &[Topic]) -> Vec<Column> {
    vec![
        Column::new(
            "topic_id".into(),
            a.labels.iter().map(|&l| l as i32).collect::<Vec<_>>(),
        ),
        Column::new(
            "topic_label".into(),
            a.labels
                .iter()
                .map(|&l| topics[l].label.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new("topic_prob".into(), a.prob.clone()),
        Column::new("topic_distance".into(), a.distance.clone()),
    ]
}

/// The label columns of `paragraphs.parquet`, per dimension: `<dim>` (chosen label, null
/// when unsure), `<dim>_score` (f32) and `<dim>__<label>` (f32) for every label.
pub fn label_columns(dims: &[crate::label::DimensionLabels]) -> Vec<Column> {
    let mut cols = Vec::new();
    for d in dims {
        cols.push(Column::new(d.name.as_str().into(), d.chosen.clone()));
        cols.push(Column::new(
            format!("{}_score", d.name).into(),
            d.score.clone(),
        ));
        for (l, s) in d.labels.iter().zip(&d.scores) {
            cols.push(Column::new(format!("{}__{}", d.name, l).into(), s.clone()));
        }
    }
    cols
}

/// Builds `topics.parquet`.
pub fn topics_frame(
    corpus: &Corpus,
    seg: &Segmentation,
    topics: &[Topic],
) -> Result<DataFrame, Error> {
    topics_frame_with(topics, |i| {
        let p = &seg.paragraphs[i];
        (corpus.documents[p.doc].id.clone(), p.para_id as u32)
    })
}

/// Builds `topics.parquet`, with `ids` giving the document and paragraph id of a paragraph
/// by index.
pub fn topics_frame_with(
    topics: &[Topic],
    ids: impl Fn(usize) -> (String, u32),
) -> Result<DataFrame, Error> {
    let n: usize = topics.iter().map(|t| t.size).sum::<usize>().max(1);
    let list_str = |v: &[String]| Series::new(PlSmallStr::EMPTY, v.to_vec());
    let cols = vec![
        Column::new(
            "topic_id".into(),
            topics.iter().map(|t| t.id as i32).collect::<Vec<_>>(),
        ),
        Column::new(
            "size".into(),
            topics.iter().map(|t| t.size as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "share".into(),
            topics
                .iter()
                .map(|t| t.size as f64 / n as f64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "label".into(),
            topics.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "top_terms".into(),
            topics
                .iter()
                .map(|t| list_str(&t.terms))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "term_scores".into(),
            topics
                .iter()
                .map(|t| Series::new(PlSmallStr::EMPTY, t.scores.clone()))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "representative_doc_ids".into(),
            topics
                .iter()
                .map(|t| {
                    let ids: Vec<String> = t.representatives.iter().map(|&i| ids(i).0).collect();
                    list_str(&ids)
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "representative_para_ids".into(),
            topics
                .iter()
                .map(|t| {
                    let ids: Vec<u32> = t.representatives.iter().map(|&i| ids(i).1).collect();
                    Series::new(PlSmallStr::EMPTY, ids)
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "stability".into(),
            topics.iter().map(|t| t.stability).collect::<Vec<_>>(),
        ),
        Column::new(
            "label_from".into(),
            topics.iter().map(|t| t.label_from).collect::<Vec<&str>>(),
        ),
    ];
    Ok(export::frame("topics.parquet", topics.len(), cols)?)
}
