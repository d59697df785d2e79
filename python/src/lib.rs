//! `rhetor._rhetor`: the native half of the `rhetor` Python package (see `python/rhetor/`).
//!
//! Thin: every function calls the library the CLI calls, with the same checks and the same
//! messages, and releases the GIL while it works. Configurations come in as JSON (the
//! Python side turns keyword sections such as `cluster={"k": 3}` into it) laid over a config
//! file or the defaults; results go back as JSON summaries, paths and raw bytes, which the
//! Python side turns into `pyarrow.Table`s and NumPy arrays.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rhetor::config::Config;
use rhetor::progress::NoProgress;
use rhetor::run::{self as pipeline, RunOptions, RunSummary, Shard, Stages};
use std::path::{Path, PathBuf};

pyo3::create_exception!(
    _rhetor,
    RhetorError,
    PyException,
    "An error of rhetor: bad input, a refused output, a damaged bundle or part. The message is the CLI's: it names the file, key or flag and what to do."
);

/// The error and its causes on one line, as the CLI prints them.
fn py_err(context: &str, e: &dyn std::error::Error) -> PyErr {
    let mut msg = format!("{context}: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    RhetorError::new_err(msg)
}

/// Lays `over` onto `base`, key by key; a table whose `type` changes (e.g. `[embed]` from
/// TF-IDF to transformer) is replaced, not merged.
fn overlay(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                let replace = match (b.get(&k), &v) {
                    (Some(serde_json::Value::Object(old)), serde_json::Value::Object(new)) => {
                        new.get("type").is_some_and(|t| old.get("type") != Some(t))
                    }
                    _ => true,
                };
                if replace {
                    b.insert(k, v);
                } else if let Some(slot) = b.get_mut(&k) {
                    overlay(slot, v);
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// The configuration: `config_file` (or the defaults), with the JSON `overrides` laid over it.
/// Returns it with the folder relative codebook paths resolve against.
fn config(
    config_file: Option<&str>,
    overrides: Option<&str>,
) -> PyResult<(Config, Option<PathBuf>)> {
    let (base, dir) = match config_file {
        Some(p) => {
            let path = Path::new(p);
            let c = Config::from_file(path).map_err(|e| py_err("config", &e))?;
            (c, path.parent().map(Path::to_path_buf))
        }
        None => (Config::default(), None),
    };
    let Some(json) = overrides.filter(|j| !j.trim().is_empty() && j.trim() != "{}") else {
        return Ok((base, dir));
    };
    let over: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| RhetorError::new_err(format!("config keywords: {e}")))?;
    let mut value =
        serde_json::to_value(&base).map_err(|e| RhetorError::new_err(format!("config: {e}")))?;
    overlay(&mut value, over);
    let c: Config = serde_json::from_value(value).map_err(|e| {
        RhetorError::new_err(format!(
            "config keywords: {e} (the keywords are the sections and keys of docs/config.md, e.g. cluster={{\"k\": 3}}, seed=7)"
        ))
    })?;
    Ok((c, dir))
}

fn summary_json(s: &RunSummary) -> String {
    let v = serde_json::json!({
        "out": s.out.display().to_string(),
        "documents": s.counts.documents,
        "paragraphs": s.counts.paragraphs,
        "skipped": s.skipped.iter().map(|k| format!("{}: {}", k.source, k.reason)).collect::<Vec<_>>(),
        "warnings": s.warnings,
        "k": s.k.map(|k| k.k),
        "report": s.report.as_ref().map(|p| p.display().to_string()),
        "validated": s.validation.is_some(),
    });
    v.to_string()
}

/// `rhetor run` (every stage fitted on the corpus) without a progress bar; returns a JSON
/// summary.
#[pyfunction]
#[pyo3(signature = (corpus, out, config_file=None, overrides=None, force=false, coded=None))]
fn run(
    py: Python<'_>,
    corpus: &str,
    out: &str,
    config_file: Option<&str>,
    overrides: Option<&str>,
    force: bool,
    coded: Option<&str>,
) -> PyResult<String> {
    let (cfg, dir) = config(config_file, overrides)?;
    let opts = RunOptions {
        force,
        coded: coded.map(PathBuf::from),
    };
    py.detach(|| {
        let checked = cfg
            .check_in(dir.as_deref())
            .map_err(|e| py_err("config", &e))?;
        let s = pipeline::run(
            "run",
            Path::new(corpus),
            &checked,
            Path::new(out),
            &opts,
            Stages::All,
            &NoProgress,
        )
        .map_err(|e| py_err(&format!("run on '{corpus}'"), &e))?;
        Ok(summary_json(&s))
    })
}

/// `rhetor fit`: writes the bundle `out`; returns a JSON summary.
#[pyfunction]
#[pyo3(signature = (corpus, out, config_file=None, overrides=None, force=false, sample=None))]
fn fit(
    py: Python<'_>,
    corpus: &str,
    out: &str,
    config_file: Option<&str>,
    overrides: Option<&str>,
    force: bool,
    sample: Option<usize>,
) -> PyResult<String> {
    let (cfg, dir) = config(config_file, overrides)?;
    py.detach(|| {
        let checked = cfg
            .check_in(dir.as_deref())
            .map_err(|e| py_err("config", &e))?;
        let s = pipeline::fit(
            Path::new(corpus),
            &checked,
            Path::new(out),
            force,
            sample,
            &NoProgress,
        )
        .map_err(|e| py_err(&format!("fit on '{corpus}'"), &e))?;
        Ok(serde_json::json!({
            "out": s.out.display().to_string(),
            "documents": s.counts.documents,
            "paragraphs": s.counts.paragraphs,
            "k": s.k.k,
            "warnings": s.warnings,
        })
        .to_string())
    })
}

/// `rhetor apply` (with `shard = (i, n)`: `rhetor apply --shard i/n`, `out` is the parts
/// folder); returns a JSON summary.
#[pyfunction]
#[pyo3(signature = (bundle, corpus, out, config_file=None, overrides=None, force=false, coded=None, shard=None))]
#[allow(clippy::too_many_arguments)]
fn apply(
    py: Python<'_>,
    bundle: &str,
    corpus: &str,
    out: &str,
    config_file: Option<&str>,
    overrides: Option<&str>,
    force: bool,
    coded: Option<&str>,
    shard: Option<(usize, usize)>,
) -> PyResult<String> {
    let (cfg, _) = config(config_file, overrides)?;
    let opts = RunOptions {
        force,
        coded: coded.map(PathBuf::from),
    };
    let shard = match shard {
        Some((i, n)) => Some(
            format!("{i}/{n}")
                .parse::<Shard>()
                .map_err(RhetorError::new_err)?,
        ),
        None => None,
    };
    py.detach(|| {
        let context = format!("apply '{bundle}' to '{corpus}'");
        match shard {
            Some(sh) => {
                let s = pipeline::apply_shard(
                    Path::new(bundle),
                    Path::new(corpus),
                    &cfg,
                    Path::new(out),
                    sh,
                    &opts,
                    &NoProgress,
                )
                .map_err(|e| py_err(&context, &e))?;
                Ok(serde_json::json!({
                    "out": s.out.display().to_string(),
                    "shard": s.part.shard,
                    "shards": s.part.shards,
                    "paragraphs": s.part.end - s.part.start,
                    "warnings": s.warnings,
                })
                .to_string())
            }
            None => {
                let s = pipeline::apply(
                    Path::new(bundle),
                    Path::new(corpus),
                    &cfg,
                    Path::new(out),
                    &opts,
                    &NoProgress,
                )
                .map_err(|e| py_err(&context, &e))?;
                Ok(summary_json(&s))
            }
        }
    })
}

/// `rhetor merge`; returns a JSON summary.
#[pyfunction]
#[pyo3(signature = (parts, out, force=false, coded=None))]
fn merge(
    py: Python<'_>,
    parts: &str,
    out: &str,
    force: bool,
    coded: Option<&str>,
) -> PyResult<String> {
    let opts = RunOptions {
        force,
        coded: coded.map(PathBuf::from),
    };
    py.detach(|| {
        let s = pipeline::merge(Path::new(parts), Path::new(out), &opts, &NoProgress)
            .map_err(|e| py_err(&format!("merge '{parts}'"), &e))?;
        Ok(summary_json(&s))
    })
}

/// Sentence embeddings of `texts` from the native encoder: `(bytes, rows, cols)`, the rows
/// L2-normalised, row-major little-endian f32.
#[pyfunction]
#[pyo3(signature = (texts, model="all-MiniLM-L6-v2", precision="f32", cache=false))]
fn embed<'py>(
    py: Python<'py>,
    texts: Vec<String>,
    model: &str,
    precision: &str,
    cache: bool,
) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
    use rhetor::embed::transformer::{self, Precision, TransformerParams};
    let precision = match precision {
        "f32" => Precision::F32,
        "bf16" => Precision::Bf16,
        other => {
            return Err(RhetorError::new_err(format!(
                "precision '{other}': give \"f32\" or \"bf16\""
            )))
        }
    };
    let params = TransformerParams {
        model: model.to_string(),
        precision,
        cache,
        ..TransformerParams::default()
    };
    let (bytes, rows, cols) = py.detach(|| {
        let models = transformer::fetch::default_models_dir();
        let e = transformer::load(&models, &params)
            .map_err(|e| py_err(&format!("model '{model}'"), &e))?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let (m, _) = e
            .embed(&refs)
            .map_err(|e| py_err("embedding the texts", &e))?;
        let mut bytes = Vec::with_capacity(4 * m.len());
        for x in m.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        Ok::<_, PyErr>((bytes, m.nrows(), m.ncols()))
    })?;
    Ok((PyBytes::new(py, &bytes), rows, cols))
}

/// The Markdown reference of the configuration (docs/config.md).
#[pyfunction]
fn config_reference() -> String {
    rhetor::config::reference_markdown()
}

/// The native module.
#[pymodule]
fn _rhetor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("RhetorError", m.py().get_type::<RhetorError>())?;
    m.add("__version__", rhetor::VERSION)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(apply, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(config_reference, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::overlay;
    use serde_json::json;

    #[test]
    fn overlay_merges_tables_and_replaces_a_changed_type() {
        let mut base = json!({"seed": 42, "cluster": {"k": null, "k_max": 12}, "embed": {"type": "tfidf", "min_df": 2}});
        overlay(
            &mut base,
            json!({"cluster": {"k": 3}, "embed": {"type": "transformer"}}),
        );
        assert_eq!(
            base,
            json!({"seed": 42, "cluster": {"k": 3, "k_max": 12}, "embed": {"type": "transformer"}})
        );
    }
}
