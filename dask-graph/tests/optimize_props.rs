//! Property tests of the graph optimizations (`cull`, `inline`, `fuse_linear`) and of
//! plan building, on random DAGs of small integer-arithmetic tasks.
//!
//! A generated DAG has 1..60 nodes spread over 1..4 layers. Each node is a data value, an
//! alias of an earlier node, or a task — `testing.counted_add` or the cheap (inlinable)
//! `props.cheap_add` defined here — whose first argument is a `u64` token counting its
//! runs, followed by up to four references to earlier nodes (often repeated, often the
//! previous node, so linear chains appear) and `i64` literals. Every node's value is
//! computed independently by a plain loop over the description. The properties:
//!
//! 1. results of the requested keys equal the reference under every optimization setting;
//! 2. no task runs twice: each needed task runs exactly once, culled tasks never (with
//!    culling off every task runs once);
//! 3. `optimize::cull` keeps exactly the requested keys and their ancestors;
//! 4. inlining and fusion never increase the number of tasks (plans and graphs);
//! 5. requested keys stay addressable after `fuse_linear`, `inline` and `cull`, and the
//!    returned graphs compute the reference values unoptimized (so `Node::Fused` nodes
//!    round-trip);
//! 6. a plan's order is a deterministic topological order, a permutation of its ids, and
//!    `memory_pressure` has one entry per task;
//! 7. the order depends on the graph's structure, not on how its keys are spelled.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use dask_graph::testing::{COUNTED_ADD, all_optimizations, as_i64, count, fresh_token, lit, tok};
use dask_graph::{
    Arg, Args, Graph, Key, Layer, OpResult, Optimizations, Plan, SyncScheduler, Value,
    compute_with, optimize,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as ProptestConfig;

// ---------------------------------------------------------------------------------------
// A cheap registered operation that counts its runs, so `inline` has something to fold.

static CHEAP_COUNTERS: Mutex<Option<HashMap<u64, u64>>> = Mutex::new(None);

/// How many times `props.cheap_add` ran with `token`.
fn cheap_count(token: u64) -> u64 {
    let g = CHEAP_COUNTERS.lock().unwrap_or_else(|p| p.into_inner());
    g.as_ref().and_then(|m| m.get(&token).copied()).unwrap_or(0)
}

fn cheap_add(args: Args) -> OpResult {
    let token = *args.get::<u64>(0)?;
    {
        let mut g = CHEAP_COUNTERS.lock().unwrap_or_else(|p| p.into_inner());
        *g.get_or_insert_with(HashMap::new).entry(token).or_insert(0) += 1;
    }
    let mut sum = 0i64;
    for i in 1..args.len() {
        sum += *args.get::<i64>(i)?;
    }
    Ok(Value::new(sum))
}

dask_graph::register_op!(CHEAP_ADD = "props.cheap_add" => cheap_add, cheap);

// ---------------------------------------------------------------------------------------
// The DAG description.

/// An argument of a generated task.
#[derive(Clone, Debug)]
enum ArgSpec {
    /// A reference to an earlier node, by index.
    Key(usize),
    /// An `i64` literal.
    Lit(i64),
}

/// A generated node.
#[derive(Clone, Debug)]
enum NodeSpec {
    Data(i64),
    /// An alias of an earlier node.
    Alias(usize),
    /// `counted_add` (or `cheap_add` when `cheap`) of a fresh token and `args`.
    Task {
        cheap: bool,
        args: Vec<ArgSpec>,
    },
}

impl NodeSpec {
    /// The node's value given the values of the nodes before it (the reference
    /// semantics: a plain loop, independent of the library).
    fn value(&self, earlier: &[i64]) -> i64 {
        match self {
            NodeSpec::Data(x) => *x,
            NodeSpec::Alias(t) => earlier[*t],
            NodeSpec::Task { args, .. } => args
                .iter()
                .map(|a| match a {
                    ArgSpec::Key(d) => earlier[*d],
                    ArgSpec::Lit(x) => *x,
                })
                .sum(),
        }
    }
}

/// A generated DAG: nodes refer only to earlier nodes.
#[derive(Clone, Debug)]
struct Dag {
    nodes: Vec<NodeSpec>,
    /// The layer of each node.
    layer: Vec<usize>,
    layers: usize,
    /// Requested node indices (duplicates possible), in request order.
    requested: Vec<usize>,
}

impl Dag {
    fn deps(&self, i: usize) -> Vec<usize> {
        match &self.nodes[i] {
            NodeSpec::Data(_) => vec![],
            NodeSpec::Alias(t) => vec![*t],
            NodeSpec::Task { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    ArgSpec::Key(d) => Some(*d),
                    ArgSpec::Lit(_) => None,
                })
                .collect(),
        }
    }

    /// The value of every node, by a plain loop (nodes refer only to earlier nodes).
    fn reference(&self) -> Vec<i64> {
        let mut values: Vec<i64> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            values.push(node.value(&values));
        }
        values
    }

    /// Whether each node is one of `roots` or an ancestor of one.
    fn needed(&self, roots: &[usize]) -> Vec<bool> {
        let mut needed = vec![false; self.nodes.len()];
        for &r in roots {
            needed[r] = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if needed[i] {
                for d in self.deps(i) {
                    needed[d] = true;
                }
            }
        }
        needed
    }

    fn is_task(&self, i: usize) -> bool {
        matches!(self.nodes[i], NodeSpec::Task { .. })
    }

    /// How many times task `i` ran with token `t`.
    fn runs(&self, i: usize, t: u64) -> u64 {
        match &self.nodes[i] {
            NodeSpec::Task { cheap: true, .. } => cheap_count(t),
            NodeSpec::Task { cheap: false, .. } => count(t),
            _ => 0,
        }
    }

    /// The graph, node `i` named `name(i)`, task `i` counting under `tokens[i]`.
    fn graph(&self, name: &dyn Fn(usize) -> String, tokens: &[u64]) -> Graph {
        let mut layers: Vec<Layer> = (0..self.layers)
            .map(|l| Layer::new(format!("layer{l}")))
            .collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let l = &mut layers[self.layer[i]];
            let key = Key::new(name(i));
            match node {
                NodeSpec::Data(x) => {
                    l.data(key, Value::new(*x));
                }
                NodeSpec::Alias(t) => {
                    l.alias(key, Key::new(name(*t)));
                }
                NodeSpec::Task { cheap, args } => {
                    let mut a = vec![tok(tokens[i])];
                    a.extend(args.iter().map(|a| match a {
                        ArgSpec::Key(d) => Arg::Key(Key::new(name(*d))),
                        ArgSpec::Lit(x) => lit(*x),
                    }));
                    if *cheap {
                        l.task(key, &CHEAP_ADD, a);
                    } else {
                        l.task(key, &COUNTED_ADD, a);
                    }
                }
            }
        }
        Graph::from_layers(layers)
    }

    fn keys(&self, name: &dyn Fn(usize) -> String) -> Vec<Key> {
        self.requested.iter().map(|&r| Key::new(name(r))).collect()
    }
}

fn name(i: usize) -> String {
    format!("n{i}")
}

/// Fresh tokens, one per node (only tasks use theirs).
fn fresh_tokens(dag: &Dag) -> Vec<u64> {
    dag.nodes.iter().map(|_| fresh_token()).collect()
}

// ---------------------------------------------------------------------------------------
// Generation: raw choices, normalised into a valid `Dag`.

/// A reference to an earlier node: `Back(b)` is `b` nodes before the previous one
/// (chains), `Any` is uniform.
#[derive(Clone, Debug)]
enum Ref {
    Back(usize),
    Any(Index),
}

impl Ref {
    /// Resolves among `0..n` (`n > 0`), counting back from `n - 1`.
    fn resolve(&self, n: usize) -> usize {
        match self {
            Ref::Back(b) => n - 1 - (*b).min(n - 1),
            Ref::Any(ix) => ix.index(n),
        }
    }
}

#[derive(Clone, Debug)]
enum RawArg {
    Key(Ref),
    Lit(i64),
}

#[derive(Clone, Debug)]
enum RawNode {
    Data(i64),
    Alias(Ref),
    Task { cheap: bool, args: Vec<RawArg> },
}

fn reference() -> impl Strategy<Value = Ref> {
    prop_oneof![
        3 => (0..3usize).prop_map(Ref::Back),
        2 => any::<Index>().prop_map(Ref::Any),
    ]
}

fn raw_arg() -> impl Strategy<Value = RawArg> {
    prop_oneof![
        3 => reference().prop_map(RawArg::Key),
        1 => (-100i64..100).prop_map(RawArg::Lit),
    ]
}

fn raw_node() -> impl Strategy<Value = RawNode> {
    prop_oneof![
        2 => (-1000i64..1000).prop_map(RawNode::Data),
        1 => reference().prop_map(RawNode::Alias),
        4 => prop::collection::vec(raw_arg(), 0..5)
            .prop_map(|args| RawNode::Task { cheap: false, args }),
        2 => prop::collection::vec(raw_arg(), 0..5)
            .prop_map(|args| RawNode::Task { cheap: true, args }),
    ]
}

/// Values stay below this, so that no `i64` sum can overflow.
const BOUND: i64 = 1 << 40;

fn normalise(raw: Vec<(RawNode, Index)>, layers: usize, requested: Vec<Ref>) -> Dag {
    let mut nodes: Vec<NodeSpec> = Vec::with_capacity(raw.len());
    let mut layer = Vec::with_capacity(raw.len());
    let mut values: Vec<i64> = Vec::with_capacity(raw.len());
    for (i, (node, l)) in raw.into_iter().enumerate() {
        layer.push(l.index(layers));
        let node = match node {
            RawNode::Data(x) => NodeSpec::Data(x),
            RawNode::Alias(_) if i == 0 => NodeSpec::Data(i as i64),
            RawNode::Alias(r) => NodeSpec::Alias(r.resolve(i)),
            RawNode::Task { cheap, args } => {
                let mut args: Vec<ArgSpec> = args
                    .into_iter()
                    .filter_map(|a| match a {
                        RawArg::Key(_) if i == 0 => None,
                        RawArg::Key(r) => Some(ArgSpec::Key(r.resolve(i))),
                        RawArg::Lit(x) => Some(ArgSpec::Lit(x)),
                    })
                    .collect();
                // Keep values bounded: drop trailing key arguments until the sum fits.
                let value = |args: &[ArgSpec]| -> i64 {
                    args.iter()
                        .map(|a| match a {
                            ArgSpec::Key(d) => values[*d],
                            ArgSpec::Lit(x) => *x,
                        })
                        .sum()
                };
                while value(&args).abs() > BOUND {
                    let last_key = args
                        .iter()
                        .rposition(|a| matches!(a, ArgSpec::Key(_)))
                        .expect("literals alone stay small");
                    args.remove(last_key);
                }
                NodeSpec::Task { cheap, args }
            }
        };
        values.push(node.value(&values));
        nodes.push(node);
    }
    let n = nodes.len();
    let requested = requested.iter().map(|r| r.resolve(n)).collect();
    Dag {
        nodes,
        layer,
        layers,
        requested,
    }
}

fn dag() -> impl Strategy<Value = Dag> {
    (
        prop::collection::vec((raw_node(), any::<Index>()), 1..60),
        1..=4usize,
        prop::collection::vec(reference(), 1..6),
    )
        .prop_map(|(raw, layers, requested)| normalise(raw, layers, requested))
}

/// `cases` per property, unless `PROPTEST_CASES` asks for more (for long soak runs).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn run(g: &Graph, keys: &[Key], opts: &Optimizations) -> Vec<i64> {
    compute_with(g, keys, &SyncScheduler, opts, &())
        .unwrap_or_else(|e| panic!("compute failed with {opts:?}: {e}"))
        .iter()
        .map(as_i64)
        .collect()
}

fn expected(dag: &Dag) -> Vec<i64> {
    let values = dag.reference();
    dag.requested.iter().map(|&r| values[r]).collect()
}

fn key_names(g: &Graph) -> HashSet<String> {
    g.iter().map(|(k, _)| k.name().to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config(128))]

    /// 1. Every optimization setting computes the reference values, in request order.
    #[test]
    fn results_are_unchanged(dag in dag()) {
        let g = dag.graph(&name, &fresh_tokens(&dag));
        let keys = dag.keys(&name);
        let want = expected(&dag);
        for opts in all_optimizations() {
            prop_assert_eq!(run(&g, &keys, &opts), want.clone(), "{:?}", opts);
        }
    }

    /// 2. Each needed task runs exactly once, every other task never (with culling off,
    ///    every task runs once).
    #[test]
    fn no_task_runs_twice(dag in dag()) {
        let keys = dag.keys(&name);
        let needed = dag.needed(&dag.requested);
        for opts in all_optimizations() {
            let tokens = fresh_tokens(&dag);
            let g = dag.graph(&name, &tokens);
            run(&g, &keys, &opts);
            for i in (0..dag.nodes.len()).filter(|&i| dag.is_task(i)) {
                let want = u64::from(needed[i] || !opts.cull);
                prop_assert_eq!(dag.runs(i, tokens[i]), want, "task {} with {:?}", name(i), opts);
            }
        }
    }

    /// 3. `cull` keeps exactly the requested keys and their ancestors.
    #[test]
    fn cull_keeps_exactly_the_ancestors(dag in dag()) {
        let g = dag.graph(&name, &fresh_tokens(&dag));
        let culled = optimize::cull(&g, &dag.keys(&name)).unwrap();
        let needed = dag.needed(&dag.requested);
        let want: HashSet<String> = (0..dag.nodes.len()).filter(|&i| needed[i]).map(name).collect();
        prop_assert_eq!(culled.len(), want.len(), "no key twice");
        prop_assert_eq!(key_names(&culled), want);
    }

    /// 4. Inlining and fusion never increase the number of tasks.
    #[test]
    fn optimizations_never_add_tasks(dag in dag()) {
        let g = dag.graph(&name, &fresh_tokens(&dag));
        let keys = dag.keys(&name);
        let culled = Plan::build(&g, &keys, &Optimizations::cull_only()).unwrap().len();
        let whole = Plan::build(&g, &keys, &Optimizations::none()).unwrap().len();
        prop_assert_eq!(whole, dag.nodes.len());
        prop_assert!(culled <= whole);
        for opts in all_optimizations() {
            let len = Plan::build(&g, &keys, &opts).unwrap().len();
            let bound = if opts.cull { culled } else { whole };
            prop_assert!(len <= bound, "{:?}: {} tasks, more than {}", opts, len, bound);
        }
        prop_assert!(optimize::fuse_linear(&g, &keys).unwrap().len() <= g.len());
        prop_assert!(optimize::inline(&g, &keys).unwrap().len() <= g.len());
    }

    /// 5. The graph-to-graph functions keep the requested keys and give valid graphs that
    ///    compute the reference values without further optimization.
    #[test]
    fn optimized_graphs_stay_valid(dag in dag()) {
        let g = dag.graph(&name, &fresh_tokens(&dag));
        let keys = dag.keys(&name);
        let want = expected(&dag);
        let fused = optimize::fuse_linear(&g, &keys).unwrap();
        let inlined = optimize::inline(&g, &keys).unwrap();
        let culled = optimize::cull(&g, &keys).unwrap();
        let both = optimize::fuse_linear(&inlined, &keys).unwrap();
        let all = optimize::cull(&both, &keys).unwrap();
        let fused_inlined = optimize::inline(&fused, &keys).unwrap();
        let fused_twice = optimize::fuse_linear(&both, &keys).unwrap();
        for (what, out) in [
            ("fuse_linear", &fused),
            ("inline", &inlined),
            ("cull", &culled),
            ("inline+fuse_linear", &both),
            ("inline+fuse_linear+cull", &all),
            ("fuse_linear+inline", &fused_inlined),
            ("inline+fuse_linear+fuse_linear", &fused_twice),
        ] {
            for k in &keys {
                prop_assert!(out.get(k).is_some(), "{} lost requested key {}", what, k);
            }
            prop_assert!(out.validate().is_ok(), "{} gave an invalid graph", what);
            prop_assert_eq!(run(out, &keys, &Optimizations::none()), want.clone(), "{}", what);
            prop_assert_eq!(run(out, &keys, &Optimizations::all()), want.clone(), "{} then all", what);
        }
    }

    /// 6. Plans are ordered topologically, deterministically, over every task once.
    #[test]
    fn plan_order_is_topological(dag in dag()) {
        let g = dag.graph(&name, &fresh_tokens(&dag));
        let keys = dag.keys(&name);
        for opts in all_optimizations() {
            let plan = Plan::build(&g, &keys, &opts).unwrap();
            let n = plan.len();
            for id in 0..n as u32 {
                for &dep in plan.dependencies(id) {
                    prop_assert!(
                        plan.priority(dep) < plan.priority(id),
                        "{:?}: {} runs before its dependency {}", opts, plan.key(id), plan.key(dep)
                    );
                }
            }
            let mut sorted = plan.order().to_vec();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>(), "{:?}", opts);
            for (pos, &id) in plan.order().iter().enumerate() {
                prop_assert_eq!(plan.priority(id) as usize, pos);
            }
            let again = Plan::build(&g, &keys, &opts).unwrap();
            prop_assert_eq!(plan.order(), again.order(), "{:?}: not deterministic", opts);
            prop_assert!(plan.keys().eq(again.keys()));
            prop_assert_eq!(plan.memory_pressure().len(), n);
        }
    }

    /// 7. The order follows the structure: spelling the keys differently (`n{i}` versus
    ///    `zz{N-i}`) gives the same sequence of nodes.
    #[test]
    fn order_ignores_key_spelling(dag in dag()) {
        let n = dag.nodes.len();
        let other = move |i: usize| format!("zz{}", n - i);
        let tokens = fresh_tokens(&dag);
        let spellings: [&dyn Fn(usize) -> String; 2] = [&name, &other];
        let mut orders = Vec::new();
        for spell in spellings {
            let g = dag.graph(spell, &tokens);
            let index: HashMap<Key, usize> = (0..n).map(|i| (Key::new(spell(i)), i)).collect();
            let mut per_opts = Vec::new();
            for opts in all_optimizations() {
                let plan = Plan::build(&g, &dag.keys(spell), &opts).unwrap();
                let nodes: Vec<usize> = plan.order().iter().map(|&id| index[plan.key(id)]).collect();
                per_opts.push((opts, nodes));
            }
            orders.push(per_opts);
        }
        for (a, b) in orders[0].iter().zip(&orders[1]) {
            prop_assert_eq!(&a.1, &b.1, "{:?}", a.0);
        }
    }
}
