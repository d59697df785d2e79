//! The demo corpus segments as a careful reader would, essay by essay; runs are
//! byte-identical.

use crate::common::{demo_corpus, ints, read, rhetor, strings};
use rhetor::segment::normalize;

struct Run {
    _dir: tempfile::TempDir,
    out: std::path::PathBuf,
}

fn segment_demo(threads: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    rhetor()
        .env("RAYON_NUM_THREADS", threads)
        .arg("segment")
        .arg(demo_corpus())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    Run { _dir: dir, out }
}

struct Para {
    doc: String,
    section: Option<String>,
    text: String,
    start: usize,
    end: usize,
}

fn paragraphs(run: &Run) -> Vec<Para> {
    let df = read(&run.out.join("paragraphs.parquet"));
    let docs = strings(&df, "doc_id");
    let sections = strings(&df, "section");
    let texts = strings(&df, "text");
    let starts = ints(&df, "byte_start");
    let ends = ints(&df, "byte_end");
    (0..df.height())
        .map(|i| Para {
            doc: docs[i].clone().unwrap(),
            section: sections[i].clone(),
            text: texts[i].clone().unwrap(),
            start: starts[i] as usize,
            end: ends[i] as usize,
        })
        .collect()
}

fn of<'a>(ps: &'a [Para], prefix: &str) -> Vec<&'a Para> {
    ps.iter().filter(|p| p.doc.starts_with(prefix)).collect()
}

#[test]
fn offsets_locate_every_paragraph_in_its_file() {
    let run = segment_demo("2");
    let ps = paragraphs(&run);
    assert!(ps.len() > 40);
    for p in &ps {
        let bytes = std::fs::read(demo_corpus().join(&p.doc)).unwrap();
        let slice = std::str::from_utf8(&bytes[p.start..p.end]).unwrap();
        assert_eq!(normalize(slice), p.text, "{} {}..{}", p.doc, p.start, p.end);
    }
}

#[test]
fn essay_000_date_line_title_and_headings() {
    let run = segment_demo("2");
    let docs = read(&run.out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "title")[0].as_deref(),
        Some("Imagine, If You Will, An Egalitarian Anti-ICE Movement")
    );
    assert_eq!(strings(&docs, "date_raw")[0].as_deref(), Some("2026-01-22"));
    assert_eq!(
        crate::common::days(&docs, "date")[0],
        rhetor::corpus::parse_date("2026-01-22")
    );
    let ps = paragraphs(&run);
    let e = of(&ps, "000_");
    assert_eq!(e.len(), 38);
    assert!(e[0].text.starts_with("This is what the liberal"));
    assert_eq!(e[0].section, None);
    // The question heading and the long title-cased heading are sections, not paragraphs.
    assert!(e.iter().all(|p| !p.text.starts_with("Why do I call this")));
    let q = e
        .iter()
        .find(|p| p.text.starts_with("What I advocate above"))
        .unwrap();
    assert_eq!(
        q.section.as_deref(),
        Some("Why do I call this an egalitarian anti-ICE movement?")
    );
    let m = e
        .iter()
        .find(|p| p.text.starts_with("To those who refer"))
        .unwrap();
    assert!(m
        .section
        .as_deref()
        .unwrap()
        .starts_with("The Myth That It is “Bigotry”"));
    // A short sentence ending in a colon is a paragraph, not a heading.
    assert!(e.iter().any(|p| p.text == "An earlier poll shows this:"));
    // No paragraph repeats the title.
    assert!(e
        .iter()
        .all(|p| !p.text.contains("Imagine, If You Will, An Egalitarian")));
}

#[test]
fn essay_001_headings_rejoined_paragraph_and_footer() {
    let run = segment_demo("2");
    let docs = read(&run.out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "title")[1].as_deref(),
        Some("A Message to the Gathering Resistance")
    );
    assert_eq!(ints(&docs, "n_dropped")[1], 1);
    let ps = paragraphs(&run);
    let e = of(&ps, "001_");
    assert_eq!(e.len(), 11);
    let sections: Vec<Option<&str>> = e.iter().map(|p| p.section.as_deref()).collect();
    assert_eq!(sections[0], None);
    assert_eq!(sections[2], Some("A White Nationalist Agenda"));
    assert_eq!(sections[4], Some("Trump is Not All Powerful"));
    assert_eq!(sections[7], Some("LA Can't Fight Alone"));
    // The paragraph broken by a stray blank line is one paragraph spanning both parts.
    let broken = e
        .iter()
        .find(|p| {
            p.text
                .contains("shut down airports in response to the racist Muslim Ban")
        })
        .expect("rejoined paragraph");
    let raw = std::fs::read_to_string(demo_corpus().join(&broken.doc)).unwrap();
    assert!(raw[broken.start..broken.end].contains("airports in\n\nresponse"));
    // The link-list footer is dropped.
    assert!(e.iter().all(|p| !p.text.contains("crimethinc.com")));
}

#[test]
fn essay_002_blank_line_paragraphs_without_title() {
    let run = segment_demo("2");
    let docs = read(&run.out.join("documents.parquet"));
    assert_eq!(strings(&docs, "title")[2], None);
    let ps = paragraphs(&run);
    let e = of(&ps, "002_");
    assert_eq!(e.len(), 10);
    assert!(e[0].text.starts_with("Most readers will not"));
    assert!(e[9].text.starts_with("This episode, and the propaganda"));
}

#[test]
fn essay_003_title_and_four_paragraphs() {
    let run = segment_demo("2");
    let docs = read(&run.out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "title")[3].as_deref(),
        Some("Trump's ICE raids end in humiliating defeat")
    );
    let ps = paragraphs(&run);
    let e = of(&ps, "003_");
    assert_eq!(e.len(), 4);
    // The first paragraph ends without a period but is long: a paragraph, not a heading.
    assert!(e[0].text.ends_with("a humiliating defeat for Trump"));
}

#[test]
fn same_run_twice_and_any_thread_count_gives_identical_parquet() {
    let a = segment_demo("1");
    let b = segment_demo("2");
    for t in ["documents.parquet", "paragraphs.parquet"] {
        let x = std::fs::read(a.out.join(t)).unwrap();
        let y = std::fs::read(b.out.join(t)).unwrap();
        assert!(x == y, "{t} differs between runs");
    }
}
