//! Elementwise operations: arithmetic, comparisons, math functions, `where`, casts,
//! with NumPy broadcasting.
//!
//! **Building.** Shapes broadcast the NumPy way (aligned at the last axis; a length-1
//! axis stretches). Along each output axis the inputs that are not stretched must agree
//! on their chunks; where they do not, they are rechunked to the common refinement of
//! their block boundaries first (as Dask's `unify_chunks`). Then one task per output
//! block reads the matching block of each input (block 0 along stretched axes). Shapes
//! that do not broadcast are an error before any task exists.
//!
//! **Fusion.** Every elementwise operation is registered as *cheap*, so the graph
//! optimizer folds a one-input elementwise task into its only user, and chains into one
//! task per block: `((x + 1) * 2).sqrt()` runs as one task per block of `x`, and the
//! kernels work in place on a block nobody else holds (the previous step's output), so
//! no intermediate block is allocated.
//!
//! **Semantics** follow NumPy where Rust and NumPy differ: integer `/` and `%` are
//! NumPy's `//` and `%` (floor division, a remainder with the divisor's sign), integer
//! arithmetic wraps, and an integer division by zero is an error of the task naming
//! its block (NumPy warns and returns 0). `&`, `|`, `^` and `!` exist for `bool`
//! arrays only.
//!
//! **Kernels** are generic over the element type and instantiated once per operation
//! code (the `match` is outside the loop), so each inner loop is a plain, vectorizable
//! loop over contiguous memory. Each is registered once per element type next to its
//! definition (`kernels`), and tells its operations apart by a code (`codes`).
//!
//! **Layout.** This module holds the operands and the one layer builder every
//! elementwise operation goes through, `elementwise` (from type-erased operands; [`apply`]
//! broadcasts typed ones first, `map_layer` maps one array's blocks); `broadcast` the
//! shape and chunk rules; `codes` the operation codes; `methods` and `operators` the
//! user-facing API; `kernels` the task functions and their registrations.

use std::sync::Arc;

use dask_graph::{Arg, Graph, RegisteredOp, Value};

use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{Element, scalar_bits};
use crate::error::Result;
use crate::layer::{block_key, build, layer_name, task};

mod broadcast;
mod codes;
mod kernels;
mod methods;
mod operators;

use broadcast::{align, broadcast_chunks, broadcast_shapes};
pub(crate) use codes::BinaryOp;
pub(crate) use kernels::binary_op_for;
pub use methods::where_;

/// An operand of an elementwise operation: an array or a scalar.
#[derive(Clone, Debug)]
pub enum Operand<T> {
    /// A lazy array (broadcast against the other operands).
    Array(Array<T>),
    /// One value, applied to every element.
    Scalar(T),
}

impl<T: Element> From<T> for Operand<T> {
    fn from(x: T) -> Self {
        Operand::Scalar(x)
    }
}

impl<T: Element> From<&Array<T>> for Operand<T> {
    fn from(x: &Array<T>) -> Self {
        Operand::Array(x.clone())
    }
}

impl<T: Element> From<Array<T>> for Operand<T> {
    fn from(x: Array<T>) -> Self {
        Operand::Array(x)
    }
}

/// An operand with its type erased: what the layer builder needs.
enum Erased<'a> {
    Array(&'a Graph, &'a Arc<str>, &'a Chunks),
    Scalar(Value, u64),
}

impl<T: Element> Operand<T> {
    fn shape(&self) -> Option<(Vec<usize>, &Chunks)> {
        match self {
            Operand::Array(a) => Some((a.shape(), &a.chunks)),
            Operand::Scalar(_) => None,
        }
    }

    fn aligned(&self, out: &Chunks) -> Result<Operand<T>> {
        match self {
            Operand::Array(a) => Ok(Operand::Array(align(a, out)?)),
            Operand::Scalar(x) => Ok(Operand::Scalar(*x)),
        }
    }

    fn erased(&self) -> Erased<'_> {
        match self {
            Operand::Array(a) => Erased::Array(&a.graph, &a.name, &a.chunks),
            Operand::Scalar(x) => Erased::Scalar(Value::new(*x), scalar_bits(*x)),
        }
    }
}

/// How a task gets an operand: the block of layer `name` at the output's index (its
/// first axis at `offset` in the output; block 0 along axes that are one block), or a
/// literal.
enum ReadPlan<'a> {
    Block {
        name: &'a Arc<str>,
        offset: usize,
        single: Vec<bool>,
    },
    Literal(&'a Value),
}

/// Builds the elementwise layer: `leading` literal arguments, then one argument per
/// operand (the matching block, or the scalar).
fn elementwise<U: Element>(
    label: &'static str,
    op: &'static RegisteredOp,
    leading: Vec<u64>,
    operands: &[Erased<'_>],
    out: &Chunks,
) -> Array<U> {
    let out_shape = out.shape();
    let mut graphs = Vec::new();
    let mut token: Vec<(String, u64)> = Vec::new();
    for o in operands {
        match o {
            Erased::Array(g, name, _) => {
                graphs.push(*g);
                token.push((name.to_string(), 0));
            }
            Erased::Scalar(_, bits) => token.push((String::new(), *bits)),
        }
    }
    let name = layer_name(
        label,
        &(op.name, leading.clone(), &token, out.per_axis().to_vec()),
    );
    // Per operand, once: its axes' offset in the output and which of them are single
    // blocks (stretched or not, block 0 is the one to read).
    let plans: Vec<ReadPlan<'_>> = operands
        .iter()
        .map(|o| match o {
            Erased::Array(_, name, chunks) => ReadPlan::Block {
                name,
                offset: out_shape.len() - chunks.ndim(),
                single: (0..chunks.ndim())
                    .map(|i| chunks.axis(i).len() == 1)
                    .collect(),
            },
            Erased::Scalar(v, _) => ReadPlan::Literal(v),
        })
        .collect();
    let leading: Vec<Arg> = leading
        .iter()
        .map(|&c| Arg::Literal(Value::new(c)))
        .collect();
    build(&graphs, name, out.clone(), |index| {
        let mut args = leading.clone();
        for plan in &plans {
            args.push(match plan {
                ReadPlan::Block {
                    name,
                    offset,
                    single,
                } => {
                    let idx: Vec<usize> = single
                        .iter()
                        .enumerate()
                        .map(|(i, &one)| if one { 0 } else { index[i + offset] })
                        .collect();
                    Arg::Key(block_key(name, &idx))
                }
                ReadPlan::Literal(v) => Arg::Literal((*v).clone()),
            });
        }
        task(op, args)
    })
}

/// Broadcasts typed operands of one type, aligns their chunks and builds the layer.
fn apply<T: Element, U: Element>(
    label: &'static str,
    op: &'static RegisteredOp,
    leading: Vec<u64>,
    operands: &[Operand<T>],
) -> Result<Array<U>> {
    let shaped: Vec<(Vec<usize>, &Chunks)> = operands.iter().filter_map(|o| o.shape()).collect();
    let shapes: Vec<&[usize]> = shaped.iter().map(|(s, _)| s.as_slice()).collect();
    let out_shape = broadcast_shapes(label, &shapes)?;
    let out = broadcast_chunks(&out_shape, &shaped);
    let aligned: Vec<Operand<T>> = operands
        .iter()
        .map(|o| o.aligned(&out))
        .collect::<Result<_>>()?;
    let erased: Vec<Erased<'_>> = aligned.iter().map(Operand::erased).collect();
    Ok(elementwise(label, op, leading, &erased, &out))
}

/// A one-input elementwise layer over the blocks of `x` (whose chunks it keeps).
fn map_layer<T: Element, U: Element>(
    label: &'static str,
    op: &'static RegisteredOp,
    leading: Vec<u64>,
    x: &Array<T>,
) -> Array<U> {
    let erased = [Erased::Array(&x.graph, &x.name, &x.chunks)];
    elementwise(label, op, leading, &erased, &x.chunks)
}
