//! Reading hand-coded samples: the file `rhetor sample` wrote, filled in by one or more
//! coders (one copy per coder, concatenated, or one file with a `coder` column).

use super::run_data::{Dimension, RunData};
use super::ValidateError;
use crate::corpus::{MetaColumn, MetaValues};
use crate::label::Kind;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// One code: a coder's label(s) for a paragraph in a dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    /// Paragraph (row of the run's paragraphs).
    pub para: usize,
    /// Coder (index into [`Coded::coders`]).
    pub coder: usize,
    /// Label indices (exactly one for single-label dimensions), sorted.
    pub labels: Vec<usize>,
}

/// The codes of one dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct CodedDim {
    /// The dimension (index into the run's dimensions).
    pub dim: usize,
    /// Every code, in file order.
    pub codes: Vec<Code>,
}

/// A coded sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Coded {
    /// The file.
    pub path: PathBuf,
    /// Coder names (`coder` column; one unnamed coder when the file has none).
    pub coders: Vec<String>,
    /// Per coded paragraph: its inclusion probability, when the file has `inclusion_prob`.
    pub inclusion_prob: HashMap<usize, f64>,
    /// Dimensions with at least one code.
    pub dims: Vec<CodedDim>,
}

/// Text of a cell (numbers as written), trimmed; `None` when empty.
pub(crate) fn cell(c: &MetaColumn, row: usize) -> Option<String> {
    let s = match &c.values {
        MetaValues::Str(v) => v[row].clone(),
        MetaValues::Int(v) => v[row].map(|x| x.to_string()),
        MetaValues::Float(v) => v[row].map(|x| x.to_string()),
        MetaValues::Bool(v) => v[row].map(|x| x.to_string()),
    }?;
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A column by name, or a clear error.
pub(crate) fn column<'a>(
    path: &Path,
    columns: &'a [MetaColumn],
    name: &str,
    hint: &str,
) -> Result<&'a MetaColumn, ValidateError> {
    columns
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| ValidateError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            hint: hint.to_string(),
            available: columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Reads a coded sample and checks it against the run: every row names a paragraph of the
/// run, the `run_id` (when present) is the run's, every code is a label of its dimension,
/// and no coder gives one paragraph two different codes.
pub fn read(path: &Path, run: &RunData, separator: char) -> Result<Coded, ValidateError> {
    let (n_rows, columns, _skipped) = crate::corpus::read_columns(path, separator)?;
    let doc_col = column(
        path,
        &columns,
        "doc_id",
        " (the sample file's document id column)",
    )?;
    let para_col = column(
        path,
        &columns,
        "para_id",
        " (the sample file's paragraph number column)",
    )?;
    let coder_col = columns.iter().find(|c| c.name == "coder");
    let prob_col = columns.iter().find(|c| c.name == "inclusion_prob");
    if let Some(c) = columns.iter().find(|c| c.name == "run_id") {
        for row in 0..n_rows {
            if let Some(found) = cell(c, row) {
                if found != run.run_id {
                    return Err(ValidateError::OtherRun {
                        path: path.to_path_buf(),
                        found,
                        expected: run.run_id.clone(),
                    });
                }
            }
        }
    }
    let dim_cols: Vec<(usize, &MetaColumn)> = run
        .dims
        .iter()
        .enumerate()
        .filter_map(|(i, d)| columns.iter().find(|c| c.name == d.name).map(|c| (i, c)))
        .collect();
    if dim_cols.is_empty() {
        return Err(ValidateError::NoCodedDimension {
            path: path.to_path_buf(),
            dimensions: run
                .dims
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let index = run.index();
    let mut coders: Vec<String> = Vec::new();
    let mut inclusion_prob = HashMap::new();
    let mut unknown_paras: Vec<String> = Vec::new();
    let mut rows: Vec<Option<(usize, usize)>> = Vec::with_capacity(n_rows);
    for row in 0..n_rows {
        let line = row + 1;
        let doc = cell(doc_col, row);
        let para = cell(para_col, row);
        let (Some(doc), Some(para)) = (doc, para) else {
            // A blank line at the end of a spreadsheet export.
            rows.push(None);
            continue;
        };
        let para_id: u32 = para.parse().map_err(|_| ValidateError::BadValue {
            path: path.to_path_buf(),
            row: line,
            column: "para_id".into(),
            value: para.clone(),
            expected: "a paragraph number (0, 1, 2, …)",
        })?;
        let Some(&p) = index.get(&(doc.as_str(), para_id)) else {
            unknown_paras.push(format!("{doc}/{para_id} (row {line})"));
            rows.push(None);
            continue;
        };
        let coder = coder_col.and_then(|c| cell(c, row)).unwrap_or_default();
        let k = match coders.iter().position(|c| *c == coder) {
            Some(k) => k,
            None => {
                coders.push(coder);
                coders.len() - 1
            }
        };
        if let Some(c) = prob_col {
            if let Some(v) = cell(c, row) {
                let x: f64 = v
                    .parse()
                    .ok()
                    .filter(|x: &f64| *x > 0.0 && *x <= 1.0)
                    .ok_or_else(|| ValidateError::BadValue {
                        path: path.to_path_buf(),
                        row: line,
                        column: "inclusion_prob".into(),
                        value: v.clone(),
                        expected: "a probability in (0, 1]",
                    })?;
                inclusion_prob.insert(p, x);
            }
        }
        rows.push(Some((p, k)));
    }
    if !unknown_paras.is_empty() {
        return Err(ValidateError::UnknownParagraphs {
            path: path.to_path_buf(),
            count: unknown_paras.len(),
            examples: unknown_paras
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let mut dims = Vec::new();
    for (di, col) in dim_cols {
        let d: &Dimension = &run.dims[di];
        let mut codes: Vec<Code> = Vec::new();
        let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
        let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
        for (row, r) in rows.iter().enumerate() {
            let (Some((p, k)), Some(v)) = (r, cell(col, row)) else {
                continue;
            };
            let mut labels = Vec::new();
            for l in d.split(&v) {
                match d.label_index(l) {
                    Some(i) => labels.push(i),
                    None => {
                        unknown.entry(l.to_string()).or_insert(row + 1);
                    }
                }
            }
            if d.kind == Kind::Single && labels.len() > 1 {
                unknown.entry(v.clone()).or_insert(row + 1);
            }
            labels.sort_unstable();
            labels.dedup();
            if labels.is_empty() {
                continue;
            }
            let code = Code {
                para: *p,
                coder: *k,
                labels,
            };
            match seen.get(&(*p, *k)) {
                Some(&first) if codes[first].labels != code.labels => {
                    let names = |c: &Code| {
                        c.labels
                            .iter()
                            .map(|&i| d.labels[i].as_str())
                            .collect::<Vec<_>>()
                            .join(";")
                    };
                    return Err(ValidateError::DuplicateCode {
                        path: path.to_path_buf(),
                        detail: format!(
                            "coder '{}' coded {}/{} twice in '{}' ('{}' and '{}')",
                            coders[*k],
                            run.doc_id[*p],
                            run.para_id[*p],
                            d.name,
                            names(&codes[first]),
                            names(&code)
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert((*p, *k), codes.len());
                    codes.push(code);
                }
            }
        }
        if !unknown.is_empty() {
            return Err(ValidateError::UnknownLabels {
                path: path.to_path_buf(),
                dimension: d.name.clone(),
                values: unknown
                    .iter()
                    .map(|(v, row)| format!("'{v}' (row {row})"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if unknown.len() == 1 { " is" } else { " are" },
                labels: d.labels.join(", "),
            });
        }
        if !codes.is_empty() {
            dims.push(CodedDim { dim: di, codes });
        }
    }
    if dims.is_empty() {
        return Err(ValidateError::NothingCoded(path.to_path_buf()));
    }
    Ok(Coded {
        path: path.to_path_buf(),
        coders,
        inclusion_prob,
        dims,
    })
}

/// The reference ("gold") labels of a dimension: per coded paragraph, the label(s) a
/// strict majority of its coders gave (multi-label: each label given by more than half of
/// the paragraph's coders). Paragraphs without such a label (a tie, or a plurality short of
/// half) are left out; the second value counts them.
pub fn gold(d: &CodedDim, n_labels: usize, kind: Kind) -> (BTreeMap<usize, Vec<usize>>, usize) {
    let mut by_para: BTreeMap<usize, Vec<&Code>> = BTreeMap::new();
    for c in &d.codes {
        by_para.entry(c.para).or_default().push(c);
    }
    let mut out = BTreeMap::new();
    let mut ties = 0;
    for (p, codes) in by_para {
        let m = codes.len();
        match kind {
            Kind::Single => {
                let mut votes = vec![0usize; n_labels];
                for c in &codes {
                    votes[c.labels[0]] += 1;
                }
                match votes.iter().enumerate().find(|(_, &v)| 2 * v > m) {
                    Some((l, _)) => {
                        out.insert(p, vec![l]);
                    }
                    None => ties += 1,
                }
            }
            Kind::Multi => {
                let mut votes = vec![0usize; n_labels];
                for c in &codes {
                    for &l in &c.labels {
                        votes[l] += 1;
                    }
                }
                if votes.iter().any(|&v| 2 * v == m) {
                    ties += 1;
                    continue;
                }
                out.insert(p, (0..n_labels).filter(|&l| 2 * votes[l] > m).collect());
            }
        }
    }
    (out, ties)
}
