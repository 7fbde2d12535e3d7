//! Element values as little-endian bytes: what block codecs, `.npy` files and layer
//! names see of an element.
//!
//! [`LeBytes`] is a supertrait of the sealed [`Element`] but lives in this private
//! module, so it is not part of the public API: users never need an element's bytes
//! (blocks cross processes through the registered codecs), and the crate stays free to
//! change how they are produced. Bulk conversions are `memcpy`s on little-endian
//! targets.

use super::Element;

/// Little-endian bytes of one element (what the block codec writes).
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
