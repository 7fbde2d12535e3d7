//! Static, memory-minimizing task priorities.
//!
//! The aim is the one Dask's `order` has: a single worker following the order should
//! finish a branch or a reduction before it loads new inputs, so that memory stays
//! bounded on data larger than memory. The algorithm here is our own and deliberately
//! simple; it combines three moves:
//!
//! 1. **Pick a start.** Prefer a node made ready by work already done (a *frontier*,
//!    most recent first: depth-first); otherwise the next unloaded root, roots sorted by
//!    height (longest path to a sink: the critical path first), then by the approximate
//!    number of descendants, then by id.
//! 2. **Walk up to a target.** From the start, follow the not-yet-ordered dependent with
//!    the greatest height until reaching a node with none: that sink is the target.
//! 3. **Pull the target.** A post-order depth-first walk over its unfinished
//!    dependencies, the dependency with the larger (approximate) ancestor count first —
//!    the Sethi–Ullman rule: the larger subtree first keeps fewer results waiting. Before
//!    loading a new root in the middle of a pull, any sink made ready so far is run
//!    first ("finish what you can before reading more").
//!
//! Ties are broken by dense id, and a node's id is its position in the graph (layer
//! after layer, in insertion order), so the result depends on the graph's shape and the
//! order it was built in, never on how keys are spelled. (DESIGN.md suggests breaking
//! ties by key order; that would make the order depend on spelling, which the same
//! document rules out, so structure wins.) Everything is iterative (no recursion depth limits) and runs in
//! O(edges + roots·log roots).
//!
//! [`memory_pressure`] replays an order on one worker and reports how many results are
//! held just before each task runs; tests assert bounds with it.

use crate::csr::{Csr, toposort};

/// The order of `n` tasks: `order[i]` is the task run `i`-th, `priority[t]` the position
/// of task `t`.
#[derive(Clone, Debug)]
pub struct Ordering {
    /// Task ids in run order.
    pub order: Vec<u32>,
    /// Position of each task in `order` (lower runs first).
    pub priority: Vec<u32>,
}

/// Orders the DAG given by `deps` (and its transpose `dependents`); a cycle is returned
/// as `Err` with the ids on it, each depending on the next.
pub fn order(deps: &Csr, dependents: &Csr) -> Result<Ordering, Vec<u32>> {
    let topo = toposort(deps, dependents)?;
    Ok(order_with_topo(deps, dependents, &topo))
}

/// [`order`], given a topological order of the graph (dependencies first).
pub(crate) fn order_with_topo(deps: &Csr, dependents: &Csr, topo: &[u32]) -> Ordering {
    let n = deps.len();

    // height: longest path (in edges) to a sink; desc: approximate descendant count;
    // anc: approximate ancestor count (both saturate; shared nodes count more than once).
    let mut height = vec![0u32; n];
    let mut desc = vec![0u64; n];
    for &v in topo.iter().rev() {
        let v = v as usize;
        let mut h = 0;
        let mut d = 0u64;
        for &w in dependents.get(v) {
            h = h.max(height[w as usize] + 1);
            d = d.saturating_add(desc[w as usize].saturating_add(1));
        }
        height[v] = h;
        desc[v] = d;
    }
    let mut anc = vec![1u64; n];
    for &v in topo {
        let v = v as usize;
        let mut a = 1u64;
        for &d in deps.get(v) {
            a = a.saturating_add(anc[d as usize]);
        }
        anc[v] = a;
    }

    let mut roots: Vec<u32> = (0..n as u32)
        .filter(|&v| deps.degree(v as usize) == 0)
        .collect();
    roots.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        height[b]
            .cmp(&height[a])
            .then(desc[b].cmp(&desc[a]))
            .then(a.cmp(&b))
    });

    let mut st = State {
        deps,
        dependents,
        height: &height,
        anc: &anc,
        done: vec![false; n],
        missing: (0..n).map(|v| deps.degree(v) as u32).collect(),
        order: Vec::with_capacity(n),
        ready_sinks: Vec::new(),
        frontier: Vec::new(),
        stack: Vec::new(),
        scratch: Vec::new(),
    };

    let mut next_root = 0;
    loop {
        let start = loop {
            match st.frontier.pop() {
                Some(v) if !st.done[v as usize] => break Some(v),
                Some(_) => continue,
                None => {}
            }
            while next_root < roots.len() && st.done[roots[next_root] as usize] {
                next_root += 1;
            }
            break roots.get(next_root).copied();
        };
        let Some(start) = start else { break };
        let target = st.walk_up(start);
        st.pull(target);
    }
    st.flush_sinks();
    debug_assert_eq!(st.order.len(), n);

    let mut priority = vec![0u32; n];
    for (i, &v) in st.order.iter().enumerate() {
        priority[v as usize] = i as u32;
    }
    Ordering {
        order: st.order,
        priority,
    }
}

struct State<'a> {
    deps: &'a Csr,
    dependents: &'a Csr,
    height: &'a [u32],
    anc: &'a [u64],
    done: Vec<bool>,
    /// Dependencies not yet ordered.
    missing: Vec<u32>,
    order: Vec<u32>,
    /// Sinks whose dependencies are all ordered.
    ready_sinks: Vec<u32>,
    /// Nodes made ready, best last.
    frontier: Vec<u32>,
    stack: Vec<u32>,
    scratch: Vec<(u64, u32, u32)>,
}

impl State<'_> {
    fn walk_up(&self, mut v: u32) -> u32 {
        loop {
            let best = self
                .dependents
                .get(v as usize)
                .iter()
                .copied()
                .filter(|&w| !self.done[w as usize])
                .min_by(|&a, &b| {
                    self.height[b as usize]
                        .cmp(&self.height[a as usize])
                        .then(a.cmp(&b))
                });
            match best {
                Some(w) => v = w,
                None => return v,
            }
        }
    }

    fn pull(&mut self, target: u32) {
        self.stack.clear();
        self.stack.push(target);
        while let Some(&v) = self.stack.last() {
            let vi = v as usize;
            if self.done[vi] {
                self.stack.pop();
                continue;
            }
            if self.missing[vi] == 0 {
                self.stack.pop();
                if self.deps.degree(vi) == 0 && !self.order.is_empty() {
                    self.flush_sinks();
                }
                self.emit(v);
                continue;
            }
            // Push unfinished dependencies so that the preferred one is on top: larger
            // ancestor count first, then argument order.
            self.scratch.clear();
            for (pos, &d) in self.deps.get(vi).iter().enumerate() {
                if !self.done[d as usize] {
                    self.scratch.push((self.anc[d as usize], pos as u32, d));
                }
            }
            if self.scratch.len() > 1 {
                self.scratch
                    .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            }
            self.stack.extend(self.scratch.iter().map(|s| s.2));
        }
    }

    fn flush_sinks(&mut self) {
        while let Some(s) = self.ready_sinks.pop() {
            if !self.done[s as usize] {
                self.emit(s);
            }
        }
    }

    fn emit(&mut self, v: u32) {
        self.done[v as usize] = true;
        self.order.push(v);
        let first_new = self.frontier.len();
        let first_sink = self.ready_sinks.len();
        for &w in self.dependents.get(v as usize) {
            let m = &mut self.missing[w as usize];
            *m -= 1;
            if *m == 0 {
                if self.dependents.degree(w as usize) == 0 {
                    self.ready_sinks.push(w);
                }
                self.frontier.push(w);
            }
        }
        // Newly ready nodes: the best (greatest height, then lowest id) last, so it pops
        // first. Ready sinks run in id order.
        let height = self.height;
        self.frontier[first_new..]
            .sort_by(|&a, &b| height[a as usize].cmp(&height[b as usize]).then(b.cmp(&a)));
        self.ready_sinks[first_sink..].sort_by(|a, b| b.cmp(a));
    }
}

/// Replays `order` on one worker: how many results are held just before each task
/// runs (entry `i` is for the `i`-th task in the order). A result is released when its
/// last dependent has run, unless `keep[t]` (a requested result). `order` should be a
/// topological order; if it is not, counts are still finite (never below zero).
pub fn memory_pressure(order: &[u32], deps: &Csr, dependents: &Csr, keep: &[bool]) -> Vec<usize> {
    let n = deps.len();
    let mut remaining: Vec<u32> = (0..n).map(|v| dependents.degree(v) as u32).collect();
    let mut held = 0usize;
    let mut out = Vec::with_capacity(order.len());
    for &v in order {
        out.push(held);
        for &d in deps.get(v as usize) {
            let r = &mut remaining[d as usize];
            *r = r.saturating_sub(1);
            if *r == 0 && !keep[d as usize] {
                held = held.saturating_sub(1);
            }
        }
        if remaining[v as usize] > 0 || keep[v as usize] {
            held += 1;
        }
    }
    out
}
