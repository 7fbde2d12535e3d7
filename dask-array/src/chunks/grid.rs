//! Block-grid geometry: walking a grid of blocks, the region a block covers, common
//! refinements of block boundaries, alignment to a storage grid.
//!
//! Everything here is plain index arithmetic on [`Chunks`] and block positions, shared
//! by the layer builders; none of it knows about graphs or element types. Iteration is
//! always in C order (last axis fastest), the order of an array's keys.

use std::ops::Range;

use super::Chunks;

/// Every block index of a grid with `numblocks` blocks per axis, in C order. A grid
/// with no axes has one (empty) index.
pub(crate) fn block_indices(numblocks: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    let total: usize = numblocks.iter().product();
    let mut next = vec![0usize; numblocks.len()];
    (0..total).map(move |_| {
        let current = next.clone();
        for axis in (0..numblocks.len()).rev() {
            next[axis] += 1;
            if next[axis] < numblocks[axis] {
                break;
            }
            next[axis] = 0;
        }
        current
    })
}

/// Calls `f` on every index of the box `ranges`, in C order.
pub(crate) fn for_each_in_box(ranges: &[Range<usize>], mut f: impl FnMut(&[usize])) {
    if ranges.iter().any(|r| r.is_empty()) {
        return;
    }
    let mut i: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    loop {
        f(&i);
        let mut axis = ranges.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            i[axis] += 1;
            if i[axis] < ranges[axis].end {
                break;
            }
            i[axis] = ranges[axis].start;
        }
    }
}

/// The element ranges, one per axis, that block `index` covers.
pub(crate) fn block_region(chunks: &Chunks, index: &[usize]) -> Vec<Range<usize>> {
    index
        .iter()
        .enumerate()
        .map(|(axis, &i)| chunks.block_range(axis, i).unwrap_or(0..0))
        .collect()
}

/// The common refinement of several block-length lists of one axis.
pub(crate) fn refine(lists: &[&[usize]]) -> Vec<usize> {
    let mut bounds: Vec<usize> = lists
        .iter()
        .flat_map(|l| {
            l.iter().scan(0usize, |acc, &x| {
                *acc += x;
                Some(*acc)
            })
        })
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut prev = 0;
    let mut out = Vec::with_capacity(bounds.len());
    for b in bounds {
        if b > prev {
            out.push(b - prev);
            prev = b;
        }
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// Whether every block boundary of `chunks` falls on the grid (or at the end of an
/// axis).
pub(crate) fn on_grid(chunks: &Chunks, grid: &[usize]) -> bool {
    let shape = chunks.shape();
    chunks
        .per_axis()
        .iter()
        .zip(grid)
        .zip(&shape)
        .all(|((lengths, &g), &n)| {
            let mut at = 0usize;
            lengths.iter().all(|&l| {
                at += l;
                g == 0 || at == n || at.is_multiple_of(g)
            })
        })
}

/// Regular chunks on `grid`: per axis, the multiple of the grid cell closest to the
/// array's current first block length.
pub(crate) fn grid_chunks(chunks: &Chunks, grid: &[usize]) -> Vec<usize> {
    chunks
        .per_axis()
        .iter()
        .zip(grid)
        .map(|(lengths, &g)| {
            let first = lengths.first().copied().unwrap_or(1).max(1);
            let g = g.max(1);
            g * (first + g / 2).div_euclid(g).max(1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_alignment() {
        let c = Chunks::from_lengths(vec![vec![4, 4, 2], vec![3, 3]]);
        assert!(on_grid(&c, &[2, 3]));
        assert!(!on_grid(&c, &[3, 3]));
        assert_eq!(grid_chunks(&c, &[3, 2]), vec![3, 4]);
    }
}
