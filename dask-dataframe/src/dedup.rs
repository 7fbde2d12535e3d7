//! `drop_duplicates`: duplicates dropped within each partition, then rows hash-shuffled
//! by the compared columns so equal rows meet, and dropped again. The shuffle keeps
//! input order within each output partition, so `keep="first"` keeps the row that
//! comes first in the frame (and `"last"` the last).

use std::sync::Arc;

use arrow_array::RecordBatch;
use dask_graph::{Args, OpResult, register_op};
use dask_shuffle::Method;
use serde::{Deserialize, Serialize};

pub use crate::kernels::dedup::Keep;
use crate::kernels::dedup::drop_duplicates;

use crate::error::Result;
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Kind, Plan, postcard_bytes};
use crate::shuffle::{By, ShuffleNode};

#[derive(Serialize, Deserialize)]
struct Spec {
    subset: Vec<String>,
    keep: Keep,
}

impl DataFrame {
    /// The frame without duplicate rows, comparing the `subset` columns (every column
    /// when empty), keeping the first of each set of equal rows; nulls equal nulls, as
    /// in pandas. The result has as many partitions as the frame.
    pub fn drop_duplicates<S: Into<String>>(
        &self,
        subset: impl IntoIterator<Item = S>,
    ) -> Result<DataFrame> {
        self.drop_duplicates_with(subset, Keep::First, Method::Auto)
    }

    /// [`drop_duplicates`](DataFrame::drop_duplicates) keeping the first, the last or
    /// none of each set of equal rows, with the shuffle's method.
    pub fn drop_duplicates_with<S: Into<String>>(
        &self,
        subset: impl IntoIterator<Item = S>,
        keep: Keep,
        method: Method,
    ) -> Result<DataFrame> {
        let mut subset: Vec<String> = subset.into_iter().map(Into::into).collect();
        self.existing("drop_duplicates", &subset)?;
        if subset.is_empty() {
            subset = self.columns();
        }
        let local = |input: Arc<Plan>, keep: Keep| {
            let spec = Spec {
                subset: subset.clone(),
                keep,
            };
            let (schema, n) = (Arc::clone(&input.schema), input.npartitions);
            Plan::new(
                Kind::Zip {
                    inputs: vec![input],
                    op: &DROP_DUPLICATES,
                    spec: postcard_bytes(&spec).into(),
                    reads: Some(vec![subset.clone()]),
                },
                schema,
                n,
            )
        };
        let plan = Arc::clone(self.plan());
        if plan.npartitions <= 1 {
            return Ok(DataFrame::from_plan(local(plan, keep)));
        }
        // Dropping none of a set cannot start within partitions: a row may have its
        // only duplicate in another partition.
        let first = if keep == Keep::None {
            plan
        } else {
            local(plan, keep)
        };
        let n = first.npartitions;
        let shuffled = Plan::new(
            Kind::Shuffle {
                spec: Arc::new(ShuffleNode::new(By::Hash(subset.clone()), n, method)),
                input: Arc::clone(&first),
            },
            Arc::clone(&first.schema),
            n,
        );
        Ok(DataFrame::from_plan(local(shuffled, keep)))
    }
}

/// `[spec, partition]`.
fn drop_duplicates_op(args: Args) -> OpResult {
    let spec: Spec = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let batch: &RecordBatch = args.get::<RecordBatch>(1)?;
    Ok(batch_value(drop_duplicates(
        batch,
        &spec.subset,
        spec.keep,
    )?))
}

register_op!(DROP_DUPLICATES = "dataframe.drop_duplicates" => drop_duplicates_op);
