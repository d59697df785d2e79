//! Measurement you can publish: draw a random sample of paragraphs for hand-coding, measure
//! agreement between coders (Krippendorff's α), validate rhetor's labels against the human
//! codes, and correct label shares for classifier error (prediction-powered inference).

pub mod agreement;
pub mod ppi;
