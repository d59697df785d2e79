use super::*;
use crate::compare::{PermMethod, ShareMethod};
use crate::report::{KeyTerm, Methods, Summary};

fn share(dim: &str, g: usize, name: &str, label: &str, count: u64, n: u64) -> ShareRow {
    let s = count as f64 / n as f64;
    ShareRow {
        dimension: dim.into(),
        group: g,
        group_name: name.into(),
        label: label.into(),
        count,
        n,
        n_unlabelled: 0,
        n_docs: 3,
        share: s,
        ci_low: (s - 0.1).max(0.0),
        ci_high: (s + 0.1).min(1.0),
        method: ShareMethod::ClusterBootstrapT,
    }
}

fn div(dim: &str, a: usize, b: usize, names: &[&str], jsd: f64, p: f64) -> DivergenceRow {
    DivergenceRow {
        dimension: dim.into(),
        group_a: a,
        group_b: b,
        name_a: names[a].into(),
        name_b: names[b].into(),
        n_a: 100,
        n_b: 120,
        docs_a: 3,
        docs_b: 4,
        jsd,
        p_value: p,
        p_adjusted: (p * 3.0).min(1.0),
        significant: p * 3.0 < 0.05,
        method: PermMethod::Documents,
        n_perm: 999,
    }
}

fn ex(doc: &str, para: u32, text: &str) -> Example {
    Example {
        doc_id: doc.into(),
        para_id: para,
        text: text.into(),
    }
}

/// Three groups (one with markup in its name), two dimensions, topics, keyness, claims.
fn sample() -> ReportData {
    let names = [
        "Party <A> & co",
        "party_b_manifesto_2021.txt",
        "Party \"C\"",
    ];
    let mut shares = Vec::new();
    for (g, name) in names.iter().enumerate() {
        shares.push(share("topic", g, name, "economy", 30 + 10 * g as u64, 100));
        shares.push(share(
            "topic",
            g,
            name,
            "migration",
            50 - 10 * g as u64,
            100,
        ));
        shares.push(share("topic", g, name, "climate", 20, 100));
        shares.push(share("stance", g, name, "for", 10 + g as u64, 40));
        shares.push(share("stance", g, name, "against", 30 - g as u64, 40));
    }
    let mut divergence = Vec::new();
    for dim in ["topic", "stance"] {
        divergence.push(div(dim, 0, 1, &names, 0.04, 0.001));
        divergence.push(div(dim, 0, 2, &names, 0.11, 0.2));
        divergence.push(div(dim, 1, 2, &names, f64::NAN, 0.5));
    }
    ReportData {
        title: "Framing of <b>migration</b>".into(),
        rhetor_version: "0.1.0".into(),
        seed: 42,
        summary: Summary {
            corpus: "corpus/".into(),
            documents: 9,
            paragraphs: 300,
            skipped: 1,
            dropped: 4,
            headings: 12,
        },
        group_by: Some("party".into()),
        groups: names
            .iter()
            .map(|n| GroupInfo {
                name: n.to_string(),
                n_docs: 3,
                n_paragraphs: 100,
                title: None,
            })
            .collect(),
        summarised: None,
        dimension_info: vec![],
        alpha: 0.05,
        topics: vec![TopicInfo {
            id: 0,
            label: "border_control".into(),
            size: 120,
            share: 0.4,
            terms: vec![("border".into(), 0.31), ("control".into(), 0.2)],
            examples: vec![ex(
                "doc1",
                3,
                "We <script>alert(1)</script> secure borders.",
            )],
            stability: Some(0.87),
        }],
        dimensions: vec!["topic".into(), "stance".into()],
        shares,
        divergence,
        adjust: "holm".into(),
        keyness: vec![GroupTerms {
            group: names[0].into(),
            terms: vec![KeyTerm {
                term: "tax's".into(),
                count: 12.0,
                log_odds: 0.8,
                z: 3.21,
            }],
        }],
        claims: vec![Claim {
            dimension: "topic".into(),
            group: names[0].into(),
            label: "migration".into(),
            share: 0.5,
            ci_low: 0.4,
            ci_high: 0.6,
            share_rest: 0.35,
            p_adjusted: Some(0.003),
            examples: vec![ex("doc2", 7, "Migration & jobs: \"fair\" rules.")],
        }],
        methods: Methods {
            segmentation: "Paragraphs split on blank lines.".into(),
            statistics: "Shares with 95% intervals.".into(),
            ..Methods::default()
        },
        warnings: vec!["group 'x' has <no> labels".into()],
        validation: None,
        k_choice: None,
        topic_map: None,
        time: None,
    }
}

fn empty() -> ReportData {
    ReportData {
        title: String::new(),
        rhetor_version: "0.1.0".into(),
        seed: 0,
        summary: Summary::default(),
        group_by: None,
        groups: vec![],
        summarised: None,
        dimension_info: vec![],
        alpha: 0.05,
        topics: vec![],
        dimensions: vec!["topic".into()],
        shares: vec![],
        divergence: vec![],
        adjust: String::new(),
        keyness: vec![],
        claims: vec![],
        methods: Methods::default(),
        warnings: vec![],
        validation: None,
        k_choice: None,
        topic_map: None,
        time: None,
    }
}

/// No script, no network reference, no unescaped markup from the data.
fn assert_safe(html: &str) {
    assert!(!html.to_lowercase().contains("<script"), "script in output");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<no>") && !html.contains("<b>migration"));
    assert!(!html.contains("NaN"));
    // Rust prints infinity as "inf": no such word anywhere
    let b = html.as_bytes();
    for (i, _) in html.match_indices("inf") {
        let before = i.checked_sub(1).map_or(b' ', |j| b[j]);
        let after = b.get(i + 3).copied().unwrap_or(b' ');
        assert!(
            before.is_ascii_alphabetic() || after.is_ascii_alphabetic(),
            "'inf' printed at {i}: {}",
            &html[i.saturating_sub(40)..(i + 40).min(html.len())]
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn escape_markup_ampersand_and_quotes() {
    assert_eq!(
        escape("<script>alert('x') & \"y\"</script>"),
        "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
    );
    assert_eq!(escape("a\u{0}b\u{7}c\nd\u{85}é…"), "abc\ndé…");
    assert_eq!(escape(""), "");
}

#[test]
fn renders_all_sections_in_order() {
    let html = render(&sample());
    assert_safe(&html);
    let ids = [
        "id=\"differ\"",
        "id=\"dim-0\"",
        "id=\"dim-1\"",
        "id=\"topics\"",
        "id=\"keyness\"",
        "id=\"methods\"",
        "id=\"warnings\"",
    ];
    let pos: Vec<usize> = ids.iter().map(|s| html.find(s).expect(s)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    assert!(html.contains("<svg"));
    assert!(html.contains("Framing of &lt;b&gt;migration&lt;/b&gt;"));
    assert!(html.contains("Party &lt;A&gt; &amp; co"));
    assert!(html.contains("Party &quot;C&quot;"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("tax&#39;s"));
    assert!(html.contains("doc2 ¶7"));
    assert!(html.contains("doc1 ¶3"));
    assert!(html.contains("seed 42"));
    assert!(html.contains("rhetor 0.1.0"));
    assert!(html.contains("Holm"));
    // claim figures
    assert!(html.contains("50.0%") && html.contains("40.0–60.0%") && html.contains("35.0%"));
    // share table numbers and methods
    assert!(html.contains("30 / 100") && html.contains("cluster_bootstrap_t_docs"));
    // significant pair marked, NaN shown as a dash
    assert!(html.contains("0.04*"));
    assert!(html.contains(">–<"));
    // topic term bar and keyness
    assert!(html.contains("border") && html.contains("0.310") && html.contains("3.2"));
    assert_eq!(html.matches("<section").count(), 7);
}

#[test]
fn empty_report_renders() {
    let html = render(&empty());
    assert_safe(&html);
    assert!(html.contains("No groups were compared"));
    assert!(html.contains("No shares for this dimension"));
    assert!(html.contains("Divergence needs at least two groups"));
    assert!(html.contains("No topics"));
    assert!(!html.contains("id=\"warnings\""));
}

#[test]
fn one_group_has_no_divergence() {
    let mut d = empty();
    d.groups.push(GroupInfo {
        name: "only".into(),
        n_docs: 2,
        n_paragraphs: 10,
        title: Some("Only doc".into()),
    });
    d.shares.push(share("topic", 0, "only", "a", 4, 10));
    d.shares.push(share("topic", 0, "only", "b", 6, 10));
    let html = render(&d);
    assert_safe(&html);
    assert!(html.contains("<svg"));
    assert!(html.contains("Divergence needs at least two groups"));
}

#[test]
fn non_finite_numbers_are_never_printed() {
    let mut d = sample();
    for r in &mut d.shares {
        r.share = f64::NAN;
        r.ci_low = f64::NEG_INFINITY;
        r.ci_high = f64::INFINITY;
    }
    for r in &mut d.divergence {
        r.jsd = f64::INFINITY;
        r.p_value = f64::NAN;
        r.p_adjusted = f64::NAN;
    }
    d.claims[0].share = f64::NAN;
    d.claims[0].share_rest = f64::INFINITY;
    d.topics[0].share = f64::NAN;
    d.topics[0].terms[0].1 = f64::NAN;
    d.keyness[0].terms[0].z = f64::NEG_INFINITY;
    d.keyness[0].terms[0].count = f64::NAN;
    let html = render(&d);
    assert_safe(&html);
}

#[test]
fn many_groups_and_labels_are_capped_in_charts() {
    let mut d = empty();
    let names: Vec<String> = (0..120)
        .map(|g| format!("a_very_long_document_file_name_number_{g:03}.txt"))
        .collect();
    for (g, name) in names.iter().enumerate() {
        for l in 0..20 {
            d.shares.push(share(
                "topic",
                g,
                name,
                &format!("label {l}"),
                (l + g % 7) as u64,
                300,
            ));
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    for a in 0..120 {
        for b in a + 1..120 {
            d.divergence.push(div(
                "topic",
                a,
                b,
                &refs,
                0.01 * ((a + b) % 30) as f64,
                0.01,
            ));
        }
    }
    let html = render(&d);
    assert_safe(&html);
    assert!(html.contains("other (9 labels)"));
    assert!(html.contains("The chart shows the 30 groups"));
    assert!(html.contains("The map shows the 30 groups"));
    assert!(html.contains("Showing the 500 pairs"));
    // the table keeps every share row
    assert!(html.contains("(2400 rows)"));
    // long names are shortened in charts, in full in the tooltip
    assert!(html.contains("<title>a_very_long_document_file_name_number_007.txt (n = 300)"));
    let short = truncate(&names[7], fit_chars(220.0 - 16.0));
    assert!(short.starts_with("a_very_long_") && short.ends_with("_007.txt"));
    assert!(html.contains(&format!("</title>{short}</text>")));
}

/// The "How the groups differ" section.
fn differ(html: &str) -> &str {
    let start = html.find("<section id=\"differ\">").unwrap();
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

#[test]
fn no_significant_difference_is_said_and_nothing_is_headlined() {
    let html = render(&crate::report::tests::data(4, 0.4));
    assert_safe(&html);
    let s = differ(&html);
    assert_eq!(
        s.matches("<strong>No significant difference</strong> between the groups along")
            .count(),
        2,
        "{s}"
    );
    assert!(!s.contains("<ol class=\"claims\">"), "{s}");
    assert!(!s.contains("favor"), "{s}");
    // keyword caveat beside the numbers: headline section, chart and table of the dimension
    assert!(s.contains(
        "<h3>stance <span class=\"tag warn\">⚠ keyword labels, not validated</span></h3>"
    ));
    assert!(s.contains("<p class=\"caveat\"><strong>⚠ keyword labels, not validated.</strong> Labelled by keywords"));
    assert!(s.contains("<code>rhetor validate</code>"));
    let dim = &html[html.find("<h2>Dimension: stance</h2>").unwrap()..];
    assert!(dim.starts_with("<h2>Dimension: stance</h2>\n<p class=\"caveat\">"));
    assert!(dim.contains(
        "<caption><strong>⚠ keyword labels, not validated.</strong> Shares of each label"
    ));
    assert!(dim.contains("<figcaption><strong>⚠ keyword labels, not validated.</strong>"));
    let topic = &html[html.find("<h2>Dimension: topic</h2>").unwrap()..];
    assert!(!topic[..topic.find("</section>").unwrap()].contains("caveat"));
}

#[test]
fn a_tested_finding_is_headlined_with_its_caveat() {
    let html = render(&crate::report::tests::data(3, 0.01));
    let s = differ(&html);
    assert!(s.contains("3 of 3 pairs of groups differ significantly along stance"));
    assert!(s.contains(
        "<strong>doc_000.txt</strong> — <em>favor</em> <span class=\"dimname\">(stance)</span>\
         <br>66.7% of its labelled paragraphs (95% CI 60.0–90.0%) vs 30.0% in the other \
         groups; adjusted p = 0.0100 <span class=\"tag warn\">⚠ keyword labels, not validated</span>"
    ), "{s}");
}

#[test]
fn a_summarised_report_says_so_in_the_header() {
    let mut d = crate::report::tests::data(45, 0.5);
    crate::report::summarise(&mut d, 30);
    let html = render(&d);
    assert_safe(&html);
    assert!(html.contains(
        "<p class=\"summarised\"><strong>Summarised.</strong> The report is summarised: \
         the run has 45 groups"
    ));
    assert!(html.contains("<code>rhetor run CORPUS --group-by COLUMN</code>"));
    assert!(html.contains("<b>45</b><span>groups compared</span>"));
    assert!(html.contains("The 30 groups shown in this report"));
}

#[test]
fn number_formatting() {
    assert_eq!(pct(0.1234), "12.3%");
    assert_eq!(pct(-0.0), "0.0%");
    assert_eq!(pct(f64::NAN), DASH);
    assert_eq!(fixed(-0.0001, 2), "0.00");
    assert_eq!(pval(0.00001), "&lt;0.0001");
    assert_eq!(pval(0.0312), "0.0312");
    assert_eq!(count(12.0), "12");
    assert_eq!(count(2.5), "2.5");
    assert_eq!(truncate("abcdefghij", 4), "ab…j");
    assert_eq!(truncate("abcdefghij", 7), "abcd…ij");
    assert_eq!(truncate("abcdefghij", 10), "abcdefghij");
    assert_eq!(truncate("éééééééé", 5).chars().count(), 5);
    assert_eq!(truncate("ééé", 3), "ééé");
    assert_eq!(hex(sequential(0.0)), "#ffffd9");
    assert_eq!(hex(sequential(1.0)), "#081d58");
    assert_eq!(hex(sequential(f64::NAN)), "#ffffd9");
}
