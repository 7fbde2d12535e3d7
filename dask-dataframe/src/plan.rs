//! The logical plan behind a dataframe, and how it becomes graph layers.
//!
//! A `DataFrame` is a tree of [`Plan`] nodes (a scan of files, partitions in memory, a
//! fused map of row-wise steps, a concatenation, an aggregation, ...) with its schema and
//! partition count known at every node. Nothing becomes a task until the frame is
//! computed; then [`optimize`] pushes the columns the result needs down to the scans
//! (**projection pushdown**: a CSV scan parses only those columns, a Parquet scan reads
//! only their column chunks), and [`materialize`] turns each node into one layer of
//! tasks keyed `(node name, partition)`.
//!
//! Node names are tokens of their contents (the scan's files and options, the steps'
//! bytes, the input's name), so building the same query twice gives the same keys, and
//! two frames computed together share the layers they have in common.
//!
//! Pruning is best effort: a node that cannot drop columns (partitions in memory, a
//! user's function) passes all of its columns on. Every consumer therefore refers to
//! columns by name, never by position, and the final result is projected to the frame's
//! schema when it is assembled.

use std::sync::{Arc, OnceLock};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use dask_graph::{Arg, Graph, Key, Layer, Node, Op, Task, Value, tokenize};

use crate::agg::AggPlan;
use crate::describe::Describe;
use crate::map::{Step, select_schema};
use crate::partition::batch_value;
use crate::shuffle::ShuffleNode;
use crate::topn::TopN;

/// A source of partitions read by tasks (CSV, Parquet).
pub(crate) trait Scan: Send + Sync + std::fmt::Debug {
    /// The columns it produces.
    fn schema(&self) -> SchemaRef;
    /// How many partitions.
    fn npartitions(&self) -> usize;
    /// A token of everything that determines its output.
    fn token(&self) -> String;
    /// The same scan producing only `columns` (a subset of its schema, in any order; it
    /// produces them in file order), if it can.
    fn project(&self, columns: &[&str]) -> Option<Arc<dyn Scan>>;
    /// The same scan knowing that only rows satisfying `predicate` (a resolved boolean
    /// expression over its columns) are wanted, if it can use that to skip reading
    /// (row-group statistics). The partition count must stay the same; skipped
    /// partitions compute to empty batches. The predicate is still applied afterwards.
    fn prune(&self, predicate: &crate::expr::Expr) -> Option<Arc<dyn Scan>> {
        let _ = predicate;
        None
    }
    /// The sorted boundaries of the partitions along one column, if the source knows
    /// them (see [`Divisions`]).
    fn divisions(&self) -> Option<Divisions> {
        None
    }
    /// The divisions along `column` if the source can tell that its partitions are
    /// sorted by it and do not overlap (Parquet statistics), asked for or not.
    fn divisions_on(&self, column: &str) -> Option<Divisions> {
        let _ = column;
        None
    }
    /// The task that reads partition `i`.
    fn task(&self, i: usize) -> Node;
    /// About how many bytes the partitions take in memory, all together, if known
    /// (what decides whether a shuffle goes through files).
    fn estimated_bytes(&self) -> Option<u64> {
        None
    }
}

/// Known divisions: the frame is sorted by `column` across partitions, and partition `i`
/// holds exactly the rows with `boundaries[i] <= column < boundaries[i + 1]` (the last
/// partition includes `boundaries[n]`), as Dask's divisions.
#[derive(Clone, Debug, PartialEq)]
pub struct Divisions {
    /// The column the partitions are sorted by.
    pub column: String,
    /// `npartitions + 1` ascending values: each partition's minimum, then the last
    /// partition's maximum.
    pub boundaries: Vec<crate::scalar::ScalarValue>,
}

/// The divisions a plan's output keeps: a scan's own, through row-wise steps that keep
/// the column as it is (filters, and selects passing it through under its name).
pub(crate) fn divisions(plan: &Plan) -> Option<Divisions> {
    divisions_by(plan, &|scan| scan.divisions())
}

/// The divisions along `column` that the plan's sources can tell without computing
/// (what lets a sort of already sorted data skip its shuffle).
pub(crate) fn divisions_on(plan: &Plan, column: &str) -> Option<Divisions> {
    divisions_by(plan, &|scan| scan.divisions_on(column)).filter(|d| d.column == column)
}

fn divisions_by(
    plan: &Plan,
    of_scan: &dyn Fn(&dyn Scan) -> Option<Divisions>,
) -> Option<Divisions> {
    let divisions = |p: &Plan| divisions_by(p, of_scan);
    match &plan.kind {
        Kind::Scan(scan) => of_scan(scan.as_ref()),
        Kind::Map { input, steps } => {
            let d = divisions(input)?;
            let keeps = steps.iter().all(|s| match s {
                Step::Filter(_) => true,
                Step::Select(items) => items.iter().any(|(e, f)| {
                    f.name() == &d.column
                        && matches!(e, crate::expr::Expr::Column(c) if *c == d.column)
                }),
            });
            keeps.then_some(d)
        }
        Kind::Shuffle { spec, .. } => spec.divisions.clone(),
        // A local sort keeps the partitions' ranges.
        Kind::Zip { inputs, op, .. } if std::ptr::eq(*op, &crate::sort::SORT) => {
            divisions(inputs.first()?)
        }
        _ => None,
    }
}

/// A node of the plan; see the module notes.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Partitions read from files.
    Scan(Arc<dyn Scan>),
    /// Partitions held in memory (`from_record_batches`), named by a token of their
    /// contents' identity.
    Data {
        batches: Arc<[RecordBatch]>,
        token: String,
    },
    /// Partitions of an existing graph: the layer `name`, keys `(name, i)` (a persisted
    /// frame).
    Graph { graph: Graph, name: Arc<str> },
    /// Row-wise steps applied to each partition in one task.
    Map {
        input: Arc<Plan>,
        steps: Arc<[Step]>,
    },
    /// The partitions of several frames with equal schemas, one after another.
    Concat(Vec<Arc<Plan>>),
    /// A function of each partition.
    MapPartitions { input: Arc<Plan>, func: PartitionFn },
    /// An aggregation: per-partition partials combined up a tree (see `agg`).
    Aggregate { input: Arc<Plan>, agg: Arc<AggPlan> },
    /// The top rows by a column (see `topn`).
    TopN { input: Arc<Plan>, spec: Arc<TopN> },
    /// The summary statistics table of numeric columns (one partition).
    Describe {
        input: Arc<Plan>,
        spec: Arc<Describe>,
    },
    /// Rows moved between partitions by key (see `shuffle`).
    Shuffle {
        input: Arc<Plan>,
        spec: Arc<ShuffleNode>,
    },
    /// One task per output partition calling a registered operation as
    /// `op(spec, inputs[0][i], inputs[1][i], ...)`; an input of one partition is given
    /// to every task (a broadcast). Joins, local sorts and de-duplication.
    Zip {
        inputs: Vec<Arc<Plan>>,
        op: &'static dask_graph::RegisteredOp,
        spec: Arc<[u8]>,
        /// For an operation whose output has its first input's columns (a sort, a
        /// de-duplication): the columns of each input it reads besides those needed
        /// downstream. `None` when it needs every column.
        reads: Option<Vec<Vec<String>>>,
    },
    /// Consecutive partitions concatenated: output `j` holds the inputs `groups[j]`.
    Coalesce {
        input: Arc<Plan>,
        groups: Arc<[std::ops::Range<usize>]>,
    },
    /// Each partition cut into `pieces` slices of about equal row counts (output
    /// `i * pieces + j` is slice `j` of partition `i`).
    SplitRows { input: Arc<Plan>, pieces: usize },
}

/// A function applied to each partition: a closure (in-process schedulers) or a
/// registered operation (every scheduler).
#[derive(Clone)]
pub(crate) enum PartitionFn {
    /// A closure; `token` names it uniquely.
    Local {
        func: Arc<dyn Fn(RecordBatch) -> Result<RecordBatch, dask_graph::BoxError> + Send + Sync>,
        token: String,
    },
    /// A registered operation called with `[partition, args...]`.
    Registered {
        op: &'static dask_graph::RegisteredOp,
        args: Vec<Value>,
        token: String,
    },
}

impl std::fmt::Debug for PartitionFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PartitionFn::Local { token, .. } => write!(f, "Local({token})"),
            PartitionFn::Registered { op, .. } => write!(f, "Registered({})", op.name),
        }
    }
}

/// A plan node with what is known about its output.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) kind: Kind,
    pub(crate) schema: SchemaRef,
    pub(crate) npartitions: usize,
    name: OnceLock<Arc<str>>,
}

impl Plan {
    pub(crate) fn new(kind: Kind, schema: SchemaRef, npartitions: usize) -> Arc<Plan> {
        Arc::new(Plan {
            kind,
            schema,
            npartitions,
            name: OnceLock::new(),
        })
    }

    /// A scan node.
    pub(crate) fn scan(scan: Arc<dyn Scan>) -> Arc<Plan> {
        let (schema, n) = (scan.schema(), scan.npartitions());
        Plan::new(Kind::Scan(scan), schema, n)
    }

    /// `steps` appended to this plan: merged into it if it is a map already.
    pub(crate) fn map(self: &Arc<Plan>, step: Step) -> Arc<Plan> {
        let schema = match &step {
            Step::Select(items) => select_schema(items),
            Step::Filter(_) => Arc::clone(&self.schema),
        };
        let (input, steps) = match &self.kind {
            Kind::Map { input, steps } => {
                let mut all = steps.to_vec();
                all.push(step);
                (Arc::clone(input), all)
            }
            _ => (Arc::clone(self), vec![step]),
        };
        let n = input.npartitions;
        Plan::new(
            Kind::Map {
                input,
                steps: steps.into(),
            },
            schema,
            n,
        )
    }

    /// The node's name: a token of its contents.
    pub(crate) fn name(&self) -> Arc<str> {
        Arc::clone(self.name.get_or_init(|| {
            let name = match &self.kind {
                Kind::Scan(s) => s.token(),
                Kind::Data { token, .. } => token.clone(),
                Kind::Graph { name, .. } => return Arc::clone(name),
                Kind::Map { input, steps } => {
                    tokenize("map", &(&*input.name(), postcard_bytes(steps.as_ref())))
                }
                Kind::Concat(inputs) => {
                    let names: Vec<String> = inputs.iter().map(|p| p.name().to_string()).collect();
                    tokenize("concat", &names)
                }
                Kind::MapPartitions { input, func } => {
                    let token = match func {
                        PartitionFn::Local { token, .. }
                        | PartitionFn::Registered { token, .. } => token,
                    };
                    tokenize("map-partitions", &(&*input.name(), token.as_str()))
                }
                Kind::Aggregate { input, agg } => agg.name(&input.name()),
                Kind::TopN { input, spec } => spec.name(&input.name()),
                Kind::Describe { input, spec } => spec.name(&input.name()),
                Kind::Shuffle { input, spec } => spec.name(&input.name()),
                Kind::Zip {
                    inputs, op, spec, ..
                } => {
                    let names: Vec<String> = inputs.iter().map(|p| p.name().to_string()).collect();
                    tokenize("zip", &(op.name, &**spec, names))
                }
                Kind::Coalesce { input, groups } => {
                    let bounds: Vec<u64> = groups
                        .iter()
                        .flat_map(|g| [g.start as u64, g.end as u64])
                        .collect();
                    tokenize("coalesce", &(&*input.name(), bounds))
                }
                Kind::SplitRows { input, pieces } => {
                    tokenize("split-rows", &(&*input.name(), *pieces as u64))
                }
            };
            Arc::from(name)
        }))
    }

    /// The key of partition `i`.
    pub(crate) fn key(&self, i: usize) -> Key {
        Key::block(&self.name(), &[i as u32])
    }

    /// Every partition key, in order.
    pub(crate) fn keys(&self) -> Vec<Key> {
        (0..self.npartitions).map(|i| self.key(i)).collect()
    }
}

/// Postcard bytes of serde data that cannot fail to encode (steps, specs).
pub(crate) fn postcard_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap_or_default()
}

/// The plan with every column that its output does not need dropped as early as the
/// nodes allow (see the module notes).
pub(crate) fn optimize(plan: &Arc<Plan>) -> Arc<Plan> {
    let all: Vec<&str> = plan
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    prune(plan, &all)
}

fn prune(plan: &Arc<Plan>, needed: &[&str]) -> Arc<Plan> {
    match &plan.kind {
        Kind::Scan(scan) => {
            let mut cols: Vec<&str> = needed.to_vec();
            if cols.is_empty() {
                // Something must be read to count rows: the first column.
                cols.extend(plan.schema.fields().first().map(|f| f.name().as_str()));
            }
            if cols.len() == plan.schema.fields().len() {
                return Arc::clone(plan);
            }
            match scan.project(&cols) {
                Some(s) => Plan::scan(s),
                None => Arc::clone(plan),
            }
        }
        Kind::Data { .. } | Kind::Graph { .. } => Arc::clone(plan),
        Kind::Map { input, steps } => {
            let mut needed: Vec<String> = needed.iter().map(|s| s.to_string()).collect();
            let mut kept: Vec<Step> = Vec::with_capacity(steps.len());
            for step in steps.iter().rev() {
                let step = match step {
                    Step::Select(items) => {
                        let mut items: Vec<_> = items
                            .iter()
                            .filter(|(_, f)| needed.iter().any(|n| n == f.name()))
                            .cloned()
                            .collect();
                        if items.is_empty() {
                            // Keep one column so the rows are still counted.
                            items.extend(match step {
                                Step::Select(all) => all.first().cloned(),
                                Step::Filter(_) => None,
                            });
                        }
                        needed.clear();
                        Step::Select(items)
                    }
                    Step::Filter(p) => Step::Filter(p.clone()),
                };
                for c in step.columns() {
                    if !needed.iter().any(|n| n == c) {
                        needed.push(c.to_string());
                    }
                }
                kept.push(step);
            }
            kept.reverse();
            let needed: Vec<&str> = needed.iter().map(String::as_str).collect();
            let mut input = prune(input, &needed);
            // The filters that come first see the scan's columns: give them to the scan.
            let leading = kept
                .iter()
                .map_while(|s| match s {
                    Step::Filter(p) => Some(p.clone()),
                    Step::Select(_) => None,
                })
                .reduce(|a, b| a & b);
            if let (Kind::Scan(scan), Some(predicate)) = (&input.kind, leading)
                && let Some(pruned) = scan.prune(&predicate)
            {
                input = Plan::scan(pruned);
            }
            let mut out = input;
            for step in kept {
                out = out.map(step);
            }
            out
        }
        Kind::Concat(inputs) => {
            let inputs = inputs.iter().map(|p| prune(p, needed)).collect();
            Plan::new(
                Kind::Concat(inputs),
                Arc::clone(&plan.schema),
                plan.npartitions,
            )
        }
        Kind::MapPartitions { input, func } => {
            let all: Vec<&str> = input
                .schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            Plan::new(
                Kind::MapPartitions {
                    input: prune(input, &all),
                    func: func.clone(),
                },
                Arc::clone(&plan.schema),
                plan.npartitions,
            )
        }
        Kind::Aggregate { input, agg } => {
            let cols = agg.input_columns();
            let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
            Plan::new(
                Kind::Aggregate {
                    input: prune(input, &cols),
                    agg: Arc::clone(agg),
                },
                Arc::clone(&plan.schema),
                plan.npartitions,
            )
        }
        Kind::Describe { input, spec } => {
            let cols: Vec<&str> = spec.columns.iter().map(String::as_str).collect();
            Plan::new(
                Kind::Describe {
                    input: prune(input, &cols),
                    spec: Arc::clone(spec),
                },
                Arc::clone(&plan.schema),
                plan.npartitions,
            )
        }
        Kind::Shuffle { input, spec } => {
            let mut cols: Vec<String> = needed.iter().map(|s| s.to_string()).collect();
            for c in spec.columns() {
                if !cols.contains(&c) {
                    cols.push(c);
                }
            }
            let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
            let input = prune(input, &cols);
            let schema = Arc::clone(&input.schema);
            Plan::new(
                Kind::Shuffle {
                    input,
                    spec: Arc::clone(spec),
                },
                schema_subset(&plan.schema, &schema),
                plan.npartitions,
            )
        }
        Kind::Zip {
            inputs,
            op,
            spec,
            reads,
        } => {
            let inputs = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| {
                    let all: Vec<&str> = input
                        .schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect();
                    let cols: Vec<&str> = match reads {
                        None => all,
                        Some(reads) => all
                            .into_iter()
                            .filter(|c| needed.contains(c) || reads[i].iter().any(|r| r == c))
                            .collect(),
                    };
                    prune(input, &cols)
                })
                .collect::<Vec<_>>();
            // An operation that reads named columns passes its first input's on.
            let schema = match (reads, inputs.first()) {
                (Some(_), Some(first)) => schema_subset(&plan.schema, &first.schema),
                _ => Arc::clone(&plan.schema),
            };
            Plan::new(
                Kind::Zip {
                    inputs,
                    op,
                    spec: Arc::clone(spec),
                    reads: reads.clone(),
                },
                schema,
                plan.npartitions,
            )
        }
        Kind::Coalesce { input, groups } => {
            let input = prune(input, needed);
            let schema = schema_subset(&plan.schema, &input.schema);
            Plan::new(
                Kind::Coalesce {
                    input,
                    groups: Arc::clone(groups),
                },
                schema,
                plan.npartitions,
            )
        }
        Kind::SplitRows { input, pieces } => {
            let input = prune(input, needed);
            let schema = schema_subset(&plan.schema, &input.schema);
            Plan::new(
                Kind::SplitRows {
                    input,
                    pieces: *pieces,
                },
                schema,
                plan.npartitions,
            )
        }
        Kind::TopN { input, spec } => {
            let mut cols: Vec<&str> = needed.to_vec();
            if !cols.contains(&spec.column.as_str()) {
                cols.push(&spec.column);
            }
            Plan::new(
                Kind::TopN {
                    input: prune(input, &cols),
                    spec: Arc::clone(spec),
                },
                Arc::clone(&plan.schema),
                plan.npartitions,
            )
        }
    }
}

/// The fields of `full` that `available` has, in `full`'s order: the schema of a
/// node passing on its input's columns after the input was pruned.
fn schema_subset(full: &SchemaRef, available: &SchemaRef) -> SchemaRef {
    let fields: Vec<_> = full
        .fields()
        .iter()
        .filter(|f| available.field_with_name(f.name()).is_ok())
        .cloned()
        .collect();
    Arc::new(arrow_schema::Schema::new(fields))
}

/// About how many bytes the plan's partitions take in memory all together, if known:
/// what decides whether its shuffles go through files.
pub(crate) fn estimated_bytes(plan: &Plan) -> Option<u64> {
    match &plan.kind {
        Kind::Scan(scan) => scan.estimated_bytes(),
        // The rows' own bytes: a slice's buffers may be shared with its neighbours'.
        Kind::Data { batches, .. } => Some(
            batches
                .iter()
                .flat_map(|b| b.columns())
                .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0) as u64)
                .sum(),
        ),
        Kind::Graph { .. } => None,
        Kind::Map { input, .. }
        | Kind::MapPartitions { input, .. }
        | Kind::Shuffle { input, .. }
        | Kind::Coalesce { input, .. }
        | Kind::SplitRows { input, .. } => estimated_bytes(input),
        Kind::Concat(inputs) | Kind::Zip { inputs, .. } => {
            inputs.iter().map(|p| estimated_bytes(p)).sum()
        }
        Kind::Aggregate { input, agg } => {
            if agg.split_out() > 1 {
                estimated_bytes(input)
            } else {
                Some(0)
            }
        }
        Kind::TopN { .. } | Kind::Describe { .. } => Some(0),
    }
}

/// Adds the layers computing `plan` to `graph` (once per node name) and returns the name
/// of the layer holding its partitions.
pub(crate) fn materialize(plan: &Arc<Plan>, graph: &mut Graph) -> Arc<str> {
    let name = plan.name();
    if graph.layer(&name).is_some() {
        return name;
    }
    let n = plan.npartitions;
    let mut layer = Layer::with_capacity(Arc::clone(&name), n);
    match &plan.kind {
        Kind::Scan(scan) => {
            for i in 0..n {
                layer.insert(plan.key(i), scan.task(i));
            }
        }
        Kind::Data { batches, .. } => {
            for (i, b) in batches.iter().enumerate() {
                layer.data(plan.key(i), batch_value(b.clone()));
            }
        }
        Kind::Graph { graph: g, .. } => {
            graph.merge(g);
            return name;
        }
        Kind::Map { input, steps } => {
            let input_name = materialize(input, graph);
            let steps = Arg::Literal(Value::new(postcard_bytes(steps.as_ref())));
            for i in 0..n {
                layer.task(
                    plan.key(i),
                    &crate::map::MAP,
                    vec![
                        steps.clone(),
                        Arg::Key(Key::block(&input_name, &[i as u32])),
                    ],
                );
            }
        }
        Kind::Concat(inputs) => {
            let mut i = 0;
            for input in inputs {
                let input_name = materialize(input, graph);
                for j in 0..input.npartitions {
                    layer.alias(plan.key(i), Key::block(&input_name, &[j as u32]));
                    i += 1;
                }
            }
        }
        Kind::MapPartitions { input, func } => {
            let input_name = materialize(input, graph);
            for i in 0..n {
                let part = Arg::Key(Key::block(&input_name, &[i as u32]));
                let task = match func {
                    PartitionFn::Local { func, .. } => {
                        let f = Arc::clone(func);
                        let op = Op::local("map_partitions", move |mut a| {
                            let batch = a.take::<RecordBatch>(0)?;
                            Ok(batch_value(f(batch)?))
                        });
                        Task::new(op, vec![part])
                    }
                    PartitionFn::Registered { op, args, .. } => {
                        // Through `dataframe.map_partitions`, which calls the user's
                        // operation and checks what it returns against the schema.
                        let mut all = vec![
                            Arg::Literal(Value::new(op.name.to_string())),
                            Arg::Literal(Value::new(postcard_bytes(plan.schema.as_ref()))),
                            part,
                        ];
                        all.extend(args.iter().cloned().map(Arg::Literal));
                        Task::new(Op::Registered(&crate::frame::MAP_PARTITIONS), all)
                    }
                };
                layer.insert(plan.key(i), task);
            }
        }
        Kind::Aggregate { input, agg } => {
            let input_name = materialize(input, graph);
            agg.build(
                graph,
                &input_name,
                input.npartitions,
                &name,
                estimated_bytes(input),
            );
            return name;
        }
        Kind::Describe { input, spec } => {
            let input_name = materialize(input, graph);
            spec.build(graph, &input_name, input.npartitions, &name);
            return name;
        }
        Kind::TopN { input, spec } => {
            let input_name = materialize(input, graph);
            spec.build(graph, &input_name, input.npartitions, &name);
            return name;
        }
        Kind::Shuffle { input, spec } => {
            let input_name = materialize(input, graph);
            // A range shuffle samples its keys from a read of their columns only: the
            // whole partitions are read again when the boundaries are known, instead
            // of waiting in memory for them.
            let sampled = match &spec.by {
                crate::shuffle::By::Range(keys) => {
                    let cols: Vec<&str> = keys.iter().map(|k| k.column.as_str()).collect();
                    Some(materialize(&prune(input, &cols), graph))
                }
                _ => None,
            };
            spec.build(
                graph,
                &input_name,
                sampled.as_ref().unwrap_or(&input_name),
                input.npartitions,
                &name,
                &input.schema,
                estimated_bytes(input),
            );
            return name;
        }
        Kind::Zip {
            inputs, op, spec, ..
        } => {
            let names: Vec<Arc<str>> = inputs.iter().map(|p| materialize(p, graph)).collect();
            let spec = Arg::Literal(Value::new(spec.to_vec()));
            for i in 0..n {
                let mut args = vec![spec.clone()];
                for (input, input_name) in inputs.iter().zip(&names) {
                    let j = if input.npartitions == 1 { 0 } else { i };
                    args.push(Arg::Key(Key::block(input_name, &[j as u32])));
                }
                layer.task(plan.key(i), *op, args);
            }
        }
        Kind::Coalesce { input, groups } => {
            let input_name = materialize(input, graph);
            let schema = Arg::Literal(Value::new(postcard_bytes(input.schema.as_ref())));
            for (j, g) in groups.iter().enumerate() {
                if g.len() == 1 {
                    layer.alias(plan.key(j), Key::block(&input_name, &[g.start as u32]));
                    continue;
                }
                let mut args = vec![schema.clone()];
                args.extend(
                    g.clone()
                        .map(|i| Arg::Key(Key::block(&input_name, &[i as u32]))),
                );
                layer.task(plan.key(j), &crate::shuffle::CONCAT, args);
            }
        }
        Kind::SplitRows { input, pieces } => {
            let input_name = materialize(input, graph);
            for i in 0..input.npartitions {
                for j in 0..*pieces {
                    layer.task(
                        plan.key(i * pieces + j),
                        &crate::repartition::SLICE,
                        vec![
                            Arg::Literal(Value::new(vec![j as u64, *pieces as u64])),
                            Arg::Key(Key::block(&input_name, &[i as u32])),
                        ],
                    );
                }
            }
        }
    }
    graph.add_layer(layer);
    name
}
