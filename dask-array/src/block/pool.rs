//! Recycled block buffers.
//!
//! Block kernels allocate and free buffers of the same few sizes over and over. Freed
//! blocks of megabytes go back to the kernel (glibc unmaps or trims them), and on these
//! virtual machines touching fresh memory costs microseconds per 4 KiB page — more than
//! generating or summing the block. A handful of recycled buffers, per process, removes
//! that cost.

use dask_graph::Value;
use ndarray::ArrayD;

use crate::element::Element;

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
fn recycle<T: Element>(block: ArrayD<T>) {
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
    use ndarray::IxDyn;

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
}
