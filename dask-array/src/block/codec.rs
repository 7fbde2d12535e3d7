//! The raw little-endian block codec `ndarray-<dtype>`, registered for every element
//! type; also the building blocks of the codecs of values that hold blocks (moments,
//! argmin/argmax partials).

use dask_graph::{BoxError, Value};
use ndarray::{ArrayD, IxDyn};

use super::{block_ref, block_value};
use crate::element::Element;
use crate::element::per_type::per_element_codec;

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

per_element_codec!(T => ArrayD<T>, "ndarray", encode_value::<T>, decode_value::<T>);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
