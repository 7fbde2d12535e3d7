//! Blocks as task values: wrapping, unwrapping without copies, the codec that lets
//! them cross process boundaries, and recycled buffers.
//!
//! A block is an `ndarray::ArrayD<T>` stored in a [`Value`] with its byte size. Kernels
//! take their input by value when the scheduler holds the last reference
//! ([`take_block`]), so a chain of elementwise operations reuses one buffer. The codec
//! (one per element type, named `ndarray-<dtype>`, in `codec`) writes a small header —
//! the number of axes, then each length as a little-endian `u64` — followed by the
//! elements in logical (C) order as raw little-endian bytes; `bool` is one byte, 0 or
//! 1, and any other byte is a decoding error. Kernels that consume a block offer its
//! buffer to a small pool (`pool`) that the next block of that size reuses.

use dask_graph::{BoxError, Value};
use ndarray::ArrayD;

use crate::element::Element;

mod codec;
mod pool;

pub(crate) use codec::{decode_block, encode_block};
pub(crate) use pool::{alloc, filled, recycle_value};

/// Wraps a block as a value that knows its size.
pub fn block_value<T: Element>(block: ArrayD<T>) -> Value {
    let nbytes = block.len() * std::mem::size_of::<T>() + 8 * block.ndim();
    Value::with_nbytes(block, nbytes)
}

/// The block inside `value`, borrowed.
pub(crate) fn block_ref<T: Element>(value: &Value) -> Result<&ArrayD<T>, BoxError> {
    Ok(value.get::<ArrayD<T>>()?)
}

/// The block inside `value`, moved out when this is the last reference, else copied.
pub(crate) fn take_block<T: Element>(value: Value) -> Result<ArrayD<T>, BoxError> {
    match value.try_take::<ArrayD<T>>() {
        Ok(b) => Ok(b),
        Err(v) => Ok(v.get::<ArrayD<T>>()?.clone()),
    }
}
