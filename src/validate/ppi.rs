//! Prediction-powered inference for label shares (filled in by the PPI work).
