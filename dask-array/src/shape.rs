//! Shape operations: slicing, transpose, reshape, concatenate, stack, squeeze,
//! expand_dims.
//!
//! All of them work block by block: a slice reads only the blocks it touches (and an
//! output block is a slice of exactly one input block), transpose permutes the block
//! grid and each block, concatenate and stack re-key existing blocks without tasks.
//! Reshape is blockwise when the input's blocks are whole along the axes that are
//! merged or split; otherwise the input is rechunked first so that they are (the same
//! approach as Dask: the leading axes that keep their length keep their chunks).

use dask_graph::{Args, Node, OpResult};
use ndarray::{ArrayD, Axis, IxDyn, Slice, SliceInfoElem};

use crate::array::{Array, block_key, build, layer_name, lit, lit_usizes, task};
use crate::block::{block_value, take_block};
use crate::chunks::Chunks;
use crate::element::Element;
use crate::elementwise::refine;
use crate::error::{Result, invalid, resolve_axis, shape_str};
use crate::rechunk::regular;

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
        let op = T::ops().slice;
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
        let op = T::ops().transpose;
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
                    T::ops().reshape,
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
        let op = T::ops().reshape;
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
        let op = T::ops().squeeze;
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

/// Joins arrays along an existing axis. Their shapes must agree on every other axis;
/// chunks on the other axes are unified (rechunked to their common refinement).
///
/// ```
/// use dask_array::{Array, concatenate};
/// use dask_graph::SyncScheduler;
/// let a = Array::<i64>::arange(0, 4, 1, 2)?;
/// let b = Array::<i64>::arange(4, 7, 1, 3)?;
/// let c = concatenate(&[&a, &b], 0)?;
/// assert_eq!(c.chunks().axis(0), &[2, 2, 3]);
/// assert_eq!(c.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![0, 1, 2, 3, 4, 5, 6]);
/// # Ok::<(), dask_array::Error>(())
/// ```
pub fn concatenate<T: Element>(arrays: &[&Array<T>], axis: isize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("concatenate", "need at least one array"))?;
    let ndim = first.ndim();
    let ax = resolve_axis("concatenate", axis, ndim)?;
    let shape0 = first.shape();
    for (i, a) in arrays.iter().enumerate() {
        let s = a.shape();
        let mismatch = s.len() != ndim || (0..ndim).any(|d| d != ax && s[d] != shape0[d]);
        if mismatch {
            return Err(invalid(
                "concatenate",
                format!(
                    "array {i} has shape {} but array 0 has {}; all axes but {ax} must match",
                    shape_str(&s),
                    shape_str(&shape0)
                ),
            ));
        }
    }
    // Unify the other axes' chunks.
    let common: Vec<Vec<usize>> = (0..ndim)
        .map(|d| {
            if d == ax {
                Vec::new()
            } else {
                let lists: Vec<&[usize]> = arrays.iter().map(|a| a.chunks.axis(d)).collect();
                refine(&lists)
            }
        })
        .collect();
    let aligned: Vec<Array<T>> = arrays
        .iter()
        .map(|a| {
            let target: Vec<Vec<usize>> = (0..ndim)
                .map(|d| {
                    if d == ax {
                        a.chunks.axis(d).to_vec()
                    } else {
                        common[d].clone()
                    }
                })
                .collect();
            a.rechunk_to(&Chunks::from_lengths(target))
        })
        .collect::<Result<_>>()?;
    let mut per_axis = common;
    per_axis[ax] = aligned
        .iter()
        .flat_map(|a| a.chunks.axis(ax).to_vec())
        .collect();
    // Which input holds each block along `ax`.
    let owners: Vec<(usize, usize)> = aligned
        .iter()
        .enumerate()
        .flat_map(|(i, a)| (0..a.chunks.axis(ax).len()).map(move |b| (i, b)))
        .collect();
    let names: Vec<&str> = aligned.iter().map(|a| a.name()).collect();
    let name = layer_name("concatenate", &(names, ax));
    let graphs: Vec<&dask_graph::Graph> = aligned.iter().map(|a| &a.graph).collect();
    Ok(build(
        &graphs,
        name,
        Chunks::from_lengths(per_axis),
        |index| {
            let (i, b) = owners[index[ax]];
            let mut src = index.to_vec();
            src[ax] = b;
            Node::Alias(block_key(&aligned[i].name, &src))
        },
    ))
}

/// Joins arrays of one shape along a new axis.
pub fn stack<T: Element>(arrays: &[&Array<T>], axis: isize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("stack", "need at least one array"))?;
    let shape0 = first.shape();
    if let Some((i, a)) = arrays.iter().enumerate().find(|(_, a)| a.shape() != shape0) {
        return Err(invalid(
            "stack",
            format!(
                "array {i} has shape {} but array 0 has {}; stacked arrays must have one shape",
                shape_str(&a.shape()),
                shape_str(&shape0)
            ),
        ));
    }
    let ax = resolve_axis("stack", axis, first.ndim() + 1)?;
    let expanded: Vec<Array<T>> = arrays
        .iter()
        .map(|a| a.expand_dims(ax as isize))
        .collect::<Result<_>>()?;
    let refs: Vec<&Array<T>> = expanded.iter().collect();
    concatenate(&refs, ax as isize)
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

// ---------------------------------------------------------------------------------------
// Kernels.

/// `array.slice.<T>`: `[spec, new axes, block]`; spec per input axis `(kind, a, b, c)`:
/// kind 0 is the range `a..b` with step `c`, kind 1 the index `a` (axis dropped).
pub(crate) fn slice_op<T: Element>(args: Args) -> OpResult {
    let spec = args.get::<Vec<i64>>(0)?;
    let new_axes = args.get::<Vec<u64>>(1)?;
    let block = crate::block::block_ref::<T>(args.value(2)?)?;
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

/// `array.transpose.<T>`: `[axes, block]`.
pub(crate) fn transpose_op<T: Element>(args: Args) -> OpResult {
    let axes: Vec<usize> = args
        .get::<Vec<u64>>(0)?
        .iter()
        .map(|&a| a as usize)
        .collect();
    let v = args.value(1)?.clone();
    drop(args);
    let ndim = crate::block::block_ref::<T>(&v)?.ndim();
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
    let block = crate::block::block_ref::<T>(&v)?;
    let out = if axes == [1, 0]
        && let Some(xs) = block.as_slice()
    {
        let (rows, cols) = (block.shape()[0], block.shape()[1]);
        ArrayD::from_shape_vec(IxDyn(&[cols, rows]), transpose_gather(xs, rows, cols))?
    } else {
        let view = block.view().permuted_axes(IxDyn(&axes));
        view.as_standard_layout().into_owned()
    };
    crate::block::recycle_value::<T>(v);
    Ok(block_value(out))
}

/// A C-order `rows x cols` matrix transposed by gathering each column in turn.
///
/// The writes are sequential (no zero-filling first, no scattered stores), and the
/// reads of a column touch one cache line per row, which the next seven columns then
/// find in the cache. Measured on 1000 x 1000 blocks here, this beats a 32 x 32 tiled
/// copy by about a quarter.
fn transpose_gather<T: Element>(xs: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = crate::block::alloc(rows * cols);
    if rows == 0 {
        return out;
    }
    for j in 0..cols {
        out.extend(xs[j..].iter().step_by(cols).take(rows).copied());
    }
    out
}

/// `array.reshape.<T>`: `[shape, block]` (C order).
pub(crate) fn reshape_op<T: Element>(args: Args) -> OpResult {
    let shape: Vec<usize> = args
        .get::<Vec<u64>>(0)?
        .iter()
        .map(|&d| d as usize)
        .collect();
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
