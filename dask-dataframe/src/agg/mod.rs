//! Aggregations: groupby and whole-frame reductions, as one apply–combine–aggregate tree.
//!
//! A reduction of a column is a groupby with no keys (one group), so `df.col("x").sum()`,
//! `df.agg([...])` and `df.groupby(["k"]).agg([...])` run the same machinery:
//!
//! 1. **partial** — one task per partition groups its rows ([`group`]: Arrow's row format
//!    for any key types, a direct hash of a single `Int64` key) and folds each
//!    aggregation into a per-group state ([`accum`]); the result is a small batch of
//!    keys and state columns;
//! 2. **combine** — tasks of at most `split_every` partial batches (Dask's default for
//!    dataframes, 8) merge them, group by group, up the workspace's [`TreeReduce`];
//! 3. **finish** — the root merges the last states and computes the outputs (a mean
//!    from its sum and count, a standard deviation from count, mean and M2), sorted by
//!    the keys as pandas sorts groupby results.
//!
//! With `split_out = k > 1` (for results with many groups) the partial batches go
//! through the shared shuffle (`dask-shuffle`, staged in memory or through files when
//! they are larger than memory allows) by a hash of their keys into `k` partitions, and
//! each output partition merges and finishes its own groups: the result has `k`
//! partitions holding disjoint sets of groups, and no task ever holds all groups.
//!
//! Nulls are skipped as pandas does (`skipna`), and so are NaNs in float columns (pandas
//! reads both as missing). Rows with a null key are dropped unless `dropna(false)`.
//!
//! [`TreeReduce`]: dask_graph::TreeReduce

pub(crate) mod accum;
pub(crate) mod group;
pub(crate) mod hll;

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use dask_graph::{
    Arg, Args, Graph, Key, Layer, OpResult, TreeReduce, Value, register_op, tokenize,
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};
use crate::expr::resolve::{column_list, is_numeric};
use crate::partition::batch_value;
use crate::plan::postcard_bytes;
use accum::{Acc, nan_as_null, output_type, state_fields};
use group::Grouper;

/// Dask's default fan-in of dataframe reduction trees.
pub const DEFAULT_SPLIT_EVERY: usize = 8;

/// An aggregation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AggFunc {
    /// The sum of the non-null values (0 when there are none, as pandas).
    Sum,
    /// The mean of the non-null values (null when there are none).
    Mean,
    /// The smallest non-null value.
    Min,
    /// The largest non-null value.
    Max,
    /// The number of non-null values.
    Count,
    /// The number of rows, nulls included.
    Size,
    /// The variance with `ddof` delta degrees of freedom (pandas' default is 1).
    Var {
        /// Delta degrees of freedom.
        ddof: u32,
    },
    /// The standard deviation with `ddof` delta degrees of freedom.
    Std {
        /// Delta degrees of freedom.
        ddof: u32,
    },
    /// The first non-null value, in partition and row order.
    First,
    /// The last non-null value.
    Last,
    /// The number of distinct non-null values, exactly.
    NUnique,
    /// The number of distinct non-null values, approximately (HyperLogLog, relative
    /// standard error about 0.8%, in 16 KiB whatever the data); whole columns only.
    ApproxNUnique,
}

impl AggFunc {
    /// The pandas name (`"sum"`, `"nunique"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Sum => "sum",
            AggFunc::Mean => "mean",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Count => "count",
            AggFunc::Size => "size",
            AggFunc::Var { .. } => "var",
            AggFunc::Std { .. } => "std",
            AggFunc::First => "first",
            AggFunc::Last => "last",
            AggFunc::NUnique => "nunique",
            AggFunc::ApproxNUnique => "nunique_approx",
        }
    }
}

/// One aggregation of a groupby or a reduction: a function, the column it reads (none
/// for [`size`]) and the output column's name (the input column's name, or `"size"`,
/// unless [`alias`](Agg::alias)ed).
///
/// ```
/// use dask_dataframe::{mean, size, sum};
/// let aggs = [sum("value").alias("total"), mean("value"), size()];
/// assert_eq!(aggs[0].name(), "total");
/// assert_eq!(aggs[1].name(), "value");
/// assert_eq!(aggs[2].name(), "size");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    func: AggFunc,
    column: Option<String>,
    alias: Option<String>,
}

impl Agg {
    /// `func` of `column`.
    pub fn new(func: AggFunc, column: impl Into<String>) -> Agg {
        Agg {
            func,
            column: Some(column.into()),
            alias: None,
        }
    }

    /// The aggregation with output name `name`.
    pub fn alias(mut self, name: impl Into<String>) -> Agg {
        self.alias = Some(name.into());
        self
    }

    /// The output column's name.
    pub fn name(&self) -> &str {
        self.alias
            .as_deref()
            .or(self.column.as_deref())
            .unwrap_or("size")
    }

    /// The function.
    pub fn func(&self) -> AggFunc {
        self.func
    }
}

macro_rules! agg_builders {
    ($($(#[$doc:meta])* $name:ident => $func:expr),+) => {
        $($(#[$doc])* pub fn $name(column: impl Into<String>) -> Agg {
            Agg::new($func, column)
        })+
    };
}

agg_builders!(
    /// The sum of a column.
    sum => AggFunc::Sum,
    /// The mean of a column.
    mean => AggFunc::Mean,
    /// The minimum of a column.
    min => AggFunc::Min,
    /// The maximum of a column.
    max => AggFunc::Max,
    /// The number of non-null values of a column.
    count => AggFunc::Count,
    /// The first non-null value of a column.
    first => AggFunc::First,
    /// The last non-null value of a column.
    last => AggFunc::Last,
    /// The number of distinct values of a column.
    nunique => AggFunc::NUnique
);

/// The variance of a column with `ddof` delta degrees of freedom.
pub fn var(column: impl Into<String>, ddof: u32) -> Agg {
    Agg::new(AggFunc::Var { ddof }, column)
}

/// The standard deviation of a column with `ddof` delta degrees of freedom.
pub fn std(column: impl Into<String>, ddof: u32) -> Agg {
    Agg::new(AggFunc::Std { ddof }, column)
}

/// The number of rows of each group.
pub fn size() -> Agg {
    Agg {
        func: AggFunc::Size,
        column: None,
        alias: None,
    }
}

/// One aggregation as the tasks carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    func: AggFunc,
    column: Option<String>,
    input: DataType,
    name: String,
}

/// What the tasks of an aggregation need: keys, aggregations, options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Spec {
    keys: Vec<Field>,
    items: Vec<Item>,
    dropna: bool,
    order: Order,
}

/// How the finished groups are ordered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Order {
    /// By the keys, ascending (pandas' `sort=True`).
    Keys,
    /// By one output column, descending (`value_counts`).
    Descending(String),
}

/// An aggregation node of the plan: the spec, its tree's shape, its output schema.
#[derive(Debug)]
pub(crate) struct AggPlan {
    spec: Spec,
    bytes: Vec<u8>,
    split_every: usize,
    split_out: usize,
    output: SchemaRef,
}

impl AggPlan {
    /// Checks `aggs` grouped by `keys` against `schema` (errors name `op`, the column
    /// and its type) and plans the tree.
    // Internal: the three public entry points (agg, groupby, value_counts) spell each
    // parameter out.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        op: &str,
        schema: &Schema,
        keys: &[String],
        aggs: &[Agg],
        dropna: bool,
        split_every: usize,
        split_out: usize,
        order: Order,
    ) -> Result<AggPlan> {
        let field = |c: &str| {
            schema
                .field_with_name(c)
                .cloned()
                .map_err(|_| crate::Error::NoColumn {
                    op: op.to_string(),
                    column: c.to_string(),
                    available: column_list(schema),
                })
        };
        if split_every < 2 {
            return Err(invalid(
                op,
                format!("split_every must be at least 2 (it is {split_every})"),
            ));
        }
        if split_out == 0 || (keys.is_empty() && split_out > 1) {
            return Err(invalid(
                op,
                format!(
                    "split_out must be at least 1, and 1 without group keys (it is {split_out})"
                ),
            ));
        }
        if aggs.is_empty() {
            return Err(invalid(op, "no aggregations were given"));
        }
        let mut key_fields = Vec::with_capacity(keys.len());
        for k in keys {
            let f = field(k)?;
            if !arrow_row::RowConverter::supports_fields(&[arrow_row::SortField::new(
                f.data_type().clone(),
            )]) {
                return Err(invalid(
                    op,
                    format!("cannot group by `{k}`, a {}", f.data_type()),
                ));
            }
            key_fields.push(f.with_nullable(true));
        }
        let mut items: Vec<Item> = Vec::with_capacity(aggs.len());
        let mut names: Vec<&str> = keys.iter().map(String::as_str).collect();
        for a in aggs {
            let input = match &a.column {
                Some(c) => field(c)?.data_type().clone(),
                None => DataType::Null,
            };
            check_type(op, a, &input, keys.is_empty())?;
            if names.contains(&a.name()) {
                return Err(invalid(
                    op,
                    format!(
                        "two output columns would be named `{}`; give one of the aggregations another name with `.alias(...)`",
                        a.name()
                    ),
                ));
            }
            names.push(a.name());
            items.push(Item {
                func: a.func,
                column: a.column.clone(),
                input,
                name: a.name().to_string(),
            });
        }
        let spec = Spec {
            keys: key_fields,
            items,
            dropna,
            order,
        };
        let output = output_schema(&spec);
        Ok(AggPlan {
            bytes: postcard_bytes(&spec),
            spec,
            split_every,
            split_out,
            output,
        })
    }

    /// The schema of the result: keys first, then one column per aggregation.
    pub(crate) fn schema(&self) -> SchemaRef {
        Arc::clone(&self.output)
    }

    /// How many partitions the result has.
    pub(crate) fn split_out(&self) -> usize {
        self.split_out
    }

    /// The columns the aggregation reads.
    pub(crate) fn input_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = self.spec.keys.iter().map(|f| f.name().clone()).collect();
        for i in &self.spec.items {
            if let Some(c) = &i.column
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
        out
    }

    /// The node's name over the input `input`.
    pub(crate) fn name(&self, input: &str) -> String {
        tokenize(
            "aggregate",
            &(
                input,
                &self.bytes,
                self.split_every as u64,
                self.split_out as u64,
            ),
        )
    }

    /// Adds the partial, split, combine and finish layers; the result's partitions are
    /// `(name, j)`.
    pub(crate) fn build(
        &self,
        graph: &mut Graph,
        input: &Arc<str>,
        npartitions: usize,
        name: &Arc<str>,
        estimated_bytes: Option<u64>,
    ) {
        let spec = Arg::Literal(Value::new(self.bytes.clone()));
        let partial: Arc<str> = Arc::from(tokenize("aggregate-partial", &**name));
        let mut layer = Layer::with_capacity(Arc::clone(&partial), npartitions);
        let mut partials = Vec::with_capacity(npartitions);
        for i in 0..npartitions {
            let key = Key::block(&partial, &[i as u32]);
            layer.task(
                key.clone(),
                &PARTIAL,
                vec![spec.clone(), Arg::Key(Key::block(input, &[i as u32]))],
            );
            partials.push(key);
        }
        graph.add_layer(layer);
        let tree = |root: Arc<str>| {
            TreeReduce::new(root, &COMBINE)
                .args(vec![spec.clone()])
                .aggregate(&FINISH, vec![spec.clone()])
                .split_every(self.split_every)
        };
        // `split_every` was checked when the plan was made.
        let grow = |graph: &mut Graph, root: Arc<str>, keys| {
            tree(root)
                .build(graph, keys)
                .expect("split_every is at least 2")
        };
        if self.split_out == 1 {
            grow(graph, Arc::clone(name), partials);
            return;
        }
        // Many groups: the partial states go through the shared shuffle by a hash of
        // their keys, and each output partition merges and finishes its own groups.
        let shuffle = dask_shuffle::Shuffle::new(Arc::clone(name), self.split_out, &SPLIT, &FINISH)
            .split_args(vec![
                spec.clone(),
                Arg::Literal(Value::new(self.split_out as u64)),
            ])
            .concat_args(vec![spec.clone()])
            .estimated_bytes(estimated_bytes);
        // `split_out` was checked when the plan was made.
        let _ = shuffle.build(graph, &partials);
    }
}

fn check_type(op: &str, a: &Agg, input: &DataType, whole: bool) -> Result<()> {
    let column = a.column.as_deref().unwrap_or("");
    let bad = |needs: &str| {
        invalid(
            op,
            format!(
                "cannot take the {} of `{column}`, a {input}: it needs {needs}",
                a.func.name()
            ),
        )
    };
    let orderable =
        arrow_row::RowConverter::supports_fields(&[arrow_row::SortField::new(input.clone())]);
    match a.func {
        AggFunc::Sum | AggFunc::Mean | AggFunc::Var { .. } | AggFunc::Std { .. } => {
            if !(is_numeric(input) || *input == DataType::Boolean) {
                return Err(bad("numbers or booleans"));
            }
        }
        AggFunc::Min | AggFunc::Max | AggFunc::NUnique | AggFunc::First | AggFunc::Last => {
            if !orderable {
                return Err(bad("values of an orderable type"));
            }
        }
        AggFunc::ApproxNUnique => {
            if !whole {
                return Err(invalid(
                    op,
                    "the approximate nunique is for whole columns; use nunique in a groupby",
                ));
            }
            if !orderable {
                return Err(bad("values of a hashable type"));
            }
        }
        AggFunc::Count | AggFunc::Size => {}
    }
    Ok(())
}

fn output_schema(spec: &Spec) -> SchemaRef {
    let mut fields = spec.keys.clone();
    fields.extend(
        spec.items
            .iter()
            .map(|i| Field::new(&i.name, output_type(i.func, &i.input), true)),
    );
    Arc::new(Schema::new(fields))
}

fn state_schema(spec: &Spec) -> SchemaRef {
    let mut fields = spec.keys.clone();
    for (n, i) in spec.items.iter().enumerate() {
        fields.extend(state_fields(i.func, &i.input, &format!("s{n}")));
    }
    Arc::new(Schema::new(fields))
}

fn new_accs(spec: &Spec) -> Result<Vec<Acc>, ArrowError> {
    spec.items
        .iter()
        .map(|i| Acc::new(i.func, &i.input))
        .collect()
}

/// A batch with `schema`, `columns` and `rows` rows (zero columns allowed).
fn batch(
    schema: SchemaRef,
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new_with_options(
        schema,
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

/// The key columns of `b`, as the spec's key types.
fn key_columns(spec: &Spec, b: &RecordBatch) -> Result<Vec<ArrayRef>, ArrowError> {
    spec.keys
        .iter()
        .map(|f| {
            let c = b
                .column_by_name(f.name())
                .ok_or_else(|| ArrowError::SchemaError(format!("no key column `{}`", f.name())))?;
            arrow_cast::cast(c, f.data_type())
        })
        .collect()
}

/// Partial: one partition to a state batch.
fn partial(spec: &Spec, b: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let mut grouper = Grouper::new(&spec.keys, spec.dropna)?;
    let ids = grouper.ids(&key_columns(spec, b)?, b.num_rows())?;
    let n = grouper.len();
    let mut accs = new_accs(spec)?;
    for (acc, item) in accs.iter_mut().zip(&spec.items) {
        acc.grow(n);
        let values = match &item.column {
            Some(c) => {
                let col = b
                    .column_by_name(c)
                    .ok_or_else(|| ArrowError::SchemaError(format!("no column `{c}`")))?;
                Some(nan_as_null(&arrow_cast::cast(col, &item.input)?))
            }
            None => None,
        };
        acc.update(&ids, values.as_ref())?;
    }
    states(spec, grouper, accs)
}

fn states(spec: &Spec, grouper: Grouper, accs: Vec<Acc>) -> Result<RecordBatch, ArrowError> {
    let n = grouper.len();
    let mut columns = grouper.keys()?;
    for acc in accs {
        columns.extend(acc.state()?);
    }
    batch(state_schema(spec), columns, n)
}

/// Merges state batches into one grouper and set of accumulators.
fn merge(spec: &Spec, parts: &[&RecordBatch]) -> Result<(Grouper, Vec<Acc>), ArrowError> {
    let mut grouper = Grouper::new(&spec.keys, spec.dropna)?;
    let mut accs = new_accs(spec)?;
    let widths: Vec<usize> = spec
        .items
        .iter()
        .map(|i| state_fields(i.func, &i.input, "").len())
        .collect();
    for b in parts {
        let ids = grouper.ids(&key_columns(spec, b)?, b.num_rows())?;
        let n = grouper.len();
        let mut at = spec.keys.len();
        for (acc, w) in accs.iter_mut().zip(&widths) {
            acc.grow(n);
            acc.merge(&ids, &b.columns()[at..at + w])?;
            at += w;
        }
    }
    let n = grouper.len();
    accs.iter_mut().for_each(|a| a.grow(n));
    Ok((grouper, accs))
}

/// Finish: the last states to the output batch, sorted by the keys.
fn finish(spec: &Spec, parts: &[&RecordBatch]) -> Result<RecordBatch, ArrowError> {
    let (grouper, accs) = merge(spec, parts)?;
    let n = grouper.len();
    let mut columns = grouper.keys()?;
    for (acc, item) in accs.into_iter().zip(&spec.items) {
        columns.push(acc.finish(item.func)?);
    }
    let out = batch(output_schema(spec), columns, n)?;
    if spec.keys.is_empty() || n < 2 {
        return Ok(out);
    }
    let sort: Vec<arrow_ord::sort::SortColumn> = match &spec.order {
        Order::Keys => out.columns()[..spec.keys.len()]
            .iter()
            .map(|c| arrow_ord::sort::SortColumn {
                values: Arc::clone(c),
                // Null keys (kept with `dropna(false)`) sort last, as in pandas.
                options: Some(arrow_schema::SortOptions {
                    descending: false,
                    nulls_first: false,
                }),
            })
            .collect(),
        Order::Descending(c) => {
            let values = out
                .column_by_name(c)
                .ok_or_else(|| ArrowError::SchemaError(format!("no column `{c}` to sort by")))?;
            vec![arrow_ord::sort::SortColumn {
                values: Arc::clone(values),
                options: Some(arrow_schema::SortOptions {
                    descending: true,
                    nulls_first: false,
                }),
            }]
        }
    };
    let order = arrow_ord::sort::lexsort_to_indices(&sort, None)?;
    arrow_select::take::take_record_batch(&out, &order)
}

/// The output partition (of `n`) of each row of a state batch: a hash of its keys.
fn targets(spec: &Spec, n: u64, b: &RecordBatch) -> Result<Vec<u64>, ArrowError> {
    let converter = arrow_row::RowConverter::new(
        spec.keys
            .iter()
            .map(|f| arrow_row::SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&key_columns(spec, b)?)?;
    Ok(rows
        .iter()
        .map(|r| xxhash_rust::xxh3::xxh3_64(r.as_ref()) % n)
        .collect())
}

fn spec_arg(args: &Args) -> Result<Spec, dask_graph::BoxError> {
    Ok(postcard::from_bytes(args.get::<Vec<u8>>(0)?)?)
}

fn partial_op(args: Args) -> OpResult {
    let spec = spec_arg(&args)?;
    Ok(batch_value(partial(&spec, args.get::<RecordBatch>(1)?)?))
}

/// `[spec, states...]` (batches, or the pieces a shuffle gathered): the states merged.
fn combine_op(args: Args) -> OpResult {
    let spec = spec_arg(&args)?;
    let parts = dask_shuffle::Pieces::flatten(args.into_values().into_iter().skip(1));
    let batches = parts
        .iter()
        .map(|p| p.get::<RecordBatch>())
        .collect::<Result<Vec<_>, _>>()?;
    let (grouper, accs) = merge(&spec, &batches)?;
    Ok(batch_value(states(&spec, grouper, accs)?))
}

/// `[spec, states...]` (batches, or the pieces a shuffle gathered): the outputs.
fn finish_op(args: Args) -> OpResult {
    let spec = spec_arg(&args)?;
    let parts = dask_shuffle::Pieces::flatten(args.into_values().into_iter().skip(1));
    let batches = parts
        .iter()
        .map(|p| p.get::<RecordBatch>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(batch_value(finish(&spec, &batches)?))
}

/// `[spec, n, states, route]`: the state batches (one, or the pieces a stage
/// gathered) cut by the output partitions of their keys.
fn split_op(args: Args) -> OpResult {
    let spec = spec_arg(&args)?;
    let n = (*args.get::<u64>(1)?).max(1);
    let route = *args.get::<dask_shuffle::Route>(3)?;
    let input = args.value(2)?.clone();
    let pieces = dask_shuffle::Pieces::split_each(input, route.k as usize, |part| {
        let b = part.get::<RecordBatch>()?;
        let out = route
            .rows_by_piece(targets(&spec, n, b)?)
            .into_iter()
            .map(|rows| {
                if rows.is_empty() {
                    return Ok(None);
                }
                let idx = arrow_array::UInt32Array::from(rows);
                Ok(Some(batch_value(arrow_select::take::take_record_batch(
                    b, &idx,
                )?)))
            })
            .collect::<Result<Vec<_>, ArrowError>>()?;
        Ok(dask_shuffle::Pieces(out))
    })?;
    Ok(Value::new(pieces))
}

register_op!(PARTIAL = "dataframe.agg.partial" => partial_op);
register_op!(COMBINE = "dataframe.agg.combine" => combine_op);
register_op!(FINISH = "dataframe.agg.finish" => finish_op);
register_op!(SPLIT = "dataframe.agg.split" => split_op);
