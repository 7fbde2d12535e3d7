//! Changing an array's chunks.
//!
//! Each output block is assembled from the pieces of the input blocks it overlaps
//! (an output block that is exactly one input block is an alias: no task, no copy).
//! When that would make tasks with a large fan-in — rechunking rows into columns makes
//! every output block read every input block along an axis — the plan goes through
//! intermediate chunks whose size along each axis is the geometric mean of the old and
//! new sizes, splitting one expensive step into two cheap ones (recursively, a few
//! levels at most), as Dask's `plan_rechunk` does with its intermediate chunks.

use dask_graph::{Arg, Args, Node, OpResult};
use ndarray::{ArrayD, IxDyn, Slice};

use crate::array::Array;
use crate::block::{block_ref, block_value, filled};
use crate::chunks::{ChunkSpec, Chunks, for_each_in_box};
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit, lit_usizes, task, usizes_arg};

/// Most input blocks one output block may read before an intermediate step is used.
pub const MAX_FAN_IN: usize = 64;

/// How deep intermediate steps may nest.
const MAX_STEPS: usize = 4;

/// One input block's contribution along one axis: `(input block, range in it, offset in
/// the output block)`.
type Piece = (usize, std::ops::Range<usize>, usize);

/// For each output block along an axis, the input pieces it needs.
fn axis_pieces(old: &[usize], new: &[usize]) -> Vec<Vec<Piece>> {
    let mut out = Vec::with_capacity(new.len());
    let (mut i, mut i_start) = (0usize, 0usize);
    let mut pos = 0usize;
    for &len in new {
        let end = pos + len;
        let mut pieces = Vec::new();
        // Skip input blocks that end before this output block starts.
        while i < old.len() && i_start + old[i] <= pos && old[i] > 0 {
            i_start += old[i];
            i += 1;
        }
        let (mut j, mut j_start) = (i, i_start);
        let mut p = pos;
        while p < end && j < old.len() {
            let j_end = j_start + old[j];
            let take_end = end.min(j_end);
            if take_end > p {
                pieces.push((j, (p - j_start)..(take_end - j_start), p - pos));
                p = take_end;
            }
            if take_end == j_end {
                j_start = j_end;
                j += 1;
            }
        }
        if pieces.is_empty() {
            // An empty output block: an empty piece of the nearest input block.
            let k = i.min(old.len().saturating_sub(1));
            pieces.push((k, 0..0, 0));
        }
        out.push(pieces);
        pos = end;
    }
    out
}

/// The largest number of input blocks one output block reads.
fn fan_in(old: &Chunks, new: &Chunks) -> usize {
    (0..old.ndim())
        .map(|a| {
            axis_pieces(old.axis(a), new.axis(a))
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(1)
        })
        .product()
}

/// Regular chunks of `size` over `len` (the last one shorter; `[0]` for an empty axis).
pub(super) fn regular(len: usize, size: usize) -> Vec<usize> {
    if len == 0 {
        return vec![0];
    }
    let size = size.clamp(1, len);
    let mut v = vec![size; len / size];
    if !len.is_multiple_of(size) {
        v.push(len % size);
    }
    v
}

/// Intermediate chunks between `old` and `new`: per axis, blocks of the geometric mean
/// of the two typical sizes (the same chunks where the two agree).
fn intermediate(old: &Chunks, new: &Chunks) -> Chunks {
    Chunks::from_lengths(
        (0..old.ndim())
            .map(|a| {
                let (o, n) = (old.axis(a), new.axis(a));
                if o == n {
                    return o.to_vec();
                }
                let len: usize = o.iter().sum();
                let typical = |c: &[usize]| c.iter().copied().max().unwrap_or(1).max(1) as f64;
                let size = (typical(o) * typical(n)).sqrt().round() as usize;
                regular(len, size)
            })
            .collect(),
    )
}

impl<T: Element> Array<T> {
    /// The same array cut into new blocks (any [`ChunkSpec`]: a size, a shape, `-1` for
    /// whole axes, explicit lists, or "auto").
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let x = Array::<i64>::arange(0, 10, 1, 3)?;
    /// let y = x.rechunk(vec![vec![5, 5]])?;
    /// assert_eq!(y.chunks().axis(0), &[5, 5]);
    /// assert_eq!(y.compute(&SyncScheduler)?, x.compute(&SyncScheduler)?);
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn rechunk(&self, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        let target = self.normalize(chunks)?;
        self.rechunk_to(&target)
    }

    /// Rechunks to explicit chunks (which must describe this array's shape).
    pub(crate) fn rechunk_to(&self, target: &Chunks) -> Result<Array<T>> {
        if target.shape() != self.shape() {
            return Err(invalid(
                "rechunk",
                format!(
                    "chunks of shape {} do not fit an array of shape {}",
                    shape_str(&target.shape()),
                    shape_str(&self.shape())
                ),
            ));
        }
        self.rechunk_steps(target, MAX_STEPS)
    }

    fn rechunk_steps(&self, target: &Chunks, depth: usize) -> Result<Array<T>> {
        if *target == self.chunks {
            return Ok(self.clone());
        }
        if depth > 0 && fan_in(&self.chunks, target) > MAX_FAN_IN {
            let mid = intermediate(&self.chunks, target);
            if mid != self.chunks && mid != *target {
                return self
                    .rechunk_steps(&mid, depth - 1)?
                    .rechunk_steps(target, depth - 1);
            }
        }
        Ok(self.rechunk_direct(target))
    }

    fn rechunk_direct(&self, target: &Chunks) -> Array<T> {
        let ndim = self.ndim();
        let pieces: Vec<Vec<Vec<Piece>>> = (0..ndim)
            .map(|a| axis_pieces(self.chunks.axis(a), target.axis(a)))
            .collect();
        let name = layer_name("rechunk", &(self.name(), target.per_axis().to_vec()));
        let src = &self.name;
        let old = &self.chunks;
        let op = assemble_op_for::<T>();
        build(&[&self.graph], name, target.clone(), |index| {
            let per_axis: Vec<&Vec<Piece>> = (0..ndim).map(|a| &pieces[a][index[a]]).collect();
            // Exactly one whole input block: an alias.
            if per_axis.iter().enumerate().all(|(a, p)| {
                p.len() == 1
                    && p[0].1.start == 0
                    && Some(p[0].1.len()) == old.axis(a).get(p[0].0).copied()
            }) {
                let src_index: Vec<usize> = per_axis.iter().map(|p| p[0].0).collect();
                return Node::Alias(block_key(src, &src_index));
            }
            let out_shape = target.block_shape(index).unwrap_or_default();
            let mut spec: Vec<u64> = Vec::new();
            let mut blocks = Vec::new();
            let ranges: Vec<std::ops::Range<usize>> = per_axis.iter().map(|p| 0..p.len()).collect();
            for_each_in_box(&ranges, |which| {
                let mut src_index = Vec::with_capacity(ndim);
                for (a, &w) in which.iter().enumerate() {
                    let (blk, r, dst) = &per_axis[a][w];
                    src_index.push(*blk);
                    spec.extend([r.start as u64, r.end as u64, *dst as u64]);
                }
                blocks.push(Arg::Key(block_key(src, &src_index)));
            });
            let mut args = vec![lit_usizes(&out_shape), lit(spec)];
            args.extend(blocks);
            task(op, args)
        })
    }
}

/// `array.assemble.<T>`: `[out shape, spec, blocks...]`; for each block, per axis
/// `(start, end, offset)`: the block's `start..end` goes to `offset..` of the output.
fn assemble_op<T: Element>(args: Args) -> OpResult {
    let shape = usizes_arg(&args, 0)?;
    let spec = args.get::<Vec<u64>>(1)?;
    let ndim = shape.len();
    let blocks = &args.values()[2..];
    if spec.len() != blocks.len() * ndim * 3 {
        return Err(format!(
            "assemble: {} spec entries for {} blocks of {} axes",
            spec.len(),
            blocks.len(),
            ndim
        )
        .into());
    }
    let len = shape.iter().product();
    let mut out = ArrayD::from_shape_vec(IxDyn(&shape), filled(len, T::default()))?;
    for (b, v) in blocks.iter().enumerate() {
        let block = block_ref::<T>(v)?;
        let s = &spec[b * ndim * 3..(b + 1) * ndim * 3];
        let fits = block.ndim() == ndim
            && (0..ndim).all(|a| {
                let (start, end, off) = (
                    s[3 * a] as usize,
                    s[3 * a + 1] as usize,
                    s[3 * a + 2] as usize,
                );
                start <= end && end <= block.shape()[a] && off + (end - start) <= shape[a]
            });
        if block.ndim() != ndim || !fits {
            return Err(format!(
                "assemble: piece {b} does not fit (block of shape {:?}, output {:?})",
                block.shape(),
                shape
            )
            .into());
        }
        let piece = block.slice_each_axis(|ax| {
            let a = ax.axis.index();
            Slice::from(s[3 * a] as usize..s[3 * a + 1] as usize)
        });
        let mut dst = out.slice_each_axis_mut(|ax| {
            let a = ax.axis.index();
            let (start, end, off) = (
                s[3 * a] as usize,
                s[3 * a + 1] as usize,
                s[3 * a + 2] as usize,
            );
            Slice::from(off..off + (end - start))
        });
        dst.assign(&piece);
    }
    Ok(block_value(out))
}

per_element!(fn assemble_op_for, "array.assemble", assemble_op);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_each_output_block() {
        let p = axis_pieces(&[3, 3, 4], &[5, 5]);
        assert_eq!(p[0], vec![(0, 0..3, 0), (1, 0..2, 3)]);
        assert_eq!(p[1], vec![(1, 2..3, 0), (2, 0..4, 1)]);
    }

    #[test]
    fn rows_to_columns_goes_through_an_intermediate() {
        let old = Chunks::from_lengths(vec![vec![1000], regular(1000, 10)]);
        let new = Chunks::from_lengths(vec![regular(1000, 10), vec![1000]]);
        assert!(fan_in(&old, &new) > MAX_FAN_IN);
        let mid = intermediate(&old, &new);
        assert!(fan_in(&old, &mid) <= MAX_FAN_IN);
        assert!(fan_in(&mid, &new) <= MAX_FAN_IN);
    }
}
