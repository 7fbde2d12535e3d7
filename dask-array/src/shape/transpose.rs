//! Transposes: `t` and `transpose` permute the block grid and each block.
//!
//! The kernel does not copy a block nobody else holds: it permutes the strides, and the
//! next kernel (usually an elementwise one) reads the block in the new order in the
//! same pass as its other operands. A shared 2-d block is transposed by gathering
//! columns (sequential writes, cache-friendly reads).

use dask_graph::{Args, OpResult};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::block::{alloc, block_ref, block_value, recycle_value};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, resolve_axis};
use crate::layer::{block_key, build, layer_name, lit, task, usizes_arg};

impl<T: Element> Array<T> {
    /// The array with its axes reversed (NumPy's `x.T`).
    pub fn t(&self) -> Array<T> {
        let axes: Vec<usize> = (0..self.ndim()).rev().collect();
        self.permute(&axes)
    }

    /// The array with its axes permuted: output axis `i` is input axis `axes[i]`
    /// (negative counts from the end).
    pub fn transpose(&self, axes: &[isize]) -> Result<Array<T>> {
        let ndim = self.ndim();
        if axes.len() != ndim {
            return Err(invalid(
                "transpose",
                format!(
                    "{} axes given for an array of {ndim} dimension(s)",
                    axes.len()
                ),
            ));
        }
        let resolved = axes
            .iter()
            .map(|&a| resolve_axis("transpose", a, ndim))
            .collect::<Result<Vec<_>>>()?;
        let mut seen = vec![false; ndim];
        for &a in &resolved {
            if std::mem::replace(&mut seen[a], true) {
                return Err(invalid(
                    "transpose",
                    format!("axis {a} is repeated in {axes:?}"),
                ));
            }
        }
        Ok(self.permute(&resolved))
    }

    fn permute(&self, axes: &[usize]) -> Array<T> {
        if axes.iter().enumerate().all(|(i, &a)| i == a) {
            return self.clone();
        }
        let chunks =
            Chunks::from_lengths(axes.iter().map(|&a| self.chunks.axis(a).to_vec()).collect());
        let name = layer_name("transpose", &(self.name(), axes.to_vec()));
        let src = &self.name;
        let op = transpose_op_for::<T>();
        let axes_lit: Vec<u64> = axes.iter().map(|&a| a as u64).collect();
        build(&[&self.graph], name, chunks, |index| {
            let mut src_index = vec![0; axes.len()];
            for (i, &a) in axes.iter().enumerate() {
                src_index[a] = index[i];
            }
            task(
                op,
                vec![
                    lit(axes_lit.clone()),
                    dask_graph::Arg::Key(block_key(src, &src_index)),
                ],
            )
        })
    }
}

/// `array.transpose.<T>`: `[axes, block]`.
fn transpose_op<T: Element>(args: Args) -> OpResult {
    let axes = usizes_arg(&args, 0)?;
    let v = args.value(1)?.clone();
    drop(args);
    let ndim = block_ref::<T>(&v)?.ndim();
    if axes.len() != ndim {
        return Err(format!("transpose: {} axes for a {ndim}-d block", axes.len()).into());
    }
    // Nobody else holds the block: permute its strides, no copy. The next kernel (an
    // elementwise one, usually) reads it in the new order in the same pass as its other
    // operands, instead of this task writing a transposed copy for it to read back.
    let v = match v.try_take::<ArrayD<T>>() {
        Ok(block) => return Ok(block_value(block.permuted_axes(IxDyn(&axes)))),
        Err(v) => v,
    };
    let block = block_ref::<T>(&v)?;
    let out = if axes == [1, 0]
        && let Some(xs) = block.as_slice()
    {
        let (rows, cols) = (block.shape()[0], block.shape()[1]);
        ArrayD::from_shape_vec(IxDyn(&[cols, rows]), transpose_gather(xs, rows, cols))?
    } else {
        let view = block.view().permuted_axes(IxDyn(&axes));
        view.as_standard_layout().into_owned()
    };
    recycle_value::<T>(v);
    Ok(block_value(out))
}

per_element!(fn transpose_op_for, "array.transpose", transpose_op);

/// A C-order `rows x cols` matrix transposed by gathering each column in turn.
///
/// The writes are sequential (no zero-filling first, no scattered stores), and the
/// reads of a column touch one cache line per row, which the next seven columns then
/// find in the cache. Measured on 1000 x 1000 blocks here, this beats a 32 x 32 tiled
/// copy by about a quarter.
fn transpose_gather<T: Element>(xs: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = alloc(rows * cols);
    if rows == 0 {
        return out;
    }
    for j in 0..cols {
        out.extend(xs[j..].iter().step_by(cols).take(rows).copied());
    }
    out
}
