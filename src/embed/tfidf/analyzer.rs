//! Analyzers: lowercasing, the `(?u)\b\w\w+\b` tokenizer, stop words, and word, `char` and
//! `char_wb` n-grams, as scikit-learn builds them.

use super::hash::FxSet;
use super::params::{english_stop_words, Analyzer, StopWords, TfidfParams};

/// The tokeniser / n-gram builder of a parameter set.
#[derive(Clone, Debug)]
pub(super) struct Engine {
    analyzer: Analyzer,
    ngram: (usize, usize),
    lowercase: bool,
    pub(super) stop: Option<FxSet<Box<str>>>,
}

/// Reusable buffers of the analyzers.
#[derive(Default)]
pub(super) struct Scratch {
    lower: String,
    text: String,
    buf: String,
    spans: Vec<(usize, usize)>,
    bounds: Vec<usize>,
}

impl Engine {
    pub(super) fn new(p: &TfidfParams) -> Self {
        let stop = p.stop_words.as_ref().map(|s| match s {
            StopWords::English => english_stop_words().into_iter().map(Box::from).collect(),
            StopWords::List(l) => l.iter().map(|w| Box::from(w.as_str())).collect(),
        });
        Engine {
            analyzer: p.analyzer,
            ngram: p.ngram_range,
            lowercase: p.lowercase,
            stop,
        }
    }

    /// True for the word analyzer with unigrams only, where a stop word is
    /// a feature of its own and can be filtered after interning.
    pub(super) fn unigram_words(&self) -> bool {
        self.analyzer == Analyzer::Word && self.ngram == (1, 1)
    }

    /// Is `term` a stop word?
    pub(super) fn is_stop(&self, term: &str) -> bool {
        self.stop.as_ref().is_some_and(|s| s.contains(term))
    }

    /// Call `f` on every feature of `doc`, in scikit-learn's order; stop words
    /// are removed only when `apply_stop` (the callers that skip it filter
    /// them afterwards).
    pub(super) fn for_each_feature<F: FnMut(&str)>(
        &self,
        doc: &str,
        s: &mut Scratch,
        apply_stop: bool,
        f: &mut F,
    ) {
        let Scratch {
            lower,
            text,
            buf,
            spans,
            bounds,
        } = s;
        let doc: &str = if self.lowercase {
            lower.clear();
            if doc.is_ascii() {
                lower.push_str(doc);
                lower.make_ascii_lowercase();
            } else {
                *lower = doc.to_lowercase();
            }
            lower
        } else {
            doc
        };
        let (min_n, max_n) = self.ngram;
        match self.analyzer {
            Analyzer::Word => {
                tokenize(doc, spans);
                if let Some(stop) = self.stop.as_ref().filter(|_| apply_stop) {
                    spans.retain(|&(a, b)| !stop.contains(&doc[a..b]));
                }
                word_ngrams(doc, spans, min_n, max_n, buf, f);
            }
            Analyzer::Char => {
                normalize_whitespace(doc, text);
                char_bounds(text, bounds);
                char_ngrams(text, bounds, min_n, max_n, f);
            }
            Analyzer::CharWb => {
                for word in doc.split(is_py_space).filter(|w| !w.is_empty()) {
                    buf.clear();
                    buf.push(' ');
                    buf.push_str(word);
                    buf.push(' ');
                    char_bounds(buf, bounds);
                    char_wb_ngrams(buf, bounds, min_n, max_n, f);
                }
            }
        }
    }
}

/// `_word_ngrams` after stop-word removal: unigrams, then bigrams, ...
fn word_ngrams<F: FnMut(&str)>(
    doc: &str,
    spans: &[(usize, usize)],
    min_n: usize,
    max_n: usize,
    buf: &mut String,
    f: &mut F,
) {
    let mut min_n = min_n;
    if min_n == 1 {
        for &(a, b) in spans {
            f(&doc[a..b]);
        }
        min_n = 2;
    }
    let n_tokens = spans.len();
    for n in min_n..=max_n.min(n_tokens) {
        for w in spans.windows(n) {
            buf.clear();
            for (k, &(a, b)) in w.iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(&doc[a..b]);
            }
            f(buf);
        }
    }
}

/// `_char_ngrams`: unigrams first when `min_n == 1`, then longer n-grams.
fn char_ngrams<F: FnMut(&str)>(
    text: &str,
    bounds: &[usize],
    min_n: usize,
    max_n: usize,
    f: &mut F,
) {
    let len = bounds.len() - 1;
    let mut min_n = min_n;
    if min_n == 1 {
        for i in 0..len {
            f(&text[bounds[i]..bounds[i + 1]]);
        }
        min_n = 2;
    }
    for n in min_n..=max_n.min(len) {
        for i in 0..=len - n {
            f(&text[bounds[i]..bounds[i + n]]);
        }
    }
}

/// `_char_wb_ngrams` on one padded word.
fn char_wb_ngrams<F: FnMut(&str)>(
    w: &str,
    bounds: &[usize],
    min_n: usize,
    max_n: usize,
    f: &mut F,
) {
    let w_len = bounds.len() - 1;
    for n in min_n..=max_n {
        let mut offset = 0;
        f(&w[..bounds[n.min(w_len)]]);
        while offset + n < w_len {
            offset += 1;
            f(&w[bounds[offset]..bounds[offset + n]]);
        }
        if offset == 0 {
            // A short word (w_len <= n) is counted only once.
            break;
        }
    }
}

/// Byte offset of every char of `text`, plus `text.len()`.
fn char_bounds(text: &str, bounds: &mut Vec<usize>) {
    bounds.clear();
    bounds.extend(text.char_indices().map(|(i, _)| i));
    bounds.push(text.len());
}

/// Python's `re.sub(r"\s\s+", " ", text)`.
fn normalize_whitespace(text: &str, out: &mut String) {
    out.clear();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_py_space(c) && chars.peek().is_some_and(|&d| is_py_space(d)) {
            while chars.peek().is_some_and(|&d| is_py_space(d)) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
}

/// Python's `str.isspace()` (and `\s` in `str` patterns).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Byte spans of the tokens of `(?u)\b\w\w+\b`: maximal runs of at least two
/// word characters.
fn tokenize(text: &str, spans: &mut Vec<(usize, usize)>) {
    spans.clear();
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Is the char at byte `i` a word char, and how long is it?
    let class = |i: usize| -> (bool, usize) {
        let b = bytes[i];
        if b < 0x80 {
            (ASCII_WORD[b as usize], 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (is_word_char(c), c.len_utf8()),
                None => (false, 1),
            }
        }
    };
    let mut i = 0;
    while i < n {
        // Skip non-word chars.
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                if ASCII_WORD[b as usize] {
                    break;
                }
                i += 1;
            } else {
                let (word, len) = class(i);
                if word {
                    break;
                }
                i += len;
            }
        }
        let start = i;
        let mut run = 0usize; // chars in the run
        while i < n {
            let b = bytes[i];
            if b < 0x80 {
                if !ASCII_WORD[b as usize] {
                    break;
                }
                i += 1;
            } else {
                let (word, len) = class(i);
                if !word {
                    break;
                }
                i += len;
            }
            run += 1;
        }
        if run >= 2 {
            spans.push((start, i));
        }
    }
}

const ASCII_WORD: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'_';
        i += 1;
    }
    t
};

/// Python's `\w` for `str`: `str.isalnum()` or `_` (see the module docs).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_WORD[c as usize];
    }
    c.is_alphanumeric()
        && !unicode_normalization::char::is_combining_mark(c)
        && !is_alphabetic_symbol(c)
}

/// `Other_Alphabetic` symbols (General_Category So) that Rust calls
/// alphabetic and Python does not: circled and squared Latin letters.
fn is_alphabetic_symbol(c: char) -> bool {
    matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}
