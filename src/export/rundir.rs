//! A run directory written atomically, and the rules that keep a user's files safe.
//!
//! - **Only rhetor's own output is ever replaced.** An existing `--out` is replaced (with
//!   `force`) only when every entry in it is a file that a rhetor run wrote there: the run
//!   records its file list in [`MARKER`]; runs written before the marker existed are
//!   recognised by their `manifest.json` and its table list. Anything else — a corpus, a
//!   thesis, a sub-folder — is refused with the names of what is there.
//! - **Staging is created late.** Nothing is created on disk until the first file is
//!   written, so a run that fails while loading or computing leaves nothing behind.
//! - **Commit re-checks.** The target is inspected again at commit: a directory that
//!   appeared while the run worked is never replaced without `force`, and never when it is
//!   not a rhetor run. On Linux the final step is one atomic `renameat2` call
//!   (`RENAME_NOREPLACE` for a new target, `RENAME_EXCHANGE` to replace one), so a second
//!   writer racing for the same new `--out` fails instead of silently winning, and there is
//!   no moment at which the previous run exists only under a temporary name. Where the
//!   file system lacks those flags the previous run is moved aside and restored if the
//!   final rename fails; the error names where it is if even that fails.
//! - **Interrupted runs are cleaned up.** A staging folder holds an exclusive lock on a file
//!   inside it while its process lives. The next run into the same parent folder removes
//!   staging folders whose lock is free (their process died, whatever the signal) and says
//!   so; old-style `.old` folders, which hold a previous run, are reported, never deleted.

use super::{io, ExportError, Format};
use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Name of the file, inside a run directory, that lists the files rhetor wrote there.
pub const MARKER: &str = ".rhetor-run.json";
/// Lock file inside a staging directory, locked while its process lives.
const LOCK: &str = ".rhetor-staging.lock";
/// Infix of staging directory names: `.NAME.rhetor-tmp-PID`.
const STAGING_INFIX: &str = ".rhetor-tmp-";
/// Infix of a previous run moved aside while it is replaced (file systems without
/// `RENAME_EXCHANGE`): `.NAME.rhetor-previous-PID`.
const PREVIOUS_INFIX: &str = ".rhetor-previous-";

/// Names a pre-marker run directory may hold besides its tables.
const LEGACY_FILES: &[&str] = &[
    "manifest.json",
    "report.html",
    "report.md",
    "report.json",
    "tfidf_vectorizer.json",
];

/// What is at an output path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Existing {
    /// Nothing.
    Absent,
    /// An empty directory: nothing of the user's to lose.
    EmptyDir,
    /// A directory that holds a rhetor run and nothing else.
    RhetorRun,
}

/// Inspects `target`: refuses anything that is not absent, an empty directory, or a
/// rhetor run directory holding only rhetor's files.
fn inspect(target: &Path) -> Result<Existing, ExportError> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(io(target)(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(ExportError::Refused(format!(
            "'{}' is a symbolic link; give the real path of the output directory",
            target.display()
        )));
    }
    if !meta.is_dir() {
        return Err(ExportError::NotRhetorOutput {
            path: target.to_path_buf(),
            what: "a file".into(),
            examples: "it is not a directory".into(),
        });
    }
    let mut entries: Vec<(String, bool)> = Vec::new();
    for e in std::fs::read_dir(target).map_err(io(target))? {
        let e = e.map_err(io(target))?;
        let is_file = e.file_type().map(|t| t.is_file()).unwrap_or(false);
        entries.push((e.file_name().to_string_lossy().into_owned(), is_file));
    }
    if entries.is_empty() {
        return Ok(Existing::EmptyDir);
    }
    let owned = owned_files(target);
    let mut foreign: Vec<&str> = entries
        .iter()
        .filter(|(name, is_file)| !*is_file || !owned.contains(name.as_str()))
        .map(|(name, _)| name.as_str())
        .collect();
    if foreign.is_empty() {
        return Ok(Existing::RhetorRun);
    }
    foreign.sort_unstable();
    let n = foreign.len();
    let mut examples = foreign
        .iter()
        .take(5)
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if n > 5 {
        examples.push_str(&format!(", and {} more", n - 5));
    }
    let what = format!("{} entr{}", n, if n == 1 { "y" } else { "ies" });
    Err(ExportError::NotRhetorOutput {
        path: target.to_path_buf(),
        what,
        examples,
    })
}

/// The names of the files a rhetor run wrote into `dir`: the marker's list, or for a run
/// written before the marker existed, its manifest's tables and the fixed report files.
/// Empty when `dir` holds no rhetor run.
fn owned_files(dir: &Path) -> BTreeSet<String> {
    let mut owned = BTreeSet::new();
    if let Some(v) = read_json(&dir.join(MARKER)) {
        if let Some(files) = v.get("files").and_then(|f| f.as_array()) {
            owned.insert(MARKER.to_string());
            owned.extend(files.iter().filter_map(|f| f.as_str()).map(str::to_string));
            return owned;
        }
    }
    let Some(manifest) = read_json(&dir.join("manifest.json")) else {
        return owned;
    };
    if manifest
        .get("rhetor_version")
        .and_then(|v| v.as_str())
        .is_none()
    {
        return owned;
    }
    owned.extend(LEGACY_FILES.iter().map(|s| s.to_string()));
    if let Some(tables) = manifest.get("tables").and_then(|t| t.as_object()) {
        for name in tables.keys() {
            owned.insert(name.clone());
            if let Some(stem) = name.strip_suffix(".parquet") {
                owned.insert(format!("{stem}.csv"));
                owned.insert(format!("{stem}.jsonl"));
            }
        }
    }
    owned
}

/// Adds `names` to the file list of the run in `dir` (for files written into a finished
/// run, e.g. by `rhetor report`). Does nothing for a directory without the list.
pub fn record_files(dir: &Path, names: &[String]) -> Result<(), ExportError> {
    let path = dir.join(MARKER);
    let Some(mut v) = read_json(&path) else {
        return Ok(());
    };
    let Some(files) = v.get_mut("files").and_then(|f| f.as_array_mut()) else {
        return Ok(());
    };
    let mut set: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    let before = set.len();
    set.extend(names.iter().cloned());
    if set.len() == before {
        return Ok(());
    }
    *files = set.into_iter().map(serde_json::Value::from).collect();
    super::write_json(&path, &v)
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 64 << 20 {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Refuses an output that overlaps an input: `out` inside an input folder (a later run
/// would read the outputs as documents) or an input inside `out` (replacing `out` would
/// delete it). `what` names the input in the message, e.g. "corpus".
pub fn check_no_overlap(input: &Path, out: &Path, what: &str) -> Result<(), ExportError> {
    let Ok(input_abs) = input.canonicalize() else {
        return Ok(()); // a missing input is reported by whoever reads it
    };
    let out_abs = resolve(out);
    if out_abs == input_abs {
        return Err(ExportError::Refused(format!(
            "--out '{}' is the {what} itself; choose another --out",
            out.display()
        )));
    }
    if input_abs.is_dir() && out_abs.starts_with(&input_abs) {
        let why = if what == "run directory" {
            "replacing the run (`--force`) would delete the outputs with it"
        } else {
            "a later run would read the outputs as documents"
        };
        return Err(ExportError::Refused(format!(
            "--out '{}' is inside the {what} folder '{}': {why}. Choose an --out outside it",
            out.display(),
            input.display()
        )));
    }
    if input_abs.starts_with(&out_abs) {
        return Err(ExportError::Refused(format!(
            "the {what} '{}' is inside --out '{}': replacing the output would delete it. \
             Choose another --out",
            input.display(),
            out.display()
        )));
    }
    Ok(())
}

/// `path` made absolute with its longest existing prefix canonicalized (symlinks resolved).
fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    use std::path::Component;
    let comps: Vec<Component> = abs.components().collect();
    for i in (1..=comps.len()).rev() {
        let prefix: PathBuf = comps[..i].iter().collect();
        if let Ok(mut out) = prefix.canonicalize() {
            for c in &comps[i..] {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return out;
        }
    }
    abs
}

/// Which kind of single output file `--force` may replace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A classifier file (`format = "rhetor-classifier"`).
    Classifier,
    /// A Parquet table that rhetor wrote (its key-value metadata names rhetor).
    Parquet,
}

/// Checks that the single output file `out` may be written: refused when it exists and
/// `force` is off, and with `force` when it is not a file of `kind` that rhetor wrote.
pub fn check_replace_file(out: &Path, force: bool, kind: FileKind) -> Result<(), ExportError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(out)(e)),
    };
    if !force {
        return Err(ExportError::Exists(out.to_path_buf()));
    }
    let ours = meta.is_file()
        && match kind {
            FileKind::Classifier => read_json(out)
                .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_string))
                .is_some_and(|f| f == crate::classify::model::FORMAT),
            FileKind::Parquet => is_rhetor_parquet(out),
        };
    if ours {
        Ok(())
    } else {
        Err(ExportError::NotRhetorOutput {
            path: out.to_path_buf(),
            what: "content".into(),
            examples: match kind {
                FileKind::Classifier => "it is not a rhetor classifier file".into(),
                FileKind::Parquet => "it is not a Parquet table written by rhetor".into(),
            },
        })
    }
}

/// Whether `path` is a Parquet file whose footer carries rhetor's key-value metadata. Reads
/// only the magic bytes and the footer; never panics on a damaged file.
fn is_rhetor_parquet(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    if len < 12 {
        return false;
    }
    let mut head = [0u8; 4];
    if f.read_exact(&mut head).is_err() || &head != b"PAR1" {
        return false;
    }
    let tail_len = len.min(1 << 20);
    let mut tail = vec![0u8; tail_len as usize];
    if f.seek(SeekFrom::End(-(tail_len as i64))).is_err() || f.read_exact(&mut tail).is_err() {
        return false;
    }
    tail.ends_with(b"PAR1")
        && tail
            .windows(b"rhetor.schema_version".len())
            .any(|w| w == b"rhetor.schema_version")
}

/// A staging directory and the lock that marks it as alive.
#[derive(Debug)]
struct Staging {
    path: PathBuf,
    _lock: File,
}

/// A run directory being written.
#[derive(Debug)]
pub struct RunDir {
    target: PathBuf,
    parent: PathBuf,
    name: String,
    force: bool,
    staging: Mutex<Option<Staging>>,
    files: Mutex<BTreeSet<String>>,
    committed: bool,
    pub(super) formats: Vec<Format>,
    notes: Vec<String>,
}

impl RunDir {
    /// Prepares to write the run directory `out`, creating nothing yet. Fails when `out`
    /// exists and `force` is off (an empty directory is fine), and — whatever `force` says —
    /// when `out` holds anything a rhetor run did not write. Removes staging folders left
    /// in the same parent folder by interrupted runs (see [`RunDir::notes`]).
    pub fn create(out: &Path, force: bool) -> Result<RunDir, ExportError> {
        if out.file_name().is_none() {
            return Err(ExportError::Refused(format!(
                "--out '{}' names no folder; give a path such as runs/NAME",
                out.display()
            )));
        }
        let existing = inspect(out)?;
        if existing == Existing::RhetorRun && !force {
            return Err(ExportError::Exists(out.to_path_buf()));
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let notes = clean_stale(&parent);
        Ok(RunDir {
            target: out.to_path_buf(),
            parent,
            name,
            force,
            staging: Mutex::new(None),
            files: Mutex::new(BTreeSet::new()),
            committed: false,
            formats: Vec::new(),
            notes,
        })
    }

    /// What creating the run did beside it (stale staging folders removed, old ones found).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Path of file `name` inside the staging directory, creating the directory on first
    /// use, and records `name` as written by this run.
    pub(super) fn file(&self, name: &str) -> Result<PathBuf, ExportError> {
        let dir = self.staging_dir()?;
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string());
        Ok(dir.join(name))
    }

    /// The staging directory (created on first use), where the run is written until
    /// [`RunDir::commit`]: for reading back what was written.
    pub fn staging_dir(&self) -> Result<PathBuf, ExportError> {
        let mut guard = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.make_staging()?);
        }
        Ok(guard.as_ref().map(|s| s.path.clone()).unwrap_or_default())
    }

    fn make_staging(&self) -> Result<Staging, ExportError> {
        std::fs::create_dir_all(&self.parent).map_err(io(&self.parent))?;
        let path = self.parent.join(format!(
            ".{}{STAGING_INFIX}{}",
            self.name,
            std::process::id()
        ));
        if path.exists() {
            // Left by an earlier process with our PID: not alive, since we are.
            std::fs::remove_dir_all(&path).map_err(io(&path))?;
        }
        std::fs::create_dir(&path).map_err(io(&path))?;
        let lock_path = path.join(LOCK);
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        Ok(Staging { path, _lock: lock })
    }

    /// Moves the finished run into place and returns its path. The target is inspected
    /// again: see the module docs for what is refused.
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        test_hook_before_commit();
        // The file list, then the marker itself.
        let files: Vec<String> = self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        let marker = serde_json::json!({
            "rhetor_version": crate::VERSION,
            "files": files,
        });
        let marker_path = self.file(MARKER)?;
        super::write_json(&marker_path, &marker)?;
        let staging = self
            .staging
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.path.clone())
            .unwrap_or_default();
        // The lock file goes; the lock itself is held until this RunDir is dropped.
        let _ = std::fs::remove_file(staging.join(LOCK));

        // Two tries: a target that appears between the check and the rename is checked again.
        for _ in 0..2 {
            let now = match inspect(&self.target) {
                Ok(now) => now,
                Err(ExportError::NotRhetorOutput { .. }) if !self.force => {
                    return Err(ExportError::AppearedDuringRun(self.target.clone()))
                }
                Err(e) => return Err(e),
            };
            match now {
                Existing::Absent => match rename_noreplace(&staging, &self.target) {
                    Ok(()) => {
                        self.committed = true;
                        return Ok(self.target.clone());
                    }
                    Err(e) if is_exists(&e) => continue,
                    Err(e) => {
                        return Err(ExportError::Commit {
                            path: self.target.clone(),
                            previous: "there was no previous output".into(),
                            cause: e,
                        })
                    }
                },
                Existing::EmptyDir => {
                    // rename(2) replaces an empty directory atomically and fails on a
                    // non-empty one (then the loop looks again).
                    match fault("commit-rename")
                        .map_or_else(|| std::fs::rename(&staging, &self.target), Err)
                    {
                        Ok(()) => {
                            self.committed = true;
                            return Ok(self.target.clone());
                        }
                        Err(e) if is_exists(&e) => continue,
                        Err(e) => {
                            return Err(ExportError::Commit {
                                path: self.target.clone(),
                                previous: "the empty directory there is unchanged".into(),
                                cause: e,
                            })
                        }
                    }
                }
                Existing::RhetorRun if !self.force => {
                    return Err(ExportError::AppearedDuringRun(self.target.clone()))
                }
                Existing::RhetorRun => return self.replace(&staging),
            }
        }
        Err(ExportError::AppearedDuringRun(self.target.clone()))
    }

    /// Replaces the rhetor run at the target with the staging directory.
    fn replace(mut self, staging: &Path) -> Result<PathBuf, ExportError> {
        match exchange(staging, &self.target) {
            Ok(()) => {
                // The previous run is now at the staging path.
                self.committed = true;
                if let Err(e) = std::fs::remove_dir_all(staging) {
                    tracing::warn!(
                        "the previous run was replaced but its files could not be removed from '{}': {e}; delete that folder",
                        staging.display()
                    );
                }
                Ok(self.target.clone())
            }
            Err(e) if is_unsupported(&e) => self.replace_by_moving(staging),
            Err(e) => Err(ExportError::Commit {
                path: self.target.clone(),
                previous: "the previous run there is unchanged".into(),
                cause: e,
            }),
        }
    }

    /// Fallback without `RENAME_EXCHANGE`: move the old run aside, move the new one in,
    /// and move the old one back if that fails.
    fn replace_by_moving(mut self, staging: &Path) -> Result<PathBuf, ExportError> {
        let aside = self.parent.join(format!(
            ".{}{PREVIOUS_INFIX}{}",
            self.name,
            std::process::id()
        ));
        std::fs::rename(&self.target, &aside).map_err(|e| ExportError::Commit {
            path: self.target.clone(),
            previous: "the previous run there is unchanged".into(),
            cause: e,
        })?;
        let moved =
            fault("commit-rename").map_or_else(|| std::fs::rename(staging, &self.target), Err);
        match moved {
            Ok(()) => {
                self.committed = true;
                if let Err(e) = std::fs::remove_dir_all(&aside) {
                    tracing::warn!(
                        "the previous run could not be removed from '{}': {e}; delete that folder",
                        aside.display()
                    );
                }
                Ok(self.target.clone())
            }
            Err(e) => {
                let previous = match std::fs::rename(&aside, &self.target) {
                    Ok(()) => "the previous run was put back and is unchanged".to_string(),
                    Err(back) => format!(
                        "the previous run could not be put back ({back}) and is intact at '{}': \
                         move it back to '{}' yourself",
                        aside.display(),
                        self.target.display()
                    ),
                };
                Err(ExportError::Commit {
                    path: self.target.clone(),
                    previous,
                    cause: e,
                })
            }
        }
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Ok(g) = self.staging.lock() {
            if let Some(s) = g.as_ref() {
                let _ = std::fs::remove_dir_all(&s.path);
            }
        }
    }
}

fn is_exists(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::DirectoryNotEmpty
    ) || matches!(e.raw_os_error(), Some(17) | Some(39))
}

fn is_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported || matches!(e.raw_os_error(), Some(22) | Some(38))
}

/// Removes staging folders of dead runs in `parent`; returns what it did, for the user.
fn clean_stale(parent: &Path) -> Vec<String> {
    let mut notes = Vec::new();
    let Ok(rd) = std::fs::read_dir(parent) else {
        return notes;
    };
    let mut names: Vec<(String, PathBuf)> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| {
            n.starts_with('.') && (n.contains(STAGING_INFIX) || n.contains(PREVIOUS_INFIX))
        })
        .collect();
    names.sort();
    for (name, path) in names {
        if name.contains(PREVIOUS_INFIX) {
            notes.push(format!(
                "'{}' holds a previous run that an interrupted rhetor moved aside while replacing it; it was kept: move it back or delete it",
                path.display()
            ));
            continue;
        }
        let Some(pid) = name
            .rsplit(STAGING_INFIX)
            .next()
            .and_then(|tail| tail.strip_suffix(".old").or(Some(tail)))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if name.ends_with(".old") {
            notes.push(format!(
                "'{}' holds a previous run that an interrupted rhetor (pid {pid}) moved aside; it was kept: move it back or delete it",
                path.display()
            ));
            continue;
        }
        if is_stale(&path, pid) {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => notes.push(format!(
                    "removed '{}', an unfinished output left by an interrupted rhetor run (pid {pid})",
                    path.display()
                )),
                Err(e) => notes.push(format!(
                    "could not remove '{}', left by an interrupted rhetor run (pid {pid}): {e}",
                    path.display()
                )),
            }
        }
    }
    notes
}

/// A staging folder is stale when its lock is free, or, without a lock file (older
/// versions, or killed before the lock was made), when its process no longer exists.
fn is_stale(dir: &Path, pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let lock_path = dir.join(LOCK);
    if let Ok(f) = File::options().read(true).write(true).open(&lock_path) {
        return match f.try_lock() {
            Ok(()) => true,
            Err(std::fs::TryLockError::WouldBlock) => false,
            Err(_) => false,
        };
    }
    !process_alive(pid)
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true // without a way to tell, keep the folder
}

/// Test-only fault injection (debug builds): `RHETOR_TEST_FAULT=<name>[,<name>…]` makes the
/// named steps fail with an I/O error, as a full disk or a broken file system would:
/// `commit-rename` (the final rename), `commit-no-exchange` (a file system without
/// `RENAME_EXCHANGE`).
fn fault(name: &str) -> Option<std::io::Error> {
    if cfg!(debug_assertions)
        && std::env::var("RHETOR_TEST_FAULT").is_ok_and(|v| v.split(',').any(|f| f == name))
    {
        Some(std::io::Error::from_raw_os_error(5)) // EIO
    } else {
        None
    }
}

/// Test-only pause (debug builds): with `RHETOR_TEST_PAUSE_BEFORE_COMMIT=FILE`, the run
/// creates FILE just before it commits and waits (up to 60 s) until FILE is removed, so a
/// test can change the target in between, as another process could.
fn test_hook_before_commit() {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(flag) = std::env::var_os("RHETOR_TEST_PAUSE_BEFORE_COMMIT") else {
        return;
    };
    let flag = PathBuf::from(flag);
    if std::fs::write(&flag, b"waiting").is_err() {
        return;
    }
    let start = std::time::Instant::now();
    while flag.exists() && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let cstr = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (cstr(from)?, cstr(to)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Renames `from` to `to`, failing if `to` exists.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(e) = fault("commit-rename") {
        return Err(e);
    }
    #[cfg(target_os = "linux")]
    {
        match renameat2(from, to, libc::RENAME_NOREPLACE) {
            Err(e) if is_unsupported(&e) => {}
            other => return other,
        }
    }
    if to.exists() {
        return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}

/// Atomically swaps `a` and `b` (both exist).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    if fault("commit-no-exchange").is_some() {
        return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
    }
    if let Some(e) = fault("commit-rename") {
        return Err(e);
    }
    #[cfg(target_os = "linux")]
    {
        renameat2(a, b, libc::RENAME_EXCHANGE)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

#[cfg(test)]
mod tests;
