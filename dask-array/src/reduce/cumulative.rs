//! Cumulative sums and products along an axis.
//!
//! Each block is scanned on its own (in the accumulator type); then, block by block
//! along the axis, a carry — the running total of everything before the block — is
//! built from the previous carry and the previous block's last slice, and added to
//! (multiplied into) the block. The carries form a chain along the axis, but each link
//! is a slice one element thick, so the blocks themselves are scanned in parallel.
//!
//! The carry chain reuses other modules' registered operations (`full` for the identity
//! of an empty block, `slice` for a last slice, the elementwise `binary` to apply a
//! carry); only the scan of one block is this module's own kernel.

use dask_graph::{Arg, Args, Node, OpResult};
use ndarray::{ArrayD, Axis};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::chunks::Chunks;
use crate::creation::full_op_for;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::elementwise::{BinaryOp, binary_op_for};
use crate::error::{Result, resolve_axis};
use crate::layer::{block_key, build, layer_name, lit, lit_usizes, per_block, task};
use crate::op_code::{code_arg, op_code};
use crate::shape::slice_op_for;

op_code! {
    /// The scans of `array.cum.local.<T>`.
    enum Scan("scan") {
        Sum = 0,
        Prod = 1,
    }
}

impl<T: Element> Array<T> {
    /// The cumulative sum along `axis` (in [`Element::Acc`]).
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i32>::arange(1, 6, 1, 2)?;
    /// assert_eq!(x.cumsum(0)?.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![1i64, 3, 6, 10, 15]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn cumsum(&self, axis: isize) -> Result<Array<T::Acc>> {
        self.cumulative("cumsum", Scan::Sum, axis)
    }

    /// The cumulative product along `axis` (in [`Element::Acc`]).
    pub fn cumprod(&self, axis: isize) -> Result<Array<T::Acc>> {
        self.cumulative("cumprod", Scan::Prod, axis)
    }

    fn cumulative(&self, label: &'static str, scan: Scan, axis: isize) -> Result<Array<T::Acc>> {
        let ax = resolve_axis(label, axis, self.ndim())?;
        let base = layer_name(label, &(self.name(), ax));
        // 1. Each block scanned alone.
        let local: Array<T::Acc> = per_block(
            self,
            layer_name(&format!("{label}-local"), &base.to_string()),
            cum_local_op_for::<T>(),
            vec![lit(scan.code()), lit(ax as u64)],
        );
        let n = self.chunks.axis(ax).len();
        if n <= 1 {
            return Ok(local);
        }
        // 2. The last slice of each block along the axis.
        let mut thin = self.chunks.per_axis().to_vec();
        thin[ax] = vec![1; n];
        let thin = Chunks::from_lengths(thin);
        let last: Array<T::Acc> = {
            let src = &local.name;
            let chunks = &self.chunks;
            build(
                &[&local.graph],
                layer_name(&format!("{label}-last"), &base.to_string()),
                thin.clone(),
                |index| {
                    let shape = chunks.block_shape(index).unwrap_or_default();
                    if shape[ax] == 0 {
                        // An empty block adds nothing: its "last slice" is the identity.
                        let mut thin_shape = shape.clone();
                        thin_shape[ax] = 1;
                        let identity = if scan == Scan::Sum {
                            <T::Acc as Element>::zero()
                        } else {
                            <T::Acc as Element>::one()
                        };
                        return task(
                            full_op_for::<T::Acc>(),
                            vec![lit_usizes(&thin_shape), lit(identity)],
                        );
                    }
                    let mut spec = Vec::with_capacity(4 * index.len());
                    for (a, &len) in shape.iter().enumerate() {
                        let len = len as i64;
                        if a == ax {
                            spec.extend([0, (len - 1).max(0), len, 1]);
                        } else {
                            spec.extend([0, 0, len, 1]);
                        }
                    }
                    task(
                        slice_op_for::<T::Acc>(),
                        vec![
                            lit(spec),
                            lit(Vec::<u64>::new()),
                            Arg::Key(block_key(src, index)),
                        ],
                    )
                },
            )
        };
        // 3. Carries: carry[i] = carry[i-1] op last[i-1]; carry[1] = last[0].
        let apply_carry = match scan {
            Scan::Sum => BinaryOp::Add,
            Scan::Prod => BinaryOp::Mul,
        };
        let carry_name = layer_name(&format!("{label}-carry"), &base.to_string());
        let carry: Array<T::Acc> = {
            let (last_name, carry_name2) = (&last.name, carry_name.clone());
            build(&[&last.graph], carry_name, thin.clone(), |index| {
                let i = index[ax];
                let mut prev = index.to_vec();
                if i == 0 {
                    // Unused: block 0 has no carry. Alias its own last slice.
                    return Node::Alias(block_key(last_name, index));
                }
                prev[ax] = i - 1;
                if i == 1 {
                    return Node::Alias(block_key(last_name, &prev));
                }
                task(
                    binary_op_for::<T::Acc>(),
                    vec![
                        lit(apply_carry.code()),
                        Arg::Key(block_key(&carry_name2, &prev)),
                        Arg::Key(block_key(last_name, &prev)),
                    ],
                )
            })
        };
        // 4. Blocks with their carries.
        let (local_name, carry_name) = (&local.name, &carry.name);
        Ok(build(
            &[&local.graph, &carry.graph],
            base.clone(),
            self.chunks.clone(),
            |index| {
                if index[ax] == 0 {
                    return Node::Alias(block_key(local_name, index));
                }
                task(
                    binary_op_for::<T::Acc>(),
                    vec![
                        lit(apply_carry.code()),
                        Arg::Key(block_key(local_name, index)),
                        Arg::Key(block_key(carry_name, index)),
                    ],
                )
            },
        ))
    }
}

/// `array.cum.local.<T>`: `[code, axis, block]`: the block scanned along the axis.
fn cum_local_op<T: Element>(args: Args) -> OpResult {
    let scan: Scan = code_arg(&args, 0)?;
    let ax = *args.get::<u64>(1)? as usize;
    let block = block_ref::<T>(args.value(2)?)?;
    if ax >= block.ndim() {
        return Err(format!("axis {ax} out of range for a {}-d block", block.ndim()).into());
    }
    let mut out: ArrayD<T::Acc> = block.mapv(T::to_acc);
    let f: fn(T::Acc, T::Acc) -> T::Acc = match scan {
        Scan::Sum => <T::Acc>::add,
        Scan::Prod => <T::Acc>::mul,
    };
    out.accumulate_axis_inplace(Axis(ax), |&prev, cur| *cur = f(prev, *cur));
    Ok(block_value(out))
}

per_element!(fn cum_local_op_for, "array.cum.local", cum_local_op);
