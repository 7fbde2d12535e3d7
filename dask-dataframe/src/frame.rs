//! The lazy dataframe handle and its row-wise operations.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dask_graph::{Collection, Graph, Key, RegisteredOp, Scheduler, Value, Values, unique_token};

use crate::agg::{Agg, AggPlan, DEFAULT_SPLIT_EVERY, Order};
use crate::error::{Error, Result, invalid};
use crate::expr::resolve::{column_list, common_numeric, is_numeric, is_string, resolve};
use crate::expr::{Expr, col};
use crate::map::Step;
use crate::plan::{Kind, PartitionFn, Plan, materialize, optimize};
use crate::scalar::ScalarValue;
use crate::{GroupBy, Scalar, Series};

/// A lazy, partitioned dataframe: partitions are Arrow `RecordBatch`es made by tasks of
/// a graph, and the schema and the number of partitions are known without computing.
///
/// Cloning is cheap. Every operation returns a new frame and checks its columns and types
/// when it is called; nothing runs until [`compute`](DataFrame::compute), which returns
/// one `RecordBatch` (print it with [`pretty`](crate::pretty)).
///
/// ```
/// use dask_dataframe::{DataFrame, col, lit};
/// use dask_graph::SyncScheduler;
/// use arrow_array::{Float64Array, Int64Array, RecordBatch};
/// use std::sync::Arc;
///
/// let batch = RecordBatch::try_from_iter([
///     ("k", Arc::new(Int64Array::from(vec![1, 2, 1, 2])) as _),
///     ("v", Arc::new(Float64Array::from(vec![1.0, -2.0, 3.0, 4.0])) as _),
/// ])?;
/// let df = DataFrame::from_record_batch(batch, 2)?;
/// let out = df.filter(col("v").gt(lit(0.0)))?.with_column("w", col("v") * 10)?.compute(&SyncScheduler)?;
/// assert_eq!(out.num_rows(), 3);
/// assert_eq!(out.schema().field(2).name(), "w");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DataFrame {
    plan: Arc<Plan>,
    optimized: Arc<OnceLock<Arc<Plan>>>,
    /// The column `set_index` sorted the frame by, if this frame came from it.
    index: Option<Arc<str>>,
    /// Divisions learnt when the frame was persisted.
    known: Option<Arc<crate::Divisions>>,
}

impl std::fmt::Debug for DataFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DataFrame(npartitions={}, columns=[{}])",
            self.plan.npartitions,
            column_list(&self.plan.schema)
        )
    }
}

impl DataFrame {
    pub(crate) fn from_plan(plan: Arc<Plan>) -> DataFrame {
        DataFrame {
            plan,
            optimized: Arc::new(OnceLock::new()),
            index: None,
            known: None,
        }
    }

    /// The same frame with divisions known from elsewhere (the sources' statistics).
    pub(crate) fn with_known_divisions(mut self, divisions: crate::Divisions) -> DataFrame {
        self.known = Some(Arc::new(divisions));
        self
    }

    /// The same frame with `column` as its index.
    pub(crate) fn with_index(mut self, column: String) -> DataFrame {
        self.index = Some(Arc::from(column));
        self
    }

    /// The index column set by [`set_index`](DataFrame::set_index), if any (kept by
    /// [`persist`](DataFrame::persist); other operations return frames without one).
    pub fn index(&self) -> Option<&str> {
        self.index.as_deref()
    }

    pub(crate) fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// The plan with its columns pushed down (computed once per frame).
    fn optimized(&self) -> &Arc<Plan> {
        self.optimized.get_or_init(|| optimize(&self.plan))
    }

    /// A frame of the given partitions, which must all have one schema (at least one
    /// partition is needed to know it; use [`from_record_batch`] for one batch).
    ///
    /// [`from_record_batch`]: DataFrame::from_record_batch
    pub fn from_record_batches(batches: Vec<RecordBatch>) -> Result<DataFrame> {
        let Some(first) = batches.first() else {
            return Err(invalid(
                "from_record_batches",
                "no batches were given (the schema would be unknown)",
            ));
        };
        let schema = first.schema();
        for (i, b) in batches.iter().enumerate() {
            if b.schema().fields() != schema.fields() {
                return Err(invalid(
                    "from_record_batches",
                    format!(
                        "batch {i} has columns {} but batch 0 has {}",
                        column_list(&b.schema()),
                        column_list(&schema)
                    ),
                ));
            }
        }
        let n = batches.len();
        let token = unique_token("from-record-batches", &(n as u64));
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Data {
                batches: batches.into(),
                token,
            },
            schema,
            n,
        )))
    }

    /// A frame of one batch cut into `npartitions` partitions of nearly equal row counts
    /// (pandas' `from_pandas(npartitions=...)`).
    pub fn from_record_batch(batch: RecordBatch, npartitions: usize) -> Result<DataFrame> {
        if npartitions == 0 {
            return Err(invalid(
                "from_record_batch",
                "npartitions must be at least 1",
            ));
        }
        let rows = batch.num_rows();
        let parts = (0..npartitions)
            .map(|i| {
                let (start, end) = (i * rows / npartitions, (i + 1) * rows / npartitions);
                batch.slice(start, end - start)
            })
            .collect();
        DataFrame::from_record_batches(parts)
    }

    /// The schema: column names, types and nullability.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.plan.schema)
    }

    /// The column names, in order.
    pub fn columns(&self) -> Vec<String> {
        self.plan
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The number of partitions.
    pub fn npartitions(&self) -> usize {
        self.plan.npartitions
    }

    /// The partitions' sorted boundaries along one column, when known without computing
    /// (a Parquet read with [`ParquetOptions::index`](crate::ParquetOptions::index) whose
    /// statistics are in order); kept through filters and selects that keep the column.
    pub fn divisions(&self) -> Option<crate::Divisions> {
        match &self.known {
            Some(d) => Some(d.as_ref().clone()),
            None => crate::plan::divisions(&self.plan),
        }
    }

    // -----------------------------------------------------------------------------------
    // Row-wise operations.

    fn step_select(&self, op: &str, exprs: Vec<Expr>) -> Result<DataFrame> {
        let mut items = Vec::with_capacity(exprs.len());
        for e in &exprs {
            let r = resolve(e, &self.plan.schema, op)?;
            if items
                .iter()
                .any(|(_, f): &(Expr, Field)| f.name() == r.field.name())
            {
                return Err(invalid(
                    op,
                    format!(
                        "two columns would be named `{}`; name one of them with `.alias(...)`",
                        r.field.name()
                    ),
                ));
            }
            items.push((r.expr, r.field));
        }
        Ok(DataFrame::from_plan(self.plan.map(Step::Select(items))))
    }

    /// The frame of the given expressions' columns (`col("a")`, `(col("b") * 2).alias("c")`).
    pub fn select(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<DataFrame> {
        self.step_select("select", exprs.into_iter().collect())
    }

    /// The frame of the named columns (pandas' `df[["a", "b"]]`).
    pub fn select_columns<S: AsRef<str>>(&self, columns: &[S]) -> Result<DataFrame> {
        self.step_select(
            "select_columns",
            columns.iter().map(|c| col(c.as_ref())).collect(),
        )
    }

    /// The rows where `predicate` (a boolean expression) is true; a null predicate drops
    /// the row.
    pub fn filter(&self, predicate: Expr) -> Result<DataFrame> {
        let r = resolve(&predicate, &self.plan.schema, "filter")?;
        if !matches!(r.field.data_type(), DataType::Boolean | DataType::Null) {
            return Err(Error::Type {
                op: "filter".into(),
                expr: predicate.to_string(),
                message: format!(
                    "a filter needs a boolean expression, this one is {}",
                    r.field.data_type()
                ),
            });
        }
        Ok(DataFrame::from_plan(self.plan.map(Step::Filter(r.expr))))
    }

    /// The frame with column `name` set to `expr` (added at the end, or replaced in place).
    pub fn with_column(&self, name: impl Into<String>, expr: Expr) -> Result<DataFrame> {
        self.assign([(name.into(), expr)])
    }

    /// The frame with several columns set at once (pandas' `assign`): each expression
    /// sees the frame as it was before the call.
    pub fn assign<S: Into<String>>(
        &self,
        columns: impl IntoIterator<Item = (S, Expr)>,
    ) -> Result<DataFrame> {
        let mut exprs: Vec<Expr> = self.columns().into_iter().map(col).collect();
        for (name, e) in columns {
            let name = name.into();
            let e = e.alias(name.clone());
            match self.plan.schema.index_of(&name) {
                Ok(i) => exprs[i] = e,
                Err(_) => exprs.push(e),
            }
        }
        self.step_select("with_column", exprs)
    }

    pub(crate) fn existing<'a, S: AsRef<str>>(
        &self,
        op: &str,
        names: &'a [S],
    ) -> Result<Vec<&'a str>> {
        names
            .iter()
            .map(|n| {
                let n = n.as_ref();
                self.plan
                    .schema
                    .index_of(n)
                    .map(|_| n)
                    .map_err(|_| Error::NoColumn {
                        op: op.into(),
                        column: n.into(),
                        available: column_list(&self.plan.schema),
                    })
            })
            .collect()
    }

    /// The frame without the named columns.
    pub fn drop<S: AsRef<str>>(&self, columns: &[S]) -> Result<DataFrame> {
        let gone = self.existing("drop", columns)?;
        let keep: Vec<Expr> = self
            .columns()
            .into_iter()
            .filter(|c| !gone.contains(&c.as_str()))
            .map(col)
            .collect();
        self.step_select("drop", keep)
    }

    /// The frame with columns renamed (`[("old", "new")]`).
    pub fn rename<S: AsRef<str>, T: Into<String>>(
        &self,
        renames: impl IntoIterator<Item = (S, T)>,
    ) -> Result<DataFrame> {
        let mut exprs: Vec<Expr> = self.columns().into_iter().map(col).collect();
        for (old, new) in renames {
            let old = old.as_ref();
            self.existing("rename", &[old])?;
            let i = self.plan.schema.index_of(old)?;
            exprs[i] = col(old).alias(new);
        }
        self.step_select("rename", exprs)
    }

    /// The frame with columns converted to other types (`[("id", DataType::Int32)]`).
    pub fn astype<S: AsRef<str>>(
        &self,
        types: impl IntoIterator<Item = (S, DataType)>,
    ) -> Result<DataFrame> {
        let mut exprs: Vec<Expr> = self.columns().into_iter().map(col).collect();
        for (name, t) in types {
            let name = name.as_ref();
            self.existing("astype", &[name])?;
            let i = self.plan.schema.index_of(name)?;
            exprs[i] = col(name).cast(t).alias(name);
        }
        self.step_select("astype", exprs)
    }

    /// The frame with nulls replaced by `value` in every column whose type it fits (a
    /// number fills the numeric columns, a string the string columns), as pandas'
    /// `fillna(value)`.
    pub fn fillna(&self, value: impl Into<ScalarValue>) -> Result<DataFrame> {
        let value = value.into();
        let vt = value.data_type();
        let exprs: Vec<Expr> = self
            .plan
            .schema
            .fields()
            .iter()
            .map(|f| {
                let t = f.data_type();
                let fits = (is_numeric(t) && is_numeric(&vt))
                    || (is_string(t) && is_string(&vt))
                    || *t == vt;
                let c = col(f.name());
                if fits {
                    // Keep the column's type unless the value needs a wider one (0.5 into
                    // integers makes floats, as in pandas).
                    let out = if is_numeric(t) {
                        common_numeric(t, &vt)
                    } else {
                        t.clone()
                    };
                    c.fill_null(Expr::Literal(value.clone()))
                        .cast(out)
                        .alias(f.name())
                } else {
                    c
                }
            })
            .collect();
        self.step_select("fillna", exprs)
    }

    /// The rows without nulls in any of `subset`'s columns (every column for `None`), as
    /// pandas' `dropna(how="any", subset=...)`.
    pub fn dropna(&self, subset: Option<&[&str]>) -> Result<DataFrame> {
        let cols: Vec<String> = match subset {
            Some(s) => self
                .existing("dropna", s)?
                .into_iter()
                .map(String::from)
                .collect(),
            None => self.columns(),
        };
        let predicate = cols
            .into_iter()
            .map(|c| col(c).is_not_null())
            .reduce(|a, b| a & b);
        match predicate {
            Some(p) => self.filter(p),
            None => Ok(self.clone()),
        }
    }

    /// One column as a [`Series`].
    pub fn col(&self, name: &str) -> Result<Series> {
        self.existing("col", &[name])?;
        Ok(Series::new(self.select_columns(&[name])?))
    }

    /// The partitions of several frames with the same columns and types, one after
    /// another.
    pub fn concat(frames: &[DataFrame]) -> Result<DataFrame> {
        let Some(first) = frames.first() else {
            return Err(invalid("concat", "no frames were given"));
        };
        let fields = |s: &Schema| -> Vec<(String, DataType)> {
            s.fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect()
        };
        let want = fields(&first.plan.schema);
        for (i, f) in frames.iter().enumerate() {
            if fields(&f.plan.schema) != want {
                return Err(invalid(
                    "concat",
                    format!(
                        "frame {i} has columns {} but frame 0 has {}",
                        column_list(&f.plan.schema),
                        column_list(&first.plan.schema)
                    ),
                ));
            }
        }
        let n = frames.iter().map(|f| f.plan.npartitions).sum();
        let inputs = frames.iter().map(|f| Arc::clone(&f.plan)).collect();
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Concat(inputs),
            first.schema(),
            n,
        )))
    }

    /// Applies `f` to every partition; `schema` declares what it returns (checked on
    /// every partition). Closures run on in-process schedulers; the process scheduler
    /// refuses them up front, naming the task (use [`map_partitions_op`]).
    ///
    /// [`map_partitions_op`]: DataFrame::map_partitions_op
    pub fn map_partitions<F, E>(&self, schema: SchemaRef, f: F) -> DataFrame
    where
        F: Fn(RecordBatch) -> std::result::Result<RecordBatch, E> + Send + Sync + 'static,
        E: Into<dask_graph::BoxError>,
    {
        let declared = Arc::clone(&schema);
        let func = Arc::new(move |b: RecordBatch| {
            let out = f(b).map_err(Into::into)?;
            check_schema(&out, &declared)?;
            Ok(out)
        });
        self.partitions_fn(
            schema,
            PartitionFn::Local {
                func,
                token: unique_token("map-partitions", ""),
            },
        )
    }

    /// Applies a registered operation to every partition: it receives
    /// `[partition, args...]` and returns a `RecordBatch` of `schema` (made a value with
    /// [`batch_value`](crate::batch_value)). Runs on every scheduler, worker processes
    /// included.
    pub fn map_partitions_op(
        &self,
        schema: SchemaRef,
        op: &'static RegisteredOp,
        args: Vec<Value>,
    ) -> DataFrame {
        let token = unique_token("map-partitions-op", op.name);
        self.partitions_fn(schema, PartitionFn::Registered { op, args, token })
    }

    fn partitions_fn(&self, schema: SchemaRef, func: PartitionFn) -> DataFrame {
        let n = self.plan.npartitions;
        DataFrame::from_plan(Plan::new(
            Kind::MapPartitions {
                input: Arc::clone(&self.plan),
                func,
            },
            schema,
            n,
        ))
    }

    // -----------------------------------------------------------------------------------
    // Aggregations.

    /// The frame grouped by `keys` (one or several columns of any type).
    pub fn groupby<S: Into<String>>(&self, keys: impl IntoIterator<Item = S>) -> Result<GroupBy> {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        if keys.is_empty() {
            return Err(invalid(
                "groupby",
                "no keys were given (use agg for the whole frame)",
            ));
        }
        self.existing("groupby", &keys)?;
        Ok(GroupBy::new(self.clone(), keys))
    }

    // Internal: see `AggPlan::new`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn aggregate(
        &self,
        op: &str,
        keys: &[String],
        aggs: &[Agg],
        dropna: bool,
        split_every: usize,
        split_out: usize,
        order: Order,
    ) -> Result<DataFrame> {
        let agg = AggPlan::new(
            op,
            &self.plan.schema,
            keys,
            aggs,
            dropna,
            split_every,
            split_out,
            order,
        )?;
        let (schema, n) = (agg.schema(), agg.split_out());
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Aggregate {
                input: Arc::clone(&self.plan),
                agg: Arc::new(agg),
            },
            schema,
            n,
        )))
    }

    /// Aggregations of the whole frame: a frame of one row (`df.agg([sum("x"), max("y")])`).
    pub fn agg(&self, aggs: impl IntoIterator<Item = Agg>) -> Result<DataFrame> {
        let aggs: Vec<Agg> = aggs.into_iter().collect();
        self.aggregate("agg", &[], &aggs, true, DEFAULT_SPLIT_EVERY, 1, Order::Keys)
    }

    /// The number of rows (lazy: a [`Scalar`] that computes to an `Int64`).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Result<Scalar> {
        Scalar::of(self.agg([crate::size().alias("len")])?)
    }

    /// A reduction of every numeric (and boolean) column, as a one-row frame.
    fn numeric_reduction(&self, op: &str, f: impl Fn(String) -> Agg) -> Result<DataFrame> {
        let aggs: Vec<Agg> = self
            .plan
            .schema
            .fields()
            .iter()
            .filter(|fl| is_numeric(fl.data_type()) || *fl.data_type() == DataType::Boolean)
            .map(|fl| f(fl.name().clone()))
            .collect();
        if aggs.is_empty() {
            return Err(invalid(op, "the frame has no numeric columns"));
        }
        self.aggregate(op, &[], &aggs, true, DEFAULT_SPLIT_EVERY, 1, Order::Keys)
    }

    /// The sum of every numeric column (one row).
    pub fn sum(&self) -> Result<DataFrame> {
        self.numeric_reduction("sum", crate::sum)
    }

    /// The mean of every numeric column (one row).
    pub fn mean(&self) -> Result<DataFrame> {
        self.numeric_reduction("mean", crate::mean)
    }

    /// The minimum of every numeric column (one row).
    pub fn min(&self) -> Result<DataFrame> {
        self.numeric_reduction("min", crate::min)
    }

    /// The maximum of every numeric column (one row).
    pub fn max(&self) -> Result<DataFrame> {
        self.numeric_reduction("max", crate::max)
    }

    /// The number of non-null values of every column (one row).
    pub fn count(&self) -> Result<DataFrame> {
        let aggs: Vec<Agg> = self.columns().into_iter().map(crate::count).collect();
        self.aggregate(
            "count",
            &[],
            &aggs,
            true,
            DEFAULT_SPLIT_EVERY,
            1,
            Order::Keys,
        )
    }

    /// The variance of every numeric column with `ddof` (one row).
    pub fn var(&self, ddof: u32) -> Result<DataFrame> {
        self.numeric_reduction("var", |c| crate::var(c, ddof))
    }

    /// The standard deviation of every numeric column with `ddof` (one row).
    pub fn std(&self, ddof: u32) -> Result<DataFrame> {
        self.numeric_reduction("std", |c| crate::std(c, ddof))
    }

    // -----------------------------------------------------------------------------------
    // Computing.

    /// Computes the frame on `scheduler` and concatenates its partitions.
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<RecordBatch> {
        Collection::compute(self, scheduler)
    }

    /// Computes the partitions and returns a frame backed by them.
    pub fn persist(&self, scheduler: &dyn Scheduler) -> Result<DataFrame> {
        Collection::persist(self, scheduler)
    }

    /// The first `n` rows, computing only the partitions needed (one after another, from
    /// the first, until there are `n` rows), as Dask's `head`.
    pub fn head(&self, n: usize, scheduler: &dyn Scheduler) -> Result<RecordBatch> {
        let plan = self.optimized();
        let mut graph = Graph::new();
        dask_graph::building_for(scheduler, || materialize(plan, &mut graph));
        let mut parts = Vec::new();
        let mut rows = 0;
        for i in 0..plan.npartitions {
            if rows >= n {
                break;
            }
            let out = dask_graph::compute(&graph, &[plan.key(i)], scheduler)?;
            let b = self.project(take_batch(out.into_iter().next(), &plan.key(i))?)?;
            rows += b.num_rows();
            parts.push(b);
        }
        let all = arrow_select::concat::concat_batches(&self.plan.schema, &parts)?;
        Ok(all.slice(0, n.min(all.num_rows())))
    }

    /// A computed partition with exactly the frame's columns, in order.
    fn project(&self, b: RecordBatch) -> Result<RecordBatch> {
        let schema = &self.plan.schema;
        if b.schema().fields() == schema.fields() {
            return Ok(b);
        }
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let c = b.column_by_name(f.name()).ok_or_else(|| {
                    invalid(
                        "compute",
                        format!("a partition lacks the column `{}`", f.name()),
                    )
                })?;
                Ok(if c.data_type() == f.data_type() {
                    Arc::clone(c)
                } else {
                    arrow_cast::cast(c, f.data_type())?
                })
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(schema),
            columns,
            &options,
        )?)
    }
}

/// The batch a scheduler returned for `key`.
fn take_batch(v: Option<Value>, key: &Key) -> Result<RecordBatch> {
    let v = v.ok_or_else(|| invalid("compute", format!("no value came back for {key}")))?;
    v.take::<RecordBatch>()
        .map_err(|e| invalid("compute", format!("{key} is not a partition: {e}")))
}

/// An error unless `b` has the columns and types of `declared`.
pub(crate) fn check_schema(
    b: &RecordBatch,
    declared: &Schema,
) -> std::result::Result<(), dask_graph::BoxError> {
    let got: Vec<(&String, &DataType)> = b
        .schema_ref()
        .fields()
        .iter()
        .map(|f| (f.name(), f.data_type()))
        .collect();
    let want: Vec<(&String, &DataType)> = declared
        .fields()
        .iter()
        .map(|f| (f.name(), f.data_type()))
        .collect();
    if got != want {
        return Err(format!(
            "map_partitions returned columns {} but declared {}",
            column_list(b.schema_ref()),
            column_list(declared)
        )
        .into());
    }
    Ok(())
}

/// `[operation name, declared schema, partition, args...]`: the user's registered
/// operation over `[partition, args...]`, its result checked against the schema.
fn map_partitions_op(args: dask_graph::Args) -> dask_graph::OpResult {
    let name = args.get::<String>(0)?.clone();
    let declared: Schema = postcard::from_bytes(args.get::<Vec<u8>>(1)?)?;
    let op = dask_graph::operation(&name)?;
    let rest = dask_graph::Args::new(args.into_values().split_off(2));
    let out = (op.func)(rest)?;
    let batch = out
        .get::<RecordBatch>()
        .map_err(|e| format!("map_partitions_op: {name} returned {e}, not a RecordBatch"))?;
    check_schema(batch, &declared)?;
    Ok(out)
}

dask_graph::register_op!(pub(crate) MAP_PARTITIONS = "dataframe.map_partitions" => map_partitions_op);

/// A frame is a collection of its partitions; computing concatenates them.
impl Collection for DataFrame {
    type Output = RecordBatch;
    type Error = Error;
    type Persisted = DataFrame;

    fn graph(&self) -> Cow<'_, Graph> {
        let mut graph = Graph::new();
        materialize(self.optimized(), &mut graph);
        Cow::Owned(graph)
    }

    fn keys(&self) -> Vec<Key> {
        self.optimized().keys()
    }

    fn finalize(&self, values: &mut Values) -> Result<RecordBatch> {
        let keys = self.keys();
        let parts = values
            .take(keys.len())?
            .into_iter()
            .zip(&keys)
            .map(|(v, k)| self.project(take_batch(Some(v), k)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(arrow_select::concat::concat_batches(
            &self.plan.schema,
            &parts,
        )?)
    }

    fn persisted(&self, values: &mut Values) -> Result<DataFrame> {
        let plan = self.optimized();
        let name = plan.name();
        let layer = values.data_layer(Arc::clone(&name), &plan.keys())?;
        let known = match (&self.index, self.divisions()) {
            (_, Some(d)) => Some(Arc::new(d)),
            (Some(index), None) => crate::sort::divisions_of(&layer, index)?.map(Arc::new),
            (None, None) => None,
        };
        let mut frame = DataFrame::from_plan(Plan::new(
            Kind::Graph {
                graph: Graph::from_layers([layer]),
                name,
            },
            Arc::clone(&self.plan.schema),
            self.plan.npartitions,
        ));
        frame.index = self.index.clone();
        frame.known = known;
        Ok(frame)
    }
}
