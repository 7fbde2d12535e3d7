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

use std::sync::Arc;

use dask_graph::{Arg, Args, Node, Op, OpResult, RegisteredOp, Task};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

use crate::array::{Array, block_key, build, layer_name, lit, lit_usizes, task};
use crate::block::{block_ref, block_value, scalar_bits};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::error::{Result, invalid, shape_str};
use crate::reduce::for_each_in_box;

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

/// A map entry for a cell filled with the axis' constant.
const CONSTANT: u64 = u64::MAX;

/// One expanded block along one axis.
#[derive(Debug)]
struct AxisBlock {
    /// Margin cells before and after the block.
    ghost: (usize, usize),
    /// `(source block, range in it, offset in the gathered run)`.
    pieces: Vec<(usize, std::ops::Range<usize>, usize)>,
    /// The length of the gathered run (the distinct positions needed, in order).
    gathered: usize,
    /// Expanded position → position in the gathered run ([`CONSTANT`] for a fill);
    /// empty when it is the identity.
    map: Vec<u64>,
}

/// The array position that padded position `p` (possibly outside `0..n`) reads, or
/// `None` for a constant. `depth <= n` has been checked, so one reflection or wrap
/// always lands inside.
fn source<T>(p: i64, n: i64, boundary: &Boundary<T>) -> Option<i64> {
    if (0..n).contains(&p) {
        return Some(p);
    }
    let before = p < 0;
    match boundary {
        Boundary::Reflect => Some(if before { -p - 1 } else { 2 * n - 1 - p }),
        Boundary::Periodic => Some(if before { p + n } else { p - n }),
        Boundary::Nearest => Some(if before { 0 } else { n - 1 }),
        Boundary::Constant(_) | Boundary::None => None,
    }
}

/// The plan of every block along one axis of block lengths `chunks`.
fn plan_axis<T>(chunks: &[usize], depth: usize, boundary: &Boundary<T>) -> Vec<AxisBlock> {
    let n: usize = chunks.iter().sum();
    let starts: Vec<usize> = chunks
        .iter()
        .scan(0usize, |acc, &len| {
            let s = *acc;
            *acc += len;
            Some(s)
        })
        .collect();
    let mut out = Vec::with_capacity(chunks.len());
    for (&start, &len) in starts.iter().zip(chunks) {
        let end = start + len;
        let (lo, hi) = if matches!(boundary, Boundary::None) {
            (
                start.saturating_sub(depth) as i64,
                (end + depth).min(n) as i64,
            )
        } else {
            (start as i64 - depth as i64, (end + depth) as i64)
        };
        let sources: Vec<Option<i64>> = (lo..hi).map(|p| source(p, n as i64, boundary)).collect();
        let mut needed: Vec<usize> = sources.iter().flatten().map(|&g| g as usize).collect();
        needed.sort_unstable();
        needed.dedup();
        // Contiguous runs of needed positions, cut at source block boundaries.
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < needed.len() {
            let mut j = i + 1;
            while j < needed.len() && needed[j] == needed[j - 1] + 1 {
                j += 1;
            }
            let (mut from, to) = (needed[i], needed[j - 1] + 1);
            while from < to {
                // The last block starting at or before `from` (never an empty one: the
                // block after an empty one starts at the same position).
                let b = starts.partition_point(|&s| s <= from) - 1;
                let stop = (starts[b] + chunks[b]).min(to);
                pieces.push((
                    b,
                    from - starts[b]..stop - starts[b],
                    i + (from - needed[i]),
                ));
                from = stop;
            }
            i = j;
        }
        let identity = sources.len() == needed.len()
            && sources
                .iter()
                .zip(&needed)
                .all(|(s, &g)| *s == Some(g as i64));
        let map = if identity {
            Vec::new()
        } else {
            sources
                .iter()
                .map(|s| match s {
                    Some(g) => needed.partition_point(|&x| (x as i64) < *g) as u64,
                    None => CONSTANT,
                })
                .collect()
        };
        out.push(AxisBlock {
            ghost: ((start as i64 - lo) as usize, (hi - end as i64) as usize),
            pieces,
            gathered: needed.len(),
            map,
        });
    }
    out
}

/// Per axis, whether the boundary is [`Boundary::None`].
fn nones<T>(boundary: &[Boundary<T>]) -> Vec<bool> {
    boundary
        .iter()
        .map(|b| matches!(b, Boundary::None))
        .collect()
}

/// Merges edge chunks shorter than `depth` into their neighbours (for
/// [`Boundary::None`], so that every inner margin is the full depth).
fn widen_edges(chunks: &[usize], depth: usize) -> Vec<usize> {
    let mut out = chunks.to_vec();
    while out.len() > 1 && out[0] < depth {
        let next = out.remove(1);
        out[0] += next;
    }
    while out.len() > 1 && out[out.len() - 1] < depth {
        let last = out.pop().unwrap_or(0);
        if let Some(prev) = out.last_mut() {
            *prev += last;
        }
    }
    out
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
        let op = T::ops().overlap;
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
                T::ops().trim,
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
        // Closures have no stable identity: the layer name is unique per call.
        let name = crate::array::unique_layer_name("map_overlap", &expanded.name());
        let f = Arc::new(f);
        let src = &expanded.name;
        let expanded_chunks = expanded.chunks.clone();
        let mapped: Array<U> = build(&[&expanded.graph], name, expanded.chunks.clone(), |index| {
            let (f, index_owned) = (Arc::clone(&f), index.to_vec());
            let expected = expanded_chunks.block_shape(index).unwrap_or_default();
            let op = Op::local("map_overlap", move |args| {
                let block = block_ref::<T>(args.value(0)?)?;
                let out = f(block, &index_owned);
                Ok(block_value(crate::map_blocks::checked(
                    out,
                    &expected,
                    &index_owned,
                )?))
            });
            Node::Task(Task::new(op, vec![Arg::Key(block_key(src, index))]))
        });
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

/// `array.overlap.<T>`: `[lens, maps, spec, fill, blocks...]`. `lens`: per axis, the
/// gathered length and the map length (0: identity); `maps`: the maps, one after the
/// other (expanded position → gathered position, [`CONSTANT`] for a fill); `spec`: per
/// block and axis `(start, end, offset)` as for `assemble`; `fill`: one constant per
/// axis.
pub(crate) fn overlap_op<T: Element>(args: Args) -> OpResult {
    let lens = args.get::<Vec<u64>>(0)?;
    let maps = args.get::<Vec<u64>>(1)?;
    let spec = args.get::<Vec<u64>>(2)?;
    let fill = block_ref::<T>(args.value(3)?)?;
    let blocks = &args.values()[4..];
    let ndim = lens.len() / 2;
    let map_total: u64 = (0..ndim).map(|a| lens[2 * a + 1]).sum();
    if lens.len() != 2 * ndim
        || spec.len() != blocks.len() * ndim * 3
        || fill.len() != ndim
        || map_total != maps.len() as u64
    {
        return Err(format!(
            "overlap: inconsistent plan ({} lengths, {} map entries, {} spec entries, {} blocks)",
            lens.len(),
            maps.len(),
            spec.len(),
            blocks.len()
        )
        .into());
    }
    let shape: Vec<usize> = (0..ndim).map(|a| lens[2 * a] as usize).collect();
    let len = shape.iter().product();
    let mut out = ArrayD::from_shape_vec(IxDyn(&shape), crate::block::filled(len, T::default()))?;
    for (b, v) in blocks.iter().enumerate() {
        let block = block_ref::<T>(v)?;
        let s = &spec[b * ndim * 3..(b + 1) * ndim * 3];
        let part = |a: usize| {
            (
                s[3 * a] as usize,
                s[3 * a + 1] as usize,
                s[3 * a + 2] as usize,
            )
        };
        let fits = block.ndim() == ndim
            && (0..ndim).all(|a| {
                let (start, end, off) = part(a);
                start <= end && end <= block.shape()[a] && off + (end - start) <= shape[a]
            });
        if !fits {
            return Err(format!(
                "overlap: piece {b} does not fit (block of shape {:?}, gathered {:?})",
                block.shape(),
                shape
            )
            .into());
        }
        let piece = block.slice_each_axis(|ax| {
            let (start, end, _) = part(ax.axis.index());
            Slice::from(start..end)
        });
        out.slice_each_axis_mut(|ax| {
            let (start, end, off) = part(ax.axis.index());
            Slice::from(off..off + (end - start))
        })
        .assign(&piece);
    }
    // Rearrange along each axis that touches an edge, then write the constants (axis
    // after axis: a later axis' constant wins in a corner, as with sequential padding).
    let mut at = 0;
    let mut constants: Vec<(usize, Vec<usize>)> = Vec::new();
    for a in 0..ndim {
        let m = lens[2 * a + 1] as usize;
        let map = &maps[at..at + m];
        at += m;
        if m == 0 {
            continue;
        }
        if shape[a] == 0 || map.iter().any(|&k| k != CONSTANT && k >= shape[a] as u64) {
            return Err(
                format!("overlap: a map of axis {a} points outside the gathered cells").into(),
            );
        }
        let idx: Vec<usize> = map
            .iter()
            .map(|&k| if k == CONSTANT { 0 } else { k as usize })
            .collect();
        out = out.select(Axis(a), &idx);
        let filled: Vec<usize> = (0..m).filter(|&k| map[k] == CONSTANT).collect();
        if !filled.is_empty() {
            constants.push((a, filled));
        }
    }
    for (a, positions) in constants {
        for k in positions {
            out.index_axis_mut(Axis(a), k).fill(fill[a]);
        }
    }
    Ok(block_value(out))
}

/// `array.overlap.trim.<T>`: `[block index, declared shape, cuts, block]`; `cuts`: per
/// axis, the cells cut before and after.
pub(crate) fn trim_op<T: Element>(args: Args) -> OpResult {
    let index = args.get::<Vec<u64>>(0)?;
    let declared: Vec<usize> = args
        .get::<Vec<u64>>(1)?
        .iter()
        .map(|&d| d as usize)
        .collect();
    let cuts = args.get::<Vec<u64>>(2)?;
    let block = block_ref::<T>(args.value(3)?)?;
    if cuts.len() != 2 * declared.len()
        || (0..declared.len())
            .any(|a| cuts[2 * a].saturating_add(cuts[2 * a + 1]) > declared[a] as u64)
    {
        return Err(format!("trim: cuts {cuts:?} do not fit a block of shape {declared:?}").into());
    }
    if block.shape() != declared.as_slice() {
        return Err(format!(
            "block {index:?} has shape {} but the overlapped chunks say {} (a map_overlap \
             function must return a block of its input's shape, or use trim = false)",
            shape_str(block.shape()),
            shape_str(&declared)
        )
        .into());
    }
    let trimmed = block
        .slice_each_axis(|ax| {
            let a = ax.axis.index();
            Slice::from(cuts[2 * a] as usize..declared[a] - cuts[2 * a + 1] as usize)
        })
        .to_owned();
    Ok(block_value(trimmed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn margins_span_several_small_blocks() {
        // Blocks of 1, 2, 3 cells; depth 3, periodic.
        let p = plan_axis::<f64>(&[1, 2, 3], 3, &Boundary::Periodic);
        assert_eq!(p[0].ghost, (3, 3));
        assert_eq!(p[1].ghost, (3, 3));
        // Block 1 is cells 1..3: it needs -2..6, i.e. every cell (4, 5 wrapped).
        assert_eq!(p[1].gathered, 6);
        assert_eq!(p[1].map, vec![4, 5, 0, 1, 2, 3, 4, 5]);
        let pieces: Vec<usize> = p[1].pieces.iter().map(|x| x.0).collect();
        assert_eq!(pieces, vec![0, 1, 2]);
    }

    #[test]
    fn inner_blocks_are_plain_copies() {
        let p = plan_axis::<f64>(&[4, 4, 4], 2, &Boundary::Reflect);
        assert!(p[1].map.is_empty());
        assert_eq!(p[1].pieces, vec![(0, 2..4, 0), (1, 0..4, 2), (2, 0..2, 6)]);
        assert!(!p[0].map.is_empty());
    }

    #[test]
    fn none_widens_short_edges() {
        assert_eq!(widen_edges(&[1, 1, 5, 2], 2), vec![2, 5, 2]);
        assert_eq!(widen_edges(&[1, 1], 3), vec![2]);
        assert_eq!(widen_edges(&[4, 1], 0), vec![4, 1]);
    }
}
