//! *Over time*: per dimension and series, a line chart of each label's share per period
//! with its 95% interval as a band, and the trends and changes that remain significant
//! after adjustment.

use super::*;
use crate::report::{TimeReport, TimeReportRow};

/// Lines per chart: the labels with the highest mean share (the table has all).
const MAX_TIME_LABELS: usize = 7;

/// Series charted per dimension.
const MAX_TIME_SERIES: usize = 12;

/// Rows of the table of significant findings.
const MAX_TIME_FINDINGS: usize = 60;

/// The *Over time* section, when the run has shares over time.
pub(super) fn time_section(out: &mut String, data: &ReportData) {
    let Some(t) = &data.time else {
        return;
    };
    w!(
        out,
        "<section id=\"time\">\n<h2>Over time</h2>\n<p>Shares per {} of the documents' <code>{}</code>, {}: \
         lines are shares, bands their 95% intervals (the intervals of the share tables). A trend \
         is Spearman's ρ between a document's period and its share of the label, tested by \
         permuting documents over the periods ({} permutations); a change compares consecutive \
         periods the same way. p-values are adjusted per dimension ({}). \
         <code>time_labels.parquet</code> has every row.",
        escape(&t.period),
        escape(&t.column),
        match &data.group_by {
            Some(g) => format!("per value of <code>{}</code>", escape(g)),
            None => "all documents together".to_string(),
        },
        t.n_perm,
        escape(&adjust_name(&t.adjust)),
    );
    if t.n_left_out > 0 {
        w!(
            out,
            " {} documents without a usable time are left out (see the warnings).",
            t.n_left_out
        );
    }
    if t.series_not_shown > 0 {
        w!(
            out,
            " {} more groups are in the table only.",
            t.series_not_shown
        );
    }
    out.push_str("</p>\n");
    let mut dims: Vec<&str> = Vec::new();
    for r in &t.rows {
        if !dims.contains(&r.dimension.as_str()) {
            dims.push(&r.dimension);
        }
    }
    for dim in dims {
        w!(
            out,
            "<h3>{}</h3>\n<div class=\"time-charts\">\n",
            escape(dim)
        );
        for series in t.series.iter().take(MAX_TIME_SERIES) {
            let rows: Vec<&TimeReportRow> = t
                .rows
                .iter()
                .filter(|r| r.dimension == dim && &r.series == series)
                .collect();
            if !rows.is_empty() {
                time_chart(out, dim, series, &rows);
            }
        }
        out.push_str("</div>\n");
        findings(out, t, dim, data.alpha);
    }
    out.push_str("</section>\n");
}

/// One chart: the labels of one dimension in one series over the periods.
fn time_chart(out: &mut String, dim: &str, series: &str, rows: &[&TimeReportRow]) {
    let mut periods: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
    periods.sort_unstable();
    periods.dedup();
    // Labels by mean share over the periods, highest first.
    let mut labels: Vec<(&str, f64)> = Vec::new();
    for r in rows {
        match labels.iter_mut().find(|(l, _)| *l == r.label) {
            Some((_, s)) => *s += r.share,
            None => labels.push((&r.label, r.share)),
        }
    }
    labels.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    labels.truncate(MAX_TIME_LABELS);
    let shown = |r: &&&TimeReportRow| labels.iter().any(|(l, _)| *l == r.label);
    let top = rows
        .iter()
        .filter(shown)
        .filter_map(|r| unit(r.ci_high))
        .fold(0.1f64, f64::max);
    let ymax = (top * 10.0).ceil() / 10.0;
    let (w, h, left, right, top_m, bottom) = (520.0, 230.0, 44.0, 12.0, 10.0, 34.0);
    let (pw, ph) = (w - left - right, h - top_m - bottom);
    let x = |i: usize| {
        if periods.len() == 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (periods.len() - 1) as f64
        }
    };
    let y = |v: f64| top_m + ph * (1.0 - (v / ymax).clamp(0.0, 1.0));
    w!(
        out,
        "<figure class=\"time-chart\">\n<svg viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
         role=\"img\" aria-label=\"{}: shares of {} per period\">\n",
        escape(series),
        escape(dim)
    );
    // Axes and grid: 0, ymax/2, ymax.
    for f in [0.0, 0.5, 1.0] {
        let v = ymax * f;
        w!(
            out,
            "<line x1=\"{left:.0}\" x2=\"{:.0}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d0d7de\"/>\
             <text x=\"{:.0}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\n",
            w - right,
            y(v),
            y(v),
            left - 4.0,
            y(v) + 3.0,
            pct(v)
        );
    }
    let step = periods.len().div_ceil(8).max(1);
    for (i, p) in periods.iter().enumerate() {
        if i % step == 0 || i + 1 == periods.len() {
            w!(
                out,
                "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
                x(i),
                h - bottom + 14.0,
                escape(p)
            );
        }
    }
    for (li, (label, _)) in labels.iter().enumerate() {
        let colour = PALETTE[li % PALETTE.len()];
        let pts: Vec<(usize, &TimeReportRow)> = rows
            .iter()
            .filter(|r| r.label == *label)
            .filter_map(|r| Some((periods.binary_search(&r.period.as_str()).ok()?, *r)))
            .filter(|(_, r)| unit(r.share).is_some())
            .collect();
        if pts.is_empty() {
            continue;
        }
        // The band: upper ends forward, lower ends back.
        let band: Vec<String> =
            pts.iter()
                .map(|(i, r)| format!("{:.1},{:.1}", x(*i), y(unit(r.ci_high).unwrap_or(r.share))))
                .chain(pts.iter().rev().map(|(i, r)| {
                    format!("{:.1},{:.1}", x(*i), y(unit(r.ci_low).unwrap_or(r.share)))
                }))
                .collect();
        w!(
            out,
            "<polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.15\" stroke=\"none\"/>\n",
            band.join(" ")
        );
        let line: Vec<String> = pts
            .iter()
            .map(|(i, r)| format!("{:.1},{:.1}", x(*i), y(r.share)))
            .collect();
        w!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n",
            line.join(" ")
        );
        for (i, r) in &pts {
            w!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{} · {}: {} ({}), n = {}</title></circle>\n",
                x(*i),
                y(r.share),
                escape(label),
                escape(&r.period),
                pct(r.share),
                pct_ci(r.ci_low, r.ci_high),
                r.n
            );
        }
    }
    out.push_str("</svg>\n<figcaption><strong>");
    out.push_str(&escape(series));
    out.push_str("</strong>");
    for (li, (label, _)) in labels.iter().enumerate() {
        w!(
            out,
            " <span class=\"key\"><svg width=\"14\" height=\"10\"><rect width=\"14\" height=\"10\" fill=\"{}\"/></svg> {}</span>",
            PALETTE[li % PALETTE.len()],
            escape(&truncate(label, 40))
        );
    }
    out.push_str("</figcaption>\n</figure>\n");
}

/// The trends and changes of a dimension with an adjusted p-value below `alpha`.
fn findings(out: &mut String, t: &TimeReport, dim: &str, alpha: f64) {
    let mut trends: Vec<&TimeReportRow> = Vec::new();
    for r in t.rows.iter().filter(|r| r.dimension == dim) {
        let significant = r.p_trend_adjusted.is_some_and(|p| p < alpha);
        if significant
            && !trends
                .iter()
                .any(|q| q.series == r.series && q.label == r.label)
        {
            trends.push(r);
        }
    }
    let changes: Vec<&TimeReportRow> = t
        .rows
        .iter()
        .filter(|r| r.dimension == dim && r.p_change_adjusted.is_some_and(|p| p < alpha))
        .collect();
    if trends.is_empty() && changes.is_empty() {
        w!(
            out,
            "<p>No trend or change of <em>{}</em> is significant after adjustment (α = {}).</p>\n",
            escape(dim),
            alpha
        );
        return;
    }
    out.push_str(
        "<table class=\"time-findings\">\n<thead><tr><th>group</th><th>label</th><th>finding</th>\
         <th>estimate</th><th>adjusted p</th></tr></thead>\n<tbody>\n",
    );
    for r in trends.iter().take(MAX_TIME_FINDINGS) {
        let rho = r.trend_rho.unwrap_or(f64::NAN);
        w!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{} trend</td><td>ρ = {}</td><td>{}</td></tr>\n",
            escape(&r.series),
            escape(&r.label),
            if rho > 0.0 { "rising" } else { "falling" },
            fixed(rho, 2),
            pval(r.p_trend_adjusted.unwrap_or(f64::NAN))
        );
    }
    for r in changes.iter().take(MAX_TIME_FINDINGS) {
        let d = r.change.unwrap_or(f64::NAN);
        w!(
            out,
            "<tr><td>{}</td><td>{}</td><td>change into {}</td><td>{}{} points</td><td>{}</td></tr>\n",
            escape(&r.series),
            escape(&r.label),
            escape(&r.period),
            if d > 0.0 { "+" } else { "" },
            fixed(d * 100.0, 1),
            pval(r.p_change_adjusted.unwrap_or(f64::NAN))
        );
    }
    out.push_str("</tbody>\n</table>\n");
}
