//! Writing under a temporary name and renaming into place: how every sink makes its
//! output appear only when complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use dask_graph::BoxError;

use crate::error::{Result, io_error};

/// A file or directory being written under a temporary sibling name, renamed into
/// place by [`commit`](Staging::commit) and removed by [`abort`](Staging::abort), by a
/// failed commit, or on drop if never committed.
#[derive(Debug)]
pub(crate) struct Staging {
    target: PathBuf,
    temp: PathBuf,
    replace: bool,
    finished: AtomicBool,
}

impl Staging {
    /// Plans writing `target` (made absolute, so worker processes in another directory
    /// find it) through a temporary sibling; nothing is created yet. `replace`: whether
    /// committing may replace something already at `target`.
    pub(crate) fn new(target: &Path, replace: bool) -> Result<Staging> {
        let target =
            std::path::absolute(target).map_err(|e| io_error(target.display().to_string(), e))?;
        let file_name = target
            .file_name()
            .ok_or_else(|| io_error(target.display().to_string(), "the path has no file name"))?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(format!(".partial-{}-{n}", std::process::id()));
        let temp = target.with_file_name(temp_name);
        Ok(Staging {
            target,
            temp,
            replace,
            finished: AtomicBool::new(false),
        })
    }

    /// Where to write.
    pub(crate) fn temp(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary into place; on failure the temporary is removed and
    /// whatever was at the target stays there.
    pub(crate) fn commit(&self) -> Result<(), BoxError> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return Err("already committed or aborted".into());
        }
        let result = self.rename_into_place();
        if result.is_err() {
            remove_path(&self.temp);
        }
        result
    }

    fn rename_into_place(&self) -> Result<(), BoxError> {
        // `symlink_metadata`: a dangling link at the target is still something there.
        let occupied = std::fs::symlink_metadata(&self.target).is_ok();
        if occupied && !self.replace {
            return Err(format!(
                "{} appeared while the array was written; it is left as it was",
                self.target.display()
            )
            .into());
        }
        if !(occupied && self.temp.is_dir()) {
            // A file replaces a file atomically.
            std::fs::rename(&self.temp, &self.target)?;
            return Ok(());
        }
        // A directory cannot replace a non-empty one: move the old one aside, move the
        // new one in, then remove the old one (or move it back if the second step fails).
        let mut aside = self.temp.clone().into_os_string();
        aside.push(".old");
        let aside = PathBuf::from(aside);
        std::fs::rename(&self.target, &aside)?;
        if let Err(e) = std::fs::rename(&self.temp, &self.target) {
            let _ = std::fs::rename(&aside, &self.target);
            return Err(e.into());
        }
        remove_path(&aside);
        Ok(())
    }

    /// Removes the temporary.
    pub(crate) fn abort(&self) {
        if !self.finished.swap(true, Ordering::SeqCst) {
            remove_path(&self.temp);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.abort();
    }
}

fn remove_path(path: &Path) {
    // Best effort: the file may never have been created.
    let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    if is_dir {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}
