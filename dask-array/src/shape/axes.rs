//! Adding and dropping length-1 axes: `squeeze` and `expand_dims`.
//!
//! `expand_dims` is a slice with a new axis. `squeeze` drops axes of each block (a
//! length-1 axis cut as `[0, 1]` is first made one block); its kernel also finishes
//! reductions, dropping the reduced axes unless `keepdims`.

use dask_graph::{Args, OpResult};
use ndarray::{Axis, SliceInfoElem};

use crate::array::Array;
use crate::block::{block_value, take_block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, resolve_axis, shape_str};
use crate::layer::{block_key, build, layer_name, lit, task, usizes_arg};

impl<T: Element> Array<T> {
    /// Drops the given length-1 axes (all length-1 axes when `axes` is empty).
    pub fn squeeze(&self, axes: &[isize]) -> Result<Array<T>> {
        let shape = self.shape();
        let mut drop: Vec<usize> = if axes.is_empty() {
            (0..shape.len()).filter(|&a| shape[a] == 1).collect()
        } else {
            axes.iter()
                .map(|&a| resolve_axis("squeeze", a, shape.len()))
                .collect::<Result<_>>()?
        };
        drop.sort_unstable();
        drop.dedup();
        if let Some(&a) = drop.iter().find(|&&a| shape[a] != 1) {
            return Err(invalid(
                "squeeze",
                format!(
                    "cannot drop axis {a} of length {} (shape {})",
                    shape[a],
                    shape_str(&shape)
                ),
            ));
        }
        if drop.is_empty() {
            return Ok(self.clone());
        }
        // A length-1 axis may be cut as `[0, 1]`: make each dropped axis one block.
        if drop.iter().any(|&a| self.chunks.axis(a).len() != 1) {
            let target: Vec<Vec<usize>> = (0..shape.len())
                .map(|a| {
                    if drop.contains(&a) {
                        vec![1]
                    } else {
                        self.chunks.axis(a).to_vec()
                    }
                })
                .collect();
            return self
                .rechunk_to(&Chunks::from_lengths(target))?
                .squeeze(axes);
        }
        let chunks = Chunks::from_lengths(
            (0..shape.len())
                .filter(|a| !drop.contains(a))
                .map(|a| self.chunks.axis(a).to_vec())
                .collect(),
        );
        let name = layer_name("squeeze", &(self.name(), drop.clone()));
        let src = &self.name;
        let op = squeeze_op_for::<T>();
        let drop_lit: Vec<u64> = drop.iter().map(|&a| a as u64).collect();
        Ok(build(&[&self.graph], name, chunks, |index| {
            let mut it = index.iter();
            let src_index: Vec<usize> = (0..shape.len())
                .map(|a| {
                    if drop.contains(&a) {
                        0
                    } else {
                        *it.next().unwrap_or(&0)
                    }
                })
                .collect();
            task(
                op,
                vec![
                    lit(drop_lit.clone()),
                    dask_graph::Arg::Key(block_key(src, &src_index)),
                ],
            )
        }))
    }

    /// Inserts a length-1 axis at `axis` (`-1` appends).
    pub fn expand_dims(&self, axis: isize) -> Result<Array<T>> {
        let a = resolve_axis("expand_dims", axis, self.ndim() + 1)?;
        let mut info: Vec<SliceInfoElem> = (0..self.ndim())
            .map(|_| SliceInfoElem::Slice {
                start: 0,
                end: None,
                step: 1,
            })
            .collect();
        info.insert(a, SliceInfoElem::NewAxis);
        self.slice(info)
    }
}

/// `array.squeeze.<T>`: `[axes, block]`: drops the given length-1 axes.
fn squeeze_op<T: Element>(args: Args) -> OpResult {
    let axes = usizes_arg(&args, 0)?;
    let v = args
        .into_values()
        .into_iter()
        .nth(1)
        .ok_or("missing block")?;
    let mut b = take_block::<T>(v)?;
    for &a in axes.iter().rev() {
        if a >= b.ndim() || b.shape()[a] != 1 {
            return Err(format!("cannot drop axis {a} of a block of shape {:?}", b.shape()).into());
        }
        b = b.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(b))
}

per_element!(fn squeeze_op_for, "array.squeeze", squeeze_op, cheap);
