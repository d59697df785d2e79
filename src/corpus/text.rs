//! Folders of `.txt` / `.md` files, and their metadata headers.

use super::{
    display, io_err, rel_id, sha256_hex, Body, Corpus, CorpusError, CorpusParams, Document,
    InputFile, MetaColumn, MetaValues, SkipReason, Skipped,
};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// Metadata found at the top of a text file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Title.
    pub title: Option<String>,
    /// Date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Other front-matter keys, in file order.
    pub extra: Vec<(String, String)>,
    /// Byte offset where the body starts.
    pub body_start: usize,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Parses a metadata header: a first line `date YYYY-MM-DD Title…`, or front matter between
/// `---` lines with flat `key: value` lines (keys `title` and `date` fill those fields).
pub fn parse_header(text: &str) -> Header {
    let mut h = Header::default();
    // First non-blank line.
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if !line.trim().is_empty() {
            break;
        }
        pos += line.len();
    }
    let rest = &text[pos..];
    let first_end = rest.find('\n').map(|i| i + 1).unwrap_or(rest.len());
    let first = rest[..first_end].trim();

    if first == "---" {
        let mut offset = pos + first_end;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for line in text[offset..].split_inclusive('\n') {
            let t = line.trim();
            offset += line.len();
            if t == "---" || t == "..." {
                for (k, v) in pairs {
                    match k {
                        ref key if key == "title" && !v.is_empty() => h.title = Some(v),
                        ref key if key == "date" && !v.is_empty() => h.date = Some(v),
                        _ => h.extra.push((k, v)),
                    }
                }
                h.body_start = offset;
                return h;
            }
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            match t.split_once(':') {
                Some((k, v)) if !k.trim().is_empty() && !k.contains(' ') => {
                    pairs.push((k.trim().to_string(), unquote(v)));
                }
                // Not flat key/value front matter: treat the file as having no header.
                _ => return Header::default(),
            }
        }
        return Header::default();
    }

    let mut words = first.splitn(3, char::is_whitespace);
    if words.next().is_some_and(|w| w.eq_ignore_ascii_case("date")) {
        if let Some(d) = words.next().filter(|d| is_date(d)) {
            h.date = Some(d.to_string());
            let title = words.next().unwrap_or("").trim();
            if !title.is_empty() {
                h.title = Some(normalize(title));
            }
            h.body_start = pos + first_end;
        }
    }
    h
}

enum Read {
    Doc(Document, Vec<(String, String)>),
    Skip(SkipReason),
}

/// Reads at most `limit` bytes of a regular file (or a link to one). Special files are never
/// opened: opening a FIFO blocks, and a device such as `/dev/zero` never ends.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, SkipReason> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        message: e.to_string(),
    };
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            Err(SkipReason::NotRegular {
                kind: super::file_kind(meta).to_string(),
            })
        } else if meta.len() > limit {
            Err(SkipReason::TooLarge {
                bytes: meta.len(),
                limit,
            })
        } else {
            Ok(meta.len())
        }
    };
    check(&std::fs::metadata(path).map_err(unreadable)?)?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // The file may have been replaced since: check what was opened, too.
    let len = check(&file.metadata().map_err(unreadable)?)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        // It grew while being read.
        return Err(SkipReason::TooLarge {
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Decodes a file with a UTF-16 byte-order mark (`FF FE` little-endian, `FE FF` big-endian)
/// to UTF-8; `None` when there is no such mark.
fn decode_utf16(bytes: &[u8]) -> Option<Result<String, SkipReason>> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|c| match (c, little) {
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        // An odd last byte: not a code unit, reported below.
        _ => 0xDC00,
    });
    let mut out = String::with_capacity(body.len());
    let mut offset = 2;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                out.push(c);
                offset += 2 * c.len_utf16();
            }
            Err(_) => return Some(Err(SkipReason::InvalidUtf16 { offset })),
        }
    }
    Some(Ok(out))
}

/// Reads one text file into a document (or a reason to skip it). Files are UTF-8 (with or
/// without a byte-order mark) or UTF-16 with a byte-order mark; a UTF-16 file's paragraph
/// offsets are byte offsets into its UTF-8 decoding.
fn read_text_file(path: &Path, id: String, limit: u64) -> (Option<InputFile>, Read) {
    let bytes = match read_capped(path, limit) {
        Ok(b) => b,
        Err(reason) => return (None, Read::Skip(reason)),
    };
    let input = InputFile {
        path: id.clone(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
    };
    let text = match decode_utf16(&bytes) {
        Some(Ok(t)) => t,
        Some(Err(reason)) => return (Some(input), Read::Skip(reason)),
        None => {
            let head = &bytes[..bytes.len().min(8192)];
            if head.contains(&0) {
                return (Some(input), Read::Skip(SkipReason::Binary));
            }
            match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let offset = e.utf8_error().valid_up_to();
                    return (Some(input), Read::Skip(SkipReason::InvalidUtf8 { offset }));
                }
            }
        }
    };
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(b) => (3, b),
        None => (0, text.as_str()),
    };
    if body.trim().is_empty() {
        return (Some(input), Read::Skip(SkipReason::Empty));
    }
    let header = parse_header(body);
    let base = bom + header.body_start;
    // Reuse the file's buffer for the body (no second copy of a large file).
    let mut body_text = text;
    body_text.drain(..base);
    let (title, date, body) = header_fields(&header, body_text, base);
    let doc = Document {
        source: id.clone(),
        id,
        title,
        date,
        body,
    };
    (Some(input), Read::Doc(doc, header.extra))
}

fn header_fields(
    header: &Header,
    text: String,
    base: usize,
) -> (Option<String>, Option<String>, Body) {
    (
        header.title.clone(),
        header.date.clone(),
        Body::Text { text, base },
    )
}

/// Finds the documents of a folder: `.txt` / `.md` files (and links to files), recursively.
/// Links to folders are not followed (they could loop); they are listed in `links`.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    links: &mut Vec<PathBuf>,
    other: &mut usize,
) -> Result<(), CorpusError> {
    let entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(io_err(&path))?;
        if ft.is_dir() {
            walk(&path, out, links, other)?;
            continue;
        }
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden files and the corpus's own config are not documents.
        if name.starts_with('.') || name == "rhetor.toml" {
            continue;
        }
        if ft.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            links.push(path);
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            // Special files with these names are reported when read, never opened.
            Some("txt") | Some("md") => out.push(path),
            _ => *other += 1,
        }
    }
    Ok(())
}

fn assemble(reads: Vec<(String, Option<InputFile>, Read)>, n_other: usize) -> Corpus {
    let mut corpus = Corpus {
        n_other_files: n_other,
        ..Default::default()
    };
    let mut extras: Vec<Vec<(String, String)>> = Vec::new();
    for (id, input, read) in reads {
        if let Some(i) = input {
            corpus.inputs.push(i);
        }
        match read {
            Read::Doc(doc, extra) => {
                corpus.documents.push(doc);
                extras.push(extra);
            }
            Read::Skip(reason) => corpus.skipped.push(Skipped { source: id, reason }),
        }
    }
    // Front-matter keys become string columns, sorted by name for stable output.
    let keys: BTreeSet<&str> = extras
        .iter()
        .flat_map(|e| e.iter().map(|(k, _)| k.as_str()))
        .collect();
    corpus.doc_meta = keys
        .into_iter()
        .map(|k| MetaColumn {
            name: k.to_string(),
            values: MetaValues::Str(
                extras
                    .iter()
                    .map(|e| e.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone()))
                    .collect(),
            ),
        })
        .collect();
    corpus
}

/// Loads a folder of text files.
pub(super) fn load_folder(root: &Path, params: &CorpusParams) -> Result<Corpus, CorpusError> {
    let mut files = Vec::new();
    let mut links = Vec::new();
    let mut other = 0;
    walk(root, &mut files, &mut links, &mut other)?;
    let mut ids: Vec<(String, PathBuf)> =
        files.into_iter().map(|f| (rel_id(root, &f), f)).collect();
    ids.sort();
    if ids.is_empty() && links.is_empty() {
        return Err(CorpusError::Empty {
            path: root.to_path_buf(),
            detail: if other > 0 {
                format!("{other} files, none with a .txt or .md extension")
            } else {
                "the folder has no files".to_string()
            },
        });
    }
    let limit = params.max_file_bytes;
    let mut reads: Vec<(String, Option<InputFile>, Read)> = ids
        .into_par_iter()
        .map(|(id, path)| {
            let (input, read) = read_text_file(&path, id.clone(), limit);
            (id, input, read)
        })
        .collect();
    let mut link_skips: Vec<(String, Option<InputFile>, Read)> = links
        .iter()
        .map(|l| {
            let reason = SkipReason::NotRegular {
                kind: "a link to a folder; links to folders are not followed".to_string(),
            };
            (rel_id(root, l), None, Read::Skip(reason))
        })
        .collect();
    reads.append(&mut link_skips);
    reads.sort_by(|a, b| a.0.cmp(&b.0));
    let n_files = reads.len();
    let corpus = assemble(reads, other);
    if corpus.documents.is_empty() {
        return Err(CorpusError::Empty {
            path: root.to_path_buf(),
            detail: format!(
                "{n_files} {}, all skipped: {}",
                if n_files == 1 { "file" } else { "files" },
                super::skipped_summary(&corpus.skipped)
            ),
        });
    }
    Ok(corpus)
}

/// Loads a single text file as a one-document corpus.
pub(super) fn load_single(path: &Path, params: &CorpusParams) -> Result<Corpus, CorpusError> {
    let id = path
        .file_name()
        .map(super::escape_name)
        .unwrap_or_else(|| display(path));
    let (input, read) = read_text_file(path, id.clone(), params.max_file_bytes);
    let corpus = assemble(vec![(id, input, read)], 0);
    if corpus.documents.is_empty() {
        return Err(CorpusError::Empty {
            path: path.to_path_buf(),
            detail: super::skipped_summary(&corpus.skipped),
        });
    }
    Ok(corpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_line_header() {
        let h = parse_header(" date 2026-01-22 Imagine, If You Will\nBody.");
        assert_eq!(h.date.as_deref(), Some("2026-01-22"));
        assert_eq!(h.title.as_deref(), Some("Imagine, If You Will"));
        assert_eq!(
            h.body_start,
            " date 2026-01-22 Imagine, If You Will\n".len()
        );
    }

    #[test]
    fn front_matter_header() {
        let h = parse_header("---\ntitle: \"A T\"\nauthor: me\ndate: 2020-01-02\n---\nBody");
        assert_eq!(h.title.as_deref(), Some("A T"));
        assert_eq!(h.date.as_deref(), Some("2020-01-02"));
        assert_eq!(h.extra, vec![("author".to_string(), "me".to_string())]);
        assert_eq!(
            &"---\ntitle: \"A T\"\nauthor: me\ndate: 2020-01-02\n---\nBody"[h.body_start..],
            "Body"
        );
    }

    #[test]
    fn unclosed_front_matter_is_no_header() {
        assert_eq!(parse_header("---\ntitle: x\nBody"), Header::default());
    }

    #[test]
    fn not_a_date_line() {
        assert_eq!(parse_header("date night was fun.\n"), Header::default());
        assert_eq!(parse_header("date 2026-13-01 X\n").date, None);
    }
}

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Kö😀".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_utf16(&le), Some(Ok("Kö😀".to_string())));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Kö".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_utf16(&be), Some(Ok("Kö".to_string())));
        assert_eq!(decode_utf16(b"plain"), None);
        // An unpaired surrogate, and an odd trailing byte.
        assert_eq!(
            decode_utf16(&[0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0]),
            Some(Err(SkipReason::InvalidUtf16 { offset: 4 }))
        );
        assert_eq!(
            decode_utf16(&[0xFF, 0xFE, b'a', 0, b'b']),
            Some(Err(SkipReason::InvalidUtf16 { offset: 4 }))
        );
    }
}

/// Collapses every run of whitespace to one space, trims, and NFC-normalises.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    if out.is_ascii() {
        out
    } else {
        out.nfc().collect()
    }
}
