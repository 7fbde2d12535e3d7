//! `sort_values` and `set_index`: a range shuffle on the sort keys (boundaries from
//! weighted quantiles of a sample, see `shuffle`), then every partition sorted on its
//! own; partitions follow each other in sort order. Data already sorted (known
//! divisions on the key) skips the shuffle.
//!
//! Sorts are stable: rows with equal keys keep their order (the shuffle keeps input
//! order within each output partition). Nulls sort last unless asked otherwise, and
//! NaNs after every number, as pandas does.

use std::sync::Arc;

use arrow_array::RecordBatch;
use dask_graph::{Args, OpResult, register_op};
use dask_shuffle::Method;

pub(crate) use crate::kernels::sort::{SortKey, range_partition, sort_batch};

use crate::error::{Result, invalid};
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Kind, Plan, postcard_bytes};
use crate::shuffle::{By, ShuffleNode};

/// How [`DataFrame::sort_values_with`] sorts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortOptions {
    ascending: Vec<bool>,
    nulls_first: bool,
    npartitions: Option<usize>,
    method: Method,
}

impl Default for SortOptions {
    fn default() -> Self {
        SortOptions {
            ascending: vec![true],
            nulls_first: false,
            npartitions: None,
            method: Method::Auto,
        }
    }
}

impl SortOptions {
    /// Ascending on every key, nulls last, as many partitions as the input, the shuffle
    /// method chosen by size.
    pub fn new() -> SortOptions {
        SortOptions::default()
    }
    /// One direction for every key.
    pub fn ascending(mut self, ascending: bool) -> SortOptions {
        self.ascending = vec![ascending];
        self
    }
    /// A direction per key (as many as the keys).
    pub fn ascending_each(mut self, ascending: impl IntoIterator<Item = bool>) -> SortOptions {
        self.ascending = ascending.into_iter().collect();
        self
    }
    /// Nulls before every value instead of after.
    pub fn nulls_first(mut self, first: bool) -> SortOptions {
        self.nulls_first = first;
        self
    }
    /// The output's partition count.
    pub fn npartitions(mut self, n: usize) -> SortOptions {
        self.npartitions = Some(n);
        self
    }
    /// The shuffle's method ([`Method::Auto`] by default).
    pub fn method(mut self, method: Method) -> SortOptions {
        self.method = method;
        self
    }
}

impl DataFrame {
    /// The frame sorted by `by` (one or several columns), ascending or not.
    ///
    /// ```
    /// use dask_dataframe::DataFrame;
    /// use arrow_array::{Int64Array, RecordBatch, cast::AsArray, types::Int64Type};
    /// use std::sync::Arc;
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("x", Arc::new(Int64Array::from(vec![5, 3, 9, 1, 7, 2])) as _),
    /// ])?;
    /// let df = DataFrame::from_record_batch(batch, 3)?;
    /// let out = df.sort_values(["x"], false)?.compute(&dask_graph::SyncScheduler)?;
    /// assert_eq!(out.column(0).as_primitive::<Int64Type>().values(), &[9, 7, 5, 3, 2, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sort_values<S: Into<String>>(
        &self,
        by: impl IntoIterator<Item = S>,
        ascending: bool,
    ) -> Result<DataFrame> {
        self.sort_values_with(by, SortOptions::new().ascending(ascending))
    }

    /// [`sort_values`](DataFrame::sort_values) with options.
    pub fn sort_values_with<S: Into<String>>(
        &self,
        by: impl IntoIterator<Item = S>,
        options: SortOptions,
    ) -> Result<DataFrame> {
        let op = "sort_values";
        let by: Vec<String> = by.into_iter().map(Into::into).collect();
        if by.is_empty() {
            return Err(invalid(op, "no columns to sort by were given"));
        }
        self.existing(op, &by)?;
        let ascending = match options.ascending.len() {
            1 => vec![options.ascending[0]; by.len()],
            n if n == by.len() => options.ascending.clone(),
            n => {
                return Err(invalid(
                    op,
                    format!("{n} directions were given for {} keys", by.len()),
                ));
            }
        };
        for c in &by {
            let t = self.schema().field_with_name(c)?.data_type().clone();
            if !arrow_row::RowConverter::supports_fields(&[arrow_row::SortField::new(t.clone())]) {
                return Err(invalid(op, format!("cannot sort by `{c}`, a {t}")));
            }
        }
        let keys: Vec<SortKey> = by
            .iter()
            .zip(&ascending)
            .map(|(c, &a)| SortKey {
                column: c.clone(),
                ascending: a,
                nulls_first: options.nulls_first,
            })
            .collect();
        let n = options.npartitions.unwrap_or(self.npartitions()).max(1);
        let plan = self.plan();
        // Partitions already in order on the first key need only sorting within.
        let known = self
            .divisions()
            .filter(|d| d.column == by[0])
            .or_else(|| crate::plan::divisions_on(plan, &by[0]));
        // Float statistics leave NaN out, and nulls would have to come first: those
        // take the shuffle.
        let first_type = self.schema().field_with_name(&by[0])?.data_type().clone();
        let already =
            known.is_some() && ascending[0] && !options.nulls_first && !first_type.is_floating();
        let input = if already && options.npartitions.is_none() {
            Arc::clone(plan)
        } else {
            let node = ShuffleNode::new(By::Range(keys.clone()), n, options.method);
            Plan::new(
                Kind::Shuffle {
                    input: Arc::clone(plan),
                    spec: Arc::new(node),
                },
                Arc::clone(&plan.schema),
                n,
            )
        };
        let npartitions = input.npartitions;
        let schema = Arc::clone(&plan.schema);
        let sorted = DataFrame::from_plan(Plan::new(
            Kind::Zip {
                inputs: vec![input],
                op: &SORT,
                spec: postcard_bytes(&keys).into(),
                reads: Some(vec![by]),
            },
            schema,
            npartitions,
        ));
        Ok(
            match known.filter(|_| already && options.npartitions.is_none()) {
                Some(d) => sorted.with_known_divisions(d),
                None => sorted,
            },
        )
    }

    /// The frame sorted by `column`, which becomes its index: partitions hold
    /// consecutive ranges of it. The ranges are chosen when the graph runs (from a
    /// sample), so [`divisions`](DataFrame::divisions) become known once the frame is
    /// [`persist`](DataFrame::persist)ed. A frame already in order on `column` (known
    /// divisions, or Parquet statistics showing partitions that do not overlap) is only
    /// sorted within its partitions, and its divisions are known at once.
    pub fn set_index(&self, column: impl Into<String>) -> Result<DataFrame> {
        let column = column.into();
        let sorted = self.sort_values([column.clone()], true)?;
        Ok(sorted.with_index(column))
    }
}

/// `[sort keys, partition]`: the partition sorted.
fn sort_op(args: Args) -> OpResult {
    let keys: Vec<SortKey> = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let batch: &RecordBatch = args.get::<RecordBatch>(1)?;
    Ok(batch_value(sort_batch(batch, &keys)?))
}

register_op!(pub(crate) SORT = "dataframe.sort.partition" => sort_op);

/// The divisions of persisted partitions sorted by `column` (ascending): each
/// partition's first value, then the last partition's last. `None` unless every
/// partition has rows and the column has no null (nor NaN): divisions must say exactly
/// where every row is.
pub(crate) fn divisions_of(
    layer: &dask_graph::Layer,
    column: &str,
) -> Result<Option<crate::Divisions>> {
    use crate::scalar::ScalarValue;
    let mut firsts: Vec<ScalarValue> = Vec::new();
    let mut last: Option<ScalarValue> = None;
    for (_, node) in layer.nodes() {
        let dask_graph::Node::Data(v) = node else {
            return Ok(None);
        };
        let Some(b) = v.downcast_ref::<RecordBatch>() else {
            return Ok(None);
        };
        let Some(c) = b.column_by_name(column) else {
            return Ok(None);
        };
        if c.is_empty() || c.null_count() > 0 || has_nan(c) {
            return Ok(None);
        }
        firsts.push(ScalarValue::from_array(c.as_ref(), 0)?);
        last = Some(ScalarValue::from_array(c.as_ref(), c.len() - 1)?);
    }
    let Some(last) = last else { return Ok(None) };
    let mut boundaries = firsts;
    boundaries.push(last);
    Ok(Some(crate::Divisions {
        column: column.to_string(),
        boundaries,
    }))
}

impl DataFrame {
    /// The rows whose index (see [`set_index`](DataFrame::set_index)) lies in
    /// `lo..=hi`, both ends included as in pandas' `loc`. With known divisions only the
    /// partitions that can hold such rows are read.
    pub fn loc(
        &self,
        lo: impl Into<crate::ScalarValue>,
        hi: impl Into<crate::ScalarValue>,
    ) -> Result<DataFrame> {
        let op = "loc";
        let index = self
            .index()
            .ok_or_else(|| invalid(op, "the frame has no index: call set_index first"))?
            .to_string();
        let (lo, hi) = (lo.into(), hi.into());
        let mut frame = self.clone();
        if let Some(d) = self.divisions().filter(|d| d.column == index) {
            let t = self.schema().field_with_name(&index)?.data_type().clone();
            let mut values: Vec<crate::ScalarValue> = vec![lo.clone(), hi.clone()];
            values.extend(d.boundaries.iter().cloned());
            let arrays: Vec<arrow_array::ArrayRef> = values.iter().map(|v| v.to_array(1)).collect();
            let refs: Vec<&dyn arrow_array::Array> = arrays.iter().map(|a| a.as_ref()).collect();
            let all = arrow_select::concat::concat(&refs)
                .and_then(|a| arrow_cast::cast(&a, &t))
                .map_err(|e| {
                    invalid(
                        op,
                        format!("bounds of another type than `{index}` ({t}): {e}"),
                    )
                })?;
            let converter =
                arrow_row::RowConverter::new(vec![arrow_row::SortField::new(t.clone())])?;
            let rows = converter.convert_columns(&[all])?;
            let (lo_r, hi_r) = (rows.row(0), rows.row(1));
            let n = d.boundaries.len() - 1;
            let keep: Vec<std::ops::Range<usize>> = (0..n)
                .filter(|&i| rows.row(2 + i) <= hi_r && lo_r <= rows.row(3 + i))
                .map(|i| i..i + 1)
                .collect();
            if keep.is_empty() {
                let empty = RecordBatch::new_empty(self.schema());
                return DataFrame::from_record_batches(vec![empty]);
            }
            let plan = self.plan();
            let n = keep.len();
            frame = DataFrame::from_plan(Plan::new(
                Kind::Coalesce {
                    input: Arc::clone(plan),
                    groups: keep.into(),
                },
                Arc::clone(&plan.schema),
                n,
            ));
        }
        let pred = crate::col(index.as_str()).gt_eq(crate::lit(lo))
            & crate::col(index.as_str()).lt_eq(crate::lit(hi));
        Ok(frame.filter(pred)?.with_index(index))
    }
}

/// Whether a float column holds a NaN.
fn has_nan(c: &arrow_array::ArrayRef) -> bool {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, Float64Type};
    match c.data_type() {
        arrow_schema::DataType::Float64 => c
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .any(|x| x.is_nan()),
        arrow_schema::DataType::Float32 => c
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .any(|x| x.is_nan()),
        _ => false,
    }
}
