//! User metadata columns carried from the input into the output tables.

use serde_json::Value;

/// Typed values of one metadata column.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValues {
    /// Text.
    Str(Vec<Option<String>>),
    /// 64-bit integers.
    Int(Vec<Option<i64>>),
    /// 64-bit floats.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
}

/// A named metadata column.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaColumn {
    /// Column name.
    pub name: String,
    /// Values.
    pub values: MetaValues,
}

impl MetaValues {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            MetaValues::Str(v) => v.len(),
            MetaValues::Int(v) => v.len(),
            MetaValues::Float(v) => v.len(),
            MetaValues::Bool(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> MetaValues {
        fn t<T: Clone>(v: &[Option<T>], idx: &[usize]) -> Vec<Option<T>> {
            idx.iter().map(|&i| v[i].clone()).collect()
        }
        match self {
            MetaValues::Str(v) => MetaValues::Str(t(v, idx)),
            MetaValues::Int(v) => MetaValues::Int(t(v, idx)),
            MetaValues::Float(v) => MetaValues::Float(t(v, idx)),
            MetaValues::Bool(v) => MetaValues::Bool(t(v, idx)),
        }
    }

    /// Value `i` as a string (for ids and titles); `None` when null.
    pub fn get_string(&self, i: usize) -> Option<String> {
        match self {
            MetaValues::Str(v) => v[i].clone(),
            MetaValues::Int(v) => v[i].map(|x| x.to_string()),
            MetaValues::Float(v) => v[i].map(|x| x.to_string()),
            MetaValues::Bool(v) => v[i].map(|x| x.to_string()),
        }
    }

    /// Whether rows `a` and `b` hold the same value (nulls equal nulls).
    pub fn same(&self, a: usize, b: usize) -> bool {
        match self {
            MetaValues::Str(v) => v[a] == v[b],
            MetaValues::Int(v) => v[a] == v[b],
            MetaValues::Float(v) => v[a].map(f64::to_bits) == v[b].map(f64::to_bits),
            MetaValues::Bool(v) => v[a] == v[b],
        }
    }

    /// Types a column of CSV text without changing any value's spelling: the column becomes
    /// booleans if every non-empty value is `true` or `false`, integers if every one is an
    /// integer written the way it reads back (no leading zeros or `+`, fits in 64 bits),
    /// decimals if every one is a plain decimal number that reads back with the same digits
    /// (no leading zeros, `+`, exponent or digits lost), and otherwise stays text. So `007`,
    /// `02134` and `1e3` stay text, and ids never change.
    pub fn from_csv_text(values: Vec<Option<String>>) -> MetaValues {
        let non_null = || values.iter().flatten();
        if non_null().next().is_none() {
            return MetaValues::Str(values);
        }
        if non_null().all(|v| v == "true" || v == "false") {
            return MetaValues::Bool(
                values
                    .iter()
                    .map(|v| v.as_ref().map(|v| v == "true"))
                    .collect(),
            );
        }
        if non_null().all(|v| exact_int(v).is_some()) {
            return MetaValues::Int(
                values
                    .iter()
                    .map(|v| v.as_deref().and_then(exact_int))
                    .collect(),
            );
        }
        if non_null().all(|v| exact_float(v).is_some()) {
            return MetaValues::Float(
                values
                    .iter()
                    .map(|v| v.as_deref().and_then(exact_float))
                    .collect(),
            );
        }
        MetaValues::Str(values)
    }

    /// Builds a column from JSON values, inferring one type for all of them: booleans,
    /// integers, floats, or else strings (arrays and objects are kept as JSON text).
    pub fn from_json(values: &[Option<&Value>]) -> MetaValues {
        Self::from_json_as(values, JsonKind::of(values))
    }

    /// Builds a column of type `kind` from JSON values (see [`JsonKind`]).
    pub fn from_json_as(values: &[Option<&Value>], kind: JsonKind) -> MetaValues {
        match kind {
            JsonKind::Bool => {
                MetaValues::Bool(values.iter().map(|v| v.and_then(Value::as_bool)).collect())
            }
            JsonKind::Int => {
                MetaValues::Int(values.iter().map(|v| v.and_then(Value::as_i64)).collect())
            }
            JsonKind::Float => {
                MetaValues::Float(values.iter().map(|v| v.and_then(Value::as_f64)).collect())
            }
            JsonKind::Str => MetaValues::Str(
                values
                    .iter()
                    .map(|v| match v {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(other) => Some(other.to_string()),
                    })
                    .collect(),
            ),
        }
    }
}

/// The type of a JSON column: booleans when every value that is not null is one (and there
/// is one), else integers (`i64`), else numbers, else strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// `true`/`false`.
    Bool,
    /// Integers that fit `i64`.
    Int,
    /// Numbers.
    Float,
    /// Anything else (arrays and objects as JSON text).
    Str,
}

impl JsonKind {
    /// The type of `values`.
    pub fn of(values: &[Option<&Value>]) -> JsonKind {
        let mut k = JsonKindAcc::default();
        for v in values.iter().flatten() {
            k.add(v);
        }
        k.kind()
    }
}

/// [`JsonKind`] of values seen one at a time.
#[derive(Clone, Copy, Debug)]
pub struct JsonKindAcc {
    any: bool,
    all_bool: bool,
    all_int: bool,
    all_number: bool,
}

impl Default for JsonKindAcc {
    fn default() -> Self {
        JsonKindAcc {
            any: false,
            all_bool: true,
            all_int: true,
            all_number: true,
        }
    }
}

impl JsonKindAcc {
    /// Counts `v` in (null is ignored).
    pub fn add(&mut self, v: &Value) {
        if v.is_null() {
            return;
        }
        self.any = true;
        self.all_bool &= v.is_boolean();
        self.all_int &= v.is_i64();
        self.all_number &= v.is_number();
    }

    /// The type of the values seen.
    pub fn kind(&self) -> JsonKind {
        match (self.any, self.all_bool, self.all_int, self.all_number) {
            (false, ..) => JsonKind::Str,
            (true, true, _, _) => JsonKind::Bool,
            (true, _, true, _) => JsonKind::Int,
            (true, _, _, true) => JsonKind::Float,
            _ => JsonKind::Str,
        }
    }
}

/// `s` as an integer, if it is written exactly as the integer prints.
fn exact_int(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|x| x.to_string() == s)
}

/// `s` as a float, if it is a plain decimal (`-12.50`, `3`) without leading zeros, `+` or
/// exponent, that prints back with the same digits at its number of decimals.
fn exact_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return None;
    }
    if frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let x: f64 = s.parse().ok()?;
    let decimals = frac.map_or(0, str::len);
    (format!("{x:.decimals$}") == s).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(v: &[&str]) -> MetaValues {
        MetaValues::from_csv_text(
            v.iter()
                .map(|s| (!s.is_empty()).then(|| s.to_string()))
                .collect(),
        )
    }

    #[test]
    fn csv_numbers_keep_their_spelling() {
        assert_eq!(
            col(&["1", "", "-20"]),
            MetaValues::Int(vec![Some(1), None, Some(-20)])
        );
        assert_eq!(
            col(&["1.5", "2", "2.0"]),
            MetaValues::Float(vec![Some(1.5), Some(2.0), Some(2.0)])
        );
        assert_eq!(
            col(&["true", "false"]),
            MetaValues::Bool(vec![Some(true), Some(false)])
        );
        for text in [
            &["007", "1"][..],
            &["02134"],
            &["1e3"],
            &["+1"],
            &["0.1000000000000000000001"],
            &["12345678901234567890"],
            &["True"],
            &["1,000"],
            &[".5"],
            &["5."],
        ] {
            assert!(matches!(col(text), MetaValues::Str(_)), "{text:?}");
        }
    }
}
