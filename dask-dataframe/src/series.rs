//! One column ([`Series`]), one value ([`Scalar`]) and grouped frames ([`GroupBy`]).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::DataType;
use dask_graph::{Collection, Graph, Key, Scheduler, Values};

use crate::agg::{Agg, AggFunc, DEFAULT_SPLIT_EVERY, Order};
use crate::error::{Error, Result, invalid};
use crate::frame::DataFrame;
use crate::plan::{Kind, Plan};
use crate::scalar::ScalarValue;
use crate::topn::TopN;

/// One column of a frame, lazily: `df.col("value")`. Reductions give a [`Scalar`];
/// [`compute`](Series::compute) gives the Arrow array.
#[derive(Clone, Debug)]
pub struct Series {
    frame: DataFrame,
}

impl Series {
    /// A series over a one-column frame.
    pub(crate) fn new(frame: DataFrame) -> Series {
        Series { frame }
    }

    /// The column's name.
    pub fn name(&self) -> String {
        self.frame.columns().remove(0)
    }

    /// The column's type.
    pub fn dtype(&self) -> DataType {
        self.frame.schema().field(0).data_type().clone()
    }

    /// The number of partitions.
    pub fn npartitions(&self) -> usize {
        self.frame.npartitions()
    }

    /// The one-column frame.
    pub fn to_frame(&self) -> DataFrame {
        self.frame.clone()
    }

    /// Computes the column.
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<ArrayRef> {
        Collection::compute(self, scheduler)
    }

    fn reduce(&self, func: AggFunc) -> Result<Scalar> {
        Scalar::of(self.frame.agg([Agg::new(func, self.name())])?)
    }

    /// The sum of the non-null values (0 if there are none).
    pub fn sum(&self) -> Result<Scalar> {
        self.reduce(AggFunc::Sum)
    }

    /// The mean of the non-null values (null if there are none).
    pub fn mean(&self) -> Result<Scalar> {
        self.reduce(AggFunc::Mean)
    }

    /// The smallest non-null value.
    pub fn min(&self) -> Result<Scalar> {
        self.reduce(AggFunc::Min)
    }

    /// The largest non-null value.
    pub fn max(&self) -> Result<Scalar> {
        self.reduce(AggFunc::Max)
    }

    /// The number of non-null values.
    pub fn count(&self) -> Result<Scalar> {
        self.reduce(AggFunc::Count)
    }

    /// The variance with `ddof` delta degrees of freedom (pandas uses 1).
    pub fn var(&self, ddof: u32) -> Result<Scalar> {
        self.reduce(AggFunc::Var { ddof })
    }

    /// The standard deviation with `ddof` delta degrees of freedom.
    pub fn std(&self, ddof: u32) -> Result<Scalar> {
        self.reduce(AggFunc::Std { ddof })
    }

    /// The number of distinct non-null values, exactly.
    pub fn nunique(&self) -> Result<Scalar> {
        self.reduce(AggFunc::NUnique)
    }

    /// The number of distinct non-null values, approximately (HyperLogLog: relative
    /// standard error about 0.8%, in 16 KiB per task whatever the data).
    pub fn nunique_approx(&self) -> Result<Scalar> {
        self.reduce(AggFunc::ApproxNUnique)
    }

    /// Each distinct non-null value with its number of occurrences, most frequent first:
    /// a frame of the column and `count`, as pandas' `value_counts`.
    pub fn value_counts(&self) -> Result<DataFrame> {
        let name = self.name();
        if name == "count" {
            return Err(invalid(
                "value_counts",
                "the column is named `count`, like the counts; rename it first",
            ));
        }
        self.frame.aggregate(
            "value_counts",
            &[name],
            &[crate::size().alias("count")],
            true,
            DEFAULT_SPLIT_EVERY,
            1,
            Order::Descending("count".into()),
        )
    }

    /// The `n` largest values, largest first (nulls excluded).
    pub fn nlargest(&self, n: usize) -> Series {
        Series::new(top(&self.frame, n, &self.name(), true))
    }

    /// The `n` smallest values, smallest first (nulls excluded).
    pub fn nsmallest(&self, n: usize) -> Series {
        Series::new(top(&self.frame, n, &self.name(), false))
    }
}

/// The top `n` rows of `frame` by `column`.
pub(crate) fn top(frame: &DataFrame, n: usize, column: &str, largest: bool) -> DataFrame {
    let spec = TopN {
        n: n as u64,
        column: column.to_string(),
        largest,
    };
    DataFrame::from_plan(Plan::new(
        Kind::TopN {
            input: Arc::clone(frame.plan()),
            spec: Arc::new(spec),
        },
        frame.schema(),
        1,
    ))
}

impl DataFrame {
    /// Summary statistics of every numeric column, as pandas' `describe()`: a frame
    /// with a `statistic` column (`count`, `mean`, `std`, `min`, `25%`, `50%`, `75%`,
    /// `max`) and one `Float64` column per numeric column. Nulls and NaNs are skipped;
    /// `std` has `ddof = 1`. The quartiles are exact (linear interpolation, as pandas)
    /// while a column has at most [`SKETCH_POINTS`](crate::SKETCH_POINTS) values and
    /// approximate beyond, within about one part in that many of their rank (see
    /// the `describe` module notes). An error if no column is numeric.
    pub fn describe(&self) -> Result<DataFrame> {
        let columns: Vec<String> = self
            .schema()
            .fields()
            .iter()
            .filter(|f| crate::expr::resolve::is_numeric(f.data_type()))
            .map(|f| f.name().clone())
            .collect();
        if columns.is_empty() {
            return Err(invalid("describe", "the frame has no numeric column"));
        }
        let spec = crate::describe::Describe { columns };
        let schema = spec.schema();
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Describe {
                input: Arc::clone(self.plan()),
                spec: Arc::new(spec),
            },
            schema,
            1,
        )))
    }

    /// The `n` rows with the largest values of `column`, largest first (rows where it is
    /// null are never among them).
    pub fn nlargest(&self, n: usize, column: &str) -> Result<DataFrame> {
        self.col(column)?;
        Ok(top(self, n, column, true))
    }

    /// The `n` rows with the smallest values of `column`, smallest first.
    pub fn nsmallest(&self, n: usize, column: &str) -> Result<DataFrame> {
        self.col(column)?;
        Ok(top(self, n, column, false))
    }
}

/// A series computes to its Arrow array.
impl Collection for Series {
    type Output = ArrayRef;
    type Error = Error;
    type Persisted = Series;

    fn graph(&self) -> Cow<'_, Graph> {
        Collection::graph(&self.frame)
    }

    fn keys(&self) -> Vec<Key> {
        Collection::keys(&self.frame)
    }

    fn finalize(&self, values: &mut Values) -> Result<ArrayRef> {
        let batch: RecordBatch = self.frame.finalize(values)?;
        Ok(Arc::clone(batch.column(0)))
    }

    fn persisted(&self, values: &mut Values) -> Result<Series> {
        self.frame.persisted(values).map(Series::new)
    }
}

/// A single value computed lazily: the result of a reduction such as
/// `df.col("value").mean()?`.
#[derive(Clone, Debug)]
pub struct Scalar {
    frame: DataFrame,
}

impl Scalar {
    /// The scalar of a one-row, one-column frame.
    pub(crate) fn of(frame: DataFrame) -> Result<Scalar> {
        if frame.columns().len() != 1 || frame.npartitions() != 1 {
            return Err(invalid("scalar", "a scalar is one column of one partition"));
        }
        Ok(Scalar { frame })
    }

    /// Its type.
    pub fn dtype(&self) -> DataType {
        self.frame.schema().field(0).data_type().clone()
    }

    /// Computes the value.
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<ScalarValue> {
        Collection::compute(self, scheduler)
    }
}

/// A scalar computes to its [`ScalarValue`].
impl Collection for Scalar {
    type Output = ScalarValue;
    type Error = Error;
    type Persisted = Scalar;

    fn graph(&self) -> Cow<'_, Graph> {
        Collection::graph(&self.frame)
    }

    fn keys(&self) -> Vec<Key> {
        Collection::keys(&self.frame)
    }

    fn finalize(&self, values: &mut Values) -> Result<ScalarValue> {
        let batch = self.frame.finalize(values)?;
        if batch.num_rows() != 1 {
            return Err(invalid(
                "compute",
                format!("a reduction gave {} rows instead of one", batch.num_rows()),
            ));
        }
        Ok(ScalarValue::from_array(batch.column(0), 0)?)
    }

    fn persisted(&self, values: &mut Values) -> Result<Scalar> {
        self.frame.persisted(values).map(|frame| Scalar { frame })
    }
}

/// A frame grouped by key columns: `df.groupby(["user_id"])?`.
///
/// The result of an aggregation is a frame with the keys first (one row per group,
/// sorted by the keys), then one column per aggregation. Rows whose key is null are
/// dropped unless [`dropna(false)`](GroupBy::dropna).
#[derive(Clone, Debug)]
pub struct GroupBy {
    frame: DataFrame,
    keys: Vec<String>,
    dropna: bool,
    split_every: usize,
    split_out: usize,
}

impl GroupBy {
    pub(crate) fn new(frame: DataFrame, keys: Vec<String>) -> GroupBy {
        GroupBy {
            frame,
            keys,
            dropna: true,
            split_every: DEFAULT_SPLIT_EVERY,
            split_out: 1,
        }
    }

    /// The grouped frame.
    pub(crate) fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// The key columns.
    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Whether null keys are dropped.
    pub(crate) fn dropna_flag(&self) -> bool {
        self.dropna
    }

    /// Whether rows with a null key are dropped (the default, as pandas) or form a group.
    pub fn dropna(mut self, dropna: bool) -> GroupBy {
        self.dropna = dropna;
        self
    }

    /// The most partial results a combining task merges (default 8).
    pub fn split_every(mut self, n: usize) -> GroupBy {
        self.split_every = n;
        self
    }

    /// Cuts the result into `n` partitions by a hash of the keys, for results with many
    /// groups (then each partition's groups are sorted, not the whole result).
    pub fn split_out(mut self, n: usize) -> GroupBy {
        self.split_out = n;
        self
    }

    /// The aggregations of every group: `agg([sum("value"), mean("value").alias("avg")])`.
    pub fn agg(&self, aggs: impl IntoIterator<Item = Agg>) -> Result<DataFrame> {
        let aggs: Vec<Agg> = aggs.into_iter().collect();
        self.frame.aggregate(
            "groupby.agg",
            &self.keys,
            &aggs,
            self.dropna,
            self.split_every,
            self.split_out,
            Order::Keys,
        )
    }

    /// The number of rows of every group (a column `size`).
    pub fn size(&self) -> Result<DataFrame> {
        self.agg([crate::size()])
    }

    /// One column of every group: `df.groupby(["user_id"])?.col("value").mean()?`.
    pub fn col(&self, column: &str) -> GroupedColumn {
        GroupedColumn {
            by: self.clone(),
            column: column.to_string(),
        }
    }
}

/// One column of a grouped frame; each aggregation gives a frame of the keys and that
/// column.
#[derive(Clone, Debug)]
pub struct GroupedColumn {
    by: GroupBy,
    column: String,
}

macro_rules! grouped {
    ($($(#[$doc:meta])* $name:ident => $func:expr),+) => {
        impl GroupedColumn {
            $($(#[$doc])* pub fn $name(&self) -> Result<DataFrame> {
                self.by.agg([Agg::new($func, self.column.clone())])
            })+
        }
    };
}

grouped!(
    /// The sum of every group.
    sum => AggFunc::Sum,
    /// The mean of every group.
    mean => AggFunc::Mean,
    /// The minimum of every group.
    min => AggFunc::Min,
    /// The maximum of every group.
    max => AggFunc::Max,
    /// The number of non-null values of every group.
    count => AggFunc::Count,
    /// The first non-null value of every group.
    first => AggFunc::First,
    /// The last non-null value of every group.
    last => AggFunc::Last,
    /// The number of distinct values of every group.
    nunique => AggFunc::NUnique
);

impl GroupedColumn {
    /// The variance of every group with `ddof`.
    pub fn var(&self, ddof: u32) -> Result<DataFrame> {
        self.by
            .agg([Agg::new(AggFunc::Var { ddof }, self.column.clone())])
    }

    /// The standard deviation of every group with `ddof`.
    pub fn std(&self, ddof: u32) -> Result<DataFrame> {
        self.by
            .agg([Agg::new(AggFunc::Std { ddof }, self.column.clone())])
    }
}
