//! Graph optimizations: `cull`, `inline` and `fuse_linear`.
//!
//! Each is a pure function from graph to graph (the public functions here), and each can
//! be switched off per compute with [`Optimizations`]. Internally they rewrite the dense
//! IR that [`Plan::build`](crate::Plan::build) makes anyway, so optimizing a
//! million-task graph costs a few passes over flat arrays, not hash-map surgery.
//!
//! Invariants (property-tested on random DAGs in `tests/optimize_props.rs`): results of
//! requested keys are unchanged; `cull` keeps exactly the ancestors of the requested
//! keys; no task runs twice (nothing is duplicated into several dependents except plain
//! data and input-less tasks of operations registered as *generators*, which are
//! cheaper to recompute than to keep); no pass increases the number of tasks; requested keys are never removed.

use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::graph::Graph;
use crate::ir::Ir;
use crate::key::Key;
use crate::op::{IDENTITY, Op};
use crate::program::{PArg, PStep, Program};
use crate::task::Node;

/// Which optimizations a compute applies (all on by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Optimizations {
    /// Drop everything the requested keys do not need.
    pub cull: bool,
    /// Substitute data and aliases into their dependents, and fold cheap operations
    /// into their only dependent.
    pub inline: bool,
    /// Collapse linear chains into single tasks.
    pub fuse: bool,
}

impl Default for Optimizations {
    fn default() -> Self {
        Optimizations::all()
    }
}

impl Optimizations {
    /// Every optimization.
    pub const fn all() -> Self {
        Optimizations {
            cull: true,
            inline: true,
            fuse: true,
        }
    }

    /// None: the plan runs every node of the graph as written.
    pub const fn none() -> Self {
        Optimizations {
            cull: false,
            inline: false,
            fuse: false,
        }
    }

    /// Culling only.
    pub const fn cull_only() -> Self {
        Optimizations {
            cull: true,
            inline: false,
            fuse: false,
        }
    }
}

/// Keeps exactly the ancestors of `keys` (and the keys themselves).
///
/// ```
/// use dask_graph::{Graph, Layer, Value, optimize::cull};
/// let mut l = Layer::new("l");
/// l.data("a", Value::new(1i64)).alias("b", "a").data("unused", Value::new(2i64));
/// let g = cull(&Graph::from_layers([l]), &["b".into()]).unwrap();
/// assert_eq!(g.len(), 2);
/// ```
pub fn cull(graph: &Graph, keys: &[Key]) -> Result<Graph> {
    Ok(Ir::build(graph, keys, true)?.to_graph())
}

/// Substitutes data nodes and aliases into their dependents and folds cheap operations
/// into their only dependent; `keys` are kept addressable.
pub fn inline(graph: &Graph, keys: &[Key]) -> Result<Graph> {
    let mut ir = Ir::build(graph, keys, false)?;
    inline_ir(&mut ir);
    Ok(ir.to_graph())
}

/// Collapses chains (a task whose only dependent has no other dependency) into one
/// fused task named after the chain's last key; `keys` are kept addressable.
pub fn fuse_linear(graph: &Graph, keys: &[Key]) -> Result<Graph> {
    let mut ir = Ir::build(graph, keys, false)?;
    fuse_ir(&mut ir);
    Ok(ir.to_graph())
}

/// Data values larger than this are substituted only into a single user.
pub const INLINE_DATA_LIMIT: usize = 64 * 1024;

enum Kind {
    Literal(PArg),
    Alias(u32),
    CheapTask,
    /// An input-less task of a generator operation: copied into every dependent.
    Generator,
    Other,
}

fn classify(ir: &Ir<'_>, v: u32) -> Kind {
    if let Some(r) = &ir.rewritten[v as usize] {
        let prog = &r.prog;
        if let [step] = prog.steps.as_slice()
            && step.args.len() == 1
            && step.op.same_as(&Op::Registered(&IDENTITY))
        {
            match &step.args[0] {
                PArg::Literal(_) => return Kind::Literal(step.args[0].clone()),
                PArg::Node(t) => return Kind::Alias(*t),
                _ => {}
            }
        }
        return if r.cheap {
            Kind::CheapTask
        } else {
            Kind::Other
        };
    }
    match ir.node(v) {
        Node::Data(value) => Kind::Literal(PArg::Literal(value.clone())),
        Node::Alias(_) => Kind::Alias(ir.deps(v)[0]),
        Node::Task(t) if t.op.is_generator() && ir.deps(v).is_empty() => Kind::Generator,
        Node::Task(t) if t.op.is_cheap() => Kind::CheapTask,
        Node::Fused(f) if f.steps.iter().all(|s| s.op.is_cheap()) => Kind::CheapTask,
        _ => Kind::Other,
    }
}

/// A change to apply to a node's program when its turn comes (batched, so a node with
/// many substituted inputs is rewritten once).
enum Pending {
    /// References to node `.0` become `.1`.
    Replace(u32, PArg),
    /// Node `.0`'s program (with its dependencies `.2`) is prepended; references to it
    /// become its last step.
    Merge(u32, Program, Vec<u32>),
}

pub(crate) fn inline_ir(ir: &mut Ir<'_>) {
    let dependents = ir.dependents();
    let mut pending: FxHashMap<u32, Vec<Pending>> = FxHashMap::default();
    let topo = std::mem::take(&mut ir.topo);
    for &v in &topo {
        let vi = v as usize;
        if let Some(changes) = pending.remove(&v) {
            apply(ir, v, changes);
        }
        if ir.is_requested[vi] || !ir.alive[vi] {
            continue;
        }
        // Exactly the live dependents: a node loses a dependency only when that
        // dependency is processed, and gains one only from nodes processed later.
        let mut users = dependents
            .get(vi)
            .iter()
            .copied()
            .filter(|&w| ir.alive[w as usize]);
        let replacement = match classify(ir, v) {
            Kind::Other => continue,
            Kind::Alias(t) => PArg::Node(t),
            Kind::Literal(lit) => {
                // A large value used by several tasks stays one node: copied into each
                // user it would cross a process boundary once per user.
                if let PArg::Literal(value) = &lit
                    && value.nbytes() > INLINE_DATA_LIMIT
                    && users.clone().nth(1).is_some()
                {
                    continue;
                }
                lit
            }
            // Folding a cheap task into its only user never widens the user: a task
            // with several inputs stays a task of its own, so a tree of cheap
            // reductions keeps its shape (parallelism, and memory bounded by `order`).
            // A generator is recomputed by each dependent rather than kept for them all
            // (the one exception to "no task runs twice": it has no inputs, and its
            // result would otherwise wait in memory for its last reader).
            Kind::Generator => {
                let users: Vec<u32> = users.collect();
                if !users.is_empty() {
                    let prog = ir.take_program(v);
                    for w in users {
                        pending.entry(w).or_default().push(Pending::Merge(
                            v,
                            prog.clone(),
                            Vec::new(),
                        ));
                    }
                    ir.alive[vi] = false;
                }
                continue;
            }
            Kind::CheapTask => {
                if ir.deps(v).len() <= 1
                    && let (Some(w), None) = (users.next(), users.next())
                {
                    let deps = ir.deps(v).to_vec();
                    let prog = ir.take_program(v);
                    pending
                        .entry(w)
                        .or_default()
                        .push(Pending::Merge(v, prog, deps));
                    ir.alive[vi] = false;
                }
                continue;
            }
        };
        let mut any = false;
        for w in users {
            any = true;
            pending
                .entry(w)
                .or_default()
                .push(Pending::Replace(v, replacement.clone()));
        }
        ir.alive[vi] &= !any;
    }
    ir.topo = topo;
}

fn apply(ir: &mut Ir<'_>, w: u32, changes: Vec<Pending>) {
    let old_deps = ir.deps(w).to_vec();
    let prog = ir.take_program(w);
    let mut map: FxHashMap<u32, PArg> = FxHashMap::default();
    let mut steps: Vec<PStep> = Vec::new();
    let mut deps: Vec<u32> = Vec::new();
    for c in changes {
        // The first merged program's steps need no renumbering: reuse its vector, so a
        // chain of merges stays linear.
        if steps.is_empty()
            && let Pending::Merge(v, vprog, vdeps) = c
        {
            steps = vprog.steps;
            deps.extend(vdeps);
            map.insert(
                v,
                PArg::Step {
                    j: steps.len() as u32 - 1,
                    last: false,
                },
            );
            continue;
        }
        match c {
            Pending::Replace(v, arg) => {
                map.insert(v, arg);
            }
            Pending::Merge(v, vprog, vdeps) => {
                deps.extend(vdeps);
                let offset = steps.len() as u32;
                for mut s in vprog.steps {
                    for a in &mut s.args {
                        if let PArg::Step { j, .. } = a {
                            *j += offset;
                        }
                    }
                    steps.push(s);
                }
                map.insert(
                    v,
                    PArg::Step {
                        j: steps.len() as u32 - 1,
                        last: false,
                    },
                );
            }
        }
    }
    // Merged programs are cheap tasks or generators (which may be repeated anyway); the
    // result is cheap if `w`'s own steps are.
    let cheap = prog.is_cheap();
    let offset = steps.len() as u32;
    for mut s in prog.steps {
        for a in &mut s.args {
            match a {
                PArg::Node(d) => {
                    if let Some(r) = map.get(d) {
                        *a = r.clone();
                    }
                }
                PArg::Step { j, .. } => *j += offset,
                _ => {}
            }
        }
        steps.push(s);
    }
    for d in old_deps {
        match map.get(&d) {
            None => deps.push(d),
            Some(PArg::Node(t)) => deps.push(*t),
            Some(_) => {}
        }
    }
    ir.set_program_with_deps(w, Program { steps }, crate::ir::distinct(&deps), cheap);
}

pub(crate) fn fuse_ir(ir: &mut Ir<'_>) {
    let n = ir.len();
    let dependents = ir.dependents();
    let live_dependents = |ir: &Ir<'_>, i: usize| -> (usize, u32) {
        let dependents = &*dependents;
        let mut count = 0;
        let mut last = u32::MAX;
        for &w in dependents.get(i) {
            if ir.alive[w as usize] {
                count += 1;
                last = w;
            }
        }
        (count, last)
    };
    // next[v] = w when v's only dependent is w and w's only dependency is v.
    let mut next = vec![u32::MAX; n];
    let mut has_prev = vec![false; n];
    for (v, next_v) in next.iter_mut().enumerate() {
        if !ir.alive[v] || ir.is_requested[v] {
            continue;
        }
        let (count, w) = live_dependents(ir, v);
        if count == 1 && ir.deps(w).len() == 1 {
            *next_v = w;
            has_prev[w as usize] = true;
        }
    }
    for head in 0..n {
        if next[head] == u32::MAX || has_prev[head] || !ir.alive[head] {
            continue;
        }
        let mut acc = ir.take_program(head as u32);
        ir.alive[head] = false;
        let mut prev = head as u32;
        let mut cur = next[head];
        loop {
            let offset = acc.steps.len() as u32;
            let last = offset - 1;
            for mut s in ir.take_program(cur).steps {
                for a in &mut s.args {
                    match a {
                        PArg::Node(d) if *d == prev => {
                            *a = PArg::Step {
                                j: last,
                                last: false,
                            }
                        }
                        PArg::Step { j, .. } => *j += offset,
                        _ => {}
                    }
                }
                acc.steps.push(s);
            }
            if next[cur as usize] == u32::MAX {
                break;
            }
            ir.alive[cur as usize] = false;
            prev = cur;
            cur = next[cur as usize];
        }
        ir.set_program(cur, acc);
    }
}
