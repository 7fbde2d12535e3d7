//! argmin and argmax: partials of the best values with their global indices, merged by
//! comparing candidates, finished into the indices.
//!
//! Partials carry flat (C-order) indices for a reduction over every axis, indices along
//! the axis otherwise, computed from the block's offset in the array. Ties go to the
//! lower index and NaN beats every number, as in NumPy; a partial of an empty block has
//! no candidate (`NO_CANDIDATE`) and loses to any other. The argmin/argmax code is the
//! fold code of `Min` or `Max`.

use dask_graph::{Args, BoxError, OpResult, Value};
use ndarray::{ArrayD, Axis, Dimension, IxDyn, Zip};

use super::tree::{Stage, tree};
use super::{Fold, Reduce};
use crate::array::{Array, Scalar};
use crate::block::{block_ref, block_value, decode_block, encode_block};
use crate::element::Element;
use crate::element::per_type::{per_element, per_element_codec};
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build_any, layer_name, lit, lit_usizes, task, usizes_arg};
use crate::op_code::code_arg;

impl<T: Element> Array<T> {
    fn arg(
        &self,
        label: &'static str,
        best: Fold,
        axis: Option<isize>,
        keepdims: bool,
        split_every: Option<usize>,
    ) -> Result<Array<i64>> {
        let mut r = match axis {
            None => Reduce::all(),
            Some(a) => Reduce::axis(a),
        }
        .keepdims(keepdims);
        r.split_every = split_every;
        let res = r.resolve(label, self.ndim())?;
        if self.empty_over(&res) {
            return Err(invalid(
                label,
                format!(
                    "attempt to get {label} of an empty sequence (shape {})",
                    shape_str(&self.shape())
                ),
            ));
        }
        let axes = res.axes_lit();
        let shape = self.shape();
        let name = &self.name;
        let chunks = &self.chunks;
        // Partials need the block's offset to report global indices.
        let res_axes = res.axes.clone();
        let flat = axis.is_none();
        let base = layer_name(label, &(self.name(), &axes, keepdims, &res.split, flat));
        let offsets_name = layer_name(&format!("{label}-partial"), &base.to_string());
        let partials: Array<()> =
            build_any(&[&self.graph], offsets_name, chunks.clone(), |index| {
                let offsets: Vec<usize> = (0..shape.len())
                    .map(|a| chunks.block_range(a, index[a]).map_or(0, |r| r.start))
                    .collect();
                task(
                    arg_partial_for::<T>(),
                    vec![
                        lit(best.code()),
                        lit(u64::from(flat)),
                        lit(res_axes.iter().map(|&a| a as u64).collect::<Vec<u64>>()),
                        lit_usizes(&shape),
                        lit_usizes(&offsets),
                        dask_graph::Arg::Key(block_key(name, index)),
                    ],
                )
            });
        // The rest of the tree runs on the partials (an identity first stage).
        Ok(tree(
            &partials,
            label,
            &res,
            &(best.code(), flat),
            Stage {
                op: &dask_graph::IDENTITY,
                leading: vec![],
            },
            Stage {
                op: arg_combine_for::<T>(),
                leading: vec![lit(best.code())],
            },
            Stage {
                op: arg_finish_for::<T>(),
                leading: vec![lit(if keepdims { Vec::new() } else { axes })],
            },
        ))
    }

    /// The flat (C-order) index of the smallest element (the first one on ties; the
    /// first NaN if there is one). An error for an empty array.
    pub fn argmin(&self) -> Result<Scalar<i64>> {
        Ok(Scalar(self.arg("argmin", Fold::Min, None, false, None)?))
    }

    /// The index of the largest element (flat, C order; first on ties or NaN).
    pub fn argmax(&self) -> Result<Scalar<i64>> {
        Ok(Scalar(self.arg("argmax", Fold::Max, None, false, None)?))
    }

    /// The indices of the smallest elements along `axis`.
    pub fn argmin_axis(&self, axis: isize, keepdims: bool) -> Result<Array<i64>> {
        self.arg("argmin", Fold::Min, Some(axis), keepdims, None)
    }

    /// The indices of the largest elements along `axis`.
    pub fn argmax_axis(&self, axis: isize, keepdims: bool) -> Result<Array<i64>> {
        self.arg("argmax", Fold::Max, Some(axis), keepdims, None)
    }
}

/// A partial of argmin/argmax: the best values and their global indices.
#[derive(Clone, Debug)]
pub struct ArgPartial<T> {
    vals: ArrayD<T>,
    idx: ArrayD<i64>,
}

impl<T: Element> dask_graph::Data for ArgPartial<T> {
    fn nbytes(&self) -> usize {
        self.vals.len() * (std::mem::size_of::<T>() + 8)
    }
}

fn encode_arg<T: Element>(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let p = v.get::<ArgPartial<T>>()?;
    encode_block(&p.vals, out)?;
    encode_block(&p.idx, out)
}

fn decode_arg<T: Element>(bytes: &[u8]) -> Result<Value, BoxError> {
    let (vals, used) = decode_block::<T>(bytes)?;
    let (idx, used2) = decode_block::<i64>(&bytes[used..])?;
    if used + used2 != bytes.len() {
        return Err("trailing bytes after an argmin/argmax partial".into());
    }
    Ok(Value::new(ArgPartial { vals, idx }))
}

per_element_codec!(T => ArgPartial<T>, "array-argpartial", encode_arg::<T>, decode_arg::<T>);

/// The index of a partial that has seen no element (from an empty block).
const NO_CANDIDATE: i64 = i64::MAX;

/// Whether the code in argument `i` asks for the smallest value (`Fold::Min`, argmin)
/// rather than the largest (`Fold::Max`, argmax).
fn wants_min(args: &Args, i: usize) -> Result<bool, BoxError> {
    match code_arg(args, i)? {
        Fold::Min => Ok(true),
        Fold::Max => Ok(false),
        other => Err(format!("argmin/argmax: {other:?} is not min or max").into()),
    }
}

/// Whether `(a, ia)` beats `(b, ib)`: any candidate beats none, then a strictly better
/// value (smaller if `min`, else larger), NaN first, ties to the lower index.
#[inline]
fn beats<T: Element>(min: bool, a: T, ia: i64, b: T, ib: i64) -> bool {
    if ia == NO_CANDIDATE || ib == NO_CANDIDATE {
        return ib == NO_CANDIDATE && ia != NO_CANDIDATE;
    }
    match (a.is_nan(), b.is_nan()) {
        (true, true) => ia < ib,
        (true, false) => true,
        (false, true) => false,
        (false, false) => {
            let better = if min { a < b } else { a > b };
            better || (a == b && ia < ib)
        }
    }
}

/// `array.arg.partial.<T>`: `[code, flat, axes, shape, offsets, block]`.
fn arg_partial<T: Element>(args: Args) -> OpResult {
    let min = wants_min(&args, 0)?;
    let flat = *args.get::<u64>(1)? != 0;
    let axes = usizes_arg(&args, 2)?;
    let shape = usizes_arg(&args, 3)?;
    let offsets = usizes_arg(&args, 4)?;
    let b = block_ref::<T>(args.value(5)?)?;
    let mut out_shape = b.shape().to_vec();
    for &a in &axes {
        out_shape[a] = 1;
    }
    // `i64::MAX` marks "no candidate yet" (an empty block keeps it everywhere).
    let mut vals = ArrayD::from_elem(IxDyn(&out_shape), T::default());
    let mut idx = ArrayD::from_elem(IxDyn(&out_shape), NO_CANDIDATE);
    let mut out_pos = vec![0usize; b.ndim()];
    for (pos, &x) in b.indexed_iter() {
        let global: i64 = if flat {
            pos.slice()
                .iter()
                .zip(&offsets)
                .zip(&shape)
                .fold(0i64, |acc, ((&p, &o), &d)| acc * d as i64 + (p + o) as i64)
        } else {
            let a = axes[0];
            (pos[a] + offsets[a]) as i64
        };
        out_pos.copy_from_slice(pos.slice());
        for &a in &axes {
            out_pos[a] = 0;
        }
        let (v, i) = (&mut vals[IxDyn(&out_pos)], &mut idx[IxDyn(&out_pos)]);
        if *i == NO_CANDIDATE || beats(min, x, global, *v, *i) {
            *v = x;
            *i = global;
        }
    }
    Ok(Value::new(ArgPartial { vals, idx }))
}

per_element!(fn arg_partial_for, "array.arg.partial", arg_partial);

/// `array.arg.combine.<T>`: `[code, partials...]`.
fn arg_combine<T: Element>(args: Args) -> OpResult {
    let min = wants_min(&args, 0)?;
    let mut parts = args.into_values().into_iter().skip(1);
    let first = parts.next().ok_or("combine of no partials")?;
    let mut acc = first.take::<ArgPartial<T>>()?;
    for v in parts {
        let p = v.get::<ArgPartial<T>>()?;
        Zip::from(&mut acc.vals)
            .and(&mut acc.idx)
            .and(&p.vals)
            .and(&p.idx)
            .for_each(|v, i, &pv, &pi| {
                if beats(min, pv, pi, *v, *i) {
                    *v = pv;
                    *i = pi;
                }
            });
    }
    Ok(Value::new(acc))
}

per_element!(fn arg_combine_for, "array.arg.combine", arg_combine);

/// `array.arg.finish.<T>`: `[drop_axes, partial]`.
fn arg_finish<T: Element>(args: Args) -> OpResult {
    let drop = usizes_arg(&args, 0)?;
    let p = args.get::<ArgPartial<T>>(1)?;
    if p.idx.iter().any(|&i| i == NO_CANDIDATE) {
        return Err("argmin/argmax of an empty sequence".into());
    }
    let mut out = p.idx.clone();
    for &a in drop.iter().rev() {
        out = out.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(out))
}

per_element!(fn arg_finish_for, "array.arg.finish", arg_finish);
