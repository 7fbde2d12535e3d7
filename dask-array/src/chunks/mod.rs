//! The chunks model: per axis, the lengths of the blocks.
//!
//! [`Chunks`] is Dask's model: explicit block lengths per axis (irregular blocks are
//! fine), with each block's start kept beside them so a block's range is found in
//! constant time. [`normalize_chunks`] turns every way of specifying chunks (a size, a
//! shape, `-1`, lists, "auto") into that form, checked against the shape, with the same
//! sizes Dask picks. The geometry the layer builders need on top of it — walking a
//! block grid, regions, refinements, storage-grid alignment — is in `grid`.

use std::ops::Range;

mod grid;

pub(crate) use grid::{block_indices, block_region, for_each_in_box, grid_chunks, on_grid, refine};

/// Bytes per block aimed at by "auto" chunking (Dask's default `array.chunk-size`).
pub const AUTO_BLOCK_BYTES: usize = 128 << 20;

/// How one axis is cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AxisChunks {
    /// Blocks of this length (the last one shorter if it does not divide the axis).
    Size(usize),
    /// One block spanning the axis (Dask's `-1`).
    Whole,
    /// Sized automatically (see [`AUTO_BLOCK_BYTES`]).
    Auto,
    /// Explicit block lengths, which must sum to the axis's length.
    Lengths(Vec<usize>),
}

impl AxisChunks {
    /// Dask's integer form: a positive block length, or `-1` for the whole axis.
    pub fn from_i64(n: i64) -> Result<AxisChunks, ChunkError> {
        match n {
            -1 => Ok(AxisChunks::Whole),
            n if n > 0 => Ok(AxisChunks::Size(n as usize)),
            n => Err(ChunkError::InvalidSize { value: n }),
        }
    }
}

/// A description of how to cut an array into blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChunkSpec {
    /// "auto" on every axis.
    Auto,
    /// The same block length on every axis.
    Size(usize),
    /// One description per axis.
    PerAxis(Vec<AxisChunks>),
}

impl From<usize> for ChunkSpec {
    fn from(n: usize) -> ChunkSpec {
        ChunkSpec::Size(n)
    }
}

impl<const N: usize> From<[usize; N]> for ChunkSpec {
    fn from(sizes: [usize; N]) -> ChunkSpec {
        ChunkSpec::PerAxis(sizes.into_iter().map(AxisChunks::Size).collect())
    }
}

impl From<Vec<usize>> for ChunkSpec {
    /// One block length per axis, as for an array `[usize; N]`.
    fn from(sizes: Vec<usize>) -> ChunkSpec {
        ChunkSpec::PerAxis(sizes.into_iter().map(AxisChunks::Size).collect())
    }
}

impl From<Vec<AxisChunks>> for ChunkSpec {
    fn from(axes: Vec<AxisChunks>) -> ChunkSpec {
        ChunkSpec::PerAxis(axes)
    }
}

impl From<Vec<Vec<usize>>> for ChunkSpec {
    fn from(lists: Vec<Vec<usize>>) -> ChunkSpec {
        ChunkSpec::PerAxis(lists.into_iter().map(AxisChunks::Lengths).collect())
    }
}

impl From<&Chunks> for ChunkSpec {
    fn from(c: &Chunks) -> ChunkSpec {
        ChunkSpec::from(c.0.clone())
    }
}

/// Why a chunk description does not fit a shape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// One description per axis was expected.
    #[error("chunks are given for {found} axes, but the array has {expected}")]
    AxisCount {
        /// The array's number of axes.
        expected: usize,
        /// The number of descriptions given.
        found: usize,
    },
    /// Block lengths must be positive.
    #[error("a block length of 0 on axis {axis} (length {len}) would make no progress")]
    ZeroBlock {
        /// The axis.
        axis: usize,
        /// The axis's length.
        len: usize,
    },
    /// Explicit lengths must add up to the axis.
    #[error(
        "the chunks of axis {axis} sum to {sum}, but the axis has length {len} ({} too {})",
        sum.abs_diff(*len),
        if sum > len { "many" } else { "few" }
    )]
    Mismatch {
        /// The axis.
        axis: usize,
        /// Its length.
        len: usize,
        /// What the given lengths add up to.
        sum: usize,
    },
    /// Dask's integer form accepts positive lengths and -1 only.
    #[error("invalid block length {value}: use a positive length, or -1 for the whole axis")]
    InvalidSize {
        /// The value given.
        value: i64,
    },
    /// An element size of zero cannot be chunked by bytes.
    #[error("\"auto\" chunks need a positive element size")]
    ZeroItemSize,
    /// More blocks than a graph can hold.
    #[error(
        "axis {axis} would have {blocks} blocks; the limit is {MAX_BLOCKS} blocks per axis and in all (use larger blocks)"
    )]
    TooManyBlocks {
        /// The axis (or the last axis, for the total).
        axis: usize,
        /// How many blocks it would have.
        blocks: u128,
    },
    /// Block lengths whose sum overflows.
    #[error("the chunks of axis {axis} add up to more than any length")]
    Overflow {
        /// The axis.
        axis: usize,
    },
}

/// The most blocks an axis, or a whole array, may have.
pub const MAX_BLOCKS: usize = 100_000_000;

/// Explicit block lengths along each axis of an array (with each block's start, kept
/// alongside so that a block's range is found in constant time).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Chunks(Vec<Vec<usize>>, Vec<Vec<usize>>);

impl Chunks {
    /// Chunks from explicit per-axis lengths, checked against nothing but themselves
    /// (every axis has at least one block). Use [`normalize_chunks`] to check a shape.
    pub fn from_lengths(per_axis: Vec<Vec<usize>>) -> Chunks {
        let lengths: Vec<Vec<usize>> = per_axis
            .into_iter()
            .map(|a| if a.is_empty() { vec![0] } else { a })
            .collect();
        let starts = lengths
            .iter()
            .map(|a| {
                a.iter()
                    .scan(0usize, |acc, &l| {
                        let s = *acc;
                        *acc = acc.saturating_add(l);
                        Some(s)
                    })
                    .collect()
            })
            .collect();
        Chunks(lengths, starts)
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.0.len()
    }

    /// The block lengths along `axis`.
    pub fn axis(&self, axis: usize) -> &[usize] {
        &self.0[axis]
    }

    /// Every axis's block lengths.
    pub fn per_axis(&self) -> &[Vec<usize>] {
        &self.0
    }

    /// The array's shape.
    pub fn shape(&self) -> Vec<usize> {
        self.0.iter().map(|a| a.iter().sum()).collect()
    }

    /// Blocks along each axis.
    pub fn numblocks(&self) -> Vec<usize> {
        self.0.iter().map(Vec::len).collect()
    }

    /// Blocks in all.
    pub fn num_blocks_total(&self) -> usize {
        self.0.iter().map(Vec::len).product()
    }

    /// The element range of block `i` along `axis`.
    pub fn block_range(&self, axis: usize, i: usize) -> Option<Range<usize>> {
        let len = *self.0.get(axis)?.get(i)?;
        let start = *self.1.get(axis)?.get(i)?;
        Some(start..start + len)
    }

    /// The shape of the block at `index` (one block number per axis).
    pub fn block_shape(&self, index: &[usize]) -> Option<Vec<usize>> {
        if index.len() != self.ndim() {
            return None;
        }
        index
            .iter()
            .zip(&self.0)
            .map(|(&i, lens)| lens.get(i).copied())
            .collect()
    }

    /// The largest block's number of elements.
    pub fn max_block_elements(&self) -> usize {
        self.0
            .iter()
            .map(|a| a.iter().copied().max().unwrap_or(0))
            .product()
    }
}

/// Turns `spec` into explicit block lengths for an array of `shape` whose elements take
/// `itemsize` bytes ("auto" sizes use it; other forms ignore it).
///
/// ```
/// use dask_array::{AxisChunks, Chunks, normalize_chunks};
/// let c = normalize_chunks(vec![AxisChunks::Size(3), AxisChunks::Whole], &[10, 5], 8)?;
/// assert_eq!(c.per_axis(), &[vec![3, 3, 3, 1], vec![5]]);
/// let err = normalize_chunks(vec![vec![2, 3]], &[10], 8).unwrap_err();
/// assert_eq!(err.to_string(), "the chunks of axis 0 sum to 5, but the axis has length 10 (5 too few)");
/// # Ok::<(), dask_array::ChunkError>(())
/// ```
pub fn normalize_chunks(
    spec: impl Into<ChunkSpec>,
    shape: &[usize],
    itemsize: usize,
) -> Result<Chunks, ChunkError> {
    let axes: Vec<AxisChunks> = match spec.into() {
        ChunkSpec::Auto => vec![AxisChunks::Auto; shape.len()],
        ChunkSpec::Size(n) => vec![AxisChunks::Size(n); shape.len()],
        ChunkSpec::PerAxis(axes) => axes,
    };
    if axes.len() != shape.len() {
        return Err(ChunkError::AxisCount {
            expected: shape.len(),
            found: axes.len(),
        });
    }
    let auto_sizes = auto_sizes(&axes, shape, itemsize)?;
    let mut out = Vec::with_capacity(shape.len());
    for (axis, (spec, &len)) in axes.iter().zip(shape).enumerate() {
        let lengths = match spec {
            AxisChunks::Whole => vec![len],
            AxisChunks::Size(n) => regular(axis, len, *n)?,
            AxisChunks::Auto => regular(axis, len, auto_sizes[axis])?,
            AxisChunks::Lengths(lens) => {
                let sum = lens
                    .iter()
                    .try_fold(0usize, |a, &b| a.checked_add(b))
                    .ok_or(ChunkError::Overflow { axis })?;
                if sum != len {
                    return Err(ChunkError::Mismatch { axis, len, sum });
                }
                if lens.is_empty() {
                    vec![0]
                } else {
                    lens.clone()
                }
            }
        };
        out.push(lengths);
    }
    let total = out
        .iter()
        .fold(1u128, |t, a| t.saturating_mul(a.len() as u128));
    if total > MAX_BLOCKS as u128 {
        return Err(ChunkError::TooManyBlocks {
            axis: shape.len().saturating_sub(1),
            blocks: total,
        });
    }
    Ok(Chunks::from_lengths(out))
}

/// Blocks of `size` along an axis of `len` (the last one shorter); one empty block for
/// an empty axis.
fn regular(axis: usize, len: usize, size: usize) -> Result<Vec<usize>, ChunkError> {
    if len == 0 {
        return Ok(vec![0]);
    }
    if size == 0 {
        return Err(ChunkError::ZeroBlock { axis, len });
    }
    let blocks = len.div_ceil(size);
    if blocks > MAX_BLOCKS {
        return Err(ChunkError::TooManyBlocks {
            axis,
            blocks: blocks as u128,
        });
    }
    let mut v = vec![size; len / size];
    if !len.is_multiple_of(size) {
        v.push(len % size);
    }
    Ok(v)
}

/// Block lengths for the "auto" axes (0 elsewhere): the element budget
/// [`AUTO_BLOCK_BYTES`]` / itemsize`, divided by the largest block of every fixed axis,
/// is shared evenly among the auto axes (each gets the integer root), except that an
/// axis shorter than its share keeps its whole length and leaves the rest to the others
/// — as Python Dask does.
fn auto_sizes(
    axes: &[AxisChunks],
    shape: &[usize],
    itemsize: usize,
) -> Result<Vec<usize>, ChunkError> {
    let mut sizes = vec![0usize; shape.len()];
    let mut auto: Vec<usize> = (0..axes.len())
        .filter(|&i| axes[i] == AxisChunks::Auto)
        .collect();
    if auto.is_empty() {
        return Ok(sizes);
    }
    if itemsize == 0 {
        return Err(ChunkError::ZeroItemSize);
    }
    let mut budget = (AUTO_BLOCK_BYTES / itemsize) as f64;
    for (i, spec) in axes.iter().enumerate() {
        let fixed = match spec {
            AxisChunks::Auto => continue,
            AxisChunks::Whole => shape[i],
            AxisChunks::Size(n) => (*n).min(shape[i]),
            AxisChunks::Lengths(l) => l.iter().copied().max().unwrap_or(0),
        };
        budget /= fixed.max(1) as f64;
    }
    // Axes shorter than an even share take their whole length and leave the rest of
    // the budget to the longer ones; those then all get the same side.
    auto.sort_by_key(|&i| shape[i]);
    let mut left = auto.len();
    let mut rest = auto.into_iter().peekable();
    while let Some(&i) = rest.peek() {
        let side = integer_root(budget, left as u32).max(1);
        if shape[i] < side {
            sizes[i] = shape[i].max(1);
            budget /= sizes[i] as f64;
            left -= 1;
            rest.next();
        } else {
            for j in rest.by_ref() {
                sizes[j] = side.min(shape[j].max(1));
            }
        }
    }
    Ok(sizes)
}

/// The largest integer `r` with `r^k <= x` (for `x >= 1`).
fn integer_root(x: f64, k: u32) -> usize {
    if x < 1.0 {
        return 1;
    }
    let mut r = x.powf(1.0 / f64::from(k)).floor() as usize;
    while r > 1 && (r as f64).powi(k as i32) > x {
        r -= 1;
    }
    while ((r + 1) as f64).powi(k as i32) <= x {
        r += 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_roots() {
        assert_eq!(integer_root(16_777_216.0, 2), 4096);
        assert_eq!(integer_root(33_554_432.0, 3), 322);
        assert_eq!(integer_root(0.5, 2), 1);
        assert_eq!(integer_root(8.0, 3), 2);
    }
}
