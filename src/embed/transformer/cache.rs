//! On-disk cache of sentence embeddings, keyed by (model key, text hash), so that re-running
//! on the same corpus does not recompute them.
//!
//! * **Model key**: sha256 over the sha256 sums of the folder's files (`config.json`,
//!   `tokenizer.json`, `model.safetensors`, `modules.json`, the pooling config,
//!   `sentence_bert_config.json`) and every setting that changes a vector (maximum length,
//!   long-text mode, engine, the precision that actually runs, the encoder's arithmetic
//!   revision `ENCODER_REVISION`). One cache file per key:
//!   `<cache dir>/<model name>-<first 16 hex digits of the key>.emb`.
//! * **Text hash**: sha256 of the text exactly as given.
//! * **File format** (little-endian): a 16-byte header `RHETEMB1`, `dim: u32`, `0: u32`;
//!   then fixed-size records `[hash: 32 bytes][n_tokens: u32][truncated: u32][dim × f32]`.
//!   Records are only appended, under an exclusive file lock; readers take a shared lock. A
//!   record cut short by a crash is ignored (and overwritten by the next append).
//!
//! The native engine's vectors do not depend on batch composition or thread count, so a cached
//! vector is bit-identical to a recomputed one.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::TransformerError;

const MAGIC: &[u8; 8] = b"RHETEMB1";
const HEADER: u64 = 16;

/// sha256 of a text.
pub(crate) fn text_hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A cached vector with the counts the embedder reports.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub n_tokens: u32,
    pub truncated: bool,
    pub vector: Vec<f32>,
}

/// One cache file (one model key).
#[derive(Debug)]
pub(crate) struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> TransformerError + '_ {
    move |source| TransformerError::Cache {
        path: path.to_path_buf(),
        message: source.to_string(),
    }
}

/// The model key: sha256 over the model files' sums and `settings`.
pub(crate) fn model_key(files: &[PathBuf], settings: &str) -> Result<String, TransformerError> {
    let mut h = Sha256::new();
    for f in files {
        let mut file = File::open(f).map_err(|source| TransformerError::Read {
            path: f.clone(),
            source,
        })?;
        let mut fh = Sha256::new();
        std::io::copy(&mut file, &mut fh).map_err(|source| TransformerError::Read {
            path: f.clone(),
            source,
        })?;
        h.update(fh.finalize());
    }
    h.update(settings.as_bytes());
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl EmbeddingCache {
    /// Opens (creating when absent) the cache file for `model` / `key` in `dir`.
    pub(crate) fn open(
        dir: &Path,
        model: &str,
        key: &str,
        dim: usize,
    ) -> Result<Self, TransformerError> {
        let safe: String = model
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{safe}-{}.emb", &key[..16.min(key.len())]));
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let cache = Self { path, dim };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&cache.path)
            .map_err(io_err(&cache.path))?;
        file.lock().map_err(io_err(&cache.path))?;
        let len = file.metadata().map_err(io_err(&cache.path))?.len();
        if len == 0 {
            let mut header = Vec::with_capacity(HEADER as usize);
            header.extend_from_slice(MAGIC);
            header.extend_from_slice(&(dim as u32).to_le_bytes());
            header.extend_from_slice(&0u32.to_le_bytes());
            file.write_all(&header).map_err(io_err(&cache.path))?;
        } else {
            cache.check_header(&mut file)?;
        }
        Ok(cache)
    }

    /// The cache file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn record_len(&self) -> u64 {
        40 + 4 * self.dim as u64
    }

    fn bad(&self, message: String) -> TransformerError {
        TransformerError::Cache {
            path: self.path.clone(),
            message: format!("{message}; delete the file (it is only a cache)"),
        }
    }

    fn check_header(&self, file: &mut File) -> Result<(), TransformerError> {
        let mut header = [0u8; HEADER as usize];
        file.seek(SeekFrom::Start(0)).map_err(io_err(&self.path))?;
        if file.read_exact(&mut header).is_err() || &header[..8] != MAGIC {
            return Err(self.bad("not a rhetor embedding cache".into()));
        }
        let dim = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default()) as usize;
        if dim != self.dim {
            return Err(self.bad(format!(
                "holds {dim}-dimensional vectors, the model gives {}",
                self.dim
            )));
        }
        Ok(())
    }

    /// The cached entries of `hashes` (`None` where absent), in one sequential read.
    pub(crate) fn lookup(
        &self,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<Option<Entry>>, TransformerError> {
        let mut out = vec![None; hashes.len()];
        if hashes.is_empty() {
            return Ok(out);
        }
        let mut wanted: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
        for (i, h) in hashes.iter().enumerate() {
            wanted.entry(*h).or_default().push(i);
        }
        let mut file = File::open(&self.path).map_err(io_err(&self.path))?;
        file.lock_shared().map_err(io_err(&self.path))?;
        self.check_header(&mut file)?;
        let len = file.metadata().map_err(io_err(&self.path))?.len();
        let n = (len.saturating_sub(HEADER)) / self.record_len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut rec = vec![0u8; self.record_len() as usize];
        for _ in 0..n {
            reader.read_exact(&mut rec).map_err(io_err(&self.path))?;
            let hash: [u8; 32] = rec[..32].try_into().unwrap_or_default();
            if let Some(slots) = wanted.remove(&hash) {
                let word =
                    |i: usize| u32::from_le_bytes(rec[i..i + 4].try_into().unwrap_or_default());
                let vector: Vec<f32> = rec[40..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap_or_default()))
                    .collect();
                if vector.iter().any(|v| !v.is_finite()) {
                    return Err(self.bad("a cached vector is not finite".into()));
                }
                let entry = Entry {
                    n_tokens: word(32),
                    truncated: word(36) != 0,
                    vector,
                };
                for s in slots {
                    out[s] = Some(entry.clone());
                }
                if wanted.is_empty() {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Appends entries (a partial record left by a crash is overwritten first).
    pub(crate) fn append(&self, entries: &[([u8; 32], Entry)]) -> Result<(), TransformerError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io_err(&self.path))?;
        file.lock().map_err(io_err(&self.path))?;
        self.check_header(&mut file)?;
        let len = file.metadata().map_err(io_err(&self.path))?.len();
        let whole = HEADER + (len.saturating_sub(HEADER)) / self.record_len() * self.record_len();
        if whole != len {
            file.set_len(whole).map_err(io_err(&self.path))?;
        }
        file.seek(SeekFrom::Start(whole))
            .map_err(io_err(&self.path))?;
        let mut buf = Vec::with_capacity(entries.len() * self.record_len() as usize);
        for (hash, e) in entries {
            debug_assert_eq!(e.vector.len(), self.dim);
            buf.extend_from_slice(hash);
            buf.extend_from_slice(&e.n_tokens.to_le_bytes());
            buf.extend_from_slice(&u32::from(e.truncated).to_le_bytes());
            for v in &e.vector {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        file.write_all(&buf).map_err(io_err(&self.path))?;
        file.flush().map_err(io_err(&self.path))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(x: f32, dim: usize) -> Entry {
        Entry {
            n_tokens: 7,
            truncated: x > 1.0,
            vector: vec![x; dim],
        }
    }

    #[test]
    fn round_trip_partial_tail_and_mismatch() {
        let tmp = tempfile::tempdir().unwrap();
        let c = EmbeddingCache::open(tmp.path(), "m/x", "0123456789abcdef99", 3).unwrap();
        assert!(c.path().ends_with("m_x-0123456789abcdef.emb"));
        let (a, b, z) = (text_hash("a"), text_hash("b"), text_hash("z"));
        c.append(&[(a, entry(0.5, 3)), (b, entry(2.0, 3))]).unwrap();
        let got = c.lookup(&[b, z, a, b]).unwrap();
        assert_eq!(got[0], Some(entry(2.0, 3)));
        assert_eq!(got[1], None);
        assert_eq!(got[2], Some(entry(0.5, 3)));
        assert_eq!(got[3], got[0]);
        // A crash mid-record: the tail is ignored, then overwritten.
        let mut f = OpenOptions::new().append(true).open(c.path()).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        drop(f);
        assert_eq!(c.lookup(&[a]).unwrap()[0], Some(entry(0.5, 3)));
        c.append(&[(z, entry(3.0, 3))]).unwrap();
        let got = c.lookup(&[z, a]).unwrap();
        assert_eq!(got[0], Some(entry(3.0, 3)));
        assert_eq!(got[1], Some(entry(0.5, 3)));
        let len = std::fs::metadata(c.path()).unwrap().len();
        assert_eq!(len, HEADER + 3 * (40 + 12));
        // Reopening with another dimension, or a foreign file, is a clear error.
        let err = EmbeddingCache::open(tmp.path(), "m/x", "0123456789abcdef", 4).unwrap_err();
        assert!(err.to_string().contains("3-dimensional"), "{err}");
        std::fs::write(
            tmp.path().join("y-0123456789abcdef.emb"),
            b"garbage!garbage!",
        )
        .unwrap();
        let err = EmbeddingCache::open(tmp.path(), "y", "0123456789abcdef", 3).unwrap_err();
        assert!(
            err.to_string().contains("not a rhetor embedding cache"),
            "{err}"
        );
    }
}
