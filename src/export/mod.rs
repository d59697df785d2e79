//! Writing a run directory: Parquet tables and `manifest.json`, atomically.
//!
//! A run is written into a staging directory beside the target (`.NAME.rhetor-tmp-PID`) and
//! renamed into place only when every file is complete, so a crash or an error never leaves a
//! half-written run. An existing run directory is refused unless `force` is set; with
//! `force` the old directory is replaced only after the new one is complete. Single files
//! written into an existing directory go through a temporary file and a rename.

mod error;

pub use error::ExportError;

use crate::corpus::{MetaColumn, MetaValues};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Version of the table schemas (columns, types, meanings). Bumped on every change of the
/// public table contract; recorded in every Parquet file and in `manifest.json`.
pub const SCHEMA_VERSION: u32 = 2;

/// Extra formats a run can write beside Parquet, for tools that do not read Parquet.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Parquet (always written).
    Parquet,
    /// CSV with a header; list columns are JSON arrays in a text cell.
    Csv,
    /// JSON Lines (one object per row; lists are arrays).
    Json,
}

/// A run directory being written.
#[derive(Debug)]
pub struct RunDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    formats: Vec<Format>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RunDir {
    /// Prepares to write the run directory `out`. Fails when `out` exists and `force` is
    /// false, or when the place is not writable.
    pub fn create(out: &Path, force: bool) -> Result<RunDir, ExportError> {
        if out.exists() && !force {
            return Err(ExportError::Exists(out.to_path_buf()));
        }
        if out.exists() && !out.is_dir() {
            return Err(ExportError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::other("exists and is not a directory"),
            });
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".to_string());
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let staging = parent.join(format!(".{name}.rhetor-tmp-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        std::fs::create_dir(&staging).map_err(|source| ExportError::Io {
            path: out.to_path_buf(),
            source,
        })?;
        Ok(RunDir {
            target: out.to_path_buf(),
            staging,
            committed: false,
            formats: Vec::new(),
        })
    }

    /// Also write every table in these formats (same columns, same rows).
    pub fn with_formats(mut self, formats: &[Format]) -> Self {
        self.formats = formats
            .iter()
            .copied()
            .filter(|f| *f != Format::Parquet)
            .collect();
        self.formats.sort();
        self.formats.dedup();
        self
    }

    /// Path of a file inside the (staging) directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Writes a Parquet table.
    pub fn write_parquet(
        &self,
        name: &str,
        df: &mut DataFrame,
        meta: &[(String, String)],
    ) -> Result<(), ExportError> {
        write_parquet(&self.path(name), df, meta)?;
        for f in &self.formats {
            let stem = name.strip_suffix(".parquet").unwrap_or(name);
            match f {
                Format::Csv => write_csv(&self.path(&format!("{stem}.csv")), df)?,
                Format::Json => write_jsonl(&self.path(&format!("{stem}.jsonl")), df)?,
                Format::Parquet => {}
            }
        }
        Ok(())
    }

    /// Writes a JSON file (pretty-printed, trailing newline).
    pub fn write_json<T: serde::Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), ExportError> {
        write_json(&self.path(name), value)
    }

    /// Writes a text file.
    pub fn write_text(&self, name: &str, text: &str) -> Result<(), ExportError> {
        write_text(&self.path(name), text)
    }

    /// Moves the finished run into place and returns its path.
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        let old = if self.target.exists() {
            let mut name = self.staging.file_name().unwrap_or_default().to_os_string();
            name.push(".old");
            let o = self.staging.with_file_name(name);
            std::fs::rename(&self.target, &o).map_err(io(&self.target))?;
            Some(o)
        } else {
            None
        };
        std::fs::rename(&self.staging, &self.target).map_err(io(&self.target))?;
        self.committed = true;
        if let Some(o) = old {
            std::fs::remove_dir_all(&o).map_err(io(&o))?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is renamed
/// into place only on success and removed on failure.
fn atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let tmp = tmp_path(path);
    let result = write(&tmp).and_then(|_| std::fs::rename(&tmp, path).map_err(io(path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `df` to `path` as Parquet (zstd, no timestamps: the same table gives the same
/// bytes), through a temporary file and a rename. `meta` goes into the file's key-value
/// metadata, with `rhetor.version` and `rhetor.schema_version` added.
pub fn write_parquet(
    path: &Path,
    df: &mut DataFrame,
    meta: &[(String, String)],
) -> Result<(), ExportError> {
    atomically(path, |tmp| {
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        // polars records an Arrow schema with `string_view` types, and pyarrow cannot turn a
        // list of `string_view` into pandas objects. The Parquet data is the same either way
        // (BYTE_ARRAY / UTF8): giving the hint at the oldest compat level (large_string)
        // makes every reader (pandas, pyarrow, polars, DuckDB) read text without casting.
        let arrow_hint = polars_parquet::arrow::write::schema_to_metadata_key(
            &df.schema().to_arrow(CompatLevel::oldest()),
        );
        let mut kv = vec![
            (arrow_hint.key, arrow_hint.value.unwrap_or_default()),
            ("rhetor.version".to_string(), crate::VERSION.to_string()),
            (
                "rhetor.schema_version".to_string(),
                SCHEMA_VERSION.to_string(),
            ),
        ];
        kv.extend(meta.iter().cloned());
        ParquetWriter::new(f)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
            .finish(df)
            .map_err(|e| ExportError::Table {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(())
    })
}

fn table_err(path: &Path) -> impl FnOnce(PolarsError) -> ExportError + '_ {
    move |e| ExportError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Turns list columns into JSON-array text columns (CSV has no lists).
fn lists_as_json(df: &DataFrame, path: &Path) -> Result<DataFrame, ExportError> {
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        if let DataType::List(_) = c.dtype() {
            let list = c.list().map_err(table_err(path))?;
            let texts: Vec<Option<String>> = list
                .series_iter()
                .map(|o| {
                    o.map(|s| {
                        let items: Vec<serde_json::Value> = s
                            .iter()
                            .map(|v| match v {
                                AnyValue::String(x) => serde_json::Value::from(x),
                                AnyValue::StringOwned(x) => serde_json::Value::from(x.as_str()),
                                AnyValue::Float32(x) => serde_json::Value::from(x),
                                AnyValue::Float64(x) => serde_json::Value::from(x),
                                AnyValue::UInt32(x) => serde_json::Value::from(x),
                                AnyValue::UInt64(x) => serde_json::Value::from(x),
                                AnyValue::Int32(x) => serde_json::Value::from(x),
                                AnyValue::Int64(x) => serde_json::Value::from(x),
                                AnyValue::Null => serde_json::Value::Null,
                                other => serde_json::Value::from(other.to_string()),
                            })
                            .collect();
                        serde_json::Value::Array(items).to_string()
                    })
                })
                .collect();
            cols.push(Column::new(c.name().clone(), texts));
        } else {
            cols.push(c.clone());
        }
    }
    DataFrame::new(df.height(), cols).map_err(table_err(path))
}

/// Writes a table as CSV (header row, list columns as JSON arrays), atomically.
pub fn write_csv(path: &Path, df: &DataFrame) -> Result<(), ExportError> {
    let mut flat = lists_as_json(df, path)?;
    atomically(path, |tmp| {
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        CsvWriter::new(f)
            .include_header(true)
            .finish(&mut flat)
            .map_err(table_err(path))
    })
}

/// Writes a table as JSON Lines, atomically.
pub fn write_jsonl(path: &Path, df: &DataFrame) -> Result<(), ExportError> {
    let mut df = df.clone();
    atomically(path, |tmp| {
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        JsonWriter::new(f)
            .with_json_format(JsonFormat::JsonLines)
            .finish(&mut df)
            .map_err(table_err(path))
    })
}

/// Writes a value as pretty JSON through a temporary file and a rename.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ExportError> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| ExportError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    s.push('\n');
    write_text(path, &s)
}

/// Writes a text file through a temporary file and a rename.
pub fn write_text(path: &Path, text: &str) -> Result<(), ExportError> {
    atomically(path, |tmp| std::fs::write(tmp, text).map_err(io(tmp)))
}

/// Reads a Parquet table of a run directory.
pub fn read_parquet(path: &Path) -> Result<DataFrame, ExportError> {
    let f = std::fs::File::open(path).map_err(|e| ExportError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    ParquetReader::new(f)
        .finish()
        .map_err(|e| ExportError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Turns a metadata column into a polars column.
pub fn meta_column(c: &MetaColumn) -> Column {
    let name: PlSmallStr = c.name.as_str().into();
    match &c.values {
        MetaValues::Str(v) => Column::new(name, v),
        MetaValues::Int(v) => Column::new(name, v),
        MetaValues::Float(v) => Column::new(name, v),
        MetaValues::Bool(v) => Column::new(name, v),
    }
}

/// Builds a data frame from columns, mapping polars errors to [`ExportError`].
pub fn frame(path: &str, height: usize, columns: Vec<Column>) -> Result<DataFrame, ExportError> {
    DataFrame::new(height, columns).map_err(|e| ExportError::Table {
        path: PathBuf::from(path),
        message: e.to_string(),
    })
}
