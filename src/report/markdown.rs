//! `report.md`: the framing report as Markdown (tables, no charts).

use super::ReportData;
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

    if !d.claims.is_empty() {
        let _ = writeln!(s, "\n## How the groups differ\n");
        for c in &d.claims {
            let _ = writeln!(
                s,
                "- **{}** ({}): *{}* — {} of its paragraphs (95% CI {}–{}) vs {} in the other groups.",
                cell(&c.group),
                c.dimension,
                cell(&c.label),
                pct(c.share),
                pct(c.ci_low),
                pct(c.ci_high),
                pct(c.share_rest)
            );
            for e in &c.examples {
                let _ = writeln!(s, "  > {} — `{}` ¶{}", cell(&e.text), e.doc_id, e.para_id);
            }
        }
    }

    for dim in &d.dimensions {
        let _ = writeln!(s, "\n## Shares by {dim}\n");
        let _ = writeln!(
            s,
            "| group | label | count / n | share | 95% CI | method |\n|---|---|---:|---:|---|---|"
        );
        let shown: Vec<&str> = d.groups.iter().take(30).map(|g| g.name.as_str()).collect();
        if d.groups.len() > 30 {
            let _ = writeln!(
                s,
                "_{} groups: the first 30 are shown here; all are in doc_labels.parquet._\n",
                d.groups.len()
            );
        }
        for r in d
            .shares
            .iter()
            .filter(|r| &r.dimension == dim && shown.contains(&r.group_name.as_str()))
        {
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
        for t in &d.topics {
            let terms: Vec<String> = t.terms.iter().map(|(w, _)| w.clone()).collect();
            let _ = writeln!(
                s,
                "### Topic {}: {}\n\n{} paragraphs ({}). Terms: {}.\n",
                t.id,
                t.label,
                t.size,
                pct(t.share),
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

    let m = &d.methods;
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
