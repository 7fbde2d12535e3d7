//! Files split into byte blocks whose reads are aligned on line ends.
//!
//! A large text file (CSV, JSON lines, logs) is read by several tasks, each given a
//! nominal byte range of about `blocksize` bytes ([`split_files`]). A block covers
//! exactly the lines that *start* inside its range: its read begins after the first
//! delimiter at or after `start - 1` (at 0 for the first block) and ends after the first
//! delimiter at or after `end - 1` (or at the end of the file). So every line belongs
//! to exactly one block, whatever the block size, no task needs to know where its
//! neighbours cut, and only the first block of a file sees its header. (DataFusion and
//! Dask cut CSV files by the same rule.) A delimiter inside a quoted CSV field would
//! be taken for a line end, as in Dask: files with quoted newlines are read one block
//! per file.
//!
//! Reading is positioned and sequential: a short scan for the first line start, one
//! read of the range straight into the caller's buffer, and a short read past the end
//! to finish the last line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};

/// How far a read scans at a time for a line end.
const SCAN: usize = 64 * 1024;

/// One byte block of a file: the lines that start in `start..end`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileBlock {
    /// The file (absolute).
    pub path: PathBuf,
    /// The nominal start (inclusive).
    pub start: u64,
    /// The nominal end (exclusive).
    pub end: u64,
    /// Whether this is the file's first block (the one holding a header, if any).
    pub first: bool,
}

impl FileBlock {
    /// The block's lines, each with its delimiter (the last line of the file may lack
    /// one), read into a new buffer.
    pub fn read(&self, delimiter: u8) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.read_into(delimiter, &mut buf)?;
        Ok(buf)
    }

    /// Like [`read`](FileBlock::read), into `buf` (cleared first), so a caller can reuse
    /// one buffer for many blocks. Returns the file offset of the first byte read (where
    /// the block's first line starts), from which a reader reporting an error can count
    /// the lines before it.
    pub fn read_into(&self, delimiter: u8, buf: &mut Vec<u8>) -> Result<u64> {
        buf.clear();
        let mut file = File::open(&self.path).map_err(|e| io("opening", &self.path, e))?;
        let len = file
            .metadata()
            .map_err(|e| io("reading", &self.path, e))?
            .len();
        let end = self.end.min(len);
        let begin = if self.start == 0 {
            0
        } else {
            match find(&mut file, &self.path, self.start - 1, end, delimiter)? {
                Some(p) => p + 1,
                // No line starts in the range: the block is empty.
                None => return Ok(end),
            }
        };
        if begin >= end {
            return Ok(begin);
        }
        read_range(&mut file, &self.path, begin..end, buf)?;
        if end < len && buf.last() != Some(&delimiter) {
            finish_line(&mut file, &self.path, end, delimiter, buf)?;
        }
        Ok(begin)
    }
}

/// Nominal ranges of about `blocksize` bytes covering `0..len`; an empty file has one
/// empty range (so it still makes one, empty, partition).
///
/// ```
/// assert_eq!(dask_io::byte_ranges(10, 4)?, vec![0..4, 4..8, 8..10]);
/// assert_eq!(dask_io::byte_ranges(0, 4)?, vec![0..0]);
/// # Ok::<(), dask_io::Error>(())
/// ```
pub fn byte_ranges(len: u64, blocksize: u64) -> Result<Vec<Range<u64>>> {
    if blocksize == 0 {
        return Err(Error::ZeroBlockSize);
    }
    if len == 0 {
        return Ok(std::iter::once(0..0).collect());
    }
    Ok((0..len.div_ceil(blocksize))
        .map(|i| i * blocksize..(i + 1).saturating_mul(blocksize).min(len))
        .collect())
}

/// The blocks of each file, in order: about `blocksize` bytes each, or one per file for
/// `None` (compressed files, or CSV with quoted newlines).
pub fn split_files(paths: &[PathBuf], blocksize: Option<u64>) -> Result<Vec<FileBlock>> {
    let mut blocks = Vec::new();
    for path in paths {
        let len = std::fs::metadata(path)
            .map_err(|e| io("reading", path, e))?
            .len();
        let ranges = match blocksize {
            Some(b) => byte_ranges(len, b)?,
            None => std::iter::once(0..len).collect(),
        };
        blocks.extend(ranges.into_iter().map(|r| FileBlock {
            path: path.clone(),
            first: r.start == 0,
            start: r.start,
            end: r.end,
        }));
    }
    Ok(blocks)
}

/// The position of the first `delimiter` at or after `from`, scanning at most up to
/// `limit` (exclusive); `None` if there is none before `limit`.
fn find(file: &mut File, path: &Path, from: u64, limit: u64, delimiter: u8) -> Result<Option<u64>> {
    let mut chunk = vec![0u8; SCAN];
    let mut at = from;
    while at < limit {
        let want = (limit - at).min(SCAN as u64) as usize;
        let got = read_at(file, path, at, &mut chunk[..want])?;
        if got == 0 {
            return Ok(None);
        }
        if let Some(i) = chunk[..got].iter().position(|&b| b == delimiter) {
            return Ok(Some(at + i as u64));
        }
        at += got as u64;
    }
    Ok(None)
}

/// Appends `range` of the file to `buf`.
fn read_range(file: &mut File, path: &Path, range: Range<u64>, buf: &mut Vec<u8>) -> Result<()> {
    let n = (range.end - range.start) as usize;
    let old = buf.len();
    buf.resize(old + n, 0);
    let mut filled = 0;
    while filled < n {
        let got = read_at(
            file,
            path,
            range.start + filled as u64,
            &mut buf[old + filled..],
        )?;
        if got == 0 {
            // The file shrank while being read: keep what is there.
            buf.truncate(old + filled);
            break;
        }
        filled += got;
    }
    Ok(())
}

/// Appends bytes from `from` up to and including the next `delimiter` (or to the end
/// of the file).
fn finish_line(
    file: &mut File,
    path: &Path,
    from: u64,
    delimiter: u8,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let mut chunk = vec![0u8; SCAN];
    let mut at = from;
    loop {
        let got = read_at(file, path, at, &mut chunk)?;
        if got == 0 {
            return Ok(());
        }
        if let Some(i) = chunk[..got].iter().position(|&b| b == delimiter) {
            buf.extend_from_slice(&chunk[..=i]);
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..got]);
        at += got as u64;
    }
}

/// Reads at `offset` into `out`, returning how many bytes came (0 at the end).
fn read_at(file: &mut File, path: &Path, offset: u64, out: &mut [u8]) -> Result<usize> {
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| io("seeking in", path, e))?;
    loop {
        match file.read(out) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io("reading", path, e)),
        }
    }
}
