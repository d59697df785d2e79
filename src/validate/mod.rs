//! Measurement you can publish: draw a random sample of paragraphs for hand-coding
//! ([`sample`]), measure agreement between coders with Krippendorff's α ([`agreement`],
//! [`reliability`]), validate rhetor's labels against the human codes and correct label
//! shares for classifier error by prediction-powered inference ([`validation`], [`ppi`]).

pub mod agreement;
pub mod coded;
mod error;
pub mod output;
pub mod ppi;
pub mod reliability;
pub mod run_data;
pub mod sample;
pub mod validation;

pub use error::ValidateError;
pub use reliability::{Agreement, AgreementParams};
pub use run_data::RunData;
pub use sample::{SampleFiles, Stratify};
pub use validation::{ValidateParams, Validation};
