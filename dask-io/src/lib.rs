//! # dask-io: file machinery shared by every collection
//!
//! Arrays, dataframes and bags read and write files the same way, so the pieces live
//! here once, depending on `dask-graph` only (never on a collection):
//!
//! * [`Staging`] — **temporary name, then rename.** An output is written to a hidden
//!   sibling and renamed into place only when every part is written; a failed compute
//!   removes it. Nothing half-written ever appears under the final name, and a previous
//!   output stays as it was until the rename.
//! * [`Reopen`] — **formats that reopen themselves.** A task carries a serialized
//!   description of its file (path and header facts) and names a registered operation
//!   that reopens it, so reads and writes run unchanged in worker processes.
//! * [`resolve_paths`] — **globs, directories and path lists**, resolved once when a
//!   collection is built: sorted, absolute, and an error naming the pattern when it
//!   matches nothing.
//! * [`split_files`] / [`FileBlock`] — **line-aligned byte blocks**: each file cut into
//!   nominal ranges of about a block size; each block reads exactly the lines that start
//!   in its range, so blocks partition the lines whatever the size, and only a file's
//!   first block sees its header.
//! * [`Compression`] — **gzip and zstd files**, recognised by extension and read whole
//!   from their start (they cannot be split), and [`file_stamp`], the length and
//!   modification time that name a file's readers.
//!
//! Errors ([`Error`]) name the path or pattern involved and what was being done.

mod blocks;
mod compression;
mod error;
mod paths;
mod reopen;
mod staging;

pub use blocks::{FileBlock, byte_ranges, split_files};
pub use compression::{Compression, file_stamp, modified_ns};
pub use error::{Error, Result};
pub use paths::{IntoPaths, PathSpec, resolve_paths};
pub use reopen::{Reopen, description_arg, encode_description};
pub use staging::Staging;
