//! Shape operations: slicing, transpose, reshape, squeeze, expand_dims, concatenate,
//! stack, and rechunking.
//!
//! All of them work block by block: a slice reads only the blocks it touches (and an
//! output block is a slice of exactly one input block), transpose permutes the block
//! grid and each block, concatenate and stack re-key existing blocks without tasks.
//! Reshape is blockwise when the input's blocks are whole along the axes that are
//! merged or split; otherwise the input is rechunked first so that they are (the same
//! approach as Dask: the leading axes that keep their length keep their chunks).
//! Rechunking assembles each output block from the pieces of the input blocks it
//! overlaps, through intermediate chunks when the fan-in would be too large.
//!
//! One file per operation, each with its kernel and that kernel's registration:
//! `slice`, `transpose`, `reshape`, `axes` (squeeze, expand_dims), `join` (concatenate,
//! stack), `rechunk`. The slice and squeeze operations are also building blocks of
//! other modules (cumulative carries, reduction finishes).

mod axes;
mod join;
mod rechunk;
mod reshape;
mod slice;
mod transpose;

pub(crate) use axes::squeeze_op_for;
pub use join::{concatenate, stack};
pub use rechunk::MAX_FAN_IN;
pub(crate) use slice::slice_op_for;
