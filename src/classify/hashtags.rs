//! Hashtag handling of the n-gram features (`[classify] hashtags`, `--hashtags`).
//!
//! Before the word and character n-grams are built, each hashtag `#Tag` of a text may be
//! rewritten ([`Hashtags::rewrite`]); the sentence embedding always sees the original
//! text. The rewrite is that of the scikit-learn study on P-Stance (`prep` in its
//! `common.py`):
//!
//! * a hashtag is `#` followed by one or more word characters, Python's `#(\w+)`, matched
//!   left to right without overlap (`#` alone stays; in `##tag` the second `#` starts it);
//! * [`split_camel`] cuts the tag into words as Python's
//!   `re.findall(r'[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+', tag)` and joins them with
//!   one space (the tag itself when nothing matches): `#HTMLParser2020` → `HTML Parser 2020`;
//! * `"split"` replaces the hashtag by those words; `"tag_and_split"` by `HT_` + the tag, a
//!   space and the words (`#BernieSanders` → `HT_BernieSanders Bernie Sanders`).
//!
//! Case is kept (the TF-IDF blocks lowercase by default). As in Python, `[A-Z]` and `[a-z]`
//! are ASCII only, `\w` is `str.isalnum()` or `_` (the same test as the TF-IDF analyzer,
//! see [`crate::embed::tfidf`]) and `\d` is a Unicode decimal digit (General_Category Nd):
//! other word characters (`_`, non-ASCII letters, `²`) are skipped by the split.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::ClassifyParamsError;

/// How the word and character n-gram features see hashtags (`[classify] hashtags`; the
/// sentence embedding always sees the original text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String", into = "String")]
pub enum Hashtags {
    /// The text as it is (`"keep"`, the default).
    #[default]
    Keep,
    /// `#CamelCaseTag` becomes `Camel Case Tag` (`"split"`).
    Split,
    /// `#CamelCaseTag` becomes `HT_CamelCaseTag Camel Case Tag`: a token of the whole tag
    /// plus its words (`"tag_and_split"`).
    TagAndSplit,
}

impl Hashtags {
    /// Every mode.
    pub const ALL: [Hashtags; 3] = [Hashtags::Keep, Hashtags::Split, Hashtags::TagAndSplit];

    /// The name in configuration files (`"keep"`, `"split"`, `"tag_and_split"`).
    pub fn name(self) -> &'static str {
        match self {
            Hashtags::Keep => "keep",
            Hashtags::Split => "split",
            Hashtags::TagAndSplit => "tag_and_split",
        }
    }

    /// Whether this is `"keep"` (no rewrite; such parameters and features are written
    /// without the key, so their files are unchanged).
    pub fn is_keep(&self) -> bool {
        *self == Hashtags::Keep
    }

    /// `text` with its hashtags rewritten (borrowed when nothing changes).
    pub fn rewrite(self, text: &str) -> Cow<'_, str> {
        if self == Hashtags::Keep || !text.contains('#') {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        let mut changed = false;
        while let Some(at) = rest.find('#') {
            let after = &rest[at + 1..];
            let tag_len: usize = after
                .chars()
                .take_while(|&c| is_word_char(c))
                .map(char::len_utf8)
                .sum();
            if tag_len == 0 {
                out.push_str(&rest[..=at]);
                rest = after;
                continue;
            }
            let tag = &after[..tag_len];
            out.push_str(&rest[..at]);
            if self == Hashtags::TagAndSplit {
                out.push_str("HT_");
                out.push_str(tag);
                out.push(' ');
            }
            out.push_str(&split_camel(tag));
            changed = true;
            rest = &after[tag_len..];
        }
        if !changed {
            return Cow::Borrowed(text);
        }
        out.push_str(rest);
        Cow::Owned(out)
    }
}

impl fmt::Display for Hashtags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Hashtags {
    type Err = ClassifyParamsError;

    /// One of `"keep"`, `"split"`, `"tag_and_split"`; anything else is
    /// [`ClassifyParamsError::InvalidHashtags`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hashtags::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| ClassifyParamsError::InvalidHashtags(s.to_owned()))
    }
}

impl TryFrom<String> for Hashtags {
    type Error = ClassifyParamsError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Hashtags> for String {
    fn from(h: Hashtags) -> String {
        h.name().to_owned()
    }
}

/// The words of a hashtag's tag, joined by one space, as Python's
/// `' '.join(re.findall(r'[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+', tag))`, or `tag`
/// itself when no word is found (see the module docs).
pub fn split_camel(tag: &str) -> String {
    let chars: Vec<char> = tag.chars().collect();
    let n = chars.len();
    let upper = |i: usize| i < n && chars[i].is_ascii_uppercase();
    let lower = |i: usize| i < n && chars[i].is_ascii_lowercase();
    let run = |mut i: usize, f: &dyn Fn(usize) -> bool| {
        while f(i) {
            i += 1;
        }
        i
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < n {
        let end = if upper(i) {
            let caps = run(i, &upper);
            if caps - i >= 2 && lower(caps) {
                // [A-Z]+(?=[A-Z][a-z]): the capitals but the last, which starts a word.
                Some(caps - 1)
            } else if lower(i + 1) {
                // [A-Z]?[a-z]+
                Some(run(i + 1, &lower))
            } else {
                // [A-Z]+
                Some(caps)
            }
        } else if lower(i) {
            Some(run(i, &lower))
        } else if is_decimal_digit(chars[i]) {
            Some(run(i, &|j| j < n && is_decimal_digit(chars[j])))
        } else {
            None
        };
        match end {
            Some(e) => {
                parts.push(chars[i..e].iter().collect());
                i = e;
            }
            None => i += 1,
        }
    }
    if parts.is_empty() {
        tag.to_owned()
    } else {
        parts.join(" ")
    }
}

/// Python's `\w` for `str`: `str.isalnum()` or `_`, the test of the TF-IDF analyzer
/// (`is_alphanumeric` minus combining marks and the circled/squared Latin letters).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    c.is_alphanumeric()
        && !unicode_normalization::char::is_combining_mark(c)
        && !matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}

/// Python's `\d` for `str`: General_Category Nd. Rust's `is_numeric` is Nd, Nl or No; the
/// ranges below are Nl and No (Unicode 14, as Python 3.11).
fn is_decimal_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    if !c.is_numeric() {
        return false;
    }
    let u = c as u32;
    let i = NOT_DECIMAL.partition_point(|&(_, hi)| hi < u);
    !(i < NOT_DECIMAL.len() && NOT_DECIMAL[i].0 <= u)
}

/// The code point ranges of General_Category Nl and No (Unicode 14), sorted.
const NOT_DECIMAL: [(u32, u32); 80] = [
    (0xB2, 0xB3),
    (0xB9, 0xB9),
    (0xBC, 0xBE),
    (0x9F4, 0x9F9),
    (0xB72, 0xB77),
    (0xBF0, 0xBF2),
    (0xC78, 0xC7E),
    (0xD58, 0xD5E),
    (0xD70, 0xD78),
    (0xF2A, 0xF33),
    (0x1369, 0x137C),
    (0x16EE, 0x16F0),
    (0x17F0, 0x17F9),
    (0x19DA, 0x19DA),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x2080, 0x2089),
    (0x2150, 0x2182),
    (0x2185, 0x2189),
    (0x2460, 0x249B),
    (0x24EA, 0x24FF),
    (0x2776, 0x2793),
    (0x2CFD, 0x2CFD),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303A),
    (0x3192, 0x3195),
    (0x3220, 0x3229),
    (0x3248, 0x324F),
    (0x3251, 0x325F),
    (0x3280, 0x3289),
    (0x32B1, 0x32BF),
    (0xA6E6, 0xA6EF),
    (0xA830, 0xA835),
    (0x10107, 0x10133),
    (0x10140, 0x10178),
    (0x1018A, 0x1018B),
    (0x102E1, 0x102FB),
    (0x10320, 0x10323),
    (0x10341, 0x10341),
    (0x1034A, 0x1034A),
    (0x103D1, 0x103D5),
    (0x10858, 0x1085F),
    (0x10879, 0x1087F),
    (0x108A7, 0x108AF),
    (0x108FB, 0x108FF),
    (0x10916, 0x1091B),
    (0x109BC, 0x109BD),
    (0x109C0, 0x109CF),
    (0x109D2, 0x109FF),
    (0x10A40, 0x10A48),
    (0x10A7D, 0x10A7E),
    (0x10A9D, 0x10A9F),
    (0x10AEB, 0x10AEF),
    (0x10B58, 0x10B5F),
    (0x10B78, 0x10B7F),
    (0x10BA9, 0x10BAF),
    (0x10CFA, 0x10CFF),
    (0x10E60, 0x10E7E),
    (0x10F1D, 0x10F26),
    (0x10F51, 0x10F54),
    (0x10FC5, 0x10FCB),
    (0x11052, 0x11065),
    (0x111E1, 0x111F4),
    (0x1173A, 0x1173B),
    (0x118EA, 0x118F2),
    (0x11C5A, 0x11C6C),
    (0x11FC0, 0x11FD4),
    (0x12400, 0x1246E),
    (0x16B5B, 0x16B61),
    (0x16E80, 0x16E96),
    (0x1D2E0, 0x1D2F3),
    (0x1D360, 0x1D378),
    (0x1E8C7, 0x1E8CF),
    (0x1EC71, 0x1ECAB),
    (0x1ECAD, 0x1ECAF),
    (0x1ECB1, 0x1ECB4),
    (0x1ED01, 0x1ED2D),
    (0x1ED2F, 0x1ED3D),
    (0x1F100, 0x1F10C),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn both(s: &str) -> String {
        Hashtags::TagAndSplit.rewrite(s).into_owned()
    }

    fn split(s: &str) -> String {
        Hashtags::Split.rewrite(s).into_owned()
    }

    #[test]
    fn camel_case_digits_and_capitals_split_as_python() {
        // Each expected value is Python's split_camel (common.py) of the tag.
        for (tag, words) in [
            ("CamelCaseTag", "Camel Case Tag"),
            ("BernieSanders", "Bernie Sanders"),
            ("HTMLParser", "HTML Parser"),
            ("Trump2020", "Trump 2020"),
            ("2020Vision", "2020 Vision"),
            ("MAGA", "MAGA"),
            ("lower", "lower"),
            ("iPhone", "i Phone"),
            ("NoMoreGOP", "No More GOP"),
            ("ABCdef", "AB Cdef"),
            ("A", "A"),
            ("a_b", "a b"),
            ("___", "___"),
            ("Bernie2020NOW", "Bernie 2020 NOW"),
        ] {
            assert_eq!(split_camel(tag), words, "{tag}");
        }
    }

    #[test]
    fn modes_rewrite_every_hashtag() {
        let t = "I #StandWithBernie, #MAGA #lower end #Trump2020";
        assert_eq!(Hashtags::Keep.rewrite(t), t);
        assert_eq!(split(t), "I Stand With Bernie, MAGA lower end Trump 2020");
        assert_eq!(
            both(t),
            "I HT_StandWithBernie Stand With Bernie, HT_MAGA MAGA HT_lower lower end \
             HT_Trump2020 Trump 2020"
        );
        // A hashtag at the very end, and one alone.
        assert_eq!(both("#Tag"), "HT_Tag Tag");
        assert_eq!(both("end #FeelTheBern"), "end HT_FeelTheBern Feel The Bern");
    }

    #[test]
    fn a_lone_hash_stays_and_double_hash_keeps_the_first() {
        for s in ["#", "a # b", "# #", "100%#", "#!", "nothing here"] {
            assert_eq!(both(s), s);
            assert!(
                matches!(Hashtags::Split.rewrite(s), Cow::Borrowed(_)),
                "{s}"
            );
        }
        assert_eq!(both("##Tag"), "#HT_Tag Tag");
        assert_eq!(split("##Tag"), "#Tag");
        assert_eq!(both("a#Bc"), "aHT_Bc Bc");
    }

    #[test]
    fn unicode_tags_as_python() {
        // Non-ASCII letters are word characters (the tag goes on) but not split words.
        assert_eq!(both("#CaféCrème"), "HT_CaféCrème Caf Cr me");
        assert_eq!(split("#Ça"), "a");
        assert_eq!(split("#ÉÉ"), "ÉÉ");
        assert_eq!(both("#日本 x"), "HT_日本 日本 x");
        // Arabic-Indic digits are decimal (Nd), superscripts are not (but are \w).
        assert_eq!(split("#Tag٢٠"), "Tag ٢٠");
        assert_eq!(split("#x²y"), "x y");
        // A combining accent ends the tag, as Python's \w does not match it.
        assert_eq!(both("#Cafe\u{301}s"), "HT_Cafe Cafe\u{301}s");
        // Emoji and punctuation end a tag.
        assert_eq!(split("#Go🇺🇸!"), "Go🇺🇸!");
    }

    #[test]
    fn names_parse_and_invalid_values_name_the_allowed_ones() {
        for h in Hashtags::ALL {
            assert_eq!(h.name().parse::<Hashtags>().unwrap(), h);
            assert_eq!(
                serde_json::to_string(&h).unwrap(),
                format!("\"{}\"", h.name())
            );
        }
        let e = "both".parse::<Hashtags>().unwrap_err();
        assert_eq!(e, ClassifyParamsError::InvalidHashtags("both".into()));
        let msg = e.to_string();
        assert!(
            msg.contains("\"both\"")
                && msg.contains("\"tag_and_split\"")
                && msg.contains("\"keep\""),
            "{msg}"
        );
        let e = serde_json::from_str::<Hashtags>("\"Split\"").unwrap_err();
        assert!(e.to_string().contains("tag_and_split"), "{e}");
    }

    #[test]
    fn decimal_digits_are_nd_only() {
        assert!(is_decimal_digit('7'));
        assert!(is_decimal_digit('\u{0663}')); // ARABIC-INDIC DIGIT THREE
        assert!(is_decimal_digit('\u{FF15}')); // FULLWIDTH DIGIT FIVE
        for c in ['²', '½', 'Ⅻ', '①', '\u{1F100}', 'a'] {
            assert!(!is_decimal_digit(c), "{c}");
        }
    }
}
