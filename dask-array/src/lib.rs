//! # dask-array: chunked N-dimensional arrays
//!
//! An [`Array<T>`] is a lazy NumPy-like array cut into blocks, each an
//! `ndarray::ArrayD<T>` made by one task of a [`dask_graph`] graph. Operations return
//! new arrays at once — shape, chunks and dtype are known without computing — and
//! nothing runs until [`Array::compute`] (or [`Scalar::compute`] for a reduction to one
//! value) on a scheduler chosen at that moment: the synchronous one, threads, or
//! worker processes.
//!
//! ```
//! use dask_array::{Array, Reduce, random::RandomState};
//! use dask_graph::SyncScheduler;
//! let x = RandomState::new(0).random(&[1000, 800], [250, 200])?;
//! let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true))?)?;
//! let row_means = centered.mean_over(Reduce::axis(1))?.compute(&SyncScheduler)?;
//! assert!(row_means.iter().all(|m| m.abs() < 1e-12));
//! # Ok::<(), dask_array::Error>(())
//! ```
//!
//! ## Design decisions
//!
//! * **Dask's chunks model** ([`Chunks`], [`normalize_chunks`]): per axis, a list of
//!   block lengths; specified as a size, a shape, `-1` for a whole axis, irregular
//!   lists, or "auto" (about [`AUTO_BLOCK_BYTES`] per block; the sizes match Dask's).
//! * **Every task names a registered operation** with its parameters as literal
//!   arguments, and every block type has a raw little-endian codec, so arrays run
//!   unchanged on every scheduler including worker processes. Kernels are generic over
//!   the sealed [`Element`] types (`f64`, `f32`, `i64`, `i32`, `u64`, `u8`, `bool`) and
//!   registered once per type (`array.binary.f64`, ...) by the module that defines them,
//!   right after the kernel, through one set of macros (`element::per_type`); a builder
//!   asks for its type's operation (`binary_op_for::<T>()`), so no module lists the
//!   others' kernels. Kernels that serve a family of operations take a code, a
//!   `#[repr(u64)]` enum decoded with a checked `TryFrom` (`op_code`).
//! * **Errors at build time**: shapes that do not broadcast, axes out of range, indices
//!   out of bounds and bad chunks are reported by the method that would build the
//!   graph, naming the operation, the shapes and the axis. Array-with-array operators
//!   therefore return `Result` (`(&a + &b)?`); operators with a scalar cannot fail and
//!   return the array.
//! * **Fusion through the graph optimizer**: elementwise operations are registered as
//!   *cheap*, and kernels work in place on blocks nobody else holds, so chains run as
//!   one task per block without intermediate blocks (`elementwise`).
//! * **Matrix products** as blockwise contractions (`linalg`): blocks along the
//!   contracted axis are unified, each output block sums ndarray matrix products, in
//!   groups of at most [`CONTRACTION_GROUP`].
//! * **Tree reductions** with `(count, mean, M2)` partials for mean/var/std
//!   (`reduce`), carry chains for cumulative sums (`reduce::cumulative`), geometric
//!   intermediate steps for rechunks that would fan in too much (`shape::rechunk`).
//! * **Reproducible randomness**: a block's samples depend on the seed, the call and the
//!   block position only ([`random`]); normal samples come from a 256-layer ziggurat fed
//!   by four Xoshiro256++ generators in SIMD lanes.
//! * **Generated blocks are recomputed, not kept**: random, `full`, `arange` and
//!   `linspace` blocks are registered as *generator* operations, which the optimizer
//!   copies into every reader, so `x + x.t()` on a random `x` never holds a block for a
//!   second reader (bounded memory, as Dask's blockwise fusion gives).
//! * **Recycled buffers**: kernels that consume a block hand its buffer to a small
//!   pool that the next block of that size reuses — fresh multi-megabyte allocations
//!   would otherwise go back to the kernel and fault in again page by page.
//! * **Overlapping blocks** (`map::overlap`): `map_overlap` gathers margins from as
//!   many neighbours as the depth needs and pads edges by Dask's [`Boundary`] rules.
//! * **Index notation** (`map::blockwise`): `"ij,jk->ik"` unifies each index's chunks
//!   and rechunks contracted indices to one block (Dask's `concatenate=True`).
//! * **Approximate percentiles** (`stats::percentile`): merged summaries of `m`
//!   weighted points, rank error at most [`percentile_rank_error`]; exact up to `m`
//!   values.
//! * **Arrays on disk** ([`io`]): a [`ChunkedSource`](io::ChunkedSource) reads any
//!   region, a [`ChunkedSink`](io::ChunkedSink) writes a block to its region;
//!   `from_array`/`store` make one task per block, so memory holds a few blocks
//!   whatever the data's size. `.npy` (memory-mapped), Zarr v3 (feature `zarr`, via
//!   `zarrs`) and HDF5 (feature `hdf5`, the system library) reopen themselves in each
//!   task from a serialized description, so they run on worker processes too; reads
//!   are generators (re-read by each reader, never held); writes go to a temporary
//!   name renamed into place when every block is written.
//! * **Optional BLAS** (feature `blas`): matrix products through the system OpenBLAS,
//!   one BLAS thread per worker.
//!
//! ## Layout
//!
//! Modules are grouped by kind of operation, as ndarray and polars-ops group theirs,
//! each holding its builders (methods on [`Array`]) and its kernels with their
//! registrations:
//!
//! * the core: `array` (the [`Array`] and [`Scalar`] handles), `chunks` (the chunks
//!   model and block-grid geometry), `element` (the element types, their byte layout,
//!   the per-type registration macros), `block` (blocks as values, their codec, recycled
//!   buffers), `layer` (the helpers every layer is built with), `op_code` (operation
//!   codes), `error`;
//! * the operations: `creation` (with [`random`]), `elementwise`, `reduce` (with
//!   cumulative scans), `shape` (with rechunking), `stats` (histogram, percentile,
//!   `topk`), `map` (`map_blocks`, `map_overlap`, `blockwise`), `linalg`, and [`io`].

mod array;
mod block;
mod chunks;
mod creation;
mod element;
mod elementwise;
mod error;
pub mod io;
mod layer;
mod linalg;
mod map;
mod op_code;
mod reduce;
mod shape;
mod stats;

pub use array::{Array, Scalar};
pub use block::block_value;
pub use chunks::{
    AUTO_BLOCK_BYTES, AxisChunks, ChunkError, ChunkSpec, Chunks, MAX_BLOCKS, normalize_chunks,
};
pub use creation::random;
pub use dask_graph::Collection;
pub use element::{CastTo, DType, Element, Float, Logical, Number};
pub use elementwise::{Operand, where_};
pub use error::{Error, Result};
pub use linalg::{CONTRACTION_GROUP, outer, tensordot};
pub use map::{Boundary, blockwise, blockwise_op};
pub use reduce::{ArgPartial, DEFAULT_SPLIT_EVERY, Moments, Reduce};
pub use shape::{MAX_FAN_IN, concatenate, stack};
pub use stats::{DEFAULT_PERCENTILE_POINTS, Histogram, percentile_rank_error};
