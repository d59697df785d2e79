//! Paragraph segmentation.
//!
//! The algorithm works on the lines of a document and decides, line by line, where a
//! paragraph starts and ends, what is a heading, what is boilerplate, and which blank lines
//! are only stray breaks inside a sentence:
//!
//! 1. **Blocks**: maximal runs of non-blank lines.
//! 2. **Units inside a block**: a block whose lines are all short (at most
//!    [`SegmentParams::wrap_width`] characters) is hard-wrapped text, and its lines are joined
//!    into one unit, except after a line that ends a sentence well before the wrap width, or
//!    before a list bullet. A block with longer lines is "one paragraph per line": every line is
//!    its own unit, unless a line stops mid-sentence and the next one continues in lowercase.
//! 3. **Boilerplate**: units that are only links/domains, or short share/subscribe/follow
//!    footers, are dropped and reported in [`Segmented::dropped`].
//! 4. **Title**: when the document header gave no title, a first unit that looks like a title
//!    (short, no final period) is the title, not a paragraph.
//! 5. **Rejoining**: a unit that stops mid-sentence (no final punctuation, or a trailing comma,
//!    dash or function word) followed by a unit in another block that starts in lowercase, or
//!    right after such a trailing comma/dash/function word, is one paragraph broken by a stray
//!    blank line; the two are merged and the paragraph's byte span covers both parts.
//! 6. **Headings**: short title-like units (no final period, few words, or title case; or a
//!    short question standing between paragraphs) are headings: they become the `section` of
//!    the paragraphs that follow.
//!
//! Every paragraph keeps `byte_start..byte_end` into the original bytes; its `text` is that
//! slice with whitespace runs collapsed to one space and NFC-normalised, so
//! `normalize(&source[byte_start..byte_end]) == text` always holds.

mod documents;
mod params;

pub use documents::{segment_corpus, DocStats, ParagraphRecord, Segmentation};
pub use params::{SegmentParams, SegmentParamsError, SegmentValidParams};

use unicode_segmentation::UnicodeSegmentation;

/// One paragraph of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    /// The heading above this paragraph, if any (normalised like `text`).
    pub section: Option<String>,
    /// Whitespace-normalised, NFC-normalised paragraph text.
    pub text: String,
    /// Byte offset of the first byte of the paragraph in the source.
    pub byte_start: usize,
    /// Byte offset one past the last byte of the paragraph in the source.
    pub byte_end: usize,
    /// Number of words (Unicode word boundaries, UAX #29).
    pub n_tokens: usize,
}

/// Why a piece of text was dropped instead of becoming a paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// A line made only of links or domain names.
    Links,
    /// A share / subscribe / follow footer line.
    Footer,
}

impl DropReason {
    /// Stable lowercase name, used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Links => "links",
            DropReason::Footer => "footer",
        }
    }
}

/// A piece of text that was dropped, with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Why it was dropped.
    pub reason: DropReason,
    /// Byte offset of the start in the source.
    pub byte_start: usize,
    /// Byte offset of the end in the source.
    pub byte_end: usize,
}

/// The result of segmenting one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segmented {
    /// Title detected from the first line, when the caller did not already have one.
    pub title: Option<String>,
    /// The paragraphs in document order.
    pub paragraphs: Vec<Paragraph>,
    /// Boilerplate that was dropped.
    pub dropped: Vec<Dropped>,
    /// Number of heading lines recognised (title excluded).
    pub n_headings: usize,
}

pub use crate::corpus::normalize;

/// Number of words by Unicode word boundaries (UAX #29), the `n_tokens` column.
pub fn count_words(s: &str) -> usize {
    s.unicode_words().count()
}

/// A document treated as a single unit: the whole text, trimmed, no segmentation.
///
/// Returns `None` when the text is empty or whitespace only.
pub fn whole(text: &str, base: usize) -> Option<Paragraph> {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    if start >= end {
        return None;
    }
    let t = normalize(&text[start..end]);
    Some(Paragraph {
        section: None,
        n_tokens: count_words(&t),
        text: t,
        byte_start: base + start,
        byte_end: base + end,
    })
}

#[derive(Clone, Copy, Debug)]
struct Line {
    /// Trimmed content range.
    start: usize,
    end: usize,
    /// Length in chars of the trimmed content (saturated for very long lines).
    chars: usize,
}

#[derive(Clone, Debug)]
struct Unit {
    start: usize,
    end: usize,
    block: usize,
    n_lines: usize,
}

/// Segments `text` into paragraphs.
///
/// `base` is added to every byte offset (the position of `text` in the original file bytes,
/// e.g. after a byte-order mark or a metadata header). When `known_title` is `None`, a first
/// unit that looks like a title is returned as [`Segmented::title`] rather than as a
/// paragraph; when the title is known (metadata), a first unit repeating it is dropped.
pub fn segment(
    text: &str,
    base: usize,
    known_title: Option<&str>,
    params: &SegmentValidParams,
) -> Segmented {
    let p = params.params();
    let lines = split_lines(text);
    let blocks = blocks(&lines);

    // Steps 1-2: units.
    let mut units: Vec<Unit> = Vec::new();
    for (bi, block) in blocks.iter().enumerate() {
        split_block(text, &lines[block.0..block.1], bi, p, &mut units);
    }

    // Step 3: boilerplate.
    let mut out = Segmented::default();
    if p.drop_boilerplate {
        units.retain(|u| match boilerplate(&text[u.start..u.end]) {
            Some(reason) => {
                out.dropped.push(Dropped {
                    reason,
                    byte_start: base + u.start,
                    byte_end: base + u.end,
                });
                false
            }
            None => true,
        });
    }

    // Step 4: title.
    if let Some(first) = units.first() {
        let t = &text[first.start..first.end];
        let is_title = match known_title {
            None => first.n_lines == 1 && looks_like_title(t, p) && units.len() > 1,
            Some(k) => normalize(t) == normalize(k),
        };
        if is_title {
            if known_title.is_none() {
                out.title = Some(normalize(t));
            }
            units.remove(0);
        }
    }

    // Step 5: rejoin paragraphs broken by stray blank lines.
    let mut merged: Vec<Unit> = Vec::with_capacity(units.len());
    for u in units {
        if let Some(prev) = merged.last_mut() {
            if prev.block != u.block
                && continues(&text[prev.start..prev.end], &text[u.start..u.end], p)
            {
                prev.end = u.end;
                prev.n_lines += u.n_lines;
                prev.block = u.block;
                continue;
            }
        }
        merged.push(u);
    }

    // Step 6: headings and sections.
    let kinds: Vec<bool> = (0..merged.len())
        .map(|i| is_heading(text, &merged, i, p))
        .collect();
    let mut section: Option<String> = None;
    for (u, heading) in merged.iter().zip(kinds) {
        let raw = &text[u.start..u.end];
        if heading {
            section = Some(normalize(raw));
            out.n_headings += 1;
            continue;
        }
        let t = normalize(raw);
        out.paragraphs.push(Paragraph {
            section: section.clone(),
            n_tokens: count_words(&t),
            text: t,
            byte_start: base + u.start,
            byte_end: base + u.end,
        });
    }
    out
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut pos = 0;
    let bytes = text.as_bytes();
    while pos <= bytes.len() {
        let nl = memchr_newline(&bytes[pos..]).map(|i| pos + i);
        let end = nl.unwrap_or(bytes.len());
        let raw = &text[pos..end];
        let lead = raw.len() - raw.trim_start().len();
        let trimmed_end = raw.trim_end().len();
        let (s, e) = if lead >= trimmed_end {
            (pos, pos)
        } else {
            (pos + lead, pos + trimmed_end)
        };
        let content = &text[s..e];
        // Counting chars of a 50 MB line is wasted work: anything past 4 KiB is "long".
        let chars = if content.len() > 4096 {
            usize::MAX
        } else {
            content.chars().count()
        };
        lines.push(Line {
            start: s,
            end: e,
            chars,
        });
        match nl {
            Some(i) => pos = i + 1,
            None => break,
        }
    }
    lines
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n' || c == b'\r').map(|i| {
        // Treat "\r\n" and a lone "\r" as one line break: return the index of the first byte;
        // the caller skips one byte, and a following '\n' then yields an empty line only for
        // "\r\n". Handle that here by reporting '\n' of a "\r\n" pair instead.
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i + 1
        } else {
            i
        }
    })
}

fn blocks(lines: &[Line]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, l) in lines.iter().enumerate() {
        let blank = l.start == l.end;
        match (blank, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, lines.len()));
    }
    out
}

fn split_block(text: &str, lines: &[Line], bi: usize, p: &SegmentParams, units: &mut Vec<Unit>) {
    let wrap = lines.iter().map(|l| l.chars).max().unwrap_or(0);
    let hard_wrapped = wrap <= p.wrap_width;
    let mut cur = Unit {
        start: lines[0].start,
        end: lines[0].end,
        block: bi,
        n_lines: 1,
    };
    for w in lines.windows(2) {
        let (a, b) = (w[0], w[1]);
        let a_text = &text[a.start..a.end];
        let b_text = &text[b.start..b.end];
        let join = if hard_wrapped {
            let short = (a.chars as f64) < 0.75 * wrap as f64;
            let ends_sentence = ends_terminal(a_text) && short;
            let heading_first = cur.n_lines == 1 && short && heading_shape(a_text, p);
            !(ends_sentence || heading_first || is_bullet(b_text))
        } else {
            !ends_terminal(a_text)
                && !heading_shape(a_text, p)
                && starts_lowercase(b_text)
                && !is_bullet(b_text)
        };
        if join {
            cur.end = b.end;
            cur.n_lines += 1;
        } else {
            units.push(cur.clone());
            cur = Unit {
                start: b.start,
                end: b.end,
                block: bi,
                n_lines: 1,
            };
        }
    }
    units.push(cur);
}

/// The last character that is not a closing quote or bracket.
fn last_significant(s: &str) -> Option<char> {
    s.trim_end()
        .chars()
        .rev()
        .find(|c| !matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '*' | '_'))
}

fn ends_terminal(s: &str) -> bool {
    matches!(
        last_significant(s),
        Some('.' | '!' | '?' | '…' | ':' | ';' | '。' | '！' | '？')
    )
}

fn starts_lowercase(s: &str) -> bool {
    s.chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| c.is_lowercase())
}

fn is_bullet(s: &str) -> bool {
    let t = s.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with('•') || t.starts_with("– ") {
        return true;
    }
    // "1." / "2)" / "a)" numbering
    let mut chars = t.char_indices();
    let mut n_digits = 0;
    for (_, c) in chars.by_ref() {
        if c.is_ascii_digit() {
            n_digits += 1;
            continue;
        }
        return n_digits > 0 && n_digits <= 3 && (c == '.' || c == ')') && {
            let rest = &t[n_digits + 1..];
            rest.starts_with(' ')
        };
    }
    false
}

const SMALL_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "nor", "but", "of", "in", "on", "at", "to", "for", "by", "with",
    "from", "as", "is", "vs", "vs.", "via", "into", "over", "per", "de", "la", "le",
];

const TRAILING_FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or",
    "but", "that", "which", "who", "as", "than", "their", "its", "our", "his", "her", "this",
    "these", "into",
];

fn is_title_case(s: &str) -> bool {
    let mut n = 0;
    let mut caps = 0;
    for w in s.split_whitespace() {
        let core: &str = w.trim_matches(|c: char| !c.is_alphanumeric());
        if core.is_empty() || !core.chars().any(char::is_alphabetic) {
            continue;
        }
        if SMALL_WORDS.contains(&core.to_lowercase().as_str()) {
            continue;
        }
        n += 1;
        if core
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        {
            caps += 1;
        }
    }
    n >= 2 && caps * 5 >= n * 4
}

/// Shape of a heading, ignoring its position: short or title-cased, no sentence-final
/// punctuation (a question mark is allowed for short questions), not starting in lowercase.
fn heading_shape(s: &str, p: &SegmentParams) -> bool {
    if s.len() > 400 || starts_lowercase(s) {
        return false;
    }
    let words = s.split_whitespace().count();
    if words == 0 {
        return false;
    }
    match last_significant(s) {
        Some('?') => words <= p.max_heading_words,
        Some(c) if c.is_alphanumeric() => {
            words <= p.max_heading_words || (words <= p.max_title_words && is_title_case(s))
        }
        _ => false,
    }
}

fn looks_like_title(s: &str, p: &SegmentParams) -> bool {
    heading_shape(s, p)
}

fn is_heading(text: &str, units: &[Unit], i: usize, p: &SegmentParams) -> bool {
    let u = &units[i];
    let s = &text[u.start..u.end];
    // A heading is followed by a paragraph; the last unit of a document is never a heading.
    if i + 1 >= units.len() || !heading_shape(s, p) {
        return false;
    }
    if u.n_lines > 2 {
        return false;
    }
    let next = &units[i + 1];
    let next_text = &text[next.start..next.end];
    if s.trim_end().ends_with('?') {
        // A question is a heading only when it stands between paragraphs: the next unit is a
        // longer, non-heading paragraph.
        return !heading_shape(next_text, p)
            && next_text.split_whitespace().count() > s.split_whitespace().count();
    }
    true
}

fn continues(prev: &str, next: &str, p: &SegmentParams) -> bool {
    let last = match last_significant(prev) {
        Some(c) => c,
        None => return false,
    };
    if matches!(last, '.' | '!' | '?' | '…' | ':' | ';') {
        return false;
    }
    if starts_lowercase(next) {
        // A short title-like line followed by lowercase text is still a heading.
        return !(heading_shape(prev, p) && prev.split_whitespace().count() <= 3);
    }
    let long = prev.split_whitespace().count() > p.max_heading_words;
    if !long {
        return false;
    }
    if matches!(last, ',' | '-' | '–' | '—') {
        return true;
    }
    let last_word = prev
        .split_whitespace()
        .next_back()
        .unwrap_or("")
        .to_lowercase();
    TRAILING_FUNCTION_WORDS.contains(&last_word.as_str())
}

const FOOTER_PREFIXES: &[&str] = &[
    "share this",
    "share on",
    "share:",
    "share via",
    "subscribe",
    "sign up for",
    "follow us",
    "follow on",
    "like this:",
    "click here",
    "tags:",
    "filed under",
    "posted in",
    "print this",
    "email this",
    "all rights reserved",
    "copyright ©",
    "© ",
    "advertisement",
    "related posts",
    "related articles",
    "read more:",
    "support us",
    "donate now",
];

/// Decides whether a unit is boilerplate.
fn boilerplate(s: &str) -> Option<DropReason> {
    if s.len() > 600 {
        return None;
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if !tokens.is_empty()
        && tokens
            .iter()
            .all(|t| is_link(t.trim_matches(|c| matches!(c, '|' | '·' | '•' | ',' | ';'))))
    {
        return Some(DropReason::Links);
    }
    if tokens.len() <= 12 {
        let lower = s.to_lowercase();
        if FOOTER_PREFIXES.iter().any(|f| lower.starts_with(f)) {
            return Some(DropReason::Footer);
        }
    }
    None
}

/// A URL or a bare domain name like `sub.media` or `example.org/path`.
fn is_link(t: &str) -> bool {
    if t.is_empty() {
        // separators such as "|" alone
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return true;
    }
    let host = lower.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    labels.iter().all(|l| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) && (2..=24).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && labels[0].len() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Segmented {
        segment(text, 0, None, &SegmentParams::default().check().unwrap())
    }

    fn texts(s: &Segmented) -> Vec<&str> {
        s.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn blank_line_layout() {
        let s = seg("First paragraph here, with words.\n\nSecond one.\n");
        assert_eq!(
            texts(&s),
            ["First paragraph here, with words.", "Second one."]
        );
    }

    #[test]
    fn one_paragraph_per_line_layout() {
        let long = "word ".repeat(30);
        let text = format!("{long}end.\n{long}more.\n{long}last.\n");
        let s = seg(&text);
        assert_eq!(s.paragraphs.len(), 3);
    }

    #[test]
    fn hard_wrapped_lines_are_joined() {
        let text = "This paragraph is wrapped at a narrow width so that\nits lines continue one another until the\nsentence finally ends here.\n\nAnother paragraph.";
        let s = seg(text);
        assert_eq!(s.paragraphs.len(), 2);
        assert!(s.paragraphs[0].text.starts_with("This paragraph"));
        assert!(s.paragraphs[0].text.ends_with("ends here."));
    }

    #[test]
    fn stray_blank_line_is_rejoined() {
        let text = "A long sentence that goes on and on for more than twelve words and then breaks in\n\nthe middle of nothing at all.\n\nNext.";
        let s = seg(text);
        assert_eq!(s.paragraphs.len(), 2);
        assert!(s.paragraphs[0].text.contains("breaks in the middle"));
        assert_eq!(
            &text[s.paragraphs[0].byte_start..s.paragraphs[0].byte_end].len(),
            &(text.find("all.").unwrap() + 4)
        );
    }

    #[test]
    fn headings_become_sections() {
        let text = "Intro paragraph that is a sentence.\n\nA Heading\n\nBody under the heading goes here.\n\nWhy does this matter?\n\nBecause it does, and here is a longer answer to that question.";
        let s = seg(text);
        assert_eq!(s.paragraphs.len(), 3);
        assert_eq!(s.paragraphs[0].section, None);
        assert_eq!(s.paragraphs[1].section.as_deref(), Some("A Heading"));
        assert_eq!(
            s.paragraphs[2].section.as_deref(),
            Some("Why does this matter?")
        );
    }

    #[test]
    fn title_detected_from_first_line() {
        let s = seg("The Title Of It\n\nBody text of the document.\n");
        assert_eq!(s.title.as_deref(), Some("The Title Of It"));
        assert_eq!(texts(&s), ["Body text of the document."]);
    }

    #[test]
    fn link_lines_dropped() {
        let s = seg("Body text.\n\ncrimethinc.com itsgoingdown.org sub.media\n");
        assert_eq!(texts(&s), ["Body text."]);
        assert_eq!(s.dropped.len(), 1);
        assert_eq!(s.dropped[0].reason, DropReason::Links);
    }

    #[test]
    fn footer_dropped() {
        let s = seg("Body text.\n\nShare this: Facebook Twitter\n");
        assert_eq!(s.dropped[0].reason, DropReason::Footer);
    }

    #[test]
    fn abbreviations_are_not_links() {
        assert!(!is_link("U.S."));
        assert!(!is_link("e.g."));
        assert!(is_link("sub.media"));
        assert!(is_link("https://x.org/a?b"));
    }

    #[test]
    fn offsets_reproduce_text() {
        let text = "Ti\u{0301}tle\r\n\r\nP  one\r\nstill one.\r\n\r\nP two é.";
        let s = segment(
            text,
            0,
            Some("-"),
            &SegmentParams::default().check().unwrap(),
        );
        for p in &s.paragraphs {
            assert_eq!(normalize(&text[p.byte_start..p.byte_end]), p.text);
        }
    }

    #[test]
    fn crlf_lines() {
        let s = seg("Para one.\r\n\r\nPara two.\r\n");
        assert_eq!(texts(&s), ["Para one.", "Para two."]);
    }

    #[test]
    fn empty_text_gives_nothing() {
        let s = seg("   \n\n  ");
        assert!(s.paragraphs.is_empty());
        assert!(whole(" \n ", 0).is_none());
    }

    #[test]
    fn bullets_split_wrapped_blocks() {
        let s = seg("Items follow:\n- first item\n- second item\n");
        assert_eq!(s.paragraphs.len(), 3);
    }

    #[test]
    fn normalize_collapses_and_composes() {
        assert_eq!(normalize("  a \n\t b e\u{0301} "), "a b \u{e9}");
    }
}
