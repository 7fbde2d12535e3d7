//! Outputs that appear under their final name only when complete.
//!
//! A [`Staging`] names a hidden temporary sibling of the target
//! (`.name.partial-<pid>-<n>`, in the same directory so that the final rename is a
//! rename, not a copy). Writers — tasks on any scheduler, worker processes included —
//! write there; when every part is written the caller [`commit`](Staging::commit)s,
//! which renames the temporary into place. A failed compute
//! [`abort`](Staging::abort)s (or simply drops the staging), which removes the
//! temporary. A crash leaves at most a hidden `.partial` entry, never an output that
//! looks complete, and whatever was at the target before stays there until the rename.
//!
//! Directories work like files: a directory replaces an existing one by moving the old
//! one aside, moving the new one in, and only then removing the old one (or moving it
//! back if the second move fails).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, Result, io};

/// A file or directory being written under a temporary sibling name, renamed into
/// place by [`commit`](Staging::commit) and removed by [`abort`](Staging::abort), by a
/// failed commit, or on drop if never committed.
///
/// ```
/// use dask_io::Staging;
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("out.txt");
/// let staging = Staging::new(&target, false)?;
/// std::fs::write(staging.temp(), "complete")?;
/// assert!(!target.exists(), "nothing under the final name before the commit");
/// staging.commit()?;
/// assert_eq!(std::fs::read_to_string(&target)?, "complete");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    temp: PathBuf,
    replace: bool,
    what: &'static str,
    finished: AtomicBool,
}

impl Staging {
    /// Plans writing `target` (made absolute, so worker processes in another directory
    /// find it) through a temporary sibling; nothing is created yet. `replace`: whether
    /// committing may replace something already at `target`.
    pub fn new(target: &Path, replace: bool) -> Result<Staging> {
        let target = std::path::absolute(target).map_err(|e| io("resolving", target, e))?;
        let file_name = target.file_name().ok_or_else(|| Error::NoFileName {
            path: target.clone(),
        })?;
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
            what: "the output",
            finished: AtomicBool::new(false),
        })
    }

    /// Names what is being written in errors ("the array", "the dataframe").
    pub fn describing(mut self, what: &'static str) -> Staging {
        self.what = what;
        self
    }

    /// Where to write.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary into place. On failure the temporary is removed and
    /// whatever was at the target stays there; if something appeared at the target
    /// meanwhile and replacing was not asked for, that is the error.
    pub fn commit(&self) -> Result<()> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return Err(Error::AlreadyFinished {
                path: self.target.clone(),
            });
        }
        let result = self.rename_into_place();
        if result.is_err() {
            remove_path(&self.temp);
        }
        result
    }

    fn rename_into_place(&self) -> Result<()> {
        let rename = |from: &Path, to: &Path| {
            std::fs::rename(from, to).map_err(|e| io("renaming into place", to, e))
        };
        if !self.replace {
            // Atomic: the rename fails if anything (even a dangling link) is there, so
            // nothing that appeared meanwhile is ever replaced.
            return match rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.temp,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::NOREPLACE,
            ) {
                Ok(()) => Ok(()),
                Err(rustix::io::Errno::EXIST) => Err(Error::Appeared {
                    path: self.target.clone(),
                    what: self.what,
                }),
                Err(e) => Err(io("renaming into place", &self.target, e.into())),
            };
        }
        // `symlink_metadata`: a dangling link at the target is still something there.
        let occupied = std::fs::symlink_metadata(&self.target).is_ok();
        if !(occupied && self.temp.is_dir()) {
            // A file replaces a file atomically.
            return rename(&self.temp, &self.target);
        }
        // A directory cannot replace a non-empty one: move the old one aside, move the
        // new one in, then remove the old one (or move it back if the second step fails).
        let mut aside = self.temp.clone().into_os_string();
        aside.push(".old");
        let aside = PathBuf::from(aside);
        rename(&self.target, &aside)?;
        if let Err(e) = rename(&self.temp, &self.target) {
            if let Err(back) = std::fs::rename(&aside, &self.target) {
                // Say where the previous output is rather than lose track of it.
                return Err(io("moving the previous output back from", &aside, back));
            }
            return Err(e);
        }
        remove_path(&aside);
        Ok(())
    }

    /// Removes the temporary (a no-op after a commit).
    pub fn abort(&self) {
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

/// Removes a file or a directory tree, best effort (it may never have been created).
fn remove_path(path: &Path) {
    let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    if is_dir {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}
