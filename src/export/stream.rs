//! Writing a table of a run chunk by chunk, for runs whose tables do not fit in memory.

use super::{
    io, jsonl_rows, lists_as_json, parquet_writer, row_group, row_group_rows, table_err,
    ExportError, Format, RunDir,
};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::PathBuf;

/// A table written chunk by chunk into a run's staging directory: Parquet in row groups of
/// [`row_group_rows`] rows (so the file has the same bytes as [`super::write_parquet`] of
/// the whole table), and the run's extra formats (CSV, JSON Lines) appended as rows come.
/// At most one row group is held in memory. Nothing is visible before
/// [`RunDir::commit`](super::RunDir::commit), like every file of a run.
pub struct TableWriter {
    path: PathBuf,
    meta: Vec<(String, String)>,
    parquet: Option<BatchedWriter<File>>,
    pending: Option<DataFrame>,
    rows: usize,
    columns: Vec<String>,
    csv: Option<(PathBuf, BufWriter<File>)>,
    jsonl: Option<(PathBuf, BufWriter<File>)>,
}

impl RunDir {
    /// A writer of the table `name` (e.g. `paragraphs.parquet`) in this run, with `meta`
    /// in the Parquet file's key-value metadata (as [`RunDir::write_parquet`]).
    pub fn table_writer(
        &self,
        name: &str,
        meta: &[(String, String)],
    ) -> Result<TableWriter, ExportError> {
        let path = self.file(name)?;
        let stem = name.strip_suffix(".parquet").unwrap_or(name);
        let mut csv = None;
        let mut jsonl = None;
        for f in &self.formats {
            let (slot, file) = match f {
                Format::Csv => (&mut csv, self.file(&format!("{stem}.csv"))?),
                Format::Json => (&mut jsonl, self.file(&format!("{stem}.jsonl"))?),
                Format::Parquet => continue,
            };
            let w = BufWriter::new(File::create(&file).map_err(io(&file))?);
            *slot = Some((file, w));
        }
        Ok(TableWriter {
            path,
            meta: meta.to_vec(),
            parquet: None,
            pending: None,
            rows: 0,
            columns: Vec::new(),
            csv,
            jsonl,
        })
    }
}

impl TableWriter {
    fn err(&self) -> impl Fn(PolarsError) -> ExportError + '_ {
        move |e| ExportError::Table {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Appends the rows of `df`; every chunk must have the columns (names and types) of the
    /// first.
    pub fn push(&mut self, df: DataFrame) -> Result<(), ExportError> {
        if self.parquet.is_none() {
            let f = File::create(&self.path).map_err(io(&self.path))?;
            let w = parquet_writer(f, df.schema(), &self.meta).map_err(self.err())?;
            self.parquet = Some(w);
            self.columns = df
                .get_column_names()
                .iter()
                .map(|c| c.to_string())
                .collect();
        }
        if let Some((file, w)) = &mut self.csv {
            let mut flat = lists_as_json(&df, &self.path)?;
            CsvWriter::new(&mut *w)
                .include_header(self.rows == 0)
                .finish(&mut flat)
                .map_err(table_err(file))?;
        }
        if let Some((file, w)) = &mut self.jsonl {
            jsonl_rows(w, &df, &self.path, file)?;
        }
        self.rows += df.height();
        let mut pending = match self.pending.take() {
            None => df,
            Some(mut p) => {
                p.vstack_mut(&df).map_err(self.err())?;
                p
            }
        };
        let rows = row_group_rows();
        while pending.height() >= rows {
            let head = row_group(&pending, 0, rows).map_err(self.err())?;
            let rest = pending.height() - rows;
            let w = self.parquet.as_mut().expect("created above");
            w.write_batch(&head).map_err(|e| ExportError::Table {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
            pending = pending.slice(rows as i64, rest);
        }
        self.pending = Some(pending);
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the last row group and the footers; returns the number of rows and the
    /// column names. A table that got no chunk is an error (its columns are unknown).
    pub fn finish(mut self) -> Result<(usize, Vec<String>), ExportError> {
        let Some(mut w) = self.parquet.take() else {
            return Err(ExportError::Refused(format!(
                "'{}' got no rows to write",
                self.path.display()
            )));
        };
        if let Some(p) = self.pending.take() {
            if p.height() > 0 || self.rows == 0 {
                let p = row_group(&p, 0, p.height()).map_err(self.err())?;
                w.write_batch(&p).map_err(self.err())?;
            }
        }
        w.finish().map_err(self.err())?;
        for (file, mut w) in self.csv.take().into_iter().chain(self.jsonl.take()) {
            w.flush().map_err(io(&file))?;
        }
        Ok((self.rows, std::mem::take(&mut self.columns)))
    }
}
