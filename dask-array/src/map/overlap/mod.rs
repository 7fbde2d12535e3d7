//! `map_overlap`: a function applied to each block together with a margin of its
//! neighbours' cells — stencils, filters, finite differences.
//!
//! Three steps, each a layer, as in Dask: [`overlap`](Array::overlap) expands every block
//! by `depth[a]` cells on both sides of each axis `a`, taken from the neighbouring blocks
//! (corner neighbours included) and, beyond the array's edges, made up by the
//! [`Boundary`] rule of that axis; the user's function runs on each expanded block; and
//! [`trim_internal`](Array::trim_internal) cuts the margins off again.
//!
//! Design decisions:
//!
//! * **The margin is gathered, not assumed to come from the next block.** For each axis
//!   and block, the plan lists every array position the expanded block needs (its own
//!   cells, its neighbours' and, at an edge, the mirrored, wrapped or repeated ones) and
//!   the pieces of source blocks holding them. A task copies those pieces into one
//!   buffer and, only at the array's edges, rearranges it along each axis with one
//!   `select`; constants are written last. So a depth larger than the neighbouring
//!   chunks simply reads from several blocks: no rechunk is needed for the padded
//!   boundaries, and the output keeps the input's chunks.
//! * **Boundaries are applied axis after axis**, like NumPy's `pad` on each axis in
//!   turn (and Dask): a corner cell beyond the edge of several axes holds the constant of
//!   the last of them whose rule is `Constant` (padding along a later axis copies the
//!   constants already there), else the mirrored, wrapped or repeated cell. `Reflect`
//!   mirrors *including* the edge cell (`[1, 0 | 0, 1, 2]`, NumPy's `symmetric`),
//!   `Periodic` wraps, `Nearest` repeats the edge cell — checked against Python Dask.
//! * **`Boundary::None`** adds no margin beyond the edges: the first and last blocks of
//!   the axis get a margin on their inner side only. So that every inner margin is the
//!   full depth (and [`trim_internal`](Array::trim_internal) can tell what to cut from
//!   the expanded chunks alone), an edge chunk shorter than the depth is first merged
//!   with its neighbours (Dask rechunks likewise); the output then has those chunks.
//! * **Errors at build time**: one depth and one boundary per axis, depth at most the
//!   axis length. A function that returns a block of another shape than its expanded
//!   input makes `compute` fail, naming the block.
//!
//! **Layout.** This module holds [`Boundary`] and the builders; `plan` the geometry of
//! each expanded block (which source pieces, where, and the edge rearrangement);
//! `kernels` the gathering and trimming tasks.

use dask_graph::{Arg, RegisteredOp};
use ndarray::{ArrayD, IxDyn};

use crate::array::Array;
use crate::block::block_value;
use crate::chunks::{Chunks, for_each_in_box};
use crate::element::{Element, scalar_bits};
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit, lit_usizes, task};

mod kernels;
mod plan;

use kernels::{overlap_op_for, trim_op_for};
use plan::{AxisBlock, nones, plan_axis, widen_edges};

/// How [`overlap`](Array::overlap) fills the margin beyond the array's edges, per axis
/// (Dask's `boundary`). For the values `[0, 1, 2, 3]` and a depth of 2:
///
/// | rule | expanded |
/// |---|---|
/// | `Reflect` | `[1, 0, │ 0, 1, 2, 3, │ 3, 2]` (the edge cell is repeated, NumPy's `symmetric`) |
/// | `Periodic` | `[2, 3, │ 0, 1, 2, 3, │ 0, 1]` |
/// | `Nearest` | `[0, 0, │ 0, 1, 2, 3, │ 3, 3]` |
/// | `Constant(9)` | `[9, 9, │ 0, 1, 2, 3, │ 9, 9]` |
/// | `None` | `[0, 1, 2, 3]` (no margin at the edges; inner blocks still overlap) |
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Boundary<T> {
    /// Mirror image including the edge cell.
    Reflect,
    /// Wrap around: the other end of the axis.
    Periodic,
    /// Repeat the edge cell.
    Nearest,
    /// A constant value.
    Constant(T),
    /// No margin beyond the edges.
    None,
}

impl<T: Element> Boundary<T> {
    /// `(kind, value bits)`, for layer names.
    fn token(&self) -> (u64, u64) {
        match self {
            Boundary::Reflect => (0, 0),
            Boundary::Periodic => (1, 0),
            Boundary::Nearest => (2, 0),
            Boundary::Constant(v) => (3, scalar_bits(*v)),
            Boundary::None => (4, 0),
        }
    }
}

impl<T: Element> Array<T> {
    fn check_overlap<B>(
        &self,
        op: &'static str,
        depth: &[usize],
        boundary: &[Boundary<B>],
    ) -> Result<()> {
        let shape = self.shape();
        if depth.len() != shape.len() || boundary.len() != shape.len() {
            return Err(invalid(
                op,
                format!(
                    "needs one depth and one boundary per axis: got {} depth(s) and {} boundary(ies) for an array of shape {}",
                    depth.len(),
                    boundary.len(),
                    shape_str(&shape)
                ),
            ));
        }
        if let Some(axis) = (0..shape.len()).find(|&a| depth[a] > shape[a]) {
            return Err(invalid(
                op,
                format!(
                    "depth {} on axis {axis} is larger than the axis (length {}, shape {})",
                    depth[axis],
                    shape[axis],
                    shape_str(&shape)
                ),
            ));
        }
        Ok(())
    }

    /// The array with every block expanded by `depth[a]` cells on both sides of each
    /// axis `a`, from its neighbours (corners included) and, beyond the edges, by the
    /// axis' [`Boundary`] rule (Dask's `overlap`). Block `i` of the result is block `i`
    /// of the input with its margins; [`trim_internal`](Array::trim_internal) with the
    /// same arguments gives the input back.
    ///
    /// ```
    /// use dask_array::{Array, Boundary};
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i64>::arange(0, 6, 1, 3)?;
    /// let g = x.overlap(&[1], &[Boundary::Reflect])?;
    /// assert_eq!(g.chunks().axis(0), &[5, 5]);
    /// assert_eq!(g.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![0, 0, 1, 2, 3, 2, 3, 4, 5, 5]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn overlap(&self, depth: &[usize], boundary: &[Boundary<T>]) -> Result<Array<T>> {
        self.check_overlap("overlap", depth, boundary)?;
        if depth.iter().all(|&d| d == 0) {
            return Ok(self.clone());
        }
        let ndim = self.ndim();
        let widened = Chunks::from_lengths(
            (0..ndim)
                .map(|a| match boundary[a] {
                    Boundary::None => widen_edges(self.chunks.axis(a), depth[a]),
                    _ => self.chunks.axis(a).to_vec(),
                })
                .collect(),
        );
        let x = self.rechunk_to(&widened)?;
        let plans: Vec<Vec<AxisBlock>> = (0..ndim)
            .map(|a| plan_axis(x.chunks.axis(a), depth[a], &boundary[a]))
            .collect();
        let out_chunks = Chunks::from_lengths(
            plans
                .iter()
                .zip(x.chunks.per_axis())
                .map(|(p, lens)| {
                    p.iter()
                        .zip(lens)
                        .map(|(b, &len)| len + b.ghost.0 + b.ghost.1)
                        .collect()
                })
                .collect(),
        );
        let fill: Vec<T> = boundary
            .iter()
            .map(|b| match b {
                Boundary::Constant(v) => *v,
                _ => T::default(),
            })
            .collect();
        let fill = ArrayD::from_shape_vec(IxDyn(&[ndim]), fill)
            .map_err(|e| invalid("overlap", e.to_string()))?;
        let tokens: Vec<(u64, u64)> = boundary.iter().map(Boundary::token).collect();
        let name = layer_name("overlap", &(x.name(), depth.to_vec(), tokens));
        let src = &x.name;
        let op = overlap_op_for::<T>();
        Ok(build(&[&x.graph], name, out_chunks, |index| {
            let per_axis: Vec<&AxisBlock> = (0..ndim).map(|a| &plans[a][index[a]]).collect();
            let mut lens = Vec::with_capacity(2 * ndim);
            let mut maps = Vec::new();
            for b in &per_axis {
                lens.extend([b.gathered as u64, b.map.len() as u64]);
                maps.extend_from_slice(&b.map);
            }
            let mut spec: Vec<u64> = Vec::new();
            let mut keys = Vec::new();
            let ranges: Vec<std::ops::Range<usize>> =
                per_axis.iter().map(|b| 0..b.pieces.len()).collect();
            for_each_in_box(&ranges, |which| {
                let mut src_index = Vec::with_capacity(ndim);
                for (a, &w) in which.iter().enumerate() {
                    let (blk, r, dst) = &per_axis[a].pieces[w];
                    src_index.push(*blk);
                    spec.extend([r.start as u64, r.end as u64, *dst as u64]);
                }
                keys.push(Arg::Key(block_key(src, &src_index)));
            });
            let mut args = vec![
                lit(lens),
                lit(maps),
                lit(spec),
                Arg::Literal(block_value(fill.clone())),
            ];
            args.extend(keys);
            task(op, args)
        }))
    }

    /// Cuts the margins that [`overlap`](Array::overlap) with the same `depth` and
    /// `boundary` added (Dask's `trim_internal`): `depth[a]` cells from both sides of
    /// every block along axis `a`, except on the outer side of the first and last
    /// blocks of an axis whose boundary is [`Boundary::None`]. Each block must have the
    /// shape its chunks declare; `compute` fails naming the block otherwise.
    ///
    /// ```
    /// use dask_array::{Array, Boundary};
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i64>::arange(0, 6, 1, 3)?;
    /// let b = [Boundary::Periodic];
    /// let back = x.overlap(&[2], &b)?.trim_internal(&[2], &b)?;
    /// assert_eq!(back.compute(&SyncScheduler)?, x.compute(&SyncScheduler)?);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn trim_internal(&self, depth: &[usize], boundary: &[Boundary<T>]) -> Result<Array<T>> {
        self.trim_cuts(depth, &nones(boundary))
    }

    /// [`trim_internal`](Array::trim_internal) given, per axis, whether the boundary is
    /// [`Boundary::None`] (so that arrays of another element type than the boundary's
    /// can be trimmed).
    fn trim_cuts(&self, depth: &[usize], nones: &[bool]) -> Result<Array<T>> {
        let ndim = self.ndim();
        if depth.len() != ndim || nones.len() != ndim {
            return Err(invalid(
                "trim_internal",
                format!(
                    "needs one depth and one boundary per axis: got {} depth(s) and {} boundary(ies) for an array of shape {}",
                    depth.len(),
                    nones.len(),
                    shape_str(&self.shape())
                ),
            ));
        }
        if depth.iter().all(|&d| d == 0) {
            return Ok(self.clone());
        }
        // Per axis and block: cells cut before and after.
        let mut cuts: Vec<Vec<(usize, usize)>> = Vec::with_capacity(ndim);
        for a in 0..ndim {
            let lens = self.chunks.axis(a);
            let none = nones[a];
            let mut axis = Vec::with_capacity(lens.len());
            for (i, &len) in lens.iter().enumerate() {
                let before = if none && i == 0 { 0 } else { depth[a] };
                let after = if none && i + 1 == lens.len() {
                    0
                } else {
                    depth[a]
                };
                if before + after > len {
                    return Err(invalid(
                        "trim_internal",
                        format!(
                            "block {i} along axis {a} has {len} cells, fewer than the {} to cut",
                            before + after
                        ),
                    ));
                }
                axis.push((before, after));
            }
            cuts.push(axis);
        }
        let out = Chunks::from_lengths(
            (0..ndim)
                .map(|a| {
                    self.chunks
                        .axis(a)
                        .iter()
                        .zip(&cuts[a])
                        .map(|(len, (b, e))| len - b - e)
                        .collect()
                })
                .collect(),
        );
        // The cuts, not only the output chunks, name the layer: `None` with depth 2 and
        // `Reflect` with depth 1 give two blocks of an axis the same lengths.
        let name = layer_name("trim", &(self.name(), depth.to_vec(), nones.to_vec()));
        let src = &self.name;
        let chunks = &self.chunks;
        Ok(build(&[&self.graph], name, out, |index| {
            let mut trims = Vec::with_capacity(2 * ndim);
            for a in 0..ndim {
                let (b, e) = cuts[a][index[a]];
                trims.extend([b as u64, e as u64]);
            }
            task(
                trim_op_for::<T>(),
                vec![
                    lit_usizes(index),
                    lit_usizes(&chunks.block_shape(index).unwrap_or_default()),
                    lit(trims),
                    Arg::Key(block_key(src, index)),
                ],
            )
        }))
    }

    /// Applies `f` to every block expanded by `depth` cells per axis (see
    /// [`overlap`](Array::overlap) and [`Boundary`]), with the block's index, and with
    /// `trim` cuts the margins off the results (Dask's `map_overlap`). `f` must return
    /// a block of its input's shape (when `trim`) — a different one makes `compute`
    /// fail naming the block. A closure: in-process schedulers only (see
    /// [`map_overlap_op`](Array::map_overlap_op) for worker processes).
    ///
    /// A 3-point moving sum, zero beyond the edges:
    ///
    /// ```
    /// use dask_array::{Array, Boundary};
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i64>::arange(0, 6, 1, 2)?;
    /// let y = x.map_overlap(&[1], &[Boundary::Constant(0)], true, |b, _| {
    ///     let n = b.len();
    ///     let mut out = b.clone();
    ///     for i in 1..n - 1 {
    ///         out[i] = b[i - 1] + b[i] + b[i + 1];
    ///     }
    ///     out
    /// })?;
    /// assert_eq!(y.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![1, 3, 6, 9, 12, 9]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn map_overlap<U: Element>(
        &self,
        depth: &[usize],
        boundary: &[Boundary<T>],
        trim: bool,
        f: impl Fn(&ArrayD<T>, &[usize]) -> ArrayD<U> + Send + Sync + 'static,
    ) -> Result<Array<U>> {
        let expanded = self.overlap(depth, boundary)?;
        let mapped: Array<U> = expanded.closure_blocks("map_overlap", expanded.chunks.clone(), f);
        if trim {
            mapped.trim_cuts(depth, &nones(boundary))
        } else {
            Ok(mapped)
        }
    }

    /// [`map_overlap`](Array::map_overlap) with a registered operation, which runs on
    /// every scheduler, worker processes included: like
    /// [`map_blocks_op`](Array::map_blocks_op), it receives the block index as a
    /// `Vec<u64>` (argument 0) and the expanded block (argument 1), and returns the
    /// output block.
    ///
    /// A central difference, periodic at the ends:
    ///
    /// ```
    /// use dask_array::{Array, Boundary, block_value};
    /// use dask_graph::{Args, OpResult, SyncScheduler, register_op};
    /// use ndarray::{ArrayD, Ix1};
    ///
    /// fn central_difference(args: Args) -> OpResult {
    ///     let b = args.get::<ArrayD<f64>>(1)?.view().into_dimensionality::<Ix1>()?;
    ///     let n = b.len();
    ///     let mut out = b.to_owned();
    ///     for i in 1..n - 1 {
    ///         out[i] = (b[i + 1] - b[i - 1]) / 2.0;
    ///     }
    ///     Ok(block_value(out.into_dyn()))
    /// }
    /// register_op!(CENTRAL = "doc.central_difference" => central_difference);
    ///
    /// let x = Array::from_ndarray(ndarray::arr1(&[0.0, 1.0, 4.0, 9.0, 16.0]), 2)?;
    /// let d = x.map_overlap_op::<f64>(&CENTRAL, &[1], &[Boundary::Periodic], true)?;
    /// assert_eq!(d.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![-7.5, 2.0, 4.0, 6.0, -4.5]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn map_overlap_op<U: Element>(
        &self,
        op: &'static RegisteredOp,
        depth: &[usize],
        boundary: &[Boundary<T>],
        trim: bool,
    ) -> Result<Array<U>> {
        let mapped: Array<U> = self.overlap(depth, boundary)?.map_blocks_op(op, None)?;
        if trim {
            mapped.trim_cuts(depth, &nones(boundary))
        } else {
            Ok(mapped)
        }
    }
}
