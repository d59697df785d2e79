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

    /// Builds a column from JSON values, inferring one type for all of them: booleans,
    /// integers, floats, or else strings (arrays and objects are kept as JSON text).
    pub fn from_json(values: &[Option<&Value>]) -> MetaValues {
        let non_null = || values.iter().flatten().filter(|v| !v.is_null());
        if non_null().all(|v| v.is_boolean()) && non_null().next().is_some() {
            return MetaValues::Bool(values.iter().map(|v| v.and_then(Value::as_bool)).collect());
        }
        if non_null().all(|v| v.is_i64()) && non_null().next().is_some() {
            return MetaValues::Int(values.iter().map(|v| v.and_then(Value::as_i64)).collect());
        }
        if non_null().all(|v| v.is_number()) && non_null().next().is_some() {
            return MetaValues::Float(values.iter().map(|v| v.and_then(Value::as_f64)).collect());
        }
        MetaValues::Str(
            values
                .iter()
                .map(|v| match v {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                })
                .collect(),
        )
    }
}
