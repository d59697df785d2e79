//! *How the groups differ*: the claims, their charts and example paragraphs.

use super::*;

/// Quoted example paragraphs with their source.
pub(super) fn examples(out: &mut String, examples: &[Example]) {
    if examples.is_empty() {
        return;
    }
    out.push_str("<div class=\"quotes\">\n");
    for e in examples {
        w!(
            out,
            "<blockquote><p>{}</p><footer>{} ¶{}</footer></blockquote>\n",
            escape(&e.text),
            escape(&e.doc_id),
            e.para_id
        );
    }
    out.push_str("</div>\n");
}

/// Backquoted spans of already escaped text as `<code>`.
pub(super) fn code_spans(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len() + 32);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            w!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The caveat of a dimension as a warning box (a plain note when its labels were validated
/// and found good), or nothing.
pub(super) fn caveat_box(out: &mut String, cav: Caveat<'_>) {
    if let Some(c) = cav.caveat() {
        let (class, mark) = if cav.warns() {
            ("caveat", "⚠ ")
        } else {
            ("note", "")
        };
        w!(
            out,
            "<p class=\"{class}\"><strong>{mark}{}.</strong> {}</p>\n",
            escape(&cav.short_caveat().unwrap_or_else(|| "caveat".into())),
            code_spans(&escape(&c))
        );
    }
}

/// "How the groups differ": per dimension, the verdict of its divergence tests and the
/// findings they back (each with its examples); "no significant difference" when none.
pub(super) fn claims_section(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"differ\">\n<h2>How the groups differ</h2>\n");
    let infos = data.dimension_infos();
    let n_groups = data
        .summarised
        .as_ref()
        .map_or(data.groups.len() as u64, |x| x.total_groups);
    if n_groups < 2 || infos.is_empty() {
        out.push_str(
            "<p class=\"empty\">No comparison: the report needs at least two groups with \
             labelled paragraphs.</p>\n</section>\n",
        );
        return;
    }
    w!(
        out,
        "<p class=\"lede\">A difference is named here only when it is backed by the tests: the \
         permutation test of the group's label distribution against another group is \
         significant after {} adjustment (adjusted p &lt; {}), and the label's 95% interval lies \
         wholly above its share in all other groups pooled. Each finding shows the group's \
         share with its interval against the other groups' share, and the paragraphs behind \
         it.</p>\n",
        adjust_name(&data.adjust),
        fixed(data.alpha, 2)
    );
    let findings: Vec<&Claim> = data.findings().collect();
    let compact = findings.len() > 12;
    for info in &infos {
        differ_dimension(out, data, info, &findings, compact);
    }
    out.push_str("</section>\n");
}

/// The verdict and findings of one dimension.
pub(super) fn differ_dimension(
    out: &mut String,
    data: &ReportData,
    info: &DimensionInfo,
    findings: &[&Claim],
    compact: bool,
) {
    let dim = info.name.as_str();
    let cav = data.caveat(dim);
    let mark = if cav.warns() { "⚠ " } else { "" };
    w!(
        out,
        "<h3>{}{}</h3>\n",
        escape(dim),
        cav.short_caveat().map_or(String::new(), |c| format!(
            " <span class=\"tag warn\">{mark}{}</span>",
            escape(&c)
        ))
    );
    caveat_box(out, cav);
    let min_p = info.min_p_adjusted.map_or(DASH.to_string(), pval);
    if info.n_pairs == 0 {
        w!(
            out,
            "<p class=\"verdict none\"><strong>No test, no claim.</strong> No divergence test \
             was run along {} (one group with labelled paragraphs, or more groups than \
             <code>groups.max_pairwise</code>; see the warnings), so no difference is \
             claimed.</p>\n",
            escape(dim)
        );
        return;
    }
    if info.n_significant == 0 {
        w!(
            out,
            "<p class=\"verdict none\"><strong>No significant difference</strong> between the \
             groups along {}: none of the {} pairwise permutation test{} is significant after \
             {} adjustment (smallest adjusted p = {}). The shares below describe the groups; \
             they do not show that the groups differ.</p>\n",
            escape(dim),
            info.n_pairs,
            if info.n_pairs == 1 { "" } else { "s" },
            adjust_name(&data.adjust),
            min_p
        );
        return;
    }
    w!(
        out,
        "<p class=\"verdict\">{} of {} pair{} of groups differ significantly along {} \
         (smallest adjusted p = {}).</p>\n",
        info.n_significant,
        info.n_pairs,
        if info.n_pairs == 1 { "" } else { "s" },
        escape(dim),
        min_p
    );
    let mine: Vec<&&Claim> = findings.iter().filter(|c| c.dimension == dim).collect();
    if mine.is_empty() {
        out.push_str(
            "<p class=\"empty\">No single label's 95% interval lies wholly above its share in \
             the other groups, so no label is named.</p>\n",
        );
        return;
    }
    out.push_str("<ol class=\"claims\">\n");
    for c in mine {
        let tag = cav.short_caveat().map(|t| format!("{mark}{t}"));
        claim(
            out,
            c,
            compact,
            tag.as_deref(),
            data.corrected(dim, &c.group, &c.label),
        );
    }
    out.push_str("</ol>\n");
}

/// One claim; with `compact`, its examples are collapsed.
pub(super) fn claim(
    out: &mut String,
    c: &Claim,
    compact: bool,
    caveat: Option<&str>,
    corrected: Option<&CorrectedShare>,
) {
    let mut tag = match caveat {
        Some(cv) => format!(" <span class=\"tag warn\">{}</span>", escape(cv)),
        None => String::new(),
    };
    if let Some(k) = corrected {
        tag.push_str(&format!(
            "<br><strong>Corrected for classifier error: {} (95% CI {})</strong>, from {} hand-coded paragraphs",
            pct(k.share),
            pct_ci(k.ci_low, k.ci_high),
            k.n_coded
        ));
    }
    w!(
        out,
        "<li><div class=\"claim-head\"><div class=\"claim-text\"><strong>{}</strong> — \
         <em>{}</em> <span class=\"dimname\">({})</span><br>{} of its labelled paragraphs \
         (95% CI {}) vs {} in the other groups; adjusted p = {}{}</div>",
        escape(&c.group),
        escape(&c.label),
        escape(&c.dimension),
        pct(c.share),
        pct_ci(c.ci_low, c.ci_high),
        pct(c.share_rest),
        c.p_adjusted.map_or(DASH.to_string(), pval),
        tag
    );
    claim_chart(out, c);
    out.push_str("</div>\n");
    if compact && !c.examples.is_empty() {
        w!(
            out,
            "<details><summary>{} example paragraph{}</summary>\n",
            c.examples.len(),
            if c.examples.len() == 1 { "" } else { "s" }
        );
        examples(out, &c.examples);
        out.push_str("</details>\n");
    } else {
        examples(out, &c.examples);
    }
    out.push_str("</li>\n");
}

/// A small two-bar chart: the group's share with its interval, and the rest's share.
pub(super) fn claim_chart(out: &mut String, c: &Claim) {
    let (x0, pw) = (74.0, 200.0);
    let x = |v: f64| x0 + v * pw;
    w!(
        out,
        "<svg width=\"290\" height=\"46\" viewBox=\"0 0 290 46\" role=\"img\" aria-label=\"{}: \
         {} (95% CI {}) vs the other groups {}\">",
        escape(&c.group),
        pct(c.share),
        pct_ci(c.ci_low, c.ci_high),
        pct(c.share_rest)
    );
    for t in [0.0, 0.5, 1.0] {
        w!(
            out,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"2\" y2=\"32\" stroke=\"#d5dbe1\"/>\
             <text x=\"{0:.1}\" y=\"43\" font-size=\"9.5\" fill=\"#59636e\" \
             text-anchor=\"middle\">{1}%</text>",
            x(t),
            (t * 100.0) as u32
        );
    }
    out.push_str(
        "<text x=\"68\" y=\"13\" font-size=\"11\" text-anchor=\"end\" fill=\"#1f2328\">this group</text>\
         <text x=\"68\" y=\"28\" font-size=\"11\" text-anchor=\"end\" fill=\"#59636e\">others</text>",
    );
    if let Some(s) = unit(c.share) {
        w!(
            out,
            "<rect x=\"{x0}\" y=\"4\" width=\"{:.1}\" height=\"11\" fill=\"#0072B2\"/>",
            s * pw
        );
    }
    if let (Some(lo), Some(hi)) = (unit(c.ci_low), unit(c.ci_high)) {
        whisker(out, x(lo), x(hi), 9.5, 5.0);
    }
    if let Some(r) = unit(c.share_rest) {
        w!(
            out,
            "<rect x=\"{x0}\" y=\"20\" width=\"{:.1}\" height=\"11\" fill=\"{OTHER_COLOUR}\"/>",
            r * pw
        );
    }
    out.push_str("</svg>");
}

/// A horizontal interval line with end caps, centred on `y`.
pub(super) fn whisker(out: &mut String, x1: f64, x2: f64, y: f64, cap: f64) {
    w!(
        out,
        "<path d=\"M{x1:.1} {:.1}v{:.1}M{x1:.1} {y:.1}H{x2:.1}M{x2:.1} {:.1}v{:.1}\" \
         stroke=\"#1f2328\" stroke-width=\"1.4\" fill=\"none\"/>",
        y - cap / 2.0,
        cap,
        y - cap / 2.0,
        cap
    );
}
