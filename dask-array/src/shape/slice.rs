//! Basic slicing with ndarray's `s!`: ranges with steps, integer indices, new axes.
//!
//! Per input axis the selection is planned against the block boundaries first
//! (`select_axis`): each output block is a slice of exactly one input block, so a task
//! reads one block, and an output block that is a whole input block is an alias (no
//! task). Ranges are clamped like NumPy's; an index out of bounds is an error when the
//! slice is built. A negative step follows ndarray (the elements of `start..end`, from
//! the back).

use dask_graph::{Args, Node, OpResult};
use ndarray::{Axis, Slice, SliceInfoElem};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit, task};

/// What one input axis contributes to a slice.
enum AxisSel {
    /// Per output block: `(input block, local start, local end, step)`; ndarray's
    /// semantics for a negative step (from the back of `start..end`).
    Range(Vec<(usize, isize, isize, isize)>),
    /// One element: `(input block, local index)`; the axis is dropped.
    Index(usize, usize),
}

fn select_axis(
    op: &'static str,
    axis: usize,
    lengths: &[usize],
    e: &SliceInfoElem,
) -> Result<AxisSel> {
    let n: usize = lengths.iter().sum();
    let bounds: Vec<(usize, usize)> = lengths
        .iter()
        .scan(0usize, |acc, &l| {
            let s = *acc;
            *acc += l;
            Some((s, s + l))
        })
        .collect();
    match *e {
        SliceInfoElem::Index(i) => {
            let j = if i < 0 { i + n as isize } else { i };
            if j < 0 || j >= n as isize {
                return Err(invalid(
                    op,
                    format!("index {i} is out of bounds for axis {axis} with size {n}"),
                ));
            }
            let j = j as usize;
            let b = bounds
                .iter()
                .position(|&(lo, hi)| lo <= j && j < hi)
                .unwrap_or(0);
            Ok(AxisSel::Index(b, j - bounds[b].0))
        }
        SliceInfoElem::Slice { start, end, step } => {
            if step == 0 {
                return Err(invalid(
                    op,
                    format!("slice step cannot be zero (axis {axis})"),
                ));
            }
            let clamp = |x: isize| -> usize {
                let x = if x < 0 { x + n as isize } else { x };
                x.clamp(0, n as isize) as usize
            };
            let start = clamp(start);
            let end = end.map_or(n, clamp).max(start);
            let s = step.unsigned_abs();
            let mut picks = Vec::new();
            if step > 0 {
                for (b, &(lo, hi)) in bounds.iter().enumerate() {
                    let first = if lo <= start {
                        start
                    } else {
                        start + (lo - start).div_ceil(s) * s
                    };
                    let stop = hi.min(end);
                    if first < stop {
                        picks.push((b, (first - lo) as isize, (stop - lo) as isize, step));
                    }
                }
            } else if end > start {
                let anchor = end - 1;
                for (b, &(lo, hi)) in bounds.iter().enumerate().rev() {
                    if hi == lo || hi <= start || lo > anchor {
                        continue;
                    }
                    let cand = (hi - 1).min(anchor);
                    // The highest selected index at or below `cand`, if any.
                    let Some(top) = anchor.checked_sub((anchor - cand).div_ceil(s) * s) else {
                        continue;
                    };
                    let floor = lo.max(start);
                    if top < floor {
                        continue;
                    }
                    let bottom = top - (top - floor) / s * s;
                    picks.push((b, (bottom - lo) as isize, (top - lo + 1) as isize, step));
                }
            }
            if picks.is_empty() {
                picks.push((0, 0, 0, 1));
            }
            Ok(AxisSel::Range(picks))
        }
        SliceInfoElem::NewAxis => Err(invalid(op, "internal: a new axis has no input axis")),
    }
}

fn pick_len(p: &(usize, isize, isize, isize)) -> usize {
    let (_, a, b, step) = *p;
    if b <= a {
        0
    } else {
        ((b - a) as usize).div_ceil(step.unsigned_abs())
    }
}

impl<T: Element> Array<T> {
    /// A basic slice, written with ndarray's [`s!`](ndarray::s) macro: ranges with
    /// steps, negative indices counting from the end, integer indices (which drop the
    /// axis) and `NewAxis`. Missing trailing axes are taken whole. Ranges are clamped
    /// to the axis like NumPy's; an integer index out of bounds is an error. A negative
    /// step follows ndarray (the elements of `start..end`, from the back).
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// use ndarray::s;
    /// let x = Array::<i64>::arange(0, 20, 1, 6)?.reshape(&[4, 5])?;
    /// let y = x.slice(s![1..;2, -1])?;
    /// assert_eq!(y.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![9, 19]);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn slice(&self, info: impl AsRef<[SliceInfoElem]>) -> Result<Array<T>> {
        let elems = info.as_ref();
        let consumed = elems
            .iter()
            .filter(|e| !matches!(e, SliceInfoElem::NewAxis))
            .count();
        if consumed > self.ndim() {
            return Err(invalid(
                "slice",
                format!(
                    "too many indices: {consumed} for an array of shape {}",
                    shape_str(&self.shape())
                ),
            ));
        }
        // Per input axis a selection; output axes in order, with new axes.
        let mut sels = Vec::with_capacity(self.ndim());
        // Output axes: Some(input axis) or None for a new axis.
        let mut out_axes: Vec<Option<usize>> = Vec::new();
        let mut axis = 0;
        for e in elems.iter().chain(std::iter::repeat_n(
            &SliceInfoElem::Slice {
                start: 0,
                end: None,
                step: 1,
            },
            self.ndim() - consumed,
        )) {
            if let SliceInfoElem::NewAxis = e {
                out_axes.push(None);
                continue;
            }
            let sel = select_axis("slice", axis, self.chunks.axis(axis), e)?;
            if let AxisSel::Range(_) = sel {
                out_axes.push(Some(axis));
            }
            sels.push(sel);
            axis += 1;
        }
        let out_chunks = Chunks::from_lengths(
            out_axes
                .iter()
                .map(|o| match o {
                    None => vec![1],
                    Some(a) => match &sels[*a] {
                        AxisSel::Range(p) => p.iter().map(pick_len).collect(),
                        AxisSel::Index(..) => vec![1],
                    },
                })
                .collect(),
        );
        let new_axes: Vec<u64> = out_axes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(i, _)| i as u64)
            .collect();
        let token: Vec<i64> = elems
            .iter()
            .flat_map(|e| match *e {
                SliceInfoElem::Index(i) => [0, i as i64, 0, 0],
                SliceInfoElem::Slice { start, end, step } => [
                    1,
                    start as i64,
                    end.map_or(i64::MIN, |e| e as i64),
                    step as i64,
                ],
                SliceInfoElem::NewAxis => [2, 0, 0, 0],
            })
            .collect();
        let name = layer_name("getitem", &(self.name(), token));
        let src = &self.name;
        let op = slice_op_for::<T>();
        let ndim = self.ndim();
        // The output position of each range axis (new axes take the others).
        let range_out: Vec<usize> = out_axes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_some())
            .map(|(i, _)| i)
            .collect();
        Ok(build(&[&self.graph], name, out_chunks, |index| {
            // Map the output block index back to one input block and a local slice.
            let mut src_index = Vec::with_capacity(ndim);
            let mut spec: Vec<i64> = Vec::with_capacity(4 * ndim);
            let mut range_pos = 0;
            let mut identity = new_axes.is_empty();
            for (a, sel) in sels.iter().enumerate() {
                match sel {
                    AxisSel::Index(b, i) => {
                        identity = false;
                        src_index.push(*b);
                        spec.extend([1, *i as i64, 0, 0]);
                    }
                    AxisSel::Range(picks) => {
                        let (b, lo, hi, step) = picks[index[range_out[range_pos]]];
                        range_pos += 1;
                        let full = self.chunks.axis(a).get(b).copied().unwrap_or(0) as isize;
                        identity &= lo == 0 && hi == full && step == 1;
                        src_index.push(b);
                        spec.extend([0, lo as i64, hi as i64, step as i64]);
                    }
                }
            }
            if identity {
                return Node::Alias(block_key(src, &src_index));
            }
            task(
                op,
                vec![
                    lit(spec),
                    lit(new_axes.clone()),
                    dask_graph::Arg::Key(block_key(src, &src_index)),
                ],
            )
        }))
    }
}

/// `array.slice.<T>`: `[spec, new axes, block]`; spec per input axis `(kind, a, b, c)`:
/// kind 0 is the range `a..b` with step `c`, kind 1 the index `a` (axis dropped).
fn slice_op<T: Element>(args: Args) -> OpResult {
    let spec = args.get::<Vec<i64>>(0)?;
    let new_axes = args.get::<Vec<u64>>(1)?;
    let block = block_ref::<T>(args.value(2)?)?;
    if spec.len() != 4 * block.ndim() {
        return Err(format!(
            "slice: {} spec entries for {} axes",
            spec.len(),
            block.ndim()
        )
        .into());
    }
    let view = block.slice_each_axis(|ax| {
        let s = &spec[4 * ax.axis.index()..4 * ax.axis.index() + 4];
        if s[0] == 1 {
            Slice::new(s[1] as isize, Some(s[1] as isize + 1), 1)
        } else {
            Slice::new(s[1] as isize, Some(s[2] as isize), s[3] as isize)
        }
    });
    let mut out = view.as_standard_layout().into_owned();
    for a in (0..block.ndim()).rev() {
        if spec[4 * a] == 1 {
            out = out.index_axis_move(Axis(a), 0);
        }
    }
    for &a in new_axes.iter() {
        out = out.insert_axis(Axis(a as usize));
    }
    Ok(block_value(out))
}

per_element!(fn slice_op_for, "array.slice", slice_op, cheap);
