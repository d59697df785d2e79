//! Topics, distinctive terms, methods and warnings.

use super::*;

/// Each topic: label, size and share, weighted top terms, example paragraphs.
pub(super) fn topics_section(out: &mut String, topics: &[TopicInfo], kc: Option<&KChoice>) {
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
    if let Some(kc) = kc {
        k_choice(out, kc);
    }
    for t in topics {
        w!(
            out,
            "<article class=\"topic\" id=\"topic-{}\">\n<h3>Topic {} · {}<span class=\"size\">{} \
             paragraphs · {}</span></h3>\n<ul class=\"terms\" aria-label=\"Top terms\">\n",
            t.id,
            t.id,
            escape(&t.label),
            t.size,
            match t.stability {
                Some(st) => format!("{} · stability {}", pct(t.share), fixed(st, 2)),
                None => pct(t.share),
            }
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

/// A criterion over k: its name, `(k, value)` points and colour.
type Curve<'a> = (&'a str, &'a [(usize, f64)], &'a str);

/// How k was chosen: the mean silhouette and the stability of every k tried, as lines over
/// k with the chosen k marked, and what the stability means.
fn k_choice(out: &mut String, kc: &KChoice) {
    if kc.stability_runs > 0 {
        w!(
            out,
            "<p>Stability: each topic's members were compared with those of its best-matching \
             topic in {} re-fits, each with its own seed on a random {:.0}% of the paragraphs \
             (mean Jaccard overlap; 1 = the same members every time, near 0 = an accident of the \
             seed). {}</p>\n",
            kc.stability_runs,
            kc.stability_sample * 100.0,
            match kc.stability_by_k.iter().find(|(k, _)| *k == kc.k) {
                Some((_, s)) => format!("k = {}: stability {}.", kc.k, fixed(*s, 3)),
                None => String::new(),
            }
        );
    }
    let series: Vec<Curve<'_>> = [
        ("mean silhouette", kc.silhouette_by_k.as_slice(), PALETTE[0]),
        ("stability", kc.stability_by_k.as_slice(), PALETTE[1]),
    ]
    .into_iter()
    .filter(|(_, v, _)| v.len() >= 2)
    .collect();
    if series.is_empty() {
        return;
    }
    let ks: Vec<usize> = series
        .iter()
        .flat_map(|(_, v, _)| v.iter().map(|(k, _)| *k))
        .collect();
    let (k_lo, k_hi) = (
        *ks.iter().min().unwrap_or(&0),
        *ks.iter().max().unwrap_or(&1),
    );
    let (w, h, left, right, top, bottom) = (520.0, 170.0, 40.0, 12.0, 10.0, 30.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let x = |k: usize| left + pw * (k - k_lo) as f64 / (k_hi - k_lo).max(1) as f64;
    w!(
        out,
        "<figure class=\"k-chart\">\n<svg viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
         role=\"img\" aria-label=\"criteria of the number of topics k\">\n\
         <line x1=\"{left:.0}\" x2=\"{:.0}\" y1=\"{:.0}\" y2=\"{:.0}\" stroke=\"#d0d7de\"/>\n",
        w - right,
        top + ph,
        top + ph
    );
    let step = (k_hi - k_lo).div_ceil(10).max(1);
    for k in (k_lo..=k_hi).step_by(step) {
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"10\" text-anchor=\"middle\">{k}</text>\n",
            x(k),
            h - bottom + 14.0
        );
    }
    if (k_lo..=k_hi).contains(&kc.k) {
        w!(
            out,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top:.0}\" y2=\"{1:.0}\" stroke=\"#3a3f45\" \
             stroke-dasharray=\"3 2\"><title>chosen k = {2}</title></line>\n",
            x(kc.k),
            top + ph,
            kc.k
        );
    }
    for (name, v, colour) in &series {
        // Each criterion on its own scale, from its minimum to its maximum.
        let finite: Vec<f64> = v.iter().map(|p| p.1).filter(|s| s.is_finite()).collect();
        let (lo, hi) = (
            finite.iter().copied().fold(f64::INFINITY, f64::min),
            finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let y = |s: f64| {
            let t = if hi > lo { (s - lo) / (hi - lo) } else { 0.5 };
            top + ph * (1.0 - t)
        };
        let pts: Vec<String> = v
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|&(k, s)| format!("{:.1},{:.1}", x(k), y(s)))
            .collect();
        w!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>\n",
            pts.join(" "),
            name
        );
        for &(k, s) in v.iter().filter(|p| p.1.is_finite()) {
            w!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>k = {k}: {name} {}</title></circle>\n",
                x(k),
                y(s),
                fixed(s, 3)
            );
        }
    }
    out.push_str("</svg>\n<figcaption>Criteria of the number of topics k, each scaled from its minimum to its maximum:");
    for (name, v, colour) in &series {
        let finite = v.iter().filter(|p| p.1.is_finite());
        let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
        w!(
            out,
            " <span class=\"key\"><svg width=\"14\" height=\"10\"><rect width=\"14\" height=\"10\" fill=\"{colour}\"/></svg> {name} ({}–{})</span>",
            fixed(min, 3),
            fixed(max, 3)
        );
    }
    w!(
        out,
        "; the dashed line is the k used ({}).</figcaption>\n</figure>\n",
        if kc.automatic {
            format!("chosen by {}", escape(&kc.criterion))
        } else {
            "given".to_string()
        }
    );
}

/// The topic map (classical MDS of the centroids' cosine distances, circle areas ∝ sizes)
/// and the heat map of the centroids' cosine similarities.
pub(super) fn topic_map_section(out: &mut String, topics: &[TopicInfo], map: Option<&TopicMap>) {
    let Some(m) = map else {
        return;
    };
    let k = m.coords.len();
    if k < 2 || topics.len() != k {
        return;
    }
    out.push_str(
        "<section id=\"topic-map\">\n<h2>Topic map</h2>\n<p>Left: topics placed by classical \
         multidimensional scaling of the distances between their centroids (√(2 − 2·cos)); \
         circle areas are sizes, so topics close together share vocabulary or meaning. Right: \
         the cosine similarity of every pair of centroids.</p>\n<div class=\"time-charts\">\n",
    );
    // The map.
    let (w, h, pad) = (360.0, 300.0, 30.0);
    let xs: Vec<f64> = m.coords.iter().map(|c| c.0).collect();
    let ys: Vec<f64> = m.coords.iter().map(|c| c.1).collect();
    let span = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, if hi > lo { hi } else { lo + 1.0 })
    };
    let ((x0, x1), (y0, y1)) = (span(&xs), span(&ys));
    let max_size = topics.iter().map(|t| t.size).max().unwrap_or(1).max(1) as f64;
    w!(
        out,
        "<figure>\n<svg viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" \
         aria-label=\"topic map\">\n"
    );
    for (t, &(x, y)) in topics.iter().zip(&m.coords) {
        let cx = pad + (w - 2.0 * pad) * (x - x0) / (x1 - x0);
        let cy = pad + (h - 2.0 * pad) * (1.0 - (y - y0) / (y1 - y0));
        let r = 4.0 + 22.0 * (t.size as f64 / max_size).sqrt();
        w!(
            out,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"{}\" fill-opacity=\"0.35\" \
             stroke=\"{}\"><title>Topic {} · {}: {} paragraphs</title></circle>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
            PALETTE[t.id as usize % PALETTE.len()],
            PALETTE[t.id as usize % PALETTE.len()],
            t.id,
            escape(&t.label),
            t.size,
            cy + 3.5,
            t.id
        );
    }
    out.push_str("</svg>\n<figcaption>Topic ids as in the topics above.</figcaption>\n</figure>\n");
    // The heat map.
    let cell = (300.0 / k as f64).clamp(8.0, 28.0);
    let side = 24.0 + cell * k as f64;
    w!(
        out,
        "<figure>\n<svg viewBox=\"0 0 {side:.0} {side:.0}\" width=\"{side:.0}\" height=\"{side:.0}\" \
         role=\"img\" aria-label=\"topic similarity heat map\">\n"
    );
    for i in 0..k {
        w!(
            out,
            "<text x=\"20\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\">{i}</text>\
             <text x=\"{:.1}\" y=\"18\" font-size=\"9\" text-anchor=\"middle\">{i}</text>\n",
            24.0 + cell * (i as f64 + 0.5) + 3.0,
            24.0 + cell * (i as f64 + 0.5)
        );
        for j in 0..k {
            let s = m.similarity[i][j];
            w!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{cell:.1}\" height=\"{cell:.1}\" fill=\"{}\">\
                 <title>topics {i} and {j}: cosine {}</title></rect>\n",
                24.0 + cell * j as f64,
                24.0 + cell * i as f64,
                hex(sequential(s.clamp(0.0, 1.0))),
                fixed(s, 2)
            );
        }
    }
    out.push_str(
        "</svg>\n<figcaption>Cosine similarity of the topic centroids (darker = more similar; \
         the diagonal is 1).</figcaption>\n</figure>\n</div>\n</section>\n",
    );
}
