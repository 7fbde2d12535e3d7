//! Plans: what schedulers execute.
//!
//! [`Plan::build`] culls the graph to the requested keys, optimizes it, and compiles it
//! to dense ids with flat (CSR) dependency and dependent lists, a priority per task from
//! [`order`](crate::order), and the number of dependents of each result (so a scheduler
//! can free it the moment its last dependent finishes). Every step is linear in the
//! number of tasks, and every scheduler consumes the same `Plan`, so they cannot
//! disagree on what a graph means.
//!
//! A plan is a cheap-to-clone handle (`Arc` inside) so that thread pools and process
//! pools can hold it for the duration of a compute.

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::graph::{Graph, Layer};
use crate::ir::Ir;
use crate::key::{Key, KeyMap};
use crate::op::{Args, Op};
use crate::optimize::{Optimizations, fuse_ir, inline_ir};
use crate::order::{Ordering, memory_pressure, order_with_topo};
use crate::program::{PArg, Program, call_op};
use crate::task::{Arg, Node};
use crate::value::Value;
use crate::wire::{WireArg, WireStep, WireTask, WireValue};

/// Dense task id within a [`Plan`].
pub type TaskId = u32;

/// A compiled, optimized, ordered graph. Cheap to clone.
///
/// Accessors taking a [`TaskId`] panic if it is not below [`Plan::len`], like slice
/// indexing; [`Plan::run_task`] returns an error instead.
#[derive(Clone)]
pub struct Plan(Arc<PlanInner>);

/// How a task runs.
enum Body {
    /// The graph's node as written (a task whose key arguments are distinct and appear
    /// in dependency order, a data value, or an alias).
    Graph,
    /// A compiled program (fused or rewritten nodes, tasks using a key twice).
    Program(Box<Program>),
}

struct PlanInner {
    /// The graph's layers, which own the keys and nodes the plan refers to.
    layers: Vec<Arc<Layer>>,
    /// `(layer, position)` of each task.
    src: Vec<(u32, u32)>,
    bodies: Vec<Body>,
    deps: Csr,
    dependents: Csr,
    ordering: Ordering,
    requested: Vec<TaskId>,
    is_requested: Vec<bool>,
    /// Key → id, built on the first [`Plan::id_of`].
    ids: OnceLock<KeyMap<TaskId>>,
}

impl Plan {
    /// Compiles `graph` for computing `keys`.
    ///
    /// With `opts.cull` off every node of the graph is part of the plan (so `keys` may be
    /// empty). Errors — an unknown requested key, a missing dependency (naming both
    /// keys), a cycle (naming its keys), a key defined by two layers — are all found
    /// before anything runs.
    ///
    /// ```
    /// use dask_graph::{Graph, Layer, Plan, Optimizations, Value, Arg};
    /// use dask_graph::testing::ADD;
    /// let mut l = Layer::new("l");
    /// l.data("x", Value::new(1i64))
    ///     .task("y", &ADD, vec![Arg::Key("x".into()), Arg::Literal(Value::new(1i64))])
    ///     .task("z", &ADD, vec![Arg::Key("y".into())]);
    /// let g = Graph::from_layers([l]);
    /// let plan = Plan::build(&g, &["z".into()], &Optimizations::all()).unwrap();
    /// assert_eq!(plan.len(), 1); // x inlined, y fused into z
    /// let plan = Plan::build(&g, &["z".into()], &Optimizations::none()).unwrap();
    /// assert_eq!(plan.len(), 3);
    /// ```
    pub fn build(graph: &Graph, keys: &[Key], opts: &Optimizations) -> Result<Plan> {
        let mut ir = Ir::build(graph, keys, opts.cull)?;
        if opts.inline {
            inline_ir(&mut ir);
        }
        if opts.fuse {
            fuse_ir(&mut ir);
        }
        Ok(finalize(ir))
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.0.src.len()
    }

    /// Whether the plan has no tasks.
    pub fn is_empty(&self) -> bool {
        self.0.src.is_empty()
    }

    fn entry(&self, id: TaskId) -> &(Key, Node) {
        let (l, p) = self.0.src[id as usize];
        &self.0.layers[l as usize].nodes()[p as usize]
    }

    /// The key of task `id`.
    pub fn key(&self, id: TaskId) -> &Key {
        &self.entry(id).0
    }

    /// The graph node task `id` came from, as written (before optimizations rewrote it;
    /// see [`Plan::num_steps`] and [`Plan::op_names`] for what runs).
    pub fn node(&self, id: TaskId) -> &Node {
        &self.entry(id).1
    }

    /// Every key, by id.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Key> {
        (0..self.len() as TaskId).map(|i| self.key(i))
    }

    /// The id of `key`, if it is in the plan (an index is built on the first call).
    pub fn id_of(&self, key: &Key) -> Option<TaskId> {
        self.0
            .ids
            .get_or_init(|| {
                (0..self.len() as TaskId)
                    .map(|i| (self.key(i).clone(), i))
                    .collect()
            })
            .get(key)
            .copied()
    }

    /// Dependencies of `id` (distinct), in the order the task receives them.
    pub fn dependencies(&self, id: TaskId) -> &[TaskId] {
        self.0.deps.get(id as usize)
    }

    /// Dependents of `id` (distinct).
    pub fn dependents(&self, id: TaskId) -> &[TaskId] {
        self.0.dependents.get(id as usize)
    }

    /// How many tasks consume the result of `id`.
    pub fn num_dependents(&self, id: TaskId) -> u32 {
        self.0.dependents.degree(id as usize) as u32
    }

    /// The dependency lists, as CSR.
    pub fn dependency_csr(&self) -> &Csr {
        &self.0.deps
    }

    /// The dependent lists, as CSR.
    pub fn dependent_csr(&self) -> &Csr {
        &self.0.dependents
    }

    /// Task ids in priority order (what a single worker runs, in order).
    pub fn order(&self) -> &[TaskId] {
        &self.0.ordering.order
    }

    /// The priority of `id` (its position in [`Plan::order`]; lower runs first).
    pub fn priority(&self, id: TaskId) -> u32 {
        self.0.ordering.priority[id as usize]
    }

    /// Priorities of every task, by id.
    pub fn priorities(&self) -> &[u32] {
        &self.0.ordering.priority
    }

    /// Ids of the requested keys, in request order (duplicates kept).
    pub fn requested(&self) -> &[TaskId] {
        &self.0.requested
    }

    /// Whether `id` is requested (its result is returned and never released early).
    pub fn is_requested(&self, id: TaskId) -> bool {
        self.0.is_requested[id as usize]
    }

    /// The operation names of task `id` (several for a fused task).
    pub fn op_names(&self, id: TaskId) -> Vec<&str> {
        match &self.0.bodies[id as usize] {
            Body::Program(p) => p.steps.iter().map(|s| s.op.name()).collect(),
            Body::Graph => match &self.entry(id).1 {
                Node::Task(t) => vec![t.op.name()],
                Node::Data(_) => vec!["(data)"],
                Node::Alias(_) => vec!["(alias)"],
                Node::Fused(f) => f.steps.iter().map(|s| s.op.name()).collect(),
            },
        }
    }

    /// Number of steps of task `id` (more than one for a fused task).
    pub fn num_steps(&self, id: TaskId) -> usize {
        match &self.0.bodies[id as usize] {
            Body::Program(p) => p.steps.len(),
            Body::Graph => 1,
        }
    }

    /// The first task that runs a closure, with the closure's step key and name —
    /// what a scheduler that cannot run closures reports.
    pub fn first_local_op(&self) -> Option<(TaskId, &Key, &Op)> {
        (0..self.len() as TaskId).find_map(|i| match &self.0.bodies[i as usize] {
            Body::Program(p) => p.first_local().map(|(k, op)| (i, k, op)),
            Body::Graph => match &self.entry(i).1 {
                Node::Task(t) if t.op.is_local() => Some((i, self.key(i), &t.op)),
                _ => None,
            },
        })
    }

    /// Literal values held by task `id` (data values included).
    pub fn literals(&self, id: TaskId) -> Vec<&Value> {
        match &self.0.bodies[id as usize] {
            Body::Program(p) => p
                .steps
                .iter()
                .flat_map(|s| s.args.iter())
                .filter_map(|a| match a {
                    PArg::Literal(v) => Some(v),
                    _ => None,
                })
                .collect(),
            Body::Graph => match &self.entry(id).1 {
                Node::Task(t) => t
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        Arg::Literal(v) => Some(v),
                        Arg::Key(_) => None,
                    })
                    .collect(),
                Node::Data(v) => vec![v],
                _ => Vec::new(),
            },
        }
    }

    /// Runs task `id` on its dependencies' values (in [`Plan::dependencies`] order),
    /// catching panics. Errors name the key (for a fused task, the step's own key and the
    /// fused task's), the operation and the cause. Pass values by move where this task is
    /// the last consumer so that operations can reuse their buffers.
    pub fn run_task(&self, id: TaskId, inputs: Vec<Value>) -> Result<Value> {
        if id as usize >= self.len() {
            return Err(Error::NoSuchTask {
                id,
                len: self.len(),
            });
        }
        let want = self.0.deps.degree(id as usize);
        if inputs.len() != want {
            return Err(Error::WrongInputCount {
                key: self.key(id).clone(),
                expected: want,
                found: inputs.len(),
            });
        }
        let (key, node) = self.entry(id);
        match &self.0.bodies[id as usize] {
            Body::Program(p) => p.run(key, inputs),
            Body::Graph => run_node(key, node, inputs),
        }
    }

    /// Task `id` in a form another process can run ([`WireTask`]). Errors with
    /// [`Error::Unsupported`] (naming the task, and the scheduler `scheduler`) when it
    /// calls a closure or carries a literal whose type has no codec.
    pub fn wire_task(&self, id: TaskId, scheduler: &str) -> Result<WireTask> {
        if id as usize >= self.len() {
            return Err(Error::NoSuchTask {
                id,
                len: self.len(),
            });
        }
        let (key, node) = self.entry(id);
        match &self.0.bodies[id as usize] {
            Body::Program(p) => Ok(WireTask::Steps(
                key.clone(),
                crate::wire::wire_steps(&p.steps, key, scheduler)?,
            )),
            Body::Graph => match node {
                Node::Data(v) => Ok(WireTask::Data(
                    key.clone(),
                    WireValue::encode(v, key, scheduler)?,
                )),
                Node::Alias(_) => Ok(WireTask::Steps(
                    key.clone(),
                    vec![WireStep {
                        key: key.clone(),
                        op: crate::op::IDENTITY.name.to_string(),
                        args: vec![WireArg::Dep { i: 0, last: true }],
                    }],
                )),
                Node::Task(t) => {
                    if t.op.is_local() {
                        return Err(crate::wire::closure_refused(scheduler, key, &t.op));
                    }
                    let mut next = 0u32;
                    let args = t
                        .args
                        .iter()
                        .map(|a| {
                            Ok(match a {
                                Arg::Key(_) => {
                                    next += 1;
                                    WireArg::Dep {
                                        i: next - 1,
                                        last: true,
                                    }
                                }
                                Arg::Literal(v) => {
                                    WireArg::Literal(WireValue::encode(v, key, scheduler)?)
                                }
                            })
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(WireTask::Steps(
                        key.clone(),
                        vec![WireStep {
                            key: key.clone(),
                            op: t.op.name().to_string(),
                            args,
                        }],
                    ))
                }
                Node::Fused(_) => unreachable!("fused nodes always compile to programs"),
            },
        }
    }

    /// Results held just before each task runs when one worker follows the order
    /// (entry `i` is for `order()[i]`).
    pub fn memory_pressure(&self) -> Vec<usize> {
        memory_pressure(
            &self.0.ordering.order,
            &self.0.deps,
            &self.0.dependents,
            &self.0.is_requested,
        )
    }
}

/// Runs a graph node as written: its key arguments are distinct and in dependency order.
fn run_node(key: &Key, node: &Node, inputs: Vec<Value>) -> Result<Value> {
    match node {
        Node::Data(v) => Ok(v.clone()),
        Node::Alias(_) => Ok(inputs
            .into_iter()
            .next()
            .expect("an alias has one dependency")),
        Node::Task(t) => {
            let mut inputs = inputs.into_iter();
            let args = t
                .args
                .iter()
                .map(|a| match a {
                    Arg::Key(_) => inputs.next().expect("one input per key argument"),
                    Arg::Literal(v) => v.clone(),
                })
                .collect();
            call_op(key, &t.op, None, Args::new(args))
        }
        Node::Fused(_) => unreachable!("fused nodes always compile to programs"),
    }
}

/// Compacts the IR's live nodes to ids `0..n` (in IR order), turns node references
/// into dependency positions, and orders the result.
fn finalize(ir: Ir<'_>) -> Plan {
    let n = ir.len();
    let mut new_id = vec![u32::MAX; n];
    let mut next = 0u32;
    for (i, slot) in new_id.iter_mut().enumerate() {
        if ir.alive[i] {
            *slot = next;
            next += 1;
        }
    }
    let m = next as usize;
    let mut src = Vec::with_capacity(m);
    let mut bodies = Vec::with_capacity(m);
    let mut is_requested = Vec::with_capacity(m);
    let mut dep_offsets = Vec::with_capacity(m + 1);
    let mut dep_targets = Vec::new();
    dep_offsets.push(0u32);
    for id in 0..n as u32 {
        if !ir.alive[id as usize] {
            continue;
        }
        let deps = ir.deps(id);
        let body = if ir.needs_program(id) {
            let mut prog = ir.program(id);
            let lookup: Option<FxHashMap<u32, u32>> = (deps.len() > 8).then(|| {
                deps.iter()
                    .enumerate()
                    .map(|(p, &d)| (d, p as u32))
                    .collect()
            });
            for s in &mut prog.steps {
                for a in &mut s.args {
                    if let PArg::Node(d) = *a {
                        let i = match &lookup {
                            Some(map) => map[&d],
                            None => deps
                                .iter()
                                .position(|&x| x == d)
                                .expect("deps list every reference")
                                as u32,
                        };
                        *a = PArg::Dep { i, last: false };
                    }
                }
            }
            prog.mark_last_uses(deps.len());
            Body::Program(Box::new(prog))
        } else {
            Body::Graph
        };
        src.push(ir.src(id));
        bodies.push(body);
        is_requested.push(ir.is_requested[id as usize]);
        dep_targets.extend(deps.iter().map(|&d| new_id[d as usize]));
        dep_offsets.push(dep_targets.len() as u32);
    }
    let deps = Csr::from_parts(dep_offsets, dep_targets);
    let dependents = deps.transpose();
    // The IR's topological order stays valid: fusion and inlining only move a node's
    // dependencies to nodes that come earlier.
    let topo: Vec<u32> = ir
        .topo
        .iter()
        .filter(|&&i| ir.alive[i as usize])
        .map(|&i| new_id[i as usize])
        .collect();
    let ordering = order_with_topo(&deps, &dependents, &topo);
    let requested = ir.requested.iter().map(|&r| new_id[r as usize]).collect();
    Plan(Arc::new(PlanInner {
        layers: ir.graph.layers().to_vec(),
        src,
        bodies,
        deps,
        dependents,
        ordering,
        requested,
        is_requested,
        ids: OnceLock::new(),
    }))
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("tasks", &self.len())
            .field("requested", &self.0.requested.len())
            .finish()
    }
}
