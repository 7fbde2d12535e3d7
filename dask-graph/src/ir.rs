//! The dense intermediate form between a [`Graph`] and a [`Plan`](crate::Plan).
//!
//! Building it resolves every reference once, walking the graph layer by layer so that
//! memory is read sequentially, and gives each node the id of its position in the graph.
//! Culling then keeps what the requested keys reach; missing dependencies and cycles in
//! what is kept are reported here, before anything runs (those in culled-away parts do
//! not matter).
//!
//! It is built for million-task graphs: a node is its position in the graph plus a
//! slice of a flat dependency array — no per-node allocation. Only the nodes an
//! optimization rewrites get a materialised [`Program`]. (On the machines we measure
//! on, first-touch page faults and random access into large tables dominate the cost of
//! allocation-heavy designs.)

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::csr::{Csr, toposort_within};
use crate::error::{Error, Result};
use crate::graph::{Graph, GraphIndex, Layer};
use crate::key::Key;
use crate::op::{IDENTITY, Op};
use crate::program::{PArg, PStep, Program};
use crate::task::{Arg, Fused, Node, Step, StepArg, Task};

/// A node an optimization rewrote.
pub(crate) struct Rewritten {
    pub prog: Program,
    /// Distinct node ids referenced by `prog`.
    pub deps: Vec<u32>,
    /// Whether every step is a cheap operation (kept, not recomputed: programs grow).
    pub cheap: bool,
}

pub(crate) struct Ir<'g> {
    pub graph: &'g Graph,
    index: GraphIndex<'g>,
    /// Node id of the first node of each layer, then the total: a node's id is its
    /// position in the graph, layer after layer.
    layer_start: Vec<u32>,
    /// Distinct dependencies of each node as written in the graph.
    deps: Csr,
    /// Whether the node as written refers to some key more than once.
    dup: Vec<bool>,
    pub rewritten: Vec<Option<Box<Rewritten>>>,
    /// Part of the plan: needed by a requested key (everything, without culling) and
    /// not yet folded into another node.
    pub alive: Vec<bool>,
    /// Ids of the requested keys, in request order (duplicates kept).
    pub requested: Vec<u32>,
    pub is_requested: Vec<bool>,
    /// A topological order of the alive nodes (dependencies first).
    pub topo: Vec<u32>,
    /// Dependents of every node, while no program has been rewritten since.
    dependents: Option<Arc<Csr>>,
}

impl<'g> Ir<'g> {
    /// Resolves every reference of the graph (in layer order: sequential memory access),
    /// keeps what `keys` need (or everything, without culling), and checks that what is
    /// kept has no missing dependency and no cycle.
    pub fn build(graph: &'g Graph, keys: &[Key], cull: bool) -> Result<Ir<'g>> {
        let index = graph.index()?;
        let layers = graph.layers();
        let mut layer_start = Vec::with_capacity(layers.len() + 1);
        let mut total = 0u32;
        for l in layers {
            layer_start.push(total);
            total = u32::try_from(l.len())
                .ok()
                .and_then(|n| total.checked_add(n))
                .filter(|&t| t < u32::MAX)
                .ok_or_else(|| Error::TooLarge {
                    what: format!("more than {} nodes", u32::MAX - 1),
                })?;
        }
        layer_start.push(total);
        let n = total as usize;

        let mut requested = Vec::with_capacity(keys.len());
        for k in keys {
            let (l, p) = index
                .position(k)
                .ok_or_else(|| Error::UnknownKey { key: k.clone() })?;
            requested.push(layer_start[l as usize] + p);
        }

        let mut offsets: Vec<u32> = Vec::with_capacity(n + 1);
        let mut targets: Vec<u32> = Vec::with_capacity(n + n / 2);
        let mut dup = vec![false; n];
        // The first missing dependency of each node that has one.
        let mut missing: Vec<(u32, Key)> = Vec::new();
        let mut scratch: Vec<u32> = Vec::new();
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        offsets.push(0);
        let mut id = 0usize;
        for layer in layers.iter() {
            for (_, node) in layer.nodes() {
                scratch.clear();
                let mut lost: Option<&Key> = None;
                node.for_each_dependency(|d| match index.position(d) {
                    Some((dl, dp)) => scratch.push(layer_start[dl as usize] + dp),
                    None => {
                        lost.get_or_insert(d);
                    }
                });
                if let Some(d) = lost {
                    missing.push((id as u32, d.clone()));
                }
                if scratch.len() <= 16 {
                    for (i, &d) in scratch.iter().enumerate() {
                        if scratch[..i].contains(&d) {
                            dup[id] = true;
                        } else {
                            targets.push(d);
                        }
                    }
                } else {
                    seen.clear();
                    for &d in &scratch {
                        if seen.insert(d) {
                            targets.push(d);
                        } else {
                            dup[id] = true;
                        }
                    }
                }
                offsets.push(u32::try_from(targets.len()).map_err(|_| Error::TooLarge {
                    what: format!("more than {} dependency edges", u32::MAX),
                })?);
                id += 1;
            }
        }
        let deps = Csr::from_parts(offsets, targets);

        let alive = if cull {
            let mut alive = vec![false; n];
            let mut stack: Vec<u32> = Vec::new();
            for &r in &requested {
                if !alive[r as usize] {
                    alive[r as usize] = true;
                    stack.push(r);
                }
                while let Some(v) = stack.pop() {
                    for &d in deps.get(v as usize) {
                        if !alive[d as usize] {
                            alive[d as usize] = true;
                            stack.push(d);
                        }
                    }
                }
            }
            alive
        } else {
            vec![true; n]
        };

        let mut ir = Ir {
            graph,
            index,
            layer_start,
            deps,
            dup,
            rewritten: Vec::new(),
            alive,
            is_requested: vec![false; n],
            requested,
            topo: Vec::new(),
            dependents: None,
        };
        if let Some((node, d)) = missing.into_iter().find(|(v, _)| ir.alive[*v as usize]) {
            return Err(Error::MissingDependency {
                dependent: ir.key(node).clone(),
                missing: d,
            });
        }
        for id in 0..n as u32 {
            if let Node::Fused(f) = ir.node(id)
                && ir.alive[id as usize]
            {
                check_steps(ir.key(id), f)?;
            }
        }
        ir.rewritten.resize_with(n, || None);
        for &r in &ir.requested {
            ir.is_requested[r as usize] = true;
        }
        let dependents = Arc::new(ir.deps.transpose());
        ir.dependents = Some(Arc::clone(&dependents));
        match toposort_within(&ir.deps, &dependents, Some(&ir.alive)) {
            Ok(topo) => ir.topo = topo,
            Err(cycle) => {
                return Err(Error::Cycle {
                    keys: cycle.into_iter().map(|i| ir.key(i).clone()).collect(),
                });
            }
        }
        Ok(ir)
    }

    /// Number of nodes (alive or not).
    pub fn len(&self) -> usize {
        self.dup.len()
    }

    /// `(layer, position)` of node `id`.
    pub fn src(&self, id: u32) -> (u32, u32) {
        let l = self.layer_start.partition_point(|&s| s <= id) - 1;
        (l as u32, id - self.layer_start[l])
    }

    fn entry(&self, id: u32) -> &'g (Key, Node) {
        let (l, p) = self.src(id);
        &self.graph.layers()[l as usize].nodes()[p as usize]
    }

    /// The node's key.
    pub fn key(&self, id: u32) -> &'g Key {
        &self.entry(id).0
    }

    /// The node as written in the graph.
    pub fn node(&self, id: u32) -> &'g Node {
        &self.entry(id).1
    }

    /// Distinct dependencies of a node, in first-use order.
    pub fn deps(&self, id: u32) -> &[u32] {
        match &self.rewritten[id as usize] {
            Some(r) => &r.deps,
            None => self.deps.get(id as usize),
        }
    }

    pub fn deps_csr(&self) -> Csr {
        Csr::from_lists((0..self.len() as u32).map(|i| self.deps(i)))
    }

    /// Dependents of every node (alive or not), recomputed only after rewrites.
    pub fn dependents(&mut self) -> Arc<Csr> {
        match &self.dependents {
            Some(d) => Arc::clone(d),
            None => {
                let d = Arc::new(self.deps_csr().transpose());
                self.dependents = Some(Arc::clone(&d));
                d
            }
        }
    }

    fn id_of_key(&self, k: &Key) -> u32 {
        let (l, p) = self
            .index
            .position(k)
            .expect("dependencies were resolved when the IR was built");
        self.layer_start[l as usize] + p
    }

    /// Whether the node needs a program of its own rather than running the graph's
    /// node as written (fused or rewritten nodes, tasks using a key twice).
    pub fn needs_program(&self, id: u32) -> bool {
        self.rewritten[id as usize].is_some()
            || self.dup[id as usize]
            || matches!(self.node(id), Node::Fused(_))
    }

    /// The node's program, with arguments referring to node ids.
    pub fn program(&self, id: u32) -> Program {
        if let Some(r) = &self.rewritten[id as usize] {
            return r.prog.clone();
        }
        let key = self.key(id);
        let node_arg = |k: &Key| PArg::Node(self.id_of_key(k));
        match self.node(id) {
            Node::Task(t) => Program::single(
                key.clone(),
                t.op.clone(),
                t.args
                    .iter()
                    .map(|a| match a {
                        Arg::Key(k) => node_arg(k),
                        Arg::Literal(v) => PArg::Literal(v.clone()),
                    })
                    .collect(),
            ),
            Node::Data(v) => Program::single(
                key.clone(),
                Op::Registered(&IDENTITY),
                vec![PArg::Literal(v.clone())],
            ),
            Node::Alias(k) => {
                Program::single(key.clone(), Op::Registered(&IDENTITY), vec![node_arg(k)])
            }
            Node::Fused(f) => Program {
                steps: f
                    .steps
                    .iter()
                    .map(|s| PStep {
                        key: s.key.clone(),
                        op: s.op.clone(),
                        args: s
                            .args
                            .iter()
                            .map(|a| match a {
                                StepArg::Key(k) => node_arg(k),
                                StepArg::Literal(v) => PArg::Literal(v.clone()),
                                StepArg::Step(j) => PArg::Step {
                                    j: *j as u32,
                                    last: false,
                                },
                            })
                            .collect(),
                    })
                    .collect(),
            },
        }
    }

    /// The node's program, moved out when it was rewritten (the node then reads as
    /// written again until [`Ir::set_program`]); for nodes that are dying or about to be
    /// rewritten, so that chains of rewrites stay linear.
    pub fn take_program(&mut self, id: u32) -> Program {
        match self.rewritten[id as usize].take() {
            Some(r) => {
                self.dependents = None;
                r.prog
            }
            None => self.program(id),
        }
    }

    /// Replaces a node's program (its dependencies are recomputed from it).
    pub fn set_program(&mut self, id: u32, prog: Program) {
        let mut refs: Vec<u32> = Vec::new();
        for s in &prog.steps {
            for a in &s.args {
                if let PArg::Node(d) = a {
                    refs.push(*d);
                }
            }
        }
        let cheap = prog.is_cheap();
        self.set_program_with_deps(id, prog, distinct(&refs), cheap);
    }

    /// Replaces a node's program whose distinct dependencies (in any order) and
    /// cheapness the caller already knows.
    pub fn set_program_with_deps(&mut self, id: u32, prog: Program, deps: Vec<u32>, cheap: bool) {
        self.rewritten[id as usize] = Some(Box::new(Rewritten { prog, deps, cheap }));
        self.dependents = None;
    }

    /// Back to a graph: one layer per original layer, rewritten nodes as tasks, data,
    /// aliases or [`Node::Fused`].
    pub fn to_graph(&self) -> Graph {
        let mut layers: Vec<Layer> = self
            .graph
            .layers()
            .iter()
            .map(|l| Layer::new(l.name()))
            .collect();
        for id in 0..self.len() as u32 {
            if !self.alive[id as usize] {
                continue;
            }
            let node = match &self.rewritten[id as usize] {
                None => self.node(id).clone(),
                Some(r) => self.program_to_node(id, &r.prog),
            };
            layers[self.src(id).0 as usize].insert(self.key(id).clone(), node);
        }
        Graph::from_layers(layers.into_iter().filter(|l| !l.is_empty()))
    }

    fn program_to_node(&self, id: u32, prog: &Program) -> Node {
        let key_of = |d: u32| self.key(d).clone();
        if let [step] = prog.steps.as_slice()
            && step.key == *self.key(id)
        {
            if step.op.same_as(&Op::Registered(&IDENTITY)) && step.args.len() == 1 {
                match &step.args[0] {
                    PArg::Literal(v) => return Node::Data(v.clone()),
                    PArg::Node(d) => return Node::Alias(key_of(*d)),
                    _ => {}
                }
            }
            let args = step
                .args
                .iter()
                .map(|a| match a {
                    PArg::Node(d) => Arg::Key(key_of(*d)),
                    PArg::Literal(v) => Arg::Literal(v.clone()),
                    _ => unreachable!("IR programs refer to nodes, not positions"),
                })
                .collect();
            return Node::Task(Task {
                op: step.op.clone(),
                args,
            });
        }
        Node::Fused(Fused {
            steps: prog
                .steps
                .iter()
                .map(|s| Step {
                    key: s.key.clone(),
                    op: s.op.clone(),
                    args: s
                        .args
                        .iter()
                        .map(|a| match a {
                            PArg::Node(d) => StepArg::Key(key_of(*d)),
                            PArg::Literal(v) => StepArg::Literal(v.clone()),
                            PArg::Step { j, .. } => StepArg::Step(*j as usize),
                            PArg::Dep { .. } => unreachable!("IR programs refer to nodes"),
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

fn check_steps(key: &Key, f: &Fused) -> Result<()> {
    if f.steps.is_empty() {
        return Err(Error::EmptyFused { key: key.clone() });
    }
    for (si, s) in f.steps.iter().enumerate() {
        for a in &s.args {
            if let StepArg::Step(j) = a
                && *j >= si
            {
                return Err(Error::InvalidStep {
                    key: key.clone(),
                    step: si,
                    refers_to: *j,
                });
            }
        }
    }
    Ok(())
}

pub(crate) fn distinct(ids: &[u32]) -> Vec<u32> {
    if ids.len() <= 16 {
        let mut out: Vec<u32> = Vec::with_capacity(ids.len());
        for &d in ids {
            if !out.contains(&d) {
                out.push(d);
            }
        }
        out
    } else {
        let mut seen = FxHashSet::default();
        ids.iter().copied().filter(|d| seen.insert(*d)).collect()
    }
}
