//! Exact decimal strings for floats in the JSON model file (used by the model file and by
//! the fitted features' serde).

/// The shortest decimal string that parses back to exactly `x`.
pub(crate) fn encode_f64(x: f64) -> String {
    format!("{x:?}")
}

/// Parse a string written by [`encode_f64`] (any decimal float Rust parses), exactly.
pub(crate) fn decode_f64(s: &str) -> Result<f64, std::num::ParseFloatError> {
    s.parse::<f64>()
}

/// The shortest decimal string that parses back to exactly `x` as an `f32`.
pub(crate) fn encode_f32(x: f32) -> String {
    format!("{x:?}")
}
