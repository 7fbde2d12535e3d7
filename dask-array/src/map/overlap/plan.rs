//! The gathering plan of `overlap`: for each axis and block, the positions the
//! expanded block needs, the pieces of source blocks that hold them, and how to
//! rearrange the gathered run at the array's edges.

use super::Boundary;

/// A map entry for a cell filled with the axis' constant.
pub(super) const CONSTANT: u64 = u64::MAX;

/// One expanded block along one axis.
#[derive(Debug)]
pub(super) struct AxisBlock {
    /// Margin cells before and after the block.
    pub(super) ghost: (usize, usize),
    /// `(source block, range in it, offset in the gathered run)`.
    pub(super) pieces: Vec<(usize, std::ops::Range<usize>, usize)>,
    /// The length of the gathered run (the distinct positions needed, in order).
    pub(super) gathered: usize,
    /// Expanded position → position in the gathered run ([`CONSTANT`] for a fill);
    /// empty when it is the identity.
    pub(super) map: Vec<u64>,
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
pub(super) fn plan_axis<T>(
    chunks: &[usize],
    depth: usize,
    boundary: &Boundary<T>,
) -> Vec<AxisBlock> {
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
pub(super) fn nones<T>(boundary: &[Boundary<T>]) -> Vec<bool> {
    boundary
        .iter()
        .map(|b| matches!(b, Boundary::None))
        .collect()
}

/// Merges edge chunks shorter than `depth` into their neighbours (for
/// [`Boundary::None`], so that every inner margin is the full depth).
pub(super) fn widen_edges(chunks: &[usize], depth: usize) -> Vec<usize> {
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
