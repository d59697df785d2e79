//! Document head (with the inline style sheet, `src/report/assets/report.css`) and header:
//! corpus summary, groups, table of contents.

use super::*;

/// Inline style sheet.
pub(super) const CSS: &str = include_str!("../assets/report.css");

/// `<!DOCTYPE>`, `<head>` with the style sheet.
pub(super) fn head(out: &mut String, data: &ReportData) {
    let title = if data.title.trim().is_empty() {
        "rhetor framing report".to_string()
    } else {
        data.title.clone()
    };
    w!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"rhetor {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n",
        escape(&data.rhetor_version),
        escape(&title),
        CSS
    );
}

/// Title, run facts, corpus summary and the list of groups.
pub(super) fn header(out: &mut String, data: &ReportData) {
    let s = &data.summary;
    let title = if data.title.trim().is_empty() {
        "Framing report"
    } else {
        data.title.as_str()
    };
    w!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">",
        escape(title)
    );
    w!(
        out,
        "rhetor {} · seed {}",
        escape(&data.rhetor_version),
        data.seed
    );
    if !s.corpus.is_empty() {
        w!(out, " · corpus <code>{}</code>", escape(&s.corpus));
    }
    match &data.group_by {
        None => out.push_str(" · groups: each document is a group"),
        Some(col) => w!(
            out,
            " · groups: documents grouped by <code>{}</code>",
            escape(col)
        ),
    }
    out.push_str("</p>\n<div class=\"stats\">\n");
    let stat = |out: &mut String, v: u64, what: &str, tip: &str| {
        w!(
            out,
            "<div class=\"stat\" title=\"{tip}\"><b>{v}</b><span>{what}</span></div>\n"
        );
    };
    stat(out, s.documents, "documents", "documents analysed");
    stat(out, s.paragraphs, "paragraphs", "paragraphs analysed");
    let n_groups = data
        .summarised
        .as_ref()
        .map_or(data.groups.len() as u64, |x| x.total_groups);
    stat(out, n_groups, "groups compared", "groups compared");
    stat(
        out,
        s.skipped,
        "skipped",
        "documents or rows skipped (unreadable or empty)",
    );
    stat(
        out,
        s.dropped,
        "boilerplate dropped",
        "boilerplate pieces dropped",
    );
    stat(
        out,
        s.headings,
        "headings",
        "headings recognised (sections, not paragraphs)",
    );
    out.push_str("</div>\n");
    if !data.warnings.is_empty() {
        w!(
            out,
            "<p><span class=\"warn-flag\">⚠ {} warning{} raised during the run — see \
             <a href=\"#warnings\">Warnings</a></span></p>\n",
            data.warnings.len(),
            if data.warnings.len() == 1 { "" } else { "s" }
        );
    }
    if let Some(note) = crate::report::summary_note(data) {
        w!(
            out,
            "<p class=\"summarised\"><strong>Summarised.</strong> {}</p>\n",
            code_spans(&escape(&note))
        );
    }
    groups_table(out, &data.groups, data.summarised.is_some());
    out.push_str("</header>\n");
}

/// The groups compared: name, title, documents, paragraphs.
pub(super) fn groups_table(out: &mut String, groups: &[GroupInfo], summarised: bool) {
    if groups.is_empty() {
        out.push_str("<p class=\"empty\">No groups were compared.</p>\n");
        return;
    }
    let has_title = groups.iter().any(|g| g.title.is_some());
    w!(
        out,
        "<details{}><summary>The {} group{} {}</summary>\n<table>\n<thead><tr>\
         <th scope=\"col\">Group</th>{}<th scope=\"col\" class=\"num\">Documents</th>\
         <th scope=\"col\" class=\"num\">Paragraphs</th></tr></thead>\n<tbody>\n",
        if groups.len() <= 12 { " open" } else { "" },
        groups.len(),
        if groups.len() == 1 { "" } else { "s" },
        if summarised {
            "shown in this report"
        } else {
            "compared"
        },
        if has_title {
            "<th scope=\"col\">Title</th>"
        } else {
            ""
        }
    );
    for g in groups {
        w!(
            out,
            "<tr><th scope=\"row\" class=\"name\">{}</th>",
            escape(&g.name)
        );
        if has_title {
            w!(
                out,
                "<td>{}</td>",
                g.title.as_deref().map_or(String::new(), escape)
            );
        }
        w!(
            out,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            g.n_docs,
            g.n_paragraphs
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n");
}

/// Table of contents (plain anchors: no script).
pub(super) fn toc(out: &mut String, data: &ReportData, dims: &[String]) {
    out.push_str(
        "<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong>\n<ol>\n\
         <li><a href=\"#differ\">How the groups differ</a></li>\n",
    );
    for (i, d) in dims.iter().enumerate() {
        w!(
            out,
            "<li><a href=\"#dim-{i}\">Dimension: {}</a></li>\n",
            escape(d)
        );
    }
    out.push_str(
        "<li><a href=\"#topics\">Topics</a></li>\n\
         <li><a href=\"#keyness\">Distinctive terms</a></li>\n\
         <li><a href=\"#methods\">Methods</a></li>\n",
    );
    if !data.warnings.is_empty() {
        out.push_str("<li><a href=\"#warnings\">Warnings</a></li>\n");
    }
    out.push_str("</ol>\n</nav>\n");
}

/// The dimensions to show: `data.dimensions`, then any other dimension found in the rows.
pub(super) fn dimensions(data: &ReportData) -> Vec<String> {
    let mut dims: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let named = data.dimensions.iter().map(String::as_str);
    let found = data
        .shares
        .iter()
        .map(|r| r.dimension.as_str())
        .chain(data.divergence.iter().map(|r| r.dimension.as_str()));
    for d in named.chain(found) {
        if seen.insert(d) {
            dims.push(d.to_string());
        }
    }
    dims
}
