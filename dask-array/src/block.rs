//! Blocks as task values: wrapping, unwrapping without copies, and the codec that lets
//! them cross process boundaries.
//!
//! A block is an `ndarray::ArrayD<T>` stored in a [`Value`] with its byte size. Kernels
//! take their input by value when the scheduler holds the last reference
//! ([`take_block`]), so a chain of elementwise operations reuses one buffer. The codec
//! (one per element type, named `ndarray-<dtype>`) writes a small header — the number
//! of axes, then each length as a little-endian `u64` — followed by the elements in
//! logical (C) order as raw little-endian bytes; `bool` is one byte, 0 or 1, and any
//! other byte is a decoding error.

use dask_graph::{BoxError, Value};
use ndarray::{ArrayD, IxDyn};

use crate::element::Element;

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

/// Little-endian bytes of one element (what the block codec writes).
#[doc(hidden)]
pub trait LeBytes: Sized {
    /// Bytes per element.
    const N: usize;
    /// Appends the element's bytes.
    fn put(self, out: &mut [u8]);
    /// Reads one element; `None` for an invalid encoding (a `bool` byte over 1).
    fn get(bytes: &[u8]) -> Option<Self>;
    /// Writes `src` as little-endian bytes into `dst` (`dst.len() == src.len() * N`).
    fn put_all(src: &[Self], dst: &mut [u8])
    where
        Self: Copy,
    {
        for (d, &x) in dst.chunks_exact_mut(Self::N).zip(src) {
            x.put(d);
        }
    }
    /// The little-endian bytes of `xs`: borrowed where they already are in memory.
    fn le_bytes(xs: &[Self]) -> std::borrow::Cow<'_, [u8]>
    where
        Self: Copy,
    {
        let mut out = vec![0u8; xs.len() * Self::N];
        Self::put_all(xs, &mut out);
        std::borrow::Cow::Owned(out)
    }
    /// Appends the elements of little-endian `src` to `dst`; `false` for an invalid
    /// encoding.
    fn extend_le(src: &[u8], dst: &mut Vec<Self>) -> bool {
        for raw in src.chunks_exact(Self::N) {
            match Self::get(raw) {
                Some(x) => dst.push(x),
                None => return false,
            }
        }
        true
    }
}

macro_rules! le_bytes {
    ($($ty:ty),*) => {$(
        impl LeBytes for $ty {
            const N: usize = std::mem::size_of::<$ty>();
            #[inline(always)]
            fn put(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn get(bytes: &[u8]) -> Option<Self> {
                let mut raw = [0u8; std::mem::size_of::<$ty>()];
                raw.copy_from_slice(bytes);
                Some(<$ty>::from_le_bytes(raw))
            }
            // Bulk copies are plain `memcpy`s on little-endian targets.
            #[cfg(target_endian = "little")]
            fn put_all(src: &[Self], dst: &mut [u8]) {
                dst.copy_from_slice(bytemuck::cast_slice(src));
            }
            #[cfg(target_endian = "little")]
            fn le_bytes(xs: &[Self]) -> std::borrow::Cow<'_, [u8]> {
                std::borrow::Cow::Borrowed(bytemuck::cast_slice(xs))
            }
            fn extend_le(src: &[u8], dst: &mut Vec<Self>) -> bool {
                dst.extend(src.chunks_exact(Self::N).map(|c| {
                    let mut raw = [0u8; std::mem::size_of::<$ty>()];
                    raw.copy_from_slice(c);
                    <$ty>::from_le_bytes(raw)
                }));
                true
            }
        }
    )*};
}
le_bytes!(f64, f32, i64, i32, u64, u8);

impl LeBytes for bool {
    const N: usize = 1;
    fn put(self, out: &mut [u8]) {
        out[0] = u8::from(self);
    }
    fn le_bytes(xs: &[Self]) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(bytemuck::cast_slice(xs))
    }
    fn get(bytes: &[u8]) -> Option<Self> {
        match bytes[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// The exact little-endian bytes of a scalar as a `u64` (for layer-name tokens: two
/// different values never share a name, unlike a round trip through `f64`).
pub(crate) fn scalar_bits<T: Element>(x: T) -> u64 {
    let mut bytes = [0u8; 8];
    x.put(&mut bytes[..T::N]);
    u64::from_le_bytes(bytes)
}

/// Appends the header and elements of `block` to `out`.
pub(crate) fn encode_block<T: Element>(
    block: &ArrayD<T>,
    out: &mut Vec<u8>,
) -> Result<(), BoxError> {
    let ndim = u8::try_from(block.ndim()).map_err(|_| {
        format!(
            "a block of {} axes cannot be encoded (at most 255)",
            block.ndim()
        )
    })?;
    out.push(ndim);
    for &d in block.shape() {
        out.extend_from_slice(&(d as u64).to_le_bytes());
    }
    let start = out.len();
    out.resize(start + block.len() * T::N, 0);
    let dst = &mut out[start..];
    match block.as_slice() {
        Some(xs) => {
            for (d, &x) in dst.chunks_exact_mut(T::N).zip(xs) {
                x.put(d);
            }
        }
        None => {
            for (d, &x) in dst.chunks_exact_mut(T::N).zip(block.iter()) {
                x.put(d);
            }
        }
    }
    Ok(())
}

/// Reads a block written by [`encode_block`] from the front of `bytes`; returns it and
/// the number of bytes read.
pub(crate) fn decode_block<T: Element>(bytes: &[u8]) -> Result<(ArrayD<T>, usize), BoxError> {
    let ndim = *bytes.first().ok_or("empty block encoding")? as usize;
    let header = 1 + 8 * ndim;
    if bytes.len() < header {
        return Err(format!("block header cut short: {} bytes", bytes.len()).into());
    }
    let mut shape = Vec::with_capacity(ndim);
    let mut len = 1usize;
    for raw in bytes[1..header].chunks_exact(8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(raw);
        let d = usize::try_from(u64::from_le_bytes(a)).map_err(|_| "axis length overflows")?;
        len = len.checked_mul(d).ok_or("block length overflows")?;
        shape.push(d);
    }
    let need = len
        .checked_mul(T::N)
        .and_then(|n| n.checked_add(header))
        .ok_or("block size overflows")?;
    if bytes.len() < need {
        return Err(format!(
            "a {} block of shape {:?} needs {} bytes, got {}",
            T::DTYPE,
            shape,
            need,
            bytes.len()
        )
        .into());
    }
    let mut data = Vec::with_capacity(len);
    for raw in bytes[header..need].chunks_exact(T::N) {
        data.push(T::get(raw).ok_or_else(|| format!("invalid {} byte {}", T::DTYPE, raw[0]))?);
    }
    let block = ArrayD::from_shape_vec(IxDyn(&shape), data)?;
    Ok((block, need))
}

/// The registered codec's encoder.
pub(crate) fn encode_value<T: Element>(value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    encode_block(block_ref::<T>(value)?, out)
}

/// The registered codec's decoder: the whole input must be one block.
pub(crate) fn decode_value<T: Element>(bytes: &[u8]) -> Result<Value, BoxError> {
    let (block, used) = decode_block::<T>(bytes)?;
    if used != bytes.len() {
        return Err(format!("{} trailing bytes after the block", bytes.len() - used).into());
    }
    Ok(block_value(block))
}

// ---------------------------------------------------------------------------------------
// Recycled buffers.

/// Buffers smaller than this are left to the allocator.
const POOL_MIN_BYTES: usize = 64 * 1024;
/// At most this many buffers wait in the pool (per process)...
const POOL_MAX_BUFFERS: usize = 8;
/// ...holding at most this many bytes; the oldest make room for a newcomer.
const POOL_MAX_BYTES: usize = 256 << 20;

/// A waiting buffer: its element type, capacity in elements, size in bytes, the `Vec`.
type Pooled = (
    std::any::TypeId,
    usize,
    usize,
    Box<dyn std::any::Any + Send>,
);

fn pool() -> &'static std::sync::Mutex<Vec<Pooled>> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<Vec<Pooled>>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| std::sync::Mutex::new(Vec::new()))
}

/// An empty vector with room for `len` elements, reusing a recycled buffer when one of
/// a fitting size waits in the pool.
///
/// Block kernels allocate and free buffers of the same few sizes over and over. Freed
/// blocks of megabytes go back to the kernel (glibc unmaps or trims them), and on these
/// virtual machines touching fresh memory costs microseconds per 4 KiB page — more than
/// generating or summing the block. A handful of recycled buffers removes that cost.
pub(crate) fn alloc<T: Element>(len: usize) -> Vec<T> {
    let bytes = len * std::mem::size_of::<T>();
    if bytes >= POOL_MIN_BYTES
        && let Ok(mut pool) = pool().lock()
    {
        let id = std::any::TypeId::of::<T>();
        let fits = pool
            .iter()
            .position(|(t, cap, ..)| *t == id && *cap >= len && *cap <= 2 * len);
        if let Some(i) = fits {
            let (_, _, _, buf) = pool.remove(i);
            if let Ok(v) = buf.downcast::<Vec<T>>() {
                let mut v = *v;
                v.clear();
                return v;
            }
        }
    }
    Vec::with_capacity(len)
}

/// A vector of `len` copies of `value`, in a recycled buffer when possible.
pub(crate) fn filled<T: Element>(len: usize, value: T) -> Vec<T> {
    let mut v = alloc(len);
    v.resize(len, value);
    v
}

/// Offers a block's buffer for reuse (dropped if the pool is full or it is small).
pub(crate) fn recycle<T: Element>(block: ArrayD<T>) {
    let (v, _) = block.into_raw_vec_and_offset();
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < POOL_MIN_BYTES {
        return;
    }
    if bytes > POOL_MAX_BYTES {
        return;
    }
    if let Ok(mut pool) = pool().lock() {
        let held = |p: &Vec<Pooled>| p.iter().map(|(_, _, b, ..)| *b).sum::<usize>();
        while !pool.is_empty()
            && (pool.len() >= POOL_MAX_BUFFERS || held(&pool) + bytes > POOL_MAX_BYTES)
        {
            pool.remove(0);
        }
        let cap = v.capacity();
        pool.push((std::any::TypeId::of::<T>(), cap, bytes, Box::new(v)));
    }
}

/// Recycles the block in `value` if this is its last reference.
pub(crate) fn recycle_value<T: Element>(value: Value) {
    if let Ok(block) = value.try_take::<ArrayD<T>>() {
        recycle(block);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recycled_buffers_are_reused_and_small_ones_are_not_kept() {
        // A type no other test of this binary pools, so the pool's state is ours.
        let block = ArrayD::from_elem(IxDyn(&[100_000]), 7u64);
        let ptr = block.as_ptr();
        recycle(block);
        let again = alloc::<u64>(100_000);
        assert_eq!(again.as_ptr(), ptr, "the recycled buffer comes back");
        assert!(again.is_empty() && again.capacity() >= 100_000);
        // Too small to pool: a fresh allocation comes back.
        recycle(ArrayD::from_elem(IxDyn(&[10]), 1u64));
        assert!(pool().lock().map(|p| p.is_empty()).unwrap_or(false));
    }

    #[test]
    fn codec_round_trips_and_rejects_bad_bytes() {
        let block = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| i[0] * 10 + i[1]).mapv(|x| x as i32);
        let mut bytes = Vec::new();
        encode_block(&block.t().to_owned(), &mut bytes).unwrap();
        let (back, used) = decode_block::<i32>(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(back, block.t());
        assert!(decode_block::<i32>(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_value::<bool>(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 7]).is_err());
    }
}
