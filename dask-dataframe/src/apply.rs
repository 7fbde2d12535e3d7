//! `groupby(...).apply(f)`: a function of each group's rows. The frame is shuffled by a
//! hash of the keys (so each group is whole in one partition), then each partition is
//! grouped and `f` called on every group in key order; the results are concatenated and
//! checked against the declared schema.

use std::sync::Arc;

use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::{Field, Schema, SchemaRef};
use dask_graph::{Args, BoxError, OpResult, RegisteredOp, register_op};
use dask_shuffle::Method;
use serde::{Deserialize, Serialize};

use crate::agg::group::{Grouper, SKIP};
use crate::error::Result;
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Kind, PartitionFn, Plan, postcard_bytes};
use crate::series::GroupBy;
use crate::shuffle::{By, ShuffleNode};

/// The groups of a partition, in key order, as batches of their rows (in order).
fn groups(
    batch: &RecordBatch,
    keys: &[String],
    dropna: bool,
) -> Result<Vec<RecordBatch>, BoxError> {
    let schema = batch.schema();
    let fields: Vec<Field> = keys
        .iter()
        .map(|k| Ok(schema.field_with_name(k)?.clone()))
        .collect::<Result<_, BoxError>>()?;
    let columns: Vec<_> = keys
        .iter()
        .map(|k| {
            batch
                .column_by_name(k)
                .cloned()
                .ok_or_else(|| BoxError::from(format!("groupby.apply: no column `{k}`")))
        })
        .collect::<Result<_, _>>()?;
    let mut grouper = Grouper::new(&fields, dropna)?;
    let ids = grouper.ids(&columns, batch.num_rows())?;
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); grouper.len()];
    for (i, id) in ids.into_iter().enumerate() {
        if id != SKIP {
            rows[id as usize].push(i as u32);
        }
    }
    // Groups in key order, as pandas applies them.
    let key_columns = grouper.keys()?;
    let sort: Vec<arrow_ord::sort::SortColumn> = key_columns
        .into_iter()
        .map(|values| arrow_ord::sort::SortColumn {
            values,
            options: None,
        })
        .collect();
    let order: Vec<u32> = if sort.is_empty() {
        (0..rows.len() as u32).collect()
    } else {
        arrow_ord::sort::lexsort_to_indices(&sort, None)?
            .values()
            .to_vec()
    };
    order
        .into_iter()
        .map(|g| {
            let idx = UInt32Array::from(std::mem::take(&mut rows[g as usize]));
            Ok(arrow_select::take::take_record_batch(batch, &idx)?)
        })
        .collect()
}

/// `f` applied to every group of `batch`, the results checked and concatenated.
fn apply_groups(
    batch: &RecordBatch,
    keys: &[String],
    dropna: bool,
    schema: &SchemaRef,
    mut f: impl FnMut(RecordBatch) -> Result<RecordBatch, BoxError>,
) -> Result<RecordBatch, BoxError> {
    let mut out = Vec::new();
    for g in groups(batch, keys, dropna)? {
        let r = f(g)?;
        crate::frame::check_schema(&r, schema).map_err(|e| format!("groupby.apply: {e}"))?;
        out.push(r);
    }
    Ok(arrow_select::concat::concat_batches(schema, &out)?)
}

#[derive(Serialize, Deserialize)]
struct Spec {
    keys: Vec<String>,
    dropna: bool,
    op: String,
    schema: Schema,
}

/// `[spec, partition]`: the registered operation applied to every group.
fn apply_op(args: Args) -> OpResult {
    let spec: Spec = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let op = dask_graph::operation(&spec.op)?;
    let schema = Arc::new(spec.schema);
    let out = apply_groups(
        args.get::<RecordBatch>(1)?,
        &spec.keys,
        spec.dropna,
        &schema,
        |g| {
            let v = (op.func)(Args::new(vec![batch_value(g)]))?;
            Ok(v.get::<RecordBatch>()
                .map_err(|e| format!("groupby.apply: {} returned {e}", spec.op))?
                .clone())
        },
    )?;
    Ok(batch_value(out))
}

register_op!(APPLY = "dataframe.groupby.apply" => apply_op);

impl GroupBy {
    /// The frame shuffled so that each group is whole in one partition.
    fn shuffled(&self) -> Arc<Plan> {
        let plan = self.frame().plan();
        if plan.npartitions <= 1 {
            return Arc::clone(plan);
        }
        let n = plan.npartitions;
        Plan::new(
            Kind::Shuffle {
                input: Arc::clone(plan),
                spec: Arc::new(ShuffleNode::new(
                    By::Hash(self.keys().to_vec()),
                    n,
                    Method::Auto,
                )),
            },
            Arc::clone(&plan.schema),
            n,
        )
    }

    /// `f` of every group's rows (a `RecordBatch` with every column), its results
    /// concatenated: pandas' `groupby(...).apply(f)`. `schema` declares what `f`
    /// returns; a result with other columns is an error naming both. Groups come in key
    /// order within each partition. A closure runs on the in-process schedulers; use
    /// [`apply_op`](GroupBy::apply_op) for every scheduler.
    pub fn apply<F, E>(&self, schema: SchemaRef, f: F) -> Result<DataFrame>
    where
        F: Fn(RecordBatch) -> std::result::Result<RecordBatch, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        let (keys, dropna) = (self.keys().to_vec(), self.dropna_flag());
        let declared = Arc::clone(&schema);
        let func = move |b: RecordBatch| {
            apply_groups(&b, &keys, dropna, &declared, |g| f(g).map_err(Into::into))
        };
        let input = self.shuffled();
        let n = input.npartitions;
        Ok(DataFrame::from_plan(Plan::new(
            Kind::MapPartitions {
                input,
                func: PartitionFn::Local {
                    func: Arc::new(func),
                    token: dask_graph::unique_token("groupby-apply", "closure"),
                },
            },
            schema,
            n,
        )))
    }

    /// [`apply`](GroupBy::apply) with a registered operation (called with one
    /// argument, the group's batch, and returning a batch), which runs on every
    /// scheduler.
    pub fn apply_op(&self, op: &'static RegisteredOp, schema: SchemaRef) -> Result<DataFrame> {
        let spec = Spec {
            keys: self.keys().to_vec(),
            dropna: self.dropna_flag(),
            op: op.name.to_string(),
            schema: schema.as_ref().clone(),
        };
        let input = self.shuffled();
        let n = input.npartitions;
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Zip {
                inputs: vec![input],
                op: &APPLY,
                spec: postcard_bytes(&spec).into(),
                reads: None,
            },
            schema,
            n,
        )))
    }
}
