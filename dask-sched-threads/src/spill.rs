//! Staying under a memory limit by spilling results to disk.
//!
//! With a limit set, every result stored for its dependents is counted (by
//! [`Value::nbytes`]) until its last dependent takes it. When the count goes over the
//! limit, results are written to a temporary directory through their codecs, the one
//! needed *latest* first — "needed" meaning the smallest priority among its dependents
//! that have not read it yet, so results the next tasks want stay in memory (Dask's
//! distributed workers use a least-recently-used rule; the static order lets us look
//! ahead instead). A spilled result is read back when a dependent needs it; if more
//! dependents remain it returns to memory (and may be spilled again).
//!
//! A result whose type has no codec cannot be written: it stays in memory, is never
//! lost, and is counted in [`RunStats::unspillable`]. The directory is created on the
//! first spill and removed when the run ends, also when it failed.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use dask_graph::{Error, Plan, Result, TaskId, Value};
use tempfile::TempDir;

use crate::lock;
use crate::run::{Run, Slot, Stored};
use crate::{RunStats, SCHEDULER_NAME};

/// [`Slot::need`] of a result that is not a spill candidate.
pub(crate) const NOT_CANDIDATE: u32 = u32::MAX;
/// [`Slot::need`] of a result that cannot be spilled (no codec, or its codec failed): it
/// stays in memory until its last reader takes it.
pub(crate) const PINNED: u32 = u32::MAX - 1;

/// A result written to disk.
pub(crate) struct SpillFile {
    path: PathBuf,
    codec: &'static str,
}

/// The memory policy of one run.
pub(crate) struct Memory {
    limit: u64,
    held: AtomicU64,
    peak: AtomicU64,
    /// Spill candidates as `(needed next at priority, task)`; the last is spilled first.
    candidates: Mutex<BTreeSet<(u32, TaskId)>>,
    /// For each task, its dependents' priorities, sorted (flat, indexed by `offsets`).
    dependent_priorities: Vec<u32>,
    offsets: Vec<u32>,
    base: Option<PathBuf>,
    dir: Mutex<Option<TempDir>>,
    dir_path: Mutex<Option<PathBuf>>,
    spilled: AtomicU64,
    spilled_bytes: AtomicU64,
    reloaded: AtomicU64,
    unspillable: AtomicU64,
}

impl Memory {
    /// A policy keeping held results under `limit` bytes, spilling under `base` (the
    /// system's temporary directory when `None`).
    pub(crate) fn new(plan: &Plan, limit: u64, base: Option<PathBuf>) -> Memory {
        let n = plan.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut dependent_priorities = Vec::new();
        offsets.push(0);
        for t in 0..n as TaskId {
            let start = dependent_priorities.len();
            dependent_priorities.extend(plan.dependents(t).iter().map(|&d| plan.priority(d)));
            dependent_priorities[start..].sort_unstable();
            offsets.push(dependent_priorities.len() as u32);
        }
        Memory {
            limit,
            held: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            candidates: Mutex::new(BTreeSet::new()),
            dependent_priorities,
            offsets,
            base,
            dir: Mutex::new(None),
            dir_path: Mutex::new(None),
            spilled: AtomicU64::new(0),
            spilled_bytes: AtomicU64::new(0),
            reloaded: AtomicU64::new(0),
            unspillable: AtomicU64::new(0),
        }
    }

    /// The first dependent of `id` after priority `after`; for a result nobody else
    /// reads, the end of the run if it was requested.
    fn next_need(&self, plan: &Plan, id: TaskId, after: u32, uses_left: u32) -> u32 {
        let all = &self.dependent_priorities
            [self.offsets[id as usize] as usize..self.offsets[id as usize + 1] as usize];
        let later = &all[all.partition_point(|&p| p <= after)..];
        match later.first() {
            Some(&p) => p,
            None if uses_left == 0 => plan.len() as u32,
            // A dependent ordered earlier is still to read it: soon.
            None => after,
        }
    }

    fn add(&self, nbytes: usize) {
        let now = self.held.fetch_add(nbytes as u64, Ordering::SeqCst) + nbytes as u64;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(&self, nbytes: usize) {
        self.held.fetch_sub(nbytes as u64, Ordering::SeqCst);
    }

    /// `value` (the result of `id`, at `priority`) is about to be stored in `slot`.
    pub(crate) fn stored(
        &self,
        run: &Run,
        id: TaskId,
        slot: &mut Slot,
        priority: u32,
        value: &Value,
    ) {
        self.add(value.nbytes());
        let need = self.next_need(&run.plan, id, priority, slot.uses_left);
        slot.need = need;
        lock(&self.candidates).insert((need, id));
    }

    /// The dependent at `priority` read the in-memory result of `id`; `last` if it took it.
    pub(crate) fn read(
        &self,
        run: &Run,
        id: TaskId,
        slot: &mut Slot,
        priority: u32,
        last: bool,
        value: &Value,
    ) {
        if last {
            if slot.need < PINNED {
                lock(&self.candidates).remove(&(slot.need, id));
            }
            slot.need = NOT_CANDIDATE;
            self.sub(value.nbytes());
            return;
        }
        if slot.need == PINNED {
            return;
        }
        let mut candidates = lock(&self.candidates);
        if slot.need != NOT_CANDIDATE {
            candidates.remove(&(slot.need, id));
            slot.need = NOT_CANDIDATE;
        }
        if !matches!(slot.value, Stored::Empty) {
            let need = self.next_need(&run.plan, id, priority, slot.uses_left);
            slot.need = need;
            candidates.insert((need, id));
        }
    }

    /// Reads the spilled result of `id` back. Unless `last`, it returns to memory (as a
    /// candidate again); the file is deleted either way.
    pub(crate) fn reload(
        &self,
        run: &Run,
        id: TaskId,
        slot: &mut Slot,
        last: bool,
    ) -> Result<Value> {
        let Stored::Spilled(file) = &slot.value else {
            return Err(run.internal(id, "not on disk when reloaded"));
        };
        let key = run.plan.key(id);
        let bytes =
            std::fs::read(&file.path).map_err(|e| spill_error(key, "read", &file.path, e))?;
        let value = guarded(|| Value::decode(file.codec, &bytes))
            .map_err(|e| spill_error(key, "decode", &file.path, e))?;
        // The data is in memory now; a file left behind only costs disk until the end.
        let _ = std::fs::remove_file(&file.path);
        self.reloaded.fetch_add(1, Ordering::Relaxed);
        if !last {
            self.add(value.nbytes());
            slot.value = Stored::Memory(value.clone());
            // The reader re-registers it as a candidate with its next need.
            slot.need = NOT_CANDIDATE;
        } else {
            slot.value = Stored::Empty;
        }
        Ok(value)
    }

    /// Spills results, needed-latest first, until the held bytes are under the limit or
    /// nothing more can be spilled.
    pub(crate) fn spill_while_over(&self, run: &Run) -> Result<()> {
        while self.held.load(Ordering::SeqCst) > self.limit {
            let Some((need, id)) = lock(&self.candidates).pop_last() else {
                return Ok(());
            };
            let mut slot = lock(&run.slots[id as usize]);
            if slot.need != need {
                continue; // it was read (and re-registered) in between
            }
            slot.need = NOT_CANDIDATE;
            let Stored::Memory(value) = &slot.value else {
                continue;
            };
            let nbytes = value.nbytes();
            let Some(file) = self.write(run, id, value)? else {
                // No codec, or the codec failed: kept in memory, never lost, counted.
                slot.need = PINNED;
                self.unspillable.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            slot.value = Stored::Spilled(Box::new(file));
            drop(slot);
            self.sub(nbytes);
        }
        Ok(())
    }

    /// Writes `value` to its spill file; `None` when it cannot be encoded (no codec, or
    /// the codec failed or panicked). Only I/O failures are errors.
    fn write(&self, run: &Run, id: TaskId, value: &Value) -> Result<Option<SpillFile>> {
        if !value.has_codec() {
            return Ok(None);
        }
        let Ok(encoded) = guarded(|| value.encode()) else {
            return Ok(None);
        };
        let Ok(codec) = dask_graph::codec_by_name(&encoded.codec) else {
            return Ok(None);
        };
        let path = self.file_path(id)?;
        std::fs::write(&path, &encoded.bytes)
            .map_err(|e| spill_error(run.plan.key(id), "write", &path, e))?;
        self.spilled.fetch_add(1, Ordering::Relaxed);
        self.spilled_bytes
            .fetch_add(encoded.bytes.len() as u64, Ordering::Relaxed);
        Ok(Some(SpillFile {
            path,
            codec: codec.name,
        }))
    }

    /// Where the result of `id` goes, creating the directory on first use.
    fn file_path(&self, id: TaskId) -> Result<PathBuf> {
        let mut dir = lock(&self.dir);
        if dir.is_none() {
            let base = self.base.clone().unwrap_or_else(std::env::temp_dir);
            let created = tempfile::Builder::new()
                .prefix("dask-spill-")
                .tempdir_in(&base)
                .map_err(|e| Error::Scheduler {
                    scheduler: SCHEDULER_NAME.to_string(),
                    message: format!("cannot create a spill directory in {}: {e}", base.display()),
                })?;
            *lock(&self.dir_path) = Some(created.path().to_path_buf());
            *dir = Some(created);
        }
        let root = dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        Ok(root.join(format!("{id}.spill")))
    }

    /// Removes the spill directory and everything in it.
    pub(crate) fn remove_dir(&self) -> Result<()> {
        let Some(dir) = lock(&self.dir).take() else {
            return Ok(());
        };
        let path = dir.path().to_path_buf();
        dir.close().map_err(|e| Error::Scheduler {
            scheduler: SCHEDULER_NAME.to_string(),
            message: format!("cannot remove the spill directory {}: {e}", path.display()),
        })
    }

    /// Copies the counters into `stats`.
    pub(crate) fn fill_stats(&self, stats: &mut RunStats) {
        stats.spilled = self.spilled.load(Ordering::Relaxed);
        stats.spilled_bytes = self.spilled_bytes.load(Ordering::Relaxed);
        stats.reloaded = self.reloaded.load(Ordering::Relaxed);
        stats.unspillable = self.unspillable.load(Ordering::Relaxed);
        stats.peak_held_bytes = self.peak.load(Ordering::Relaxed);
        stats.spill_dir = lock(&self.dir_path).clone();
    }
}

/// Runs a codec, turning a panic into an error.
fn guarded<T>(codec: impl FnOnce() -> Result<T>) -> std::result::Result<T, dask_graph::BoxError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(codec)) {
        Ok(result) => result.map_err(Into::into),
        Err(payload) => Err(format!(
            "the codec panicked: {}",
            dask_graph::panic_message(payload.as_ref())
        )
        .into()),
    }
}

fn spill_error(
    key: &dask_graph::Key,
    action: &'static str,
    path: &std::path::Path,
    source: impl Into<dask_graph::BoxError>,
) -> Error {
    Error::Spill {
        key: key.clone(),
        action,
        path: path.to_path_buf(),
        source: source.into(),
    }
}
