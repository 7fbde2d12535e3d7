//! `reshape`: the same elements in C order in a new shape.
//!
//! Blockwise when the input's blocks are whole along the axes after the first one whose
//! length changes; otherwise the input is rechunked first so that they are — the same
//! approach as Dask: the leading axes that keep their length keep their chunks, and
//! blocks along the first changed axis hold a multiple of the rows that regroup evenly.

use dask_graph::{Args, OpResult};
use ndarray::{ArrayD, IxDyn};

use super::rechunk::regular;
use crate::array::Array;
use crate::block::{block_value, take_block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit_usizes, task, usizes_arg};

impl<T: Element> Array<T> {
    /// The same elements (in C order) in a new shape; one length may be `-1` (inferred).
    ///
    /// Blockwise when the blocks are whole along the axes after the first one whose
    /// length changes; otherwise the input is rechunked so that they are (leading axes
    /// that keep their length keep their chunks).
    pub fn reshape(&self, shape: &[isize]) -> Result<Array<T>> {
        let old = self.shape();
        let total: usize = old.iter().product();
        let new = infer_shape(shape, total, &old)?;
        if new == old {
            return Ok(self.clone());
        }
        if total == 0 {
            let chunks = Chunks::from_lengths(new.iter().map(|&d| vec![d]).collect());
            return Array::full(&new, T::default(), &chunks);
        }
        if old.is_empty() || new.is_empty() {
            // To or from a 0-d array: one element, one block.
            let whole = Chunks::from_lengths(old.iter().map(|&d| vec![d]).collect());
            let x = self.rechunk_to(&whole)?;
            let chunks = Chunks::from_lengths(new.iter().map(|&d| vec![d]).collect());
            let name = layer_name("reshape", &(self.name(), new.clone()));
            let src = block_key(&x.name, &vec![0; old.len()]);
            return Ok(build(&[&x.graph], name, chunks, |_| {
                task(
                    reshape_op_for::<T>(),
                    vec![lit_usizes(&new), dask_graph::Arg::Key(src.clone())],
                )
            }));
        }
        // The longest common prefix of equal lengths keeps its chunks.
        let p = old
            .iter()
            .zip(&new)
            .take_while(|(a, b)| a == b)
            .count()
            .min(old.len().saturating_sub(1))
            .min(new.len().saturating_sub(1));
        let rest: usize = old[p..].iter().product();
        let (rows_in, rows_out) = (old[p], new[p]);
        let (r, s) = (rest / rows_in, rest / rows_out);
        let l = lcm(r, s);
        let m_in = l / r;
        // Input blocks along axis p: multiples of m_in rows, near the current size.
        let current = self
            .chunks
            .axis(p)
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1);
        let size = (current / m_in).max(1) * m_in;
        let mut in_chunks: Vec<Vec<usize>> = (0..p).map(|a| self.chunks.axis(a).to_vec()).collect();
        let axis_p = regular(rows_in, size);
        in_chunks.push(axis_p.clone());
        in_chunks.extend(old[p + 1..].iter().map(|&d| vec![d]));
        let x = self.rechunk_to(&Chunks::from_lengths(in_chunks))?;
        let mut out_chunks: Vec<Vec<usize>> =
            (0..p).map(|a| self.chunks.axis(a).to_vec()).collect();
        out_chunks.push(axis_p.iter().map(|&k| k * r / s).collect());
        out_chunks.extend(new[p + 1..].iter().map(|&d| vec![d]));
        let out_chunks = Chunks::from_lengths(out_chunks);
        let name = layer_name("reshape", &(self.name(), new.clone()));
        let src = &x.name;
        let op = reshape_op_for::<T>();
        let in_ndim = old.len();
        Ok(build(&[&x.graph], name, out_chunks.clone(), |index| {
            let mut src_index: Vec<usize> = index[..=p].to_vec();
            src_index.resize(in_ndim, 0);
            let shape = out_chunks.block_shape(index).unwrap_or_default();
            task(
                op,
                vec![
                    lit_usizes(&shape),
                    dask_graph::Arg::Key(block_key(src, &src_index)),
                ],
            )
        }))
    }
}

fn infer_shape(shape: &[isize], total: usize, old: &[usize]) -> Result<Vec<usize>> {
    let unknown = shape.iter().filter(|&&d| d == -1).count();
    if unknown > 1 || shape.iter().any(|&d| d < -1) {
        return Err(invalid(
            "reshape",
            format!("{shape:?}: lengths must be >= 0, with at most one -1"),
        ));
    }
    let mismatch = || {
        invalid(
            "reshape",
            format!(
                "cannot reshape an array of shape {} ({total} elements) into {shape:?}",
                shape_str(old)
            ),
        )
    };
    let known = shape
        .iter()
        .filter(|&&d| d >= 0)
        .try_fold(1usize, |p, &d| p.checked_mul(d as usize))
        .ok_or_else(mismatch)?;
    let resolved: Vec<usize> = shape
        .iter()
        .map(|&d| {
            if d == -1 {
                total.checked_div(known).unwrap_or(0)
            } else {
                d as usize
            }
        })
        .collect();
    let product = resolved
        .iter()
        .try_fold(1usize, |p, &d| p.checked_mul(d))
        .ok_or_else(mismatch)?;
    if product != total {
        return Err(invalid(
            "reshape",
            format!(
                "cannot reshape an array of shape {} ({total} elements) into {shape:?}",
                shape_str(old)
            ),
        ));
    }
    Ok(resolved)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// `array.reshape.<T>`: `[shape, block]` (C order).
fn reshape_op<T: Element>(args: Args) -> OpResult {
    let shape = usizes_arg(&args, 0)?;
    let v = args
        .into_values()
        .into_iter()
        .nth(1)
        .ok_or("missing block")?;
    let block = take_block::<T>(v)?;
    let block = if block.is_standard_layout() {
        block
    } else {
        block.as_standard_layout().into_owned()
    };
    let out: ArrayD<T> = block.into_shape_with_order(IxDyn(&shape))?;
    Ok(block_value(out))
}

per_element!(fn reshape_op_for, "array.reshape", reshape_op, cheap);
