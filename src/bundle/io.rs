//! Writing and reading a bundle directory (see the module docs of [`crate::bundle`]).

use super::{Bundle, BundleError, BundleManifest, EmbedInfo, FORMAT, FORMAT_VERSION, MANIFEST};
use crate::embed::tfidf::FittedTfidf;
use crate::export::{ExportError, RunDir};
use crate::label::Codebook;
use ndarray::Array2;
use safetensors::{Dtype, SafeTensors};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const VECTORIZER: &str = "tfidf_vectorizer.json";
const TERM_VECTORIZER: &str = "topic_terms_vectorizer.json";
const LSA: &str = "lsa.safetensors";
const CENTROIDS: &str = "centroids.safetensors";

fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file name of a codebook copy in a bundle or run directory.
pub(crate) fn codebook_file(name: &str) -> String {
    format!("codebook.{name}.toml")
}

fn classifier_file(dimension: &str) -> String {
    format!("classifier.{dimension}.json")
}

/// sha256 of the files of the model folder `dir` that shape its embeddings.
pub fn model_files(dir: &Path) -> Result<BTreeMap<String, String>, BundleError> {
    use crate::embed::transformer::TransformerError;
    crate::embed::transformer::fetch::model_files(dir).map_err(|e| match e {
        TransformerError::Read { path, source } => BundleError::Read { path, source },
        other => BundleError::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

fn tensor_bytes<T: Copy>(v: &[T], to_le: impl Fn(T) -> Vec<u8>) -> Vec<u8> {
    v.iter().flat_map(|&x| to_le(x)).collect()
}

fn safetensors_bytes(
    tensors: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)>,
    path: &str,
) -> Result<Vec<u8>, ExportError> {
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .map(|(name, dtype, shape, data)| {
            safetensors::tensor::TensorView::new(*dtype, shape.clone(), data)
                .map(|v| (name.to_string(), v))
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ExportError::Refused(format!("cannot encode {path}: {e}")))?;
    safetensors::serialize(views, None)
        .map_err(|e| ExportError::Refused(format!("cannot encode {path}: {e}")))
}

/// Writes `bundle` into `dir` (a [`RunDir`]: staged, then moved into place on commit).
/// `bundle.manifest.files` is filled in here.
pub fn write(dir: &RunDir, bundle: &Bundle) -> Result<BundleManifest, ExportError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let json = |v: &dyn erased::Json| -> Vec<u8> {
        let mut s = v.to_pretty();
        s.push('\n');
        s.into_bytes()
    };
    files.insert(VECTORIZER.into(), json(&bundle.vectorizer));
    files.insert(TERM_VECTORIZER.into(), json(&bundle.term_vectorizer));
    if let Some(c) = &bundle.lsa_components {
        let data = tensor_bytes(
            c.as_standard_layout().as_slice().unwrap_or(&[]),
            |x: f64| x.to_le_bytes().to_vec(),
        );
        files.insert(
            LSA.into(),
            safetensors_bytes(
                vec![("components", Dtype::F64, c.shape().to_vec(), data)],
                LSA,
            )?,
        );
    }
    let c = &bundle.centroids;
    let data = tensor_bytes(
        c.as_standard_layout().as_slice().unwrap_or(&[]),
        |x: f32| x.to_le_bytes().to_vec(),
    );
    files.insert(
        CENTROIDS.into(),
        safetensors_bytes(
            vec![("centroids", Dtype::F32, c.shape().to_vec(), data)],
            CENTROIDS,
        )?,
    );
    for cb in &bundle.codebooks {
        let text = toml::to_string_pretty(cb).map_err(|e| {
            ExportError::Refused(format!(
                "cannot encode codebook '{}': {e}",
                cb.codebook.name
            ))
        })?;
        files.insert(codebook_file(&cb.codebook.name), text.into_bytes());
    }
    for (name, model) in &bundle.classifiers {
        let text = model
            .to_json()
            .map_err(|e| ExportError::Refused(format!("cannot encode classifier '{name}': {e}")))?;
        files.insert(classifier_file(name), text.into_bytes());
    }
    let mut manifest = bundle.manifest.clone();
    manifest.format = FORMAT.into();
    manifest.format_version = FORMAT_VERSION;
    manifest.codebooks = bundle
        .codebooks
        .iter()
        .map(|c| codebook_file(&c.codebook.name))
        .collect();
    manifest.classifiers = bundle
        .classifiers
        .iter()
        .map(|(n, _)| super::ClassifierRef {
            dimension: n.clone(),
            file: classifier_file(n),
        })
        .collect();
    manifest.files = files.iter().map(|(n, b)| (n.clone(), sha256(b))).collect();
    for (name, bytes) in &files {
        dir.write_bytes(name, bytes)?;
    }
    dir.write_json(MANIFEST, &manifest)?;
    Ok(manifest)
}

/// A tiny object-safe "serialize as pretty JSON" so `write` can take either vectorizer.
mod erased {
    pub trait Json {
        fn to_pretty(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_pretty(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_default()
        }
    }
}

fn invalid(path: &Path, message: impl std::fmt::Display) -> BundleError {
    BundleError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The bytes of bundle file `name`, checked against the sha256 in `manifest.files`.
fn checked_file(dir: &Path, manifest: &BundleManifest, name: &str) -> Result<Vec<u8>, BundleError> {
    let path = dir.join(name);
    let Some(want) = manifest.files.get(name) else {
        return Err(invalid(
            &dir.join(MANIFEST),
            format!("its `files` table does not list '{name}'"),
        ));
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BundleError::Damaged {
                path,
                problem: "is missing".into(),
            })
        }
        Err(source) => return Err(BundleError::Read { path, source }),
    };
    let got = sha256(&bytes);
    if &got != want {
        return Err(BundleError::Damaged {
            path,
            problem: format!("has sha256 {got}, but bundle.json records {want}"),
        });
    }
    Ok(bytes)
}

fn read_tensor<T>(
    path: &Path,
    bytes: &[u8],
    name: &str,
    dtype: Dtype,
    from_le: impl Fn(&[u8]) -> T,
) -> Result<Array2<T>, BundleError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| invalid(path, e))?;
    let t = st
        .tensor(name)
        .map_err(|e| invalid(path, format!("no tensor '{name}' ({e})")))?;
    if t.dtype() != dtype || t.shape().len() != 2 {
        return Err(invalid(
            path,
            format!(
                "tensor '{name}' is {:?} {:?}, expected a 2-d {dtype:?} matrix",
                t.dtype(),
                t.shape()
            ),
        ));
    }
    let size = std::mem::size_of::<T>();
    let values: Vec<T> = t.data().chunks_exact(size).map(from_le).collect();
    Array2::from_shape_vec((t.shape()[0], t.shape()[1]), values).map_err(|e| invalid(path, e))
}

fn read_vectorizer(dir: &Path, m: &BundleManifest, name: &str) -> Result<FittedTfidf, BundleError> {
    let bytes = checked_file(dir, m, name)?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(&dir.join(name), e))
}

/// Reads the bundle in `dir`, checking its format version, every file's sha256 and the
/// arrays' shapes.
pub fn read(dir: &Path) -> Result<Bundle, BundleError> {
    let mpath = dir.join(MANIFEST);
    let text = match std::fs::read(&mpath) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BundleError::NotABundle(dir.to_path_buf()))
        }
        Err(source) => {
            return Err(BundleError::Read {
                path: mpath,
                source,
            })
        }
    };
    // The format and version first, so that a bundle of another version gets that message
    // and not a field-by-field parse error.
    let header: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| invalid(&mpath, e))?;
    match header.get("format") {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        other => {
            return Err(BundleError::WrongFormat {
                path: mpath,
                found: other.map_or_else(|| "missing".into(), |v| v.to_string()),
            })
        }
    }
    match header.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(BundleError::UnsupportedVersion {
                path: mpath,
                found: v.to_string(),
                hint: "it was written by a newer rhetor: update rhetor",
            })
        }
        other => {
            return Err(BundleError::UnsupportedVersion {
                path: mpath,
                found: other.map_or_else(
                    || {
                        header
                            .get("format_version")
                            .map_or_else(|| "missing".into(), |v| v.to_string())
                    },
                    |v| v.to_string(),
                ),
                hint: "fit the bundle again with this rhetor",
            })
        }
    }
    let manifest: BundleManifest = serde_json::from_slice(&text).map_err(|e| invalid(&mpath, e))?;
    let vectorizer = read_vectorizer(dir, &manifest, VECTORIZER)?;
    let term_vectorizer = read_vectorizer(dir, &manifest, TERM_VECTORIZER)?;
    let lsa_components = match &manifest.embed {
        EmbedInfo::Tfidf {
            n_features,
            n_components,
            ..
        } => {
            let path = dir.join(LSA);
            let bytes = checked_file(dir, &manifest, LSA)?;
            let c = read_tensor(&path, &bytes, "components", Dtype::F64, |b| {
                f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))
            })?;
            if c.dim() != (*n_components, *n_features)
                || *n_features != vectorizer.vocabulary().len()
            {
                return Err(invalid(
                    &path,
                    format!(
                        "components are {}×{}, but bundle.json says {n_components} components \
                         over {n_features} terms and the vectorizer has {} terms",
                        c.nrows(),
                        c.ncols(),
                        vectorizer.vocabulary().len()
                    ),
                ));
            }
            Some(c)
        }
        EmbedInfo::Transformer { .. } => None,
    };
    let cpath = dir.join(CENTROIDS);
    let bytes = checked_file(dir, &manifest, CENTROIDS)?;
    let centroids = read_tensor(&cpath, &bytes, "centroids", Dtype::F32, |b| {
        f32::from_le_bytes(b.try_into().unwrap_or([0; 4]))
    })?;
    let want_dim = match (&manifest.embed, &lsa_components) {
        (EmbedInfo::Transformer { dimension, .. }, _) => *dimension,
        (_, Some(c)) => c.nrows(),
        _ => 0,
    };
    if centroids.dim() != (manifest.cluster.k, manifest.cluster.dimension)
        || manifest.cluster.dimension != want_dim
        || manifest.topics.len() != manifest.cluster.k
        || manifest
            .topics
            .iter()
            .enumerate()
            .any(|(i, t)| t.topic_id != i)
    {
        return Err(invalid(
            &cpath,
            format!(
                "centroids are {}×{}, but bundle.json says k = {} topics ({} described, ids \
                 0..k in order) of dimension {} and the embedding has dimension {want_dim}",
                centroids.nrows(),
                centroids.ncols(),
                manifest.cluster.k,
                manifest.topics.len(),
                manifest.cluster.dimension
            ),
        ));
    }
    if centroids.iter().any(|v| !v.is_finite()) {
        return Err(invalid(&cpath, "centroids hold a non-finite value"));
    }
    let mut codebooks = Vec::new();
    for f in &manifest.codebooks {
        let bytes = checked_file(dir, &manifest, f)?;
        let path = dir.join(f);
        let text = String::from_utf8(bytes).map_err(|e| invalid(&path, e))?;
        codebooks.push(Codebook::from_toml(&text, &path).map_err(|e| invalid(&path, e))?);
    }
    let mut classifiers = Vec::new();
    for c in &manifest.classifiers {
        let bytes = checked_file(dir, &manifest, &c.file)?;
        let path = dir.join(&c.file);
        let model =
            crate::classify::ModelFile::from_slice(&bytes).map_err(|e| invalid(&path, e))?;
        classifiers.push((c.dimension.clone(), model));
    }
    // Every listed file was read and checked above, except ones no field refers to.
    let used: Vec<String> = [VECTORIZER, TERM_VECTORIZER, CENTROIDS]
        .iter()
        .map(|s| s.to_string())
        .chain(lsa_components.as_ref().map(|_| LSA.to_string()))
        .chain(manifest.codebooks.iter().cloned())
        .chain(manifest.classifiers.iter().map(|c| c.file.clone()))
        .collect();
    if let Some(extra) = manifest.files.keys().find(|k| !used.contains(k)) {
        return Err(invalid(
            &mpath,
            format!("its `files` table lists '{extra}', which no field of the bundle uses"),
        ));
    }
    Ok(Bundle {
        manifest,
        vectorizer,
        lsa_components,
        centroids,
        term_vectorizer,
        codebooks,
        classifiers,
    })
}

/// Checks the files of the model folder `model_dir` against the sha256 sums the bundle was
/// fitted with.
pub fn check_model(manifest: &BundleManifest, model_dir: &Path) -> Result<(), BundleError> {
    let EmbedInfo::Transformer {
        model,
        model_files: want,
        ..
    } = &manifest.embed
    else {
        return Ok(());
    };
    let got = model_files(model_dir)?;
    for (file, sum) in want {
        match got.get(file) {
            None => {
                return Err(BundleError::ModelChanged {
                    model: model.clone(),
                    file: file.clone(),
                    problem: format!("is missing from '{}'", model_dir.display()),
                })
            }
            Some(g) if g != sum => {
                return Err(BundleError::ModelChanged {
                    model: model.clone(),
                    file: file.clone(),
                    problem: format!("has sha256 {g} instead of {sum}"),
                })
            }
            _ => {}
        }
    }
    if let Some(extra) = got.keys().find(|f| !want.contains_key(*f)) {
        return Err(BundleError::ModelChanged {
            model: model.clone(),
            file: extra.clone(),
            problem: "exists but did not when the bundle was fitted".into(),
        });
    }
    Ok(())
}
