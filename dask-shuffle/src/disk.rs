//! The shuffle through files: each input's pieces appended to one bucket file per
//! output partition, each output partition read back from its bucket when it is needed.
//!
//! * **Writers never wait for each other's data.** An input's split is written piece by
//!   piece: each piece is encoded (through its type's codec) into one frame and appended
//!   to its bucket under an exclusive file lock, so frames of concurrent writers —
//!   threads or worker processes on the same machine — never interleave.
//! * **Order is kept.** A frame records the index of the input it came from, and a
//!   reader sorts its frames by it, so an output partition holds its rows in input
//!   order, whichever writer finished first — as the task-based shuffle does.
//! * **A barrier, not a million edges.** Readers depend on one barrier task that waits
//!   for every writer (inputs + outputs edges, not their product).
//! * **Reruns never give wrong rows.** A reader keeps one frame per source, so a writer
//!   that runs again (the graph computed twice) adds nothing. A reader empties its
//!   bucket as soon as it has it — the data's pages are dropped, never written back
//!   to disk — and leaves a `.read` marker, so a reader run a second time without its
//!   writers (a replaced worker process) fails with an error saying so instead of
//!   returning an empty partition.
//! * **Files go away.** The directory is owned by a [`ScratchDir`] value held by the
//!   graph: when the compute ends — also when a task failed halfway — the graph is
//!   dropped and the directory is removed.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use dask_graph::{Args, BoxError, Data, OpResult, Value, register_codec, register_op};
use serde::{Deserialize, Serialize};

use crate::pieces::{Pieces, get_value, put_value, split};

/// The directory of one on-disk shuffle. The value built with the graph owns it and
/// removes it (if it was created) when dropped; copies decoded in worker processes do
/// not.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    owner: bool,
}

impl ScratchDir {
    /// The owner of `path` (not created until a writer needs it).
    pub(crate) fn owned(path: PathBuf) -> ScratchDir {
        ScratchDir { path, owner: true }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if self.owner {
            // Nothing to report to: a directory already gone is what we want.
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl Data for ScratchDir {}

fn encode_dir(value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let dir = value.get::<ScratchDir>()?;
    let path = dir.path.to_str().ok_or_else(|| {
        format!(
            "the shuffle directory {} is not valid UTF-8",
            dir.path.display()
        )
    })?;
    out.extend_from_slice(path.as_bytes());
    Ok(())
}

fn decode_dir(bytes: &[u8]) -> Result<Value, BoxError> {
    let path = std::str::from_utf8(bytes).map_err(|_| "a shuffle directory that is not UTF-8")?;
    Ok(Value::new(ScratchDir {
        path: PathBuf::from(path),
        owner: false,
    }))
}

register_codec!(ScratchDir, "shuffle-scratch-dir", encode_dir, decode_dir);

/// Where one input's pieces go.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Target {
    /// The shuffle's directory.
    pub(crate) dir: String,
    /// The input's index, recorded in its frames.
    pub(crate) source: u32,
}

impl Data for Target {}
dask_graph::register_serde_codec!(Target, "shuffle-disk-target");

/// The file of output partition `bucket`.
fn bucket_path(dir: &Path, bucket: usize) -> PathBuf {
    dir.join(format!("bucket-{bucket:06}"))
}

/// `[pieces, target]`: appends every present piece to its bucket; returns the bytes
/// written (a `u64`).
fn write(mut args: Args) -> OpResult {
    let target = args.get::<Target>(1)?.clone();
    let pieces = args.take::<Pieces>(0)?;
    let dir = PathBuf::from(&target.dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the shuffle directory {}: {e}", dir.display()))?;
    let mut frame = Vec::new();
    let mut written = 0u64;
    for (bucket, piece) in pieces.0.into_iter().enumerate() {
        let Some(piece) = piece else { continue };
        frame.clear();
        frame.extend_from_slice(&target.source.to_le_bytes());
        frame.extend_from_slice(&[0; 8]);
        put_value(&piece, &mut frame)?;
        drop(piece);
        let len = (frame.len() - 12) as u64;
        frame[4..12].copy_from_slice(&len.to_le_bytes());
        let path = bucket_path(&dir, bucket);
        append(&path, &frame).map_err(|e| format!("cannot append to {}: {e}", path.display()))?;
        written += frame.len() as u64;
    }
    Ok(Value::new(written))
}

/// Appends `frame` to `path` in one locked write.
fn append(path: &Path, frame: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.lock()?;
    let result = file.write_all(frame);
    let unlocked = file.unlock();
    result.and(unlocked)
}

register_op!(pub(crate) WRITE = "shuffle.disk-write" => write);

/// `[written...]`: waits for every writer; returns the total bytes written.
fn barrier(args: Args) -> OpResult {
    let total: u64 = args.all::<u64>()?.into_iter().sum();
    Ok(Value::new(total))
}

register_op!(pub(crate) BARRIER = "shuffle.disk-barrier" => barrier);

/// `[barrier, scratch dir, bucket]`: the pieces of output partition `bucket`, in input
/// order; the bucket is emptied and marked as read.
fn read(args: Args) -> OpResult {
    let dir = args.get::<ScratchDir>(1)?.path.clone();
    let bucket = *args.get::<u32>(2)? as usize;
    let path = bucket_path(&dir, bucket);
    let done = path.with_extension("read");
    let mut bytes = Vec::new();
    match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            // Emptied at once (its pages never need writing back) and marked as read.
            f.set_len(0)
                .and_then(|()| std::fs::rename(&path, &done))
                .map_err(|e| format!("cannot release {}: {e}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if done.exists() {
                return Err(format!(
                    "output partition {bucket} of the shuffle in {} was read already: a task ran twice (a worker was replaced?); compute again",
                    dir.display()
                )
                .into());
            }
            // No input had rows for this bucket.
        }
        Err(e) => return Err(format!("cannot open {}: {e}", path.display()).into()),
    }
    let mut frames: Vec<(u32, Value)> = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let (head, r) = split(rest, 12)?;
        let source = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let len = u64::from_le_bytes(head[4..12].try_into().map_err(|_| "truncated frame")?);
        let (body, r) = split(r, usize::try_from(len).map_err(|_| "a frame too long")?)?;
        let (value, tail) = get_value(body).map_err(|e| format!("{}: {e}", path.display()))?;
        if !tail.is_empty() {
            return Err(format!("{}: a frame longer than its value", path.display()).into());
        }
        frames.push((source, value));
        rest = r;
    }
    drop(bytes);
    // A writer run again (a graph computed twice, a worker replaced) appends its
    // pieces again: each source counts once.
    frames.sort_by_key(|(s, _)| *s);
    frames.dedup_by_key(|(s, _)| *s);
    Ok(Value::new(Pieces(
        frames.into_iter().map(|(_, v)| Some(v)).collect(),
    )))
}

register_op!(pub(crate) READ = "shuffle.disk-read" => read);
