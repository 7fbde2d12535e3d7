//! Row-wise operations, fused: one task per partition runs a list of steps.
//!
//! `select`, `with_column`, `drop`, `rename`, `astype`, `fillna`, `filter` and `dropna`
//! are all one of two steps: a [`Step::Select`] (the output columns, each a resolved
//! expression) or a [`Step::Filter`] (a resolved boolean predicate). Consecutive
//! row-wise operations append steps to one map node instead of adding a task each, so
//! `df.filter(..).with_column(..).select(..)` reads each partition once and runs three
//! kernels passes over it in one task — no intermediate partition ever waits in memory.
//! The steps travel to the task as postcard bytes (expressions and fields are serde),
//! so the same map runs in worker processes.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use dask_graph::{Args, OpResult, register_op};
use serde::{Deserialize, Serialize};

use crate::expr::Expr;
use crate::expr::eval::eval;
use crate::partition::batch_value;

/// One row-wise step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Step {
    /// The output columns: a resolved expression and the field it makes, in order.
    Select(Vec<(Expr, Field)>),
    /// Keep the rows where the resolved predicate is true (null counts as false).
    Filter(Expr),
}

impl Step {
    /// The columns the step reads.
    pub(crate) fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let exprs: Vec<&Expr> = match self {
            Step::Select(items) => items.iter().map(|(e, _)| e).collect(),
            Step::Filter(p) => vec![p],
        };
        for e in exprs {
            for c in e.columns() {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The schema a select makes (every column nullable: a cast, a division or a
/// comparison with a null can make nulls where the input had none).
pub(crate) fn select_schema(items: &[(Expr, Field)]) -> SchemaRef {
    Arc::new(Schema::new(
        items
            .iter()
            .map(|(_, f)| f.clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ))
}

/// Runs `steps` over `batch`.
pub(crate) fn apply(steps: &[Step], mut batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    for step in steps {
        batch = match step {
            Step::Select(items) => {
                let columns = items
                    .iter()
                    .map(|(e, _)| eval(e, &batch))
                    .collect::<Result<Vec<_>, _>>()?;
                let schema = select_schema(items);
                let options =
                    arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
                RecordBatch::try_new_with_options(schema, columns, &options)?
            }
            Step::Filter(predicate) => {
                let mask = eval(predicate, &batch)?;
                let mask = mask.as_boolean_opt().ok_or_else(|| {
                    ArrowError::InvalidArgumentError(format!(
                        "the filter {predicate} gave {} values, not booleans",
                        mask.data_type()
                    ))
                })?;
                arrow_select::filter::filter_record_batch(&batch, mask)?
            }
        };
    }
    Ok(batch)
}

/// `dataframe.map`: `[steps (postcard bytes), partition]` → the partition after them.
fn map_op(mut args: Args) -> OpResult {
    let steps: Vec<Step> = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let batch = args.take::<RecordBatch>(1)?;
    Ok(batch_value(apply(&steps, batch)?))
}

register_op!(pub(crate) MAP = "dataframe.map" => map_op, cheap);
