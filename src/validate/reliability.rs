//! `rhetor agreement`: Krippendorff's α between coders from a table of codes — long format
//! (one row per unit and coder, a column per dimension) or wide (one column per coder) —
//! overall and per label, with bootstrap intervals, and the confusion between each pair of
//! coders.

use super::agreement::{self, Level, ReliabilityData};
use super::coded::{cell as text, column};
use super::ValidateError;
use crate::corpus::MetaColumn;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How the table of codes is laid out and what to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct AgreementParams {
    /// Columns that identify a unit (default `doc_id` + `para_id`, else `id`).
    pub unit_cols: Vec<String>,
    /// Long format: the coder column (default `coder`).
    pub coder_col: Option<String>,
    /// Long format: the label columns, one per dimension.
    pub label_cols: Vec<String>,
    /// Wide format: one column per coder, holding the labels of one dimension.
    pub coders: Vec<String>,
    /// Level of measurement of every dimension; `None`: each dimension's level in `scales`,
    /// else nominal.
    pub level: Option<Level>,
    /// The ordered labels of every dimension (checks every code); `None`: each dimension's
    /// labels in `scales`, else the codes found (sorted), which only nominal α accepts.
    pub values: Option<Vec<String>>,
    /// Per dimension (label column) defined in a codebook: its level and its labels in
    /// codebook order.
    pub scales: BTreeMap<String, (Level, Vec<String>)>,
    /// Bootstrap replicates.
    pub n_boot: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Confidence level.
    pub conf: f64,
    /// CSV separator.
    pub separator: char,
}

/// α of one dimension (overall) or one label (binary: the label vs any other).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgreementRow {
    /// Dimension (label column).
    pub dimension: String,
    /// Label; null for the whole dimension.
    pub label: Option<String>,
    /// `nominal`, `ordinal` or `interval` (per-label rows are nominal).
    pub level: String,
    /// Krippendorff's α; null when undefined (every pairable value the same).
    pub alpha: Option<f64>,
    /// Bootstrap percentile interval (units resampled).
    pub ci_low: Option<f64>,
    /// Bootstrap percentile interval.
    pub ci_high: Option<f64>,
    /// Share of agreeing pairs among pairable values.
    pub percent_agreement: Option<f64>,
    /// Units with at least one code.
    pub n_units: usize,
    /// Units with at least two codes (the ones α uses).
    pub n_pairable: usize,
    /// Coders.
    pub n_coders: usize,
    /// Bootstrap replicates.
    pub n_boot: usize,
    /// Replicates where α was undefined (left out of the interval).
    pub n_boot_undefined: usize,
}

/// How often coder a gave `label_a` where coder b gave `label_b`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfusionRow {
    /// Dimension.
    pub dimension: String,
    /// First coder.
    pub coder_a: String,
    /// Second coder.
    pub coder_b: String,
    /// First coder's label.
    pub label_a: String,
    /// Second coder's label.
    pub label_b: String,
    /// Units.
    pub count: u64,
}

/// The result of `rhetor agreement`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// Coder names.
    pub coders: Vec<String>,
    /// α rows.
    pub alpha: Vec<AgreementRow>,
    /// Confusion between coder pairs.
    pub confusion: Vec<ConfusionRow>,
    /// What the reader should know.
    pub notes: Vec<String>,
}

/// One dimension as (unit, coder, value) triples.
struct Codes {
    name: String,
    triples: Vec<(usize, usize, String)>,
}

/// Reads the table and computes α for every dimension.
pub fn agreement(path: &Path, p: &AgreementParams) -> Result<Agreement, ValidateError> {
    let (n_rows, columns, _) = crate::corpus::read_columns(path, p.separator)?;
    let unit_cols: Vec<String> = if !p.unit_cols.is_empty() {
        p.unit_cols.clone()
    } else if columns.iter().any(|c| c.name == "doc_id")
        && columns.iter().any(|c| c.name == "para_id")
    {
        vec!["doc_id".into(), "para_id".into()]
    } else {
        vec!["id".into()]
    };
    let units_c: Vec<&MetaColumn> = unit_cols
        .iter()
        .map(|u| {
            column(
                path,
                &columns,
                u,
                " (name the unit column(s) with --unit-col)",
            )
        })
        .collect::<Result<_, _>>()?;
    let mut unit_ids: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    let mut unit_of_row = Vec::with_capacity(n_rows);
    for row in 0..n_rows {
        let key: Vec<String> = units_c
            .iter()
            .map(|c| text(c, row).unwrap_or_default())
            .collect();
        if key.iter().all(String::is_empty) {
            unit_of_row.push(None);
            continue;
        }
        let next = unit_ids.len();
        unit_of_row.push(Some(*unit_ids.entry(key).or_insert(next)));
    }
    let mut coders: Vec<String> = Vec::new();
    let mut dims: Vec<Codes> = Vec::new();
    if !p.coders.is_empty() {
        // Wide: each coder's column holds the labels of one dimension.
        let name = p
            .label_cols
            .first()
            .cloned()
            .unwrap_or_else(|| "label".into());
        let mut triples = Vec::new();
        for (k, cname) in p.coders.iter().enumerate() {
            let c = column(path, &columns, cname, " (a coder column named in --coders)")?;
            coders.push(cname.clone());
            for (row, u) in unit_of_row.iter().enumerate() {
                if let (Some(u), Some(v)) = (u, text(c, row)) {
                    triples.push((*u, k, v));
                }
            }
        }
        dims.push(Codes { name, triples });
    } else {
        let coder_name = p.coder_col.clone().unwrap_or_else(|| "coder".into());
        let coder_c = column(
            path,
            &columns,
            &coder_name,
            " (long format needs a coder column: --coder-col; or give one column per coder with --coders)",
        )?;
        if p.label_cols.is_empty() {
            return Err(ValidateError::Params(
                "name the label column(s) with --label-col (one per dimension, e.g. --label-col stance)".into(),
            ));
        }
        let mut coder_of_row = Vec::with_capacity(n_rows);
        for row in 0..n_rows {
            let name = text(coder_c, row).unwrap_or_default();
            let k = match coders.iter().position(|c| *c == name) {
                Some(k) => k,
                None => {
                    coders.push(name);
                    coders.len() - 1
                }
            };
            coder_of_row.push(k);
        }
        for l in &p.label_cols {
            let c = column(path, &columns, l, " (a label column named in --label-col)")?;
            let mut triples = Vec::new();
            for (row, u) in unit_of_row.iter().enumerate() {
                if let (Some(u), Some(v)) = (u, text(c, row)) {
                    triples.push((*u, coder_of_row[row], v));
                }
            }
            dims.push(Codes {
                name: l.clone(),
                triples,
            });
        }
    }
    if coders.len() < 2 {
        return Err(ValidateError::Params(format!(
            "'{}': α needs at least two coders; the file has {} ({}). Give each coder's codes their own rows with a coder column, or their own column with --coders",
            path.display(),
            coders.len(),
            coders.first().map(|c| format!("'{c}'")).unwrap_or_else(|| "none".into())
        )));
    }

    let mut out = Agreement {
        coders: coders.clone(),
        alpha: Vec::new(),
        confusion: Vec::new(),
        notes: Vec::new(),
    };
    let n_units = unit_ids.len();
    for d in dims {
        let scale = p.scales.get(&d.name);
        let level = p.level.or(scale.map(|s| s.0)).unwrap_or(Level::Nominal);
        let values: Vec<String> = match (&p.values, scale) {
            (Some(v), _) => v.clone(),
            (None, Some(s)) => s.1.clone(),
            (None, None) => {
                if level != Level::Nominal {
                    return Err(ValidateError::Params(format!(
                        "column '{}': ordinal and interval α need the order of the labels: give it with --values a,b,c or a codebook that defines '{}' (--codebook)",
                        d.name, d.name
                    )));
                }
                let mut v: Vec<String> = d.triples.iter().map(|t| t.2.clone()).collect();
                v.sort();
                v.dedup();
                v
            }
        };
        let mut cells = vec![None; coders.len() * n_units];
        let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
        for (u, k, v) in &d.triples {
            match values.iter().position(|x| x == v) {
                Some(i) => {
                    let slot = &mut cells[k * n_units + u];
                    if slot.is_some_and(|old| old != i as u32) {
                        return Err(ValidateError::Params(format!(
                            "'{}', column '{}': coder '{}' has two different codes for one unit; keep one row per unit and coder",
                            path.display(),
                            d.name,
                            coders[*k]
                        )));
                    }
                    *slot = Some(i as u32);
                }
                None => *unknown.entry(v.clone()).or_insert(0) += 1,
            }
        }
        if !unknown.is_empty() {
            return Err(ValidateError::UnknownLabels {
                path: path.to_path_buf(),
                dimension: d.name.clone(),
                values: unknown
                    .keys()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if unknown.len() == 1 { " is" } else { " are" },
                labels: values.join(", "),
            });
        }
        let err = |source| ValidateError::Agreement {
            dimension: d.name.clone(),
            source,
        };
        let data = ReliabilityData::new(coders.len(), n_units, values.len(), cells).map_err(err)?;
        let coded_units = (0..n_units)
            .filter(|&u| (0..coders.len()).any(|k| data.get(k, u).is_some()))
            .count();
        let row = |label: Option<String>,
                   level: Level,
                   data: &ReliabilityData,
                   notes: &mut Vec<String>| {
            let what = label
                .clone()
                .map_or_else(|| d.name.clone(), |l| format!("{}/{l}", d.name));
            let (alpha, lo, hi, nb, nu) =
                match agreement::bootstrap_alpha(data, level, p.n_boot, p.seed, p.conf) {
                    Ok(a) => (
                        Some(a.alpha),
                        Some(a.low),
                        Some(a.high),
                        a.n_boot,
                        a.n_undefined,
                    ),
                    Err(e) => {
                        notes.push(format!("{what}: α is not defined: {e}"));
                        (None, None, None, p.n_boot, 0)
                    }
                };
            AgreementRow {
                dimension: d.name.clone(),
                label,
                level: level.as_str().into(),
                alpha,
                ci_low: lo,
                ci_high: hi,
                percent_agreement: agreement::percent_agreement(data).ok(),
                n_units: coded_units,
                n_pairable: data.n_pairable_units(),
                n_coders: coders.len(),
                n_boot: nb,
                n_boot_undefined: nu,
            }
        };
        out.alpha.push(row(None, level, &data, &mut out.notes));
        for (i, v) in values.iter().enumerate() {
            let r = row(
                Some(v.clone()),
                Level::Nominal,
                &data.indicator(i as u32),
                &mut out.notes,
            );
            out.alpha.push(r);
        }
        for a in 0..coders.len() {
            for b in a + 1..coders.len() {
                let m = agreement::coder_confusion(&data, a, b);
                for (i, la) in values.iter().enumerate() {
                    for (j, lb) in values.iter().enumerate() {
                        out.confusion.push(ConfusionRow {
                            dimension: d.name.clone(),
                            coder_a: coders[a].clone(),
                            coder_b: coders[b].clone(),
                            label_a: la.clone(),
                            label_b: lb.clone(),
                            count: m[[i, j]],
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}
