//! Per dimension: the Jensen–Shannon divergence heat map and the table of pairs.

use super::*;

/// Groups × groups matrix of JSD, coloured on a square-root scale, `*` when significant.
pub(super) fn heat_map(out: &mut String, rows: &[&DivergenceRow], dim_i: usize, dim: &str) {
    // groups (index, name, n) in index order
    let mut gmap: HashMap<usize, (&str, u64)> = HashMap::new();
    for r in rows {
        let a = gmap.entry(r.group_a).or_insert((&r.name_a, 0));
        a.1 = a.1.max(r.n_a);
        let b = gmap.entry(r.group_b).or_insert((&r.name_b, 0));
        b.1 = b.1.max(r.n_b);
    }
    let mut all: Vec<(usize, &str, u64)> = gmap.into_iter().map(|(g, (n, k))| (g, n, k)).collect();
    all.sort_by_key(|g| g.0);
    let shown: Vec<(usize, &str, u64)> = largest(&all, MAX_CHART_GROUPS, |g| g.2)
        .into_iter()
        .map(|i| all[i])
        .collect();
    let pos: HashMap<usize, usize> = shown.iter().enumerate().map(|(i, g)| (g.0, i)).collect();
    let m = shown.len();
    let mut cell: HashMap<(usize, usize), &DivergenceRow> = HashMap::new();
    for r in rows {
        if let (Some(&a), Some(&b)) = (pos.get(&r.group_a), pos.get(&r.group_b)) {
            cell.entry((a, b)).or_insert(r);
            cell.entry((b, a)).or_insert(r);
        }
    }

    let cs = (600.0 / m as f64).clamp(22.0, 64.0);
    let name_w = 200.0;
    let label_chars = 22;
    let top = 20.0 + (label_chars as f64 * 6.2) * 0.62; // rotated column labels
    let grid_w = m as f64 * cs;
    let legend_x = name_w + grid_w + 36.0;
    let width = legend_x + 90.0;
    let lh = grid_w.clamp(120.0, 300.0); // colour legend height
    let height = top + grid_w.max(lh + 24.0) + 12.0;
    let show_text = cs >= 34.0;
    let font = if cs >= 44.0 { 12.0 } else { 10.0 };

    w!(
        out,
        "<figure>\n<svg viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" \
         height=\"{height:.0}\" role=\"img\" aria-label=\"Heat map of the Jensen–Shannon \
         divergence between each pair of groups along {}; the same numbers are in the table \
         below\">\n",
        escape(dim)
    );
    w!(
        out,
        "<defs><linearGradient id=\"jsd-grad-{dim_i}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
    );
    for k in 0..=10 {
        let t = k as f64 / 10.0;
        w!(
            out,
            "<stop offset=\"{t:.1}\" stop-color=\"{}\"/>",
            hex(sequential(t))
        );
    }
    out.push_str("</linearGradient></defs>\n");
    // names: rows on the left, columns rotated on top
    for (i, &(_, name, n)) in shown.iter().enumerate() {
        let yc = top + i as f64 * cs + cs / 2.0;
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1f2328\">\
             <title>{} (n = {})</title>{}</text>\n",
            name_w - 8.0,
            yc + 4.0,
            escape(name),
            n,
            escape(&truncate(name, fit_chars(name_w - 12.0)))
        );
        let xc = name_w + i as f64 * cs + cs / 2.0;
        w!(
            out,
            "<text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"11.5\" fill=\"#1f2328\" \
             transform=\"rotate(-40 {0:.1} {1:.1})\"><title>{2}</title>{3}</text>\n",
            xc - 2.0,
            top - 6.0,
            escape(name),
            escape(&truncate(name, label_chars))
        );
    }
    // cells
    for i in 0..m {
        for j in 0..m {
            let (x, y) = (name_w + j as f64 * cs, top + i as f64 * cs);
            if i == j {
                // the diagonal: white with a thin stroke, unlike any colour of the scale
                w!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cs:.1}\" height=\"{cs:.1}\" \
                     fill=\"#fff\" stroke=\"#fff\"/><path d=\"M{:.1} {:.1}L{:.1} {:.1}\" \
                     stroke=\"#b8c0c8\" stroke-width=\"1\"/>",
                    x + 3.0,
                    y + cs - 3.0,
                    x + cs - 3.0,
                    y + 3.0
                );
                continue;
            }
            let Some(r) = cell.get(&(i, j)) else {
                w!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cs:.1}\" height=\"{cs:.1}\" \
                     fill=\"#fff\" stroke=\"#d5dbe1\"><title>no test</title></rect>"
                );
                continue;
            };
            let finite = r.jsd.is_finite();
            let fill = if finite {
                sequential(jsd_scale(r.jsd))
            } else {
                (0xff, 0xff, 0xff)
            };
            w!(
                out,
                "<g><title>{} vs {}: JSD {}, p = {}, adjusted p = {}{}</title>\
                 <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cs:.1}\" height=\"{cs:.1}\" fill=\"{}\" \
                 stroke=\"#fff\"/>",
                escape(&r.name_a),
                escape(&r.name_b),
                fixed(r.jsd, 3),
                pval(r.p_value),
                pval(r.p_adjusted),
                if r.significant { " (significant)" } else { "" },
                hex(fill)
            );
            if show_text {
                let ink = if is_light(fill) { "#1f2328" } else { "#ffffff" };
                w!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{font}\" text-anchor=\"middle\" \
                     fill=\"{ink}\"{}>{}{}</text>",
                    x + cs / 2.0,
                    y + cs / 2.0 + font * 0.36,
                    if r.significant {
                        " font-weight=\"700\""
                    } else {
                        ""
                    },
                    fixed(r.jsd, 2),
                    if r.significant { "*" } else { "" }
                );
            } else if r.significant {
                let ink = if is_light(fill) { "#1f2328" } else { "#ffffff" };
                w!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{ink}\"/>",
                    x + cs / 2.0,
                    y + cs / 2.0
                );
            }
            out.push_str("</g>");
        }
        out.push('\n');
    }
    // colour legend
    let ly = top;
    w!(
        out,
        "<rect x=\"{legend_x:.1}\" y=\"{ly:.1}\" width=\"14\" height=\"{lh:.1}\" \
         fill=\"url(#jsd-grad-{dim_i})\" stroke=\"#8c959f\" stroke-width=\"0.5\"/>\
         <text x=\"{legend_x:.1}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"600\" \
         fill=\"#1f2328\">JSD</text>\n",
        ly + lh + 18.0
    );
    for v in [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0] {
        let yy = ly + lh * (1.0 - jsd_scale(v));
        w!(
            out,
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#59636e\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#59636e\">{}</text>",
            legend_x + 14.0,
            legend_x + 18.0,
            legend_x + 21.0,
            yy + 3.5,
            v
        );
    }
    out.push_str("\n</svg>\n<figcaption>");
    w!(
        out,
        "Jensen–Shannon divergence of the label distributions of each pair of groups: 0 = \
         identical, 1 = no label in common. Colour on a square-root scale. {} = significant \
         after adjustment (adjusted permutation p-value below alpha).",
        if show_text {
            "<strong>*</strong>"
        } else {
            "A dot"
        }
    );
    if all.len() > m {
        w!(
            out,
            " The map shows the {} groups with the most labelled paragraphs out of {}; the \
             table below and <code>divergence.parquet</code> have every pair.",
            m,
            all.len()
        );
    }
    if !show_text {
        out.push_str(" Hover a cell for its figures.");
    }
    out.push_str("</figcaption>\n</figure>\n");
}

/// The pairs: JSD, p, adjusted p, method, permutations (at most `MAX_PAIR_ROWS`).
pub(super) fn divergence_table(out: &mut String, rows: &[&DivergenceRow], adjust: &str) {
    let mut shown: Vec<&DivergenceRow> = rows.to_vec();
    let cut = shown.len() > MAX_PAIR_ROWS;
    if cut {
        let p_key = |x: f64| if x.is_finite() { x } else { f64::INFINITY };
        let jsd_key = |x: f64| if x.is_finite() { x } else { -1.0 };
        shown.sort_by(|a, b| {
            p_key(a.p_adjusted)
                .total_cmp(&p_key(b.p_adjusted))
                .then_with(|| jsd_key(b.jsd).total_cmp(&jsd_key(a.jsd)))
        });
        shown.truncate(MAX_PAIR_ROWS);
    }
    let adj = adjust_name(adjust);
    w!(
        out,
        "<details{}><summary>Table: {} pair{} of groups{}</summary>\n<table>\n<caption>Pairwise \
         Jensen–Shannon divergence with permutation p-values, adjusted with {} over all \
         dimensions and pairs.{}</caption>\n<thead><tr><th scope=\"col\">Group A</th>\
         <th scope=\"col\">Group B</th><th scope=\"col\" class=\"num\">n A / n B</th>\
         <th scope=\"col\" class=\"num\">JSD</th><th scope=\"col\" class=\"num\">p</th>\
         <th scope=\"col\" class=\"num\"><abbr title=\"p adjusted with {}\">p adj.</abbr></th>\
         <th scope=\"col\">Significant</th>\
         <th scope=\"col\">Method</th><th scope=\"col\" class=\"num\">Permutations</th></tr>\
         </thead>\n<tbody>\n",
        if shown.len() <= OPEN_TABLE_ROWS {
            " open"
        } else {
            ""
        },
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        if cut {
            format!(" ({MAX_PAIR_ROWS} shown)")
        } else {
            String::new()
        },
        adj,
        if cut {
            format!(
                " Showing the {MAX_PAIR_ROWS} pairs with the smallest adjusted p-values; \
                 <code>divergence.parquet</code> has all {}.",
                rows.len()
            )
        } else {
            String::new()
        },
        adj
    );
    let mut methods: Vec<&'static str> = Vec::new();
    for r in shown {
        let m = r.method.as_str();
        if !methods.contains(&m) {
            methods.push(m);
        }
        w!(
            out,
            "<tr{}><td class=\"name\">{}</td><td class=\"name\">{}</td><td class=\"num\">{} / {}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{}</td></tr>\n",
            if r.significant { " class=\"sig\"" } else { "" },
            escape(&r.name_a),
            escape(&r.name_b),
            r.n_a,
            r.n_b,
            fixed(r.jsd, 3),
            pval(r.p_value),
            pval(r.p_adjusted),
            if r.significant { "yes*" } else { "no" },
            m,
            r.n_perm
        );
    }
    out.push_str("</tbody>\n</table>\n");
    method_notes(out, &methods);
    out.push_str("</details>\n");
}
