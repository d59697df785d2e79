//! Tables and report pages of `rhetor validate` and `rhetor agreement`.

use super::reliability::Agreement;
use super::validation::Validation;
use super::ValidateError;
use crate::export::RunDir;
use polars::prelude::{Column, DataFrame};
use std::fmt::Write as _;

fn s<T>(rows: &[T], name: &str, f: impl Fn(&T) -> String) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
}
fn so<T>(rows: &[T], name: &str, f: impl Fn(&T) -> Option<String>) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(f).collect::<Vec<Option<String>>>(),
    )
}
fn f<T>(rows: &[T], name: &str, g: impl Fn(&T) -> f64) -> Column {
    Column::new(name.into(), rows.iter().map(g).collect::<Vec<f64>>())
}
fn fo<T>(rows: &[T], name: &str, g: impl Fn(&T) -> Option<f64>) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(g).collect::<Vec<Option<f64>>>(),
    )
}
fn u<T>(rows: &[T], name: &str, g: impl Fn(&T) -> usize) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(|r| g(r) as u64).collect::<Vec<u64>>(),
    )
}

fn frame(name: &str, height: usize, cols: Vec<Column>) -> Result<DataFrame, ValidateError> {
    Ok(crate::export::frame(name, height, cols)?)
}

/// `validation_summary`, `validation_labels` and `corrected_shares` as tables.
pub fn validation_frames(v: &Validation) -> Result<Vec<(&'static str, DataFrame)>, ValidateError> {
    let r = &v.summary;
    let summary = frame(
        "validation_summary",
        r.len(),
        vec![
            s(r, "dimension", |x| x.dimension.clone()),
            s(r, "method", |x| x.method.clone()),
            s(r, "kind", |x| x.kind.clone()),
            s(r, "alpha_level", |x| x.alpha_level.clone()),
            u(r, "n_coders", |x| x.n_coders),
            u(r, "n_coded", |x| x.n_coded),
            u(r, "n_reference", |x| x.n_reference),
            u(r, "n_no_majority", |x| x.n_no_majority),
            f(r, "accuracy", |x| x.accuracy),
            f(r, "accuracy_low", |x| x.accuracy_low),
            f(r, "accuracy_high", |x| x.accuracy_high),
            f(r, "coverage", |x| x.coverage),
            f(r, "macro_f1", |x| x.macro_f1),
            fo(r, "alpha_coders", |x| x.alpha_coders),
            fo(r, "alpha_coders_low", |x| x.alpha_coders_low),
            fo(r, "alpha_coders_high", |x| x.alpha_coders_high),
            fo(r, "alpha_rhetor", |x| x.alpha_rhetor),
            fo(r, "alpha_rhetor_low", |x| x.alpha_rhetor_low),
            fo(r, "alpha_rhetor_high", |x| x.alpha_rhetor_high),
        ],
    )?;
    let r = &v.labels;
    let labels = frame(
        "validation_labels",
        r.len(),
        vec![
            s(r, "dimension", |x| x.dimension.clone()),
            s(r, "label", |x| x.label.clone()),
            u(r, "support", |x| x.support),
            u(r, "predicted", |x| x.predicted),
            u(r, "correct", |x| x.correct),
            fo(r, "precision", |x| x.precision),
            fo(r, "precision_low", |x| x.precision_low),
            fo(r, "precision_high", |x| x.precision_high),
            fo(r, "recall", |x| x.recall),
            fo(r, "recall_low", |x| x.recall_low),
            fo(r, "recall_high", |x| x.recall_high),
            fo(r, "f1", |x| x.f1),
        ],
    )?;
    let r = &v.shares;
    let shares = frame(
        "corrected_shares",
        r.len(),
        vec![
            s(r, "dimension", |x| x.dimension.clone()),
            s(r, "group_id", |x| x.group_id.clone()),
            s(r, "label", |x| x.label.clone()),
            u(r, "n", |x| x.n),
            u(r, "n_labelled", |x| x.n_labelled),
            u(r, "n_coded", |x| x.n_coded),
            fo(r, "naive_share", |x| x.naive_share),
            fo(r, "naive_low", |x| x.naive_low),
            fo(r, "naive_high", |x| x.naive_high),
            f(r, "coded_share", |x| x.coded_share),
            f(r, "corrected_share", |x| x.corrected_share),
            f(r, "corrected_low", |x| x.corrected_low),
            f(r, "corrected_high", |x| x.corrected_high),
            f(r, "lambda", |x| x.lambda),
        ],
    )?;
    Ok(vec![
        ("validation_summary.parquet", summary),
        ("validation_labels.parquet", labels),
        ("corrected_shares.parquet", shares),
    ])
}

/// `agreement` and `coder_confusion` as tables.
pub fn agreement_frames(a: &Agreement) -> Result<Vec<(&'static str, DataFrame)>, ValidateError> {
    let r = &a.alpha;
    let alpha = frame(
        "agreement",
        r.len(),
        vec![
            s(r, "dimension", |x| x.dimension.clone()),
            so(r, "label", |x| x.label.clone()),
            s(r, "level", |x| x.level.clone()),
            fo(r, "alpha", |x| x.alpha),
            fo(r, "ci_low", |x| x.ci_low),
            fo(r, "ci_high", |x| x.ci_high),
            fo(r, "percent_agreement", |x| x.percent_agreement),
            u(r, "n_units", |x| x.n_units),
            u(r, "n_pairable", |x| x.n_pairable),
            u(r, "n_coders", |x| x.n_coders),
            u(r, "n_boot", |x| x.n_boot),
            u(r, "n_boot_undefined", |x| x.n_boot_undefined),
        ],
    )?;
    let r = &a.confusion;
    let confusion = frame(
        "coder_confusion",
        r.len(),
        vec![
            s(r, "dimension", |x| x.dimension.clone()),
            s(r, "coder_a", |x| x.coder_a.clone()),
            s(r, "coder_b", |x| x.coder_b.clone()),
            s(r, "label_a", |x| x.label_a.clone()),
            s(r, "label_b", |x| x.label_b.clone()),
            Column::new(
                "count".into(),
                r.iter().map(|x| x.count).collect::<Vec<u64>>(),
            ),
        ],
    )?;
    Ok(vec![
        ("agreement.parquet", alpha),
        ("coder_confusion.parquet", confusion),
    ])
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}
fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3}"))
}
fn interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(a), Some(b)) => format!("[{a:.3}, {b:.3}]"),
        _ => "–".into(),
    }
}
fn pct_interval(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", pct(lo), pct(hi))
}

/// The validation report in Markdown (also the HTML page's content).
pub fn validation_markdown(v: &Validation, run: &str, coded: &str) -> String {
    let mut m = String::new();
    let conf = format!("{:.0}%", 100.0 * v.level);
    let _ = writeln!(
        m,
        "# Validation of rhetor's labels against a hand-coded sample\n"
    );
    let _ = writeln!(
        m,
        "Run `{run}` (run_id `{}`), coded sample `{coded}`. Intervals are {conf}. \
         The reference label of a paragraph is the label a strict majority of its coders gave; \
         accuracy counts rhetor's \"unsure\" as wrong.\n",
        v.run_id
    );
    let _ = writeln!(m, "## Agreement and accuracy\n");
    let _ = writeln!(
        m,
        "| dimension | method | coders | coded | reference | accuracy | macro-F1 | coverage | α coders | α rhetor vs reference |"
    );
    let _ = writeln!(m, "|---|---|---:|---:|---:|---|---:|---:|---|---|");
    for r in &v.summary {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} {} | {:.3} | {} | {} {} | {} {} |",
            r.dimension,
            r.method,
            r.n_coders,
            r.n_coded,
            r.n_reference,
            pct(r.accuracy),
            pct_interval(r.accuracy_low, r.accuracy_high),
            r.macro_f1,
            pct(r.coverage),
            num(r.alpha_coders),
            interval(r.alpha_coders_low, r.alpha_coders_high),
            num(r.alpha_rhetor),
            interval(r.alpha_rhetor_low, r.alpha_rhetor_high),
        );
    }
    for r in v.summary.iter().filter(|r| r.alpha_level != "nominal") {
        let _ = writeln!(
            m,
            "\nα of {} is {} (the codebook's level): labels are ranks in codebook order; rhetor's unsure is left out of α vs reference.",
            r.dimension, r.alpha_level
        );
    }
    m.push_str(
        "\nKrippendorff's α: 1 = perfect agreement, 0 = agreement at chance; α ≥ 0.8 is the usual bar for \
         drawing conclusions, 0.667 ≤ α < 0.8 for tentative ones (Krippendorff 2004).\n\n",
    );
    let _ = writeln!(m, "## Precision and recall per label\n");
    let _ = writeln!(
        m,
        "| dimension | label | support | predicted | precision | recall | F1 |"
    );
    let _ = writeln!(m, "|---|---|---:|---:|---|---|---:|");
    for r in &v.labels {
        if r.support + r.predicted == 0 {
            continue;
        }
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} {} | {} {} | {} |",
            r.dimension,
            r.label,
            r.support,
            r.predicted,
            num(r.precision),
            interval(r.precision_low, r.precision_high),
            num(r.recall),
            interval(r.recall_low, r.recall_high),
            num(r.f1)
        );
    }
    let _ = writeln!(
        m,
        "\n## Shares: rhetor's vs corrected for classifier error\n"
    );
    let _ = writeln!(
        m,
        "Corrected shares are prediction-powered inference (PPI++, Angelopoulos et al. 2023): rhetor's labels on all \
         paragraphs of the group, corrected by the coded sample's disagreements with them. Their intervals account \
         for both, and for paragraphs clustered in documents. Groups by `{}`.\n",
        v.group_by
    );
    let _ = writeln!(
        m,
        "| dimension | group | label | coded / paragraphs | rhetor's share | corrected share | λ |"
    );
    let _ = writeln!(m, "|---|---|---|---:|---|---|---:|");
    for r in &v.shares {
        let naive = match (r.naive_share, r.naive_low, r.naive_high) {
            (Some(x), Some(a), Some(b)) => format!("{} {}", pct(x), pct_interval(a, b)),
            _ => "–".into(),
        };
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} / {} | {naive} | {} {} | {:.2} |",
            r.dimension,
            r.group_id,
            r.label,
            r.n_coded,
            r.n,
            pct(r.corrected_share),
            pct_interval(r.corrected_low, r.corrected_high),
            r.lambda
        );
    }
    if !v.notes.is_empty() {
        let _ = writeln!(m, "\n## Notes\n");
        for n in &v.notes {
            let _ = writeln!(m, "- {n}");
        }
    }
    m
}

/// The agreement summary in Markdown (printed and written as `agreement.md`).
pub fn agreement_markdown(a: &Agreement, path: &str) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# Agreement between coders\n");
    let _ = writeln!(m, "File `{path}`, coders: {}.\n", a.coders.join(", "));
    let _ = writeln!(
        m,
        "| dimension | label | level | α | interval | agreement | units | pairable |"
    );
    let _ = writeln!(m, "|---|---|---|---:|---|---:|---:|---:|");
    for r in &a.alpha {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.dimension,
            r.label.as_deref().unwrap_or("(all)"),
            r.level,
            num(r.alpha),
            interval(r.ci_low, r.ci_high),
            r.percent_agreement.map_or_else(|| "–".into(), pct),
            r.n_units,
            r.n_pairable
        );
    }
    if !a.notes.is_empty() {
        let _ = writeln!(m, "\n## Notes\n");
        for n in &a.notes {
            let _ = writeln!(m, "- {n}");
        }
    }
    m
}

/// A Markdown page (headings, paragraphs, lists and pipe tables) as standalone HTML.
pub fn markdown_page(title: &str, md: &str) -> String {
    use crate::report::html::escape;
    let inline = |t: &str| {
        let mut out = String::new();
        for (k, part) in escape(t).split('`').enumerate() {
            if k % 2 == 1 {
                let _ = write!(out, "<code>{part}</code>");
            } else {
                out.push_str(part);
            }
        }
        out
    };
    let mut body = String::new();
    let mut list = false;
    let mut table = false;
    for line in md.lines() {
        let is_row = line.starts_with('|');
        let is_item = line.starts_with("- ");
        if list && !is_item {
            body.push_str("</ul>\n");
            list = false;
        }
        if table && !is_row {
            body.push_str("</table>\n");
            table = false;
        }
        if is_row {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if cells
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':')))
            {
                continue;
            }
            let tag = if table { "td" } else { "th" };
            if !table {
                body.push_str("<table>\n");
                table = true;
            }
            body.push_str("<tr>");
            for c in cells {
                let _ = write!(body, "<{tag}>{}</{tag}>", inline(c));
            }
            body.push_str("</tr>\n");
        } else if let Some(t) = line.strip_prefix("## ") {
            let _ = writeln!(body, "<h2>{}</h2>", inline(t));
        } else if let Some(t) = line.strip_prefix("# ") {
            let _ = writeln!(body, "<h1>{}</h1>", inline(t));
        } else if let Some(t) = line.strip_prefix("- ") {
            if !list {
                body.push_str("<ul>\n");
                list = true;
            }
            let _ = writeln!(body, "<li>{}</li>", inline(t));
        } else if !line.trim().is_empty() {
            let _ = writeln!(body, "<p>{}</p>", inline(line));
        }
    }
    if list {
        body.push_str("</ul>\n");
    }
    if table {
        body.push_str("</table>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\
         table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}}\
         code{{background:#f2f2f2;padding:0 .2em}}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// Writes a validation's tables, `validation.json`, `validation.md` and `validation.html`
/// into `dir` (not yet committed).
pub fn write_validation(
    dir: &RunDir,
    v: &Validation,
    run: &str,
    coded: &str,
) -> Result<(), ValidateError> {
    let meta = vec![("rhetor.run_id".to_string(), v.run_id.clone())];
    for (name, mut df) in validation_frames(v)? {
        dir.write_parquet(name, &mut df, &meta)?;
    }
    dir.write_json("validation.json", v)?;
    let md = validation_markdown(v, run, coded);
    dir.write_text("validation.md", &md)?;
    dir.write_text("validation.html", &markdown_page("rhetor validation", &md))?;
    Ok(())
}

/// Writes an agreement's tables, `agreement.json` and `agreement.md` into `dir`.
pub fn write_agreement(dir: &RunDir, a: &Agreement, path: &str) -> Result<String, ValidateError> {
    for (name, mut df) in agreement_frames(a)? {
        dir.write_parquet(name, &mut df, &[])?;
    }
    dir.write_json("agreement.json", a)?;
    let md = agreement_markdown(a, path);
    dir.write_text("agreement.md", &md)?;
    Ok(md)
}

/// Attaches a validation (a directory written by `rhetor validate`) to the report of the run
/// it validated: `report.json` records it, and `report.md` / `report.html` are rendered
/// again with its results beside each validated dimension, a Validation section, and the
/// corrected shares in the headline findings. Refused when the validation is of another
/// run's paragraphs.
pub fn attach_to_report(
    run_dir: &std::path::Path,
    validation_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, ValidateError> {
    use crate::report::ReportData;
    let vpath = validation_dir.join("validation.json");
    let text = std::fs::read_to_string(&vpath).map_err(|e| ValidateError::Run {
        run: validation_dir.to_path_buf(),
        message: format!(
            "{e} reading validation.json (is this a directory written by `rhetor validate`?)"
        ),
    })?;
    let v: Validation = serde_json::from_str(&text).map_err(|e| ValidateError::Run {
        run: validation_dir.to_path_buf(),
        message: format!("validation.json is not one rhetor wrote: {e}"),
    })?;
    let run = super::run_data::load(run_dir, None)?;
    if v.run_id != run.run_id {
        return Err(ValidateError::OtherRun {
            path: vpath,
            found: v.run_id,
            expected: run.run_id,
        });
    }
    let rpath = run_dir.join("report.json");
    let text = std::fs::read_to_string(&rpath).map_err(|e| ValidateError::Run {
        run: run_dir.to_path_buf(),
        message: format!("{e} reading report.json"),
    })?;
    let mut data: ReportData = serde_json::from_str(&text).map_err(|e| ValidateError::Run {
        run: run_dir.to_path_buf(),
        message: format!("report.json is not one rhetor wrote: {e}"),
    })?;
    data.validation = Some(report_validation(&v, &validation_dir.display().to_string()));
    crate::export::write_json(&rpath, &data)?;
    Ok(crate::report::rerender(run_dir)?)
}

/// The report's view of a validation: each dimension's agreement and accuracy, and the
/// corrected shares. `source` says where the validation came from.
pub fn report_validation(v: &Validation, source: &str) -> crate::report::ReportValidation {
    use crate::report::{CorrectedShare, ReportValidation, ValidatedDimension};
    ReportValidation {
        source: source.to_string(),
        coded: v.coded.clone(),
        dimensions: v
            .summary
            .iter()
            .map(|r| ValidatedDimension {
                dimension: r.dimension.clone(),
                n_coders: r.n_coders,
                n_reference: r.n_reference,
                accuracy: r.accuracy,
                accuracy_low: r.accuracy_low,
                accuracy_high: r.accuracy_high,
                macro_f1: r.macro_f1,
                alpha_coders: r.alpha_coders,
                alpha_rhetor: r.alpha_rhetor,
            })
            .collect(),
        shares: v
            .shares
            .iter()
            .map(|r| CorrectedShare {
                dimension: r.dimension.clone(),
                group: r.group_id.clone(),
                label: r.label.clone(),
                n_coded: r.n_coded,
                n: r.n,
                naive_share: r.naive_share,
                share: r.corrected_share,
                ci_low: r.corrected_low,
                ci_high: r.corrected_high,
            })
            .collect(),
    }
}
