//! Chunked N-dimensional arrays — so far, the chunks model that every array operation
//! builds on (issue #6 adds `Array<T>` itself).
//!
//! An array of shape `(d0, d1, ...)` is cut into blocks; along each axis the block
//! lengths form a list summing to that axis's length ([`Chunks`]). Users describe the
//! cut the way Dask lets them ([`ChunkSpec`]): one block size for every axis, a size per
//! axis, `-1` (or [`AxisChunks::Whole`]) for a whole axis, explicit irregular lists, or
//! "auto" — blocks of about [`AUTO_BLOCK_BYTES`] — and [`normalize_chunks`] turns that into
//! the explicit lists, with errors that say which axis is wrong and by how much. The
//! "auto" sizes match Python Dask's `normalize_chunks(..., limit="128MiB")` on the shapes
//! in the tests.

mod chunks;

pub use chunks::{AUTO_BLOCK_BYTES, AxisChunks, ChunkError, ChunkSpec, Chunks, normalize_chunks};
