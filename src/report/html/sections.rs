//! Topics, distinctive terms, methods and warnings.

use super::*;

/// Each topic: label, size and share, weighted top terms, example paragraphs.
pub(super) fn topics_section(out: &mut String, topics: &[TopicInfo]) {
    out.push_str("<section id=\"topics\">\n<h2>Topics</h2>\n");
    if topics.is_empty() {
        out.push_str("<p class=\"empty\">No topics.</p>\n</section>\n");
        return;
    }
    w!(
        out,
        "<p class=\"lede\">{} topic{} found by clustering the paragraphs, largest first. Terms \
         are weighted by c-TF-IDF (how specific a term is to the topic); examples are the \
         paragraphs closest to the topic's centre.</p>\n",
        topics.len(),
        if topics.len() == 1 { " was" } else { "s were" }
    );
    for t in topics {
        w!(
            out,
            "<article class=\"topic\" id=\"topic-{}\">\n<h3>Topic {} · {}<span class=\"size\">{} \
             paragraphs · {}</span></h3>\n<ul class=\"terms\" aria-label=\"Top terms\">\n",
            t.id,
            t.id,
            escape(&t.label),
            t.size,
            pct(t.share)
        );
        let max = t
            .terms
            .iter()
            .map(|(_, w)| *w)
            .filter(|w| w.is_finite())
            .fold(0.0_f64, f64::max);
        for (term, wt) in &t.terms {
            let frac = if max > 0.0 {
                unit(*wt / max).unwrap_or(0.0)
            } else {
                0.0
            };
            w!(
                out,
                "<li><span class=\"t\" title=\"{0}\">{0}</span><span class=\"bar\"><i \
                 style=\"width:{1:.0}%\"></i></span><span class=\"v\">{2}</span></li>\n",
                escape(term),
                frac * 100.0,
                fixed(*wt, 3)
            );
        }
        if t.terms.is_empty() {
            out.push_str("<li class=\"empty\">no terms</li>\n");
        }
        out.push_str("</ul>\n<div class=\"ex\">\n");
        if t.examples.is_empty() {
            out.push_str("<p class=\"empty\">No example paragraphs.</p>\n");
        } else {
            out.push_str("<h4>Example paragraphs</h4>\n");
            examples(out, &t.examples);
        }
        out.push_str("</div>\n</article>\n");
    }
    out.push_str("</section>\n");
}

/// Distinctive terms per group, compact tables side by side.
pub(super) fn keyness_section(out: &mut String, keyness: &[GroupTerms]) {
    out.push_str("<section id=\"keyness\">\n<h2>Distinctive terms by group</h2>\n");
    if keyness.is_empty() {
        out.push_str("<p class=\"empty\">No distinctive terms.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"lede\">Words a group uses more than the rest of the corpus (Fightin' Words \
         log-odds ratio with an informative Dirichlet prior, group against all other groups). \
         z &gt; 1.96 would be p &lt; 0.05 for a single term, without adjustment for the many \
         terms compared; count = occurrences in the group.</p>\n<div class=\"kgrid\">\n",
    );
    for g in keyness {
        w!(
            out,
            "<div class=\"kcard\"><h3 title=\"{0}\">{0}</h3>\n",
            escape(&g.group)
        );
        if g.terms.is_empty() {
            out.push_str("<p class=\"empty\">No terms.</p></div>\n");
            continue;
        }
        w!(
            out,
            "<table aria-label=\"Distinctive terms of {}\"><thead><tr>\
             <th scope=\"col\">Term</th><th scope=\"col\" class=\"num\">Count</th>\
             <th scope=\"col\" class=\"num\">z</th></tr></thead><tbody>\n",
            escape(&g.group)
        );
        for t in &g.terms {
            w!(
                out,
                "<tr><td class=\"t\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&t.term),
                count(t.count),
                fixed(t.z, 1)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</div>\n</section>\n");
}

/// The methods, one paragraph per step.
pub(super) fn methods_section(out: &mut String, data: &ReportData) {
    let m = &data.methods;
    out.push_str("<section id=\"methods\">\n<h2>Methods</h2>\n<dl class=\"methods\">\n");
    let steps = [
        ("Segmentation", &m.segmentation),
        ("Embedding", &m.embedding),
        ("Clustering and topic terms", &m.clustering),
        ("Labelling", &m.labelling),
        ("Statistics", &m.statistics),
        ("Reproducibility", &m.reproducibility),
    ];
    let mut any = false;
    for (name, text) in steps {
        if !text.trim().is_empty() {
            any = true;
            w!(out, "<dt>{name}</dt><dd>{}</dd>\n", escape(text.trim()));
        }
    }
    out.push_str("</dl>\n");
    if !any {
        out.push_str("<p class=\"empty\">No method notes were recorded.</p>\n");
    }
    w!(
        out,
        "<p class=\"note\">Run seed {}. Divergence p-values are adjusted for multiple testing \
         with {}.</p>\n</section>\n",
        data.seed,
        adjust_name(&data.adjust)
    );
}

/// Warnings raised during the run, if any.
/// "Validation": how each validated dimension did against hand coding, and rhetor's shares
/// beside the shares corrected for classifier error.
pub(super) fn validation_section(out: &mut String, data: &ReportData) {
    let Some(v) = &data.validation else {
        return;
    };
    out.push_str("<section id=\"validation\">\n<h2>Validation</h2>\n");
    w!(
        out,
        "<p class=\"lede\">rhetor's labels checked against a hand-coded sample (<code>{}</code>, \
         validation <code>{}</code>). Corrected shares are prediction-powered inference \
         (PPI++): rhetor's labels on every paragraph of the group, corrected by the coded \
         paragraphs' disagreements with them; their 95% intervals account for both and for \
         paragraphs clustered in documents.</p>\n",
        escape(&v.coded),
        escape(&v.source)
    );
    out.push_str(
        "<table>\n<thead><tr><th scope=\"col\">Dimension</th><th scope=\"col\" class=\"num\">Coded</th>\
         <th scope=\"col\" class=\"num\">Coders</th><th scope=\"col\" class=\"num\">Accuracy (95% CI)</th>\
         <th scope=\"col\" class=\"num\">Macro-F1</th><th scope=\"col\" class=\"num\">α coders</th>\
         <th scope=\"col\" class=\"num\">α rhetor vs coders</th></tr></thead>\n<tbody>\n",
    );
    let a = |x: Option<f64>| x.map_or(DASH.to_string(), |v| fixed(v, 2));
    for d in &v.dimensions {
        w!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} ({})</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&d.dimension),
            d.n_reference,
            d.n_coders,
            pct(d.accuracy),
            pct_ci(d.accuracy_low, d.accuracy_high),
            fixed(d.macro_f1, 2),
            a(d.alpha_coders),
            a(d.alpha_rhetor)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(
        "<details open><summary>Shares: rhetor's and corrected</summary>\n<table>\n<thead><tr>\
         <th scope=\"col\">Dimension</th><th scope=\"col\">Group</th><th scope=\"col\">Label</th>\
         <th scope=\"col\" class=\"num\">Coded / paragraphs</th><th scope=\"col\" class=\"num\">rhetor's share</th>\
         <th scope=\"col\" class=\"num\">Corrected share (95% CI)</th></tr></thead>\n<tbody>\n",
    );
    for r in &v.shares {
        w!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{} ({})</td></tr>\n",
            escape(&r.dimension),
            escape(&r.group),
            escape(&r.label),
            r.n_coded,
            r.n,
            r.naive_share.map_or(DASH.to_string(), pct),
            pct(r.share),
            pct_ci(r.ci_low, r.ci_high)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n</section>\n");
}

pub(super) fn warnings_section(out: &mut String, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    out.push_str("<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul class=\"warnings\">\n");
    for wn in warnings {
        w!(out, "<li>{}</li>\n", escape(wn));
    }
    out.push_str("</ul>\n</section>\n");
}
