//! `report.md`: the framing report as Markdown (tables, no charts).

use super::{DimensionInfo, ReportData};
use std::fmt::Write;

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "–".to_string()
    }
}

fn num(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "–".to_string()
    }
}

/// Markdown table cells must not contain `|` or newlines.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn p_value(p: f64) -> String {
    if !p.is_finite() {
        "–".to_string()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// "How the groups differ" for one dimension: its caveat, the verdict of its tests, and its
/// findings (backed claims only).
fn differ(s: &mut String, d: &ReportData, info: &DimensionInfo) {
    let dim = &info.name;
    let _ = writeln!(s, "### {dim}\n");
    let cav = d.caveat(dim);
    let mark = if cav.warns() { "⚠ " } else { "" };
    if let Some(c) = cav.caveat() {
        let _ = writeln!(s, "> {mark}{c}\n");
    }
    if info.n_pairs == 0 {
        let _ = writeln!(
            s,
            "**No test, no claim.** No divergence test was run along {dim} (one group with labelled paragraphs, or more groups than groups.max_pairwise; see the warnings), so no difference is claimed.\n"
        );
        return;
    }
    if info.n_significant == 0 {
        let _ = writeln!(
            s,
            "**No significant difference** between the groups along {dim}: none of the {} pairwise permutation tests is significant after adjustment (smallest adjusted p = {}).\n",
            info.n_pairs,
            info.min_p_adjusted.map_or("–".to_string(), p_value)
        );
        return;
    }
    let _ = writeln!(
        s,
        "{} of {} pairs of groups differ significantly along {dim} (smallest adjusted p = {}).\n",
        info.n_significant,
        info.n_pairs,
        info.min_p_adjusted.map_or("–".to_string(), p_value)
    );
    let findings: Vec<_> = d.findings().filter(|c| &c.dimension == dim).collect();
    if findings.is_empty() {
        let _ = writeln!(
            s,
            "No single label's 95% interval lies wholly above its share in the other groups, so no label is named.\n"
        );
        return;
    }
    let caveat = cav
        .short_caveat()
        .map_or(String::new(), |c| format!(" {mark}{c}."));
    for c in findings {
        let _ = writeln!(
            s,
            "- **{}**: *{}* — {} of its paragraphs (95% CI {}–{}) vs {} in the other groups; adjusted p = {}.{caveat}",
            cell(&c.group),
            cell(&c.label),
            pct(c.share),
            pct(c.ci_low),
            pct(c.ci_high),
            pct(c.share_rest),
            c.p_adjusted.map_or("–".to_string(), p_value)
        );
        if let Some(k) = d.corrected(dim, &c.group, &c.label) {
            let _ = writeln!(
                s,
                "  **Corrected for classifier error: {} (95% CI {}–{})**, from {} hand-coded paragraphs.",
                pct(k.share),
                pct(k.ci_low),
                pct(k.ci_high),
                k.n_coded
            );
        }
        for e in &c.examples {
            let _ = writeln!(s, "  > {} — `{}` ¶{}", cell(&e.text), e.doc_id, e.para_id);
        }
    }
    let _ = writeln!(s);
}

/// "Validation": the validated dimensions and the corrected shares.
/// *Over time*: each series' labels with a trend significant after adjustment, their
/// shares in the first and last period.
fn time(s: &mut String, t: &super::TimeReport, alpha: f64) {
    let _ = writeln!(
        s,
        "\n## Over time\n\nShares per {} of `{}` (every period, label and group with its 95% interval and tests: `time_labels.parquet`; charts: report.html). A trend is Spearman's ρ between a document's period and its share of the label, tested by permuting documents over the periods ({} permutations, adjusted per dimension: {}).\n",
        t.period, t.column, t.n_perm, t.adjust
    );
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in &t.rows {
        let k = (r.dimension.as_str(), r.series.as_str(), r.label.as_str());
        if r.p_trend_adjusted.is_some_and(|p| p < alpha) && !keys.contains(&k) {
            keys.push(k);
        }
    }
    if keys.is_empty() {
        let _ = writeln!(s, "No trend is significant after adjustment (α = {alpha}).");
        return;
    }
    let _ = writeln!(
        s,
        "| dimension | group | label | first period | last period | ρ | adjusted p |\n|---|---|---|---|---|---:|---:|"
    );
    for (dim, series, label) in keys {
        let rows: Vec<&super::TimeReportRow> = t
            .rows
            .iter()
            .filter(|r| r.dimension == dim && r.series == series && r.label == label)
            .collect();
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            continue;
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}: {} | {}: {} | {} | {} |",
            cell(dim),
            cell(series),
            cell(label),
            cell(&first.period),
            pct(first.share),
            cell(&last.period),
            pct(last.share),
            num(last.trend_rho.unwrap_or(f64::NAN), 2),
            p_value(last.p_trend_adjusted.unwrap_or(f64::NAN))
        );
    }
}

fn validation(s: &mut String, v: &super::ReportValidation) {
    let _ = writeln!(s, "\n## Validation\n");
    let _ = writeln!(
        s,
        "rhetor's labels checked against a hand-coded sample (`{}`, validation `{}`). Corrected shares are prediction-powered inference (PPI++): rhetor's labels on every paragraph of the group, corrected by the coded paragraphs' disagreements with them; their 95% intervals account for both and for paragraphs clustered in documents.\n",
        v.coded, v.source
    );
    let a = |x: Option<f64>| x.map_or("–".to_string(), |v| num(v, 2));
    let _ = writeln!(
        s,
        "| dimension | coded | coders | accuracy (95% CI) | macro-F1 | α coders | α rhetor vs coders |\n|---|---:|---:|---|---:|---:|---:|"
    );
    for d in &v.dimensions {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} ({}–{}) | {} | {} | {} |",
            cell(&d.dimension),
            d.n_reference,
            d.n_coders,
            pct(d.accuracy),
            pct(d.accuracy_low),
            pct(d.accuracy_high),
            num(d.macro_f1, 2),
            a(d.alpha_coders),
            a(d.alpha_rhetor)
        );
    }
    let _ = writeln!(
        s,
        "\n| dimension | group | label | coded / paragraphs | rhetor's share | corrected share (95% CI) |\n|---|---|---|---:|---:|---|"
    );
    for r in &v.shares {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} / {} | {} | {} ({}–{}) |",
            cell(&r.dimension),
            cell(&r.group),
            cell(&r.label),
            r.n_coded,
            r.n,
            r.naive_share.map_or("–".to_string(), pct),
            pct(r.share),
            pct(r.ci_low),
            pct(r.ci_high)
        );
    }
}

/// Renders the report as Markdown.
pub fn render(d: &ReportData) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", d.title);
    let _ = writeln!(
        s,
        "rhetor {} · seed {} · corpus `{}`\n",
        d.rhetor_version, d.seed, d.summary.corpus
    );
    let _ = writeln!(
        s,
        "**{} documents, {} paragraphs** ({} headings recognised as sections; {} documents or rows skipped; {} boilerplate lines dropped).\n",
        d.summary.documents, d.summary.paragraphs, d.summary.headings, d.summary.skipped, d.summary.dropped
    );
    let grouped = match &d.group_by {
        None => "Each document is compared with the others.".to_string(),
        Some(c) => format!("Documents are grouped by `{c}`."),
    };
    let _ = writeln!(s, "{grouped}\n");
    if let Some(note) = super::summary_note(d) {
        let _ = writeln!(s, "> **Summarised.** {note}\n");
    }
    let _ = writeln!(
        s,
        "| group | documents | paragraphs | title |\n|---|---:|---:|---|"
    );
    for g in &d.groups {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&g.name),
            g.n_docs,
            g.n_paragraphs,
            cell(g.title.as_deref().unwrap_or(""))
        );
    }

    let infos = d.dimension_infos();
    let n_groups = d
        .summarised
        .as_ref()
        .map_or(d.groups.len() as u64, |x| x.total_groups);
    if n_groups >= 2 && !infos.is_empty() {
        let _ = writeln!(s, "\n## How the groups differ\n");
        let _ = writeln!(
            s,
            "A difference is named here only when a permutation test of the label distributions is significant after adjustment ({}, alpha = {}) and the label's 95% interval lies above its share in the other groups.\n",
            d.adjust, d.alpha
        );
        for info in &infos {
            differ(&mut s, d, info);
        }
    }

    for info in &infos {
        let dim = &info.name;
        let _ = writeln!(s, "\n## Shares by {dim}\n");
        let cav = d.caveat(dim);
        if let Some(c) = cav.caveat() {
            let mark = if cav.warns() { "⚠ " } else { "" };
            let _ = writeln!(s, "> {mark}{c}\n");
        }
        let label_head = match cav.short_caveat() {
            Some(c) => format!("label ({c})"),
            None => "label".to_string(),
        };
        let _ = writeln!(
            s,
            "| group | {label_head} | count / n | share | 95% CI | method |\n|---|---|---:|---:|---|---|"
        );
        for r in d.shares.iter().filter(|r| &r.dimension == dim) {
            let method = serde_json::to_value(r.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "| {} | {} | {} / {} | {} | {}–{} | {} |",
                cell(&r.group_name),
                cell(&r.label),
                r.count,
                r.n,
                pct(r.share),
                pct(r.ci_low),
                pct(r.ci_high),
                method
            );
        }
        let div: Vec<_> = d
            .divergence
            .iter()
            .filter(|r| &r.dimension == dim)
            .collect();
        if !div.is_empty() {
            let _ = writeln!(
                s,
                "\n**Divergence** (Jensen–Shannon, base 2; permutation p-values, adjusted by {}):\n",
                d.adjust
            );
            let _ = writeln!(
                s,
                "| a | b | JSD | p | adjusted p | |\n|---|---|---:|---:|---:|---|"
            );
            for r in div {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(&r.name_a),
                    cell(&r.name_b),
                    num(r.jsd, 3),
                    p_value(r.p_value),
                    p_value(r.p_adjusted),
                    if r.significant { "significant" } else { "" }
                );
            }
        }
    }

    if !d.topics.is_empty() {
        let _ = writeln!(s, "\n## Topics\n");
        if let Some(kc) = d.k_choice.as_ref().filter(|k| !k.stability_by_k.is_empty()) {
            let curve: Vec<String> = kc
                .stability_by_k
                .iter()
                .map(|(k, st)| format!("{k}: {}", num(*st, 3)))
                .collect();
            let _ = writeln!(
                s,
                "Stability of k over {} re-fits on {:.0}% samples (mean Jaccard overlap of matched topics' members): {}.\n",
                kc.stability_runs,
                kc.stability_sample * 100.0,
                curve.join(", ")
            );
        }
        for t in &d.topics {
            let terms: Vec<String> = t.terms.iter().map(|(w, _)| w.clone()).collect();
            let _ = writeln!(
                s,
                "### Topic {}: {}\n\n{} paragraphs ({}{}). Terms: {}.\n",
                t.id,
                t.label,
                t.size,
                pct(t.share),
                t.stability
                    .map(|st| format!(", stability {}", num(st, 2)))
                    .unwrap_or_default(),
                terms.join(", ")
            );
            for e in &t.examples {
                let _ = writeln!(s, "> {} — `{}` ¶{}\n", e.text, e.doc_id, e.para_id);
            }
        }
    }

    if !d.keyness.is_empty() {
        let _ = writeln!(
            s,
            "\n## Distinctive terms\n\nLog-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), each group against the rest; z > 1.96 is distinctive at the 5% level.\n"
        );
        for g in &d.keyness {
            let terms: Vec<String> = g
                .terms
                .iter()
                .map(|t| format!("{} (z {})", t.term, num(t.z, 1)))
                .collect();
            let _ = writeln!(s, "- **{}**: {}", cell(&g.group), terms.join(", "));
        }
    }

    if let Some(t) = &d.time {
        time(&mut s, t, d.alpha);
    }
    let m = &d.methods;
    if let Some(v) = &d.validation {
        validation(&mut s, v);
    }
    let _ = writeln!(s, "\n## Methods\n");
    for (name, text) in [
        ("Segmentation", &m.segmentation),
        ("Embedding", &m.embedding),
        ("Clustering", &m.clustering),
        ("Labelling", &m.labelling),
        ("Statistics", &m.statistics),
        ("Reproducibility", &m.reproducibility),
    ] {
        if !text.is_empty() {
            let _ = writeln!(s, "**{name}.** {text}\n");
        }
    }
    if !d.warnings.is_empty() {
        let _ = writeln!(s, "## Warnings\n");
        for w in &d.warnings {
            let _ = writeln!(s, "- {w}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::report::tests::data;

    /// The text of the "How the groups differ" section.
    fn differ(md: &str) -> &str {
        let start = md.find("## How the groups differ").expect("section");
        let end = md[start..]
            .find("\n## Shares")
            .map_or(md.len(), |e| start + e);
        &md[start..end]
    }

    #[test]
    fn no_significant_test_no_finding_and_the_caveat_is_beside_the_numbers() {
        let md = render(&data(4, 0.4));
        let s = differ(&md);
        assert!(!s.contains("*favor*"), "{s}");
        assert_eq!(s.matches("**No significant difference**").count(), 2, "{s}");
        assert!(s.contains("### stance\n\n> ⚠ Labelled by keywords"), "{s}");
        assert!(
            md.contains("## Shares by stance\n\n> ⚠ Labelled by keywords"),
            "caveat above the stance table"
        );
        assert!(md.contains("| group | label (keyword labels, not validated) | count / n |"));
        // topics need no caveat
        assert!(md.contains("## Shares by topic\n\n| group | label | count / n |"));
    }

    #[test]
    fn a_tested_finding_is_headlined_with_its_p_value_and_caveat() {
        let md = render(&data(3, 0.01));
        let s = differ(&md);
        assert!(
            s.contains(
                "- **doc_000.txt**: *favor* — 66.7% of its paragraphs (95% CI 60.0%–90.0%) vs \
                 30.0% in the other groups; adjusted p = 0.010. ⚠ keyword labels, not validated."
            ),
            "{s}"
        );
        assert!(s.contains("3 of 3 pairs of groups differ significantly along stance"));
    }

    #[test]
    fn an_untested_claim_is_not_a_finding() {
        let mut d = data(3, 0.01);
        d.claims[0].p_adjusted = None;
        let md = render(&d);
        assert!(!differ(&md).contains("*favor*"));
        assert!(differ(&md).contains("no label is named"));
        d.divergence.clear();
        d.dimension_info.clear();
        let md = render(&d);
        assert!(differ(&md).contains("**No test, no claim.**"), "{md}");
    }

    #[test]
    fn a_summarised_report_says_so() {
        let mut d = data(40, 0.5);
        crate::report::summarise(&mut d, 30);
        let md = render(&d);
        assert!(md.contains("> **Summarised.** The report is summarised: the run has 40 groups"));
        assert!(md.contains("--group-by COLUMN"));
        // the 30 largest groups (no finding): doc_010 … doc_039
        assert!(!md.contains("doc_009.txt") && md.contains("doc_010.txt"));
        assert!(md.contains("doc_039.txt"));
    }
}
