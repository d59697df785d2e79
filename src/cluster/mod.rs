//! Topic clustering of paragraph embeddings: k-means with an automatic choice of k, soft
//! memberships, representative paragraphs, and class-based TF-IDF topic terms.
//!
//! [`ClusterValidParams`] is also a linfa algorithm (`linfa::traits::Fit` on a
//! `linfa::DatasetBase`, another seed with [`ClusterValidParams::with_seed`]) and [`Clustering`] a
//! linfa model (`linfa::traits::Predict`: the nearest centroid, as [`assign_nearest`]).
//!
//! ```no_run
//! # fn demo(x: ndarray::ArrayView2<f32>) -> Result<(), Box<dyn std::error::Error>> {
//! use rhetor::cluster::ClusterParams;
//! let clustering = ClusterParams::default().check()?.fit(x, 42)?;
//! println!("k = {} ({:?})", clustering.k, clustering.k_scores);
//! # Ok(()) }
//! ```

pub mod ctfidf;
pub mod error;
pub mod kmeans;
pub mod params;

pub use ctfidf::{class_tfidf, TopicTerms};
pub use error::{ClusterError, ClusterParamsError};
pub use kmeans::{assign_nearest, representatives, Assignment, Clustering};
pub use params::{ChooseK, ClusterParams, ClusterValidParams, SeededClusterParams, DEFAULT_SEED};
