//! Compressed sparse rows: a list of lists in two flat arrays.

/// `targets[offsets[i]..offsets[i + 1]]` are the neighbours of node `i`.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    /// From per-node lists.
    pub fn from_lists<'a>(lists: impl ExactSizeIterator<Item = &'a [u32]>) -> Csr {
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for l in lists {
            targets.extend_from_slice(l);
            offsets.push(targets.len() as u32);
        }
        Csr { offsets, targets }
    }

    /// From offsets (`n + 1` entries, starting at 0, non-decreasing) and targets.
    pub fn from_parts(offsets: Vec<u32>, targets: Vec<u32>) -> Csr {
        debug_assert_eq!(offsets.first(), Some(&0));
        debug_assert_eq!(offsets.last().copied(), Some(targets.len() as u32));
        Csr { offsets, targets }
    }

    /// The reverse adjacency (dependents from dependencies), each list in ascending order.
    pub fn transpose(&self) -> Csr {
        let n = self.len();
        let mut counts = vec![0u32; n + 1];
        for &t in &self.targets {
            counts[t as usize + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut targets = vec![0u32; self.targets.len()];
        for i in 0..n {
            for &t in self.get(i) {
                let slot = &mut fill[t as usize];
                targets[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Csr { offsets, targets }
    }

    /// The neighbours of `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &[u32] {
        &self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Number of neighbours of `i`.
    #[inline]
    pub fn degree(&self, i: usize) -> usize {
        (self.offsets[i + 1] - self.offsets[i]) as usize
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total number of edges.
    pub fn edges(&self) -> usize {
        self.targets.len()
    }
}

/// A topological order of `deps` (each node after its dependencies), or a cycle
/// (node ids, each depending on the next, the last on the first).
pub(crate) fn toposort(deps: &Csr, dependents: &Csr) -> Result<Vec<u32>, Vec<u32>> {
    toposort_within(deps, dependents, None)
}

/// [`toposort`] restricted to the nodes with `alive[i]` (whose dependencies must all be
/// alive too).
pub(crate) fn toposort_within(
    deps: &Csr,
    dependents: &Csr,
    alive: Option<&[bool]>,
) -> Result<Vec<u32>, Vec<u32>> {
    let n = deps.len();
    let live = |i: usize| alive.is_none_or(|a| a[i]);
    let mut missing: Vec<u32> = (0..n).map(|i| deps.degree(i) as u32).collect();
    let mut out: Vec<u32> = (0..n as u32)
        .filter(|&i| missing[i as usize] == 0 && live(i as usize))
        .collect();
    let total = (0..n).filter(|&i| live(i)).count();
    out.reserve(total - out.len());
    let mut head = 0;
    while head < out.len() {
        let v = out[head] as usize;
        head += 1;
        for &w in dependents.get(v) {
            if !live(w as usize) {
                continue;
            }
            let m = &mut missing[w as usize];
            *m -= 1;
            if *m == 0 {
                out.push(w);
            }
        }
    }
    if out.len() == total {
        return Ok(out);
    }
    // Every node left has an unfinished dependency; following those must revisit a node.
    let start = (0..n).find(|&i| live(i) && missing[i] > 0).unwrap_or(0);
    let mut seen_at = vec![u32::MAX; n];
    let mut path: Vec<u32> = Vec::new();
    let mut v = start;
    loop {
        if seen_at[v] != u32::MAX {
            return Err(path[seen_at[v] as usize..].to_vec());
        }
        seen_at[v] = path.len() as u32;
        path.push(v as u32);
        v = deps
            .get(v)
            .iter()
            .copied()
            .find(|&d| missing[d as usize] > 0)
            .unwrap_or(start as u32) as usize;
    }
}
