//! Per dimension: the share chart (95% intervals as whiskers) and its table.

use super::*;

/// The share rows of one dimension, indexed by group and label.
pub(super) struct DimShares<'a> {
    /// Labels in order of first appearance.
    pub(super) labels: Vec<&'a str>,
    /// Groups `(index, name, n)` ordered by index.
    pub(super) groups: Vec<(usize, &'a str, u64)>,
    /// Rows by (position in `groups`, position in `labels`).
    pub(super) cells: HashMap<(usize, usize), &'a ShareRow>,
    /// All rows in input order.
    pub(super) rows: Vec<&'a ShareRow>,
}

impl<'a> DimShares<'a> {
    /// Collects the rows of dimension `dim`.
    pub(super) fn new(shares: &'a [ShareRow], dim: &str) -> Self {
        let rows: Vec<&ShareRow> = shares.iter().filter(|r| r.dimension == dim).collect();
        let mut labels: Vec<&str> = Vec::new();
        let mut label_pos: HashMap<&str, usize> = HashMap::new();
        let mut group_n: HashMap<usize, (&str, u64)> = HashMap::new();
        for r in &rows {
            if !label_pos.contains_key(r.label.as_str()) {
                label_pos.insert(&r.label, labels.len());
                labels.push(&r.label);
            }
            let e = group_n.entry(r.group).or_insert((&r.group_name, 0));
            e.1 = e.1.max(r.n);
        }
        let mut groups: Vec<(usize, &str, u64)> =
            group_n.into_iter().map(|(g, (n, k))| (g, n, k)).collect();
        groups.sort_by_key(|g| g.0);
        let group_pos: HashMap<usize, usize> =
            groups.iter().enumerate().map(|(i, g)| (g.0, i)).collect();
        let mut cells = HashMap::new();
        for r in &rows {
            cells
                .entry((group_pos[&r.group], label_pos[r.label.as_str()]))
                .or_insert(*r);
        }
        DimShares {
            labels,
            groups,
            cells,
            rows,
        }
    }

    /// Share of label `l` over all groups pooled.
    pub(super) fn pooled(&self, l: usize) -> Option<f64> {
        let n: u64 = self.groups.iter().map(|g| g.2).sum();
        let c: u64 = (0..self.groups.len())
            .filter_map(|g| self.cells.get(&(g, l)))
            .map(|r| r.count)
            .sum();
        (n > 0).then(|| c as f64 / n as f64)
    }
}

/// Positions of the (at most `max`) groups with the most units, in their original order.
pub(super) fn largest<T>(items: &[T], max: usize, size: impl Fn(&T) -> u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    if idx.len() > max {
        idx.sort_by(|&a, &b| size(&items[b]).cmp(&size(&items[a])).then(a.cmp(&b)));
        idx.truncate(max);
        idx.sort_unstable();
    }
    idx
}

/// One dimension: share chart and table, divergence heat map and table.
pub(super) fn dimension_section(
    out: &mut String,
    data: &ReportData,
    i: usize,
    dim: &str,
    cav: Caveat<'_>,
) {
    w!(
        out,
        "<section id=\"dim-{i}\">\n<h2>Dimension: {}</h2>\n",
        escape(dim)
    );
    caveat_box(out, cav);
    let ds = DimShares::new(&data.shares, dim);
    out.push_str("<h3>Shares by group</h3>\n");
    if ds.rows.is_empty() {
        out.push_str(
            "<p class=\"empty\">No shares for this dimension: no group has labelled \
             paragraphs.</p>\n",
        );
    } else {
        share_chart(out, &ds, dim, cav);
        share_table(out, &ds, dim, cav);
    }
    let rows: Vec<&DivergenceRow> = data
        .divergence
        .iter()
        .filter(|r| r.dimension == dim)
        .collect();
    out.push_str("<h3>How different are the groups? Jensen–Shannon divergence</h3>\n");
    if rows.is_empty() {
        if ds.groups.len() >= 2 {
            out.push_str(
                "<p class=\"empty\">No divergence tests were computed for this dimension \
                 (see the warnings).</p>\n",
            );
        } else {
            out.push_str(
                "<p class=\"empty\">Divergence needs at least two groups with labelled \
                 paragraphs.</p>\n",
            );
        }
    } else {
        heat_map(out, &rows, i, dim);
        divergence_table(out, &rows, &data.adjust);
    }
    out.push_str("</section>\n");
}

/// A label as drawn in a share chart.
pub(super) struct ChartLabel {
    /// Display name.
    pub(super) name: String,
    /// Label positions it stands for (several for "other").
    pub(super) members: Vec<usize>,
    /// Whether this is the pooled "other" label (no interval).
    pub(super) other: bool,
    /// Fill colour.
    pub(super) colour: &'static str,
}

/// Small multiples, one panel per label: a row per group with the share as a bar and its
/// 95% interval as a whisker, a dashed line at the share of all groups pooled.
pub(super) fn share_chart(out: &mut String, ds: &DimShares<'_>, dim: &str, cav: Caveat<'_>) {
    let n_labels = ds.labels.len();
    let mut labels: Vec<ChartLabel> = Vec::new();
    let keep: Vec<usize> = if n_labels <= MAX_CHART_LABELS {
        (0..n_labels).collect()
    } else {
        let pooled: Vec<u64> = (0..n_labels)
            .map(|l| (ds.pooled(l).unwrap_or(0.0) * 1e12) as u64)
            .collect();
        largest(&pooled, MAX_CHART_LABELS - 1, |&p| p)
    };
    for (k, &l) in keep.iter().enumerate() {
        labels.push(ChartLabel {
            name: ds.labels[l].to_string(),
            members: vec![l],
            other: false,
            colour: PALETTE[k % PALETTE.len()],
        });
    }
    if keep.len() < n_labels {
        let rest: Vec<usize> = (0..n_labels).filter(|l| !keep.contains(l)).collect();
        labels.push(ChartLabel {
            name: format!("other ({} labels)", rest.len()),
            members: rest,
            other: true,
            colour: OTHER_COLOUR,
        });
    }
    let groups = largest(&ds.groups, MAX_CHART_GROUPS, |g| g.2);

    // Layout: a shared name column on the left, panels in up to three columns.
    let n_panels = labels.len();
    let cols = n_panels.clamp(1, 3);
    let panel_rows = n_panels.div_ceil(cols);
    let name_w = 220.0;
    let gap = 36.0;
    let plot_w: f64 =
        ((1050.0 - name_w - gap * (cols as f64 - 1.0) - 16.0) / cols as f64).min(420.0);
    let width = name_w + cols as f64 * plot_w + (cols as f64 - 1.0) * gap + 16.0;
    let (title_h, row_h, axis_h, block_gap) = (26.0, 20.0, 22.0, 16.0);
    let n_g = groups.len() as f64;
    let block_h = title_h + n_g * row_h + axis_h + block_gap;
    let height = panel_rows as f64 * block_h - block_gap + 4.0;

    out.push_str("<figure>\n<div class=\"legend\" aria-hidden=\"true\">");
    out.push_str(
        "<span><svg width=\"26\" height=\"12\"><rect x=\"0\" y=\"1\" width=\"26\" height=\"10\" \
         fill=\"#0072B2\"/></svg>share of the group's labelled paragraphs</span>\
         <span><svg width=\"30\" height=\"12\"><path d=\"M2 2v8M2 6H28M28 2v8\" \
         stroke=\"#1f2328\" stroke-width=\"1.4\" fill=\"none\"/></svg>95% interval</span>\
         <span><svg width=\"14\" height=\"14\"><line x1=\"7\" x2=\"7\" y1=\"0\" y2=\"14\" \
         stroke=\"#3a3f45\" stroke-dasharray=\"3 2\"/></svg>all groups pooled</span>",
    );
    out.push_str("</div>\n");
    w!(
        out,
        "<svg viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" \
         role=\"img\" aria-label=\"Shares of each label by group along {}, with 95% intervals; \
         the same numbers are in the table below\">\n",
        escape(dim)
    );
    for pr in 0..panel_rows {
        let y0 = pr as f64 * block_h;
        let y_rows = y0 + title_h;
        // zebra bands (as wide as this row of panels) and group names
        let in_row = (n_panels - pr * cols).min(cols) as f64;
        let band_w = name_w + in_row * (plot_w + gap) - gap + 8.0;
        for (gi, &g) in groups.iter().enumerate() {
            let y = y_rows + gi as f64 * row_h;
            if gi % 2 == 0 {
                w!(
                    out,
                    "<rect x=\"0\" y=\"{y:.1}\" width=\"{band_w:.1}\" height=\"{row_h}\" fill=\"#f3f5f7\"/>"
                );
            }
            let (_, name, n) = ds.groups[g];
            w!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1f2328\">\
                 <title>{} (n = {})</title>{}</text>\n",
                name_w - 12.0,
                y + row_h / 2.0 + 4.0,
                escape(name),
                n,
                escape(&truncate(name, fit_chars(name_w - 16.0)))
            );
        }
        for c in 0..cols {
            let p = pr * cols + c;
            let Some(lab) = labels.get(p) else { break };
            let x0 = name_w + c as f64 * (plot_w + gap);
            panel(out, ds, lab, &groups, (x0, y0, plot_w), (title_h, row_h));
        }
    }
    out.push_str("</svg>\n<figcaption>");
    let mut notes: Vec<String> = Vec::new();
    if let Some(c) = cav.short_caveat() {
        let mark = if cav.warns() { "⚠ " } else { "" };
        notes.push(format!("<strong>{mark}{}.</strong>", escape(&c)));
    }
    if ds.groups.len() > groups.len() {
        notes.push(format!(
            "The chart shows the {} groups with the most labelled paragraphs out of {}; the \
             table below and <code>doc_labels.parquet</code> have all of them.",
            groups.len(),
            ds.groups.len()
        ));
    }
    if labels.iter().any(|l| l.other) {
        notes.push(format!(
            "The {} most frequent labels are drawn; the other {} are pooled as “other” (no \
             interval) in the chart only — the table lists every label.",
            keep.len(),
            n_labels - keep.len()
        ));
    }
    notes.push("Hover a group name or bar for the exact figures.".to_string());
    out.push_str(&notes.join(" "));
    out.push_str("</figcaption>\n</figure>\n");
}

/// One panel of the share chart: label `lab` for the groups `groups` (positions in `ds`),
/// at `(x0, y0, plot_w)` with `(title_h, row_h)`.
pub(super) fn panel(
    out: &mut String,
    ds: &DimShares<'_>,
    lab: &ChartLabel,
    groups: &[usize],
    (x0, y0, plot_w): (f64, f64, f64),
    (title_h, row_h): (f64, f64),
) {
    let y_top = y0 + title_h;
    let y_bot = y_top + groups.len() as f64 * row_h;
    let x = |v: f64| x0 + v * plot_w;
    // title
    w!(
        out,
        "<g><title>{}</title><rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"11\" height=\"11\" \
         fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12.5\" font-weight=\"600\" \
         fill=\"#1f2328\">{}</text></g>\n",
        escape(&lab.name),
        y0 + 7.0,
        lab.colour,
        x0 + 16.0,
        y0 + 17.0,
        escape(&truncate(&lab.name, fit_chars(plot_w - 18.0)))
    );
    // grid and axis
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let stroke = if t == 0.0 { "#8c959f" } else { "#d5dbe1" };
        w!(
            out,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"{3}\"/>\
             <text x=\"{0:.1}\" y=\"{4:.1}\" font-size=\"10.5\" fill=\"#59636e\" \
             text-anchor=\"{6}\">{5}%</text>",
            x(t),
            y_top,
            y_bot + 3.0,
            stroke,
            y_bot + 15.0,
            (t * 100.0) as u32,
            match t {
                0.0 => "start",
                1.0 => "end",
                _ => "middle",
            }
        );
    }
    out.push('\n');
    // rows
    for (gi, &g) in groups.iter().enumerate() {
        let y = y_top + gi as f64 * row_h;
        let (_, gname, n) = ds.groups[g];
        let (share, ci, tip) = if lab.other {
            let c: u64 = lab
                .members
                .iter()
                .filter_map(|&l| ds.cells.get(&(g, l)))
                .map(|r| r.count)
                .sum();
            let s = if n > 0 { c as f64 / n as f64 } else { f64::NAN };
            (s, None, format!("{}/{}", c, n))
        } else {
            match ds.cells.get(&(g, lab.members[0])) {
                Some(r) => (
                    r.share,
                    Some((r.ci_low, r.ci_high)),
                    format!(
                        "{}/{}, 95% CI {}",
                        r.count,
                        r.n,
                        pct_ci(r.ci_low, r.ci_high)
                    ),
                ),
                None => (f64::NAN, None, "no row".to_string()),
            }
        };
        w!(
            out,
            "<g><title>{} — {}: {} ({})</title>",
            escape(gname),
            escape(&lab.name),
            pct(share),
            tip
        );
        // an invisible hit area so the tooltip shows over the whole row
        w!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{plot_w:.1}\" height=\"{row_h}\" fill=\"transparent\"/>"
        );
        if let Some(s) = unit(share) {
            w!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                y + 5.0,
                s * plot_w,
                row_h - 10.0,
                lab.colour
            );
        }
        if let Some((lo, hi)) = ci {
            if let (Some(lo), Some(hi)) = (unit(lo), unit(hi)) {
                whisker(out, x(lo), x(hi), y + row_h / 2.0, 8.0);
            }
        }
        out.push_str("</g>\n");
    }
    // pooled reference (for "other": the pooled shares of its labels add up)
    let pooled: Option<f64> = lab.members.iter().map(|&l| ds.pooled(l)).sum();
    if let Some(p) = pooled.and_then(unit) {
        w!(
            out,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"#3a3f45\" \
             stroke-width=\"1.2\" stroke-dasharray=\"3 2\"><title>all groups pooled: {3}</title></line>\n",
            x(p),
            y_top - 2.0,
            y_bot + 2.0,
            pct(p)
        );
    }
}

/// The share table: every group × label, grouped by group.
pub(super) fn share_table(out: &mut String, ds: &DimShares<'_>, dim: &str, cav: Caveat<'_>) {
    let mark = if cav.warns() { "⚠ " } else { "" };
    w!(
        out,
        "<details{}><summary>Table: shares along {} ({} rows){}</summary>\n<table>\n\
         <caption>{}Shares of each label in each group along {}, with 95% intervals. n = labelled \
         paragraphs of the group.</caption>\n<thead><tr><th scope=\"col\">Group</th>\
         <th scope=\"col\">Label</th><th scope=\"col\" class=\"num\">Count / n</th>\
         <th scope=\"col\" class=\"num\">Share</th><th scope=\"col\" class=\"num\">95% CI</th>\
         <th scope=\"col\">Method</th></tr></thead>\n",
        if ds.rows.len() <= OPEN_TABLE_ROWS {
            " open"
        } else {
            ""
        },
        escape(dim),
        ds.rows.len(),
        cav.short_caveat()
            .map_or(String::new(), |c| format!(" — {}{}", mark, escape(&c))),
        cav.short_caveat().map_or(String::new(), |c| format!(
            "<strong>{}{}.</strong> ",
            mark,
            escape(&c)
        )),
        escape(dim)
    );
    // rows grouped by group, in input order within a group
    let mut order: Vec<usize> = Vec::new();
    let mut by_group: HashMap<usize, Vec<&ShareRow>> = HashMap::new();
    for r in &ds.rows {
        by_group
            .entry(r.group)
            .or_insert_with(|| {
                order.push(r.group);
                Vec::new()
            })
            .push(r);
    }
    let mut methods: Vec<&'static str> = Vec::new();
    for g in order {
        let rows = &by_group[&g];
        out.push_str("<tbody class=\"grp\">\n");
        for (k, r) in rows.iter().enumerate() {
            out.push_str("<tr>");
            if k == 0 {
                w!(
                    out,
                    "<th scope=\"rowgroup\" rowspan=\"{}\" class=\"name\">{}</th>",
                    rows.len(),
                    escape(&r.group_name)
                );
            }
            let m = r.method.as_str();
            if !methods.contains(&m) {
                methods.push(m);
            }
            w!(
                out,
                "<td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td><code>{}</code></td></tr>\n",
                escape(&r.label),
                r.count,
                r.n,
                pct(r.share),
                pct_ci(r.ci_low, r.ci_high),
                m
            );
        }
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
    method_notes(out, &methods);
    out.push_str("</details>\n");
}

/// Explains the method names used in a table.
pub(super) fn method_notes(out: &mut String, methods: &[&str]) {
    let notes: Vec<String> = methods
        .iter()
        .filter(|m| !method_note(m).is_empty())
        .map(|m| format!("<code>{}</code>: {}", m, method_note(m)))
        .collect();
    if !notes.is_empty() {
        w!(out, "<p class=\"note\">{}.</p>\n", notes.join("; "));
    }
}
