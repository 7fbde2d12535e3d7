//! `map_blocks`: a user function applied to every block.
//!
//! Two forms. A closure (`map_blocks`, `map_blocks_to`) is the convenient one; like every
//! closure it runs on in-process schedulers only (the process scheduler refuses the
//! graph up front, naming the task). A registered operation (`map_blocks_op`) runs
//! everywhere: it receives the block index (a `Vec<u64>` literal) and the block.
//!
//! The output's chunks are the input's unless declared; a function that returns a block
//! of another shape than declared makes `compute` fail naming the block — also when the
//! result only feeds a reduction — never a silently wrong answer. (Closure results are
//! checked in the task; registered operations get a cheap checking step, which the
//! optimizer fuses into the next task.) The output's element type is the function's.

use std::sync::Arc;

use dask_graph::{Arg, BoxError, Node, Op, RegisteredOp, Task};
use ndarray::ArrayD;

use crate::array::Array;
use crate::block::{block_ref, block_value, take_block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{
    block_key, build, layer_name, lit, lit_usizes, task, unique_layer_name, usizes_arg,
};

impl<T: Element> Array<T> {
    /// Applies `f` to every block (with the block's index), keeping the chunks.
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i64>::arange(0, 6, 1, 2)?;
    /// let y = x.map_blocks(|block, index| block.mapv(|v| v * 10 + index[0] as i64));
    /// assert_eq!(y.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![0, 10, 21, 31, 42, 52]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn map_blocks<U: Element>(
        &self,
        f: impl Fn(&ArrayD<T>, &[usize]) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Array<U> {
        self.closure_blocks("map_blocks", self.chunks.clone(), f)
    }

    /// Applies `f` to every block, declaring the output's chunks (which must have as
    /// many blocks along each axis as the input, with any number of axes equal).
    pub fn map_blocks_to<U: Element>(
        &self,
        chunks: Chunks,
        f: impl Fn(&ArrayD<T>, &[usize]) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        self.check_grid(&chunks)?;
        Ok(self.closure_blocks("map_blocks", chunks, f))
    }

    /// Applies a registered operation to every block: it receives the block index as a
    /// `Vec<u64>` (argument 0) and the block (argument 1), and returns the output block
    /// (an `ndarray::ArrayD<U>`, e.g. through [`block_value`](crate::block_value)).
    /// Runs on every scheduler, worker processes included. `chunks`: the output's, or
    /// `None` for the input's.
    pub fn map_blocks_op<U: Element>(
        &self,
        op: &'static RegisteredOp,
        chunks: Option<Chunks>,
    ) -> Result<Array<U>> {
        let chunks = chunks.unwrap_or_else(|| self.chunks.clone());
        self.check_grid(&chunks)?;
        let name = layer_name(
            "map_blocks",
            &(self.name(), op.name, chunks.per_axis().to_vec()),
        );
        let src = &self.name;
        Ok(check_blocks(build(&[&self.graph], name, chunks, |index| {
            let idx: Vec<u64> = index.iter().map(|&i| i as u64).collect();
            Node::Task(Task::new(
                Op::Registered(op),
                vec![lit(idx), Arg::Key(block_key(src, index))],
            ))
        })))
    }

    fn check_grid(&self, chunks: &Chunks) -> Result<()> {
        if chunks.numblocks() != self.numblocks() {
            return Err(invalid(
                "map_blocks",
                format!(
                    "the declared chunks have {} blocks per axis, the input {}",
                    shape_str(&chunks.numblocks()),
                    shape_str(&self.numblocks())
                ),
            ));
        }
        Ok(())
    }

    /// A layer applying the closure `f` to every block (with its index), each result
    /// checked against `chunks`; `label` names the layer and the tasks' operation.
    pub(super) fn closure_blocks<U: Element>(
        &self,
        label: &'static str,
        chunks: Chunks,
        f: impl Fn(&ArrayD<T>, &[usize]) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Array<U> {
        // Closures have no stable identity: the layer name is unique per call.
        let name = unique_layer_name(label, &self.name());
        let f = Arc::new(f);
        let src = &self.name;
        let declared = chunks.clone();
        build(&[&self.graph], name, chunks, |index| {
            let (f, index_owned) = (Arc::clone(&f), index.to_vec());
            let expected = declared.block_shape(index).unwrap_or_default();
            let op = Op::local(label, move |args| {
                let block = block_ref::<T>(args.value(0)?)?;
                let out = f(block, &index_owned);
                Ok(block_value(checked(out, &expected, &index_owned)?))
            });
            Node::Task(Task::new(op, vec![Arg::Key(block_key(src, index))]))
        })
    }
}

/// `block` if it has the `expected` shape; otherwise an error naming block `index`.
pub(super) fn checked<U: Element>(
    block: ArrayD<U>,
    expected: &[usize],
    index: &[usize],
) -> Result<ArrayD<U>, BoxError> {
    if block.shape() == expected {
        Ok(block)
    } else {
        Err(format!(
            "block {index:?} has shape {} but the chunks say {}",
            shape_str(block.shape()),
            shape_str(expected)
        )
        .into())
    }
}

/// `array` with every block checked against its chunks by a cheap step (fused into
/// the next task): for blocks made by a user's registered operation.
pub(super) fn check_blocks<U: Element>(array: Array<U>) -> Array<U> {
    let name = layer_name("checked", &array.name());
    let src = &array.name;
    let chunks = array.chunks.clone();
    build(&[&array.graph], name, chunks.clone(), |index| {
        let expected = chunks.block_shape(index).unwrap_or_default();
        task(
            check_shape_op_for::<U>(),
            vec![
                lit_usizes(&expected),
                lit_usizes(index),
                Arg::Key(block_key(src, index)),
            ],
        )
    })
}

/// `array.check_shape.<T>`: `[expected shape, block index, block]` → the block.
fn check_shape_op<T: Element>(args: dask_graph::Args) -> dask_graph::OpResult {
    let (expected, index) = (usizes_arg(&args, 0)?, usizes_arg(&args, 1)?);
    let value = args
        .into_values()
        .pop()
        .ok_or("check_shape: no block argument")?;
    let block = take_block::<T>(value)?;
    Ok(block_value(checked(block, &expected, &index)?))
}

per_element!(fn check_shape_op_for, "array.check_shape", check_shape_op, cheap);
