//! `repartition`: a new partition count (neighbours concatenated or cut, no shuffle), a
//! target partition size, or given divisions (a range shuffle).

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use dask_graph::{Args, OpResult, register_op};

use crate::error::{Result, invalid};
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Divisions, Kind, Plan, estimated_bytes};
use crate::scalar::ScalarValue;
use crate::shuffle::{By, ShuffleNode, encode_batch};
use crate::sort::SortKey;

/// How [`DataFrame::repartition`] cuts the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Repartition {
    /// Exactly this many partitions: neighbours are concatenated (fewer) or each
    /// partition is cut into slices of about equal row counts (more). Row order is kept
    /// and nothing is shuffled.
    NPartitions(usize),
    /// Partitions of about this many bytes in memory, from the frame's estimated size
    /// (an error when the size cannot be estimated, as for a persisted frame).
    PartitionSize(u64),
    /// Partition `i` holds the rows with `boundaries[i] <= column < boundaries[i + 1]`
    /// (the last also `column == boundaries[n]`): a range shuffle, after which the
    /// frame has these [`Divisions`]. A row outside the boundaries, or with a null in
    /// the column, is an error of the compute naming its value: the divisions must
    /// cover the data.
    Divisions {
        /// The column.
        column: String,
        /// `npartitions + 1` ascending values.
        boundaries: Vec<ScalarValue>,
    },
}

impl DataFrame {
    /// The frame cut into other partitions; see [`Repartition`].
    ///
    /// ```
    /// use dask_dataframe::{DataFrame, Repartition};
    /// use arrow_array::{Int64Array, RecordBatch};
    /// use std::sync::Arc;
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("x", Arc::new(Int64Array::from_iter_values(0..100)) as _),
    /// ])?;
    /// let df = DataFrame::from_record_batch(batch.clone(), 4)?;
    /// let more = df.repartition(Repartition::NPartitions(10))?;
    /// assert_eq!(more.npartitions(), 10);
    /// assert_eq!(more.compute(&dask_graph::SyncScheduler)?, batch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn repartition(&self, how: Repartition) -> Result<DataFrame> {
        match how {
            Repartition::NPartitions(n) => self.to_npartitions(n),
            Repartition::PartitionSize(bytes) => {
                if bytes == 0 {
                    return Err(invalid("repartition", "a partition size must be above 0"));
                }
                let total = estimated_bytes(self.plan()).ok_or_else(|| {
                    invalid(
                        "repartition",
                        "the frame's size cannot be estimated (it is persisted or computed by a function); give a partition count instead",
                    )
                })?;
                self.to_npartitions(total.div_ceil(bytes).max(1) as usize)
            }
            Repartition::Divisions { column, boundaries } => self.to_divisions(&column, boundaries),
        }
    }

    /// Partition `i` alone, as a frame of one partition (Dask's `get_partition`).
    pub fn partition(&self, i: usize) -> Result<DataFrame> {
        let plan = self.plan();
        if i >= plan.npartitions {
            return Err(invalid(
                "partition",
                format!(
                    "there is no partition {i}: the frame has {}",
                    plan.npartitions
                ),
            ));
        }
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Coalesce {
                input: Arc::clone(plan),
                groups: std::iter::once(i..i + 1).collect(),
            },
            Arc::clone(&plan.schema),
            1,
        )))
    }

    fn to_npartitions(&self, n: usize) -> Result<DataFrame> {
        let have = self.npartitions();
        if n == 0 {
            return Err(invalid("repartition", "at least one partition is needed"));
        }
        if n == have {
            return Ok(self.clone());
        }
        let mut plan = Arc::clone(self.plan());
        let mut have = have.max(1);
        if n > have {
            let pieces = n.div_ceil(have);
            plan = Plan::new(
                Kind::SplitRows {
                    input: Arc::clone(&plan),
                    pieces,
                },
                Arc::clone(&plan.schema),
                have * pieces,
            );
            have *= pieces;
        }
        if n < have {
            let groups: Vec<std::ops::Range<usize>> = (0..n)
                .map(|j| (j * have / n)..((j + 1) * have / n))
                .collect();
            plan = Plan::new(
                Kind::Coalesce {
                    input: Arc::clone(&plan),
                    groups: groups.into(),
                },
                Arc::clone(&plan.schema),
                n,
            );
        }
        Ok(DataFrame::from_plan(plan))
    }

    fn to_divisions(&self, column: &str, boundaries: Vec<ScalarValue>) -> Result<DataFrame> {
        let op = "repartition";
        self.existing(op, &[column.to_string()])?;
        if boundaries.len() < 2 {
            return Err(invalid(
                op,
                "divisions need at least two values (the first partition's minimum and the last's maximum)",
            ));
        }
        let field = self.schema().field_with_name(column)?.clone();
        let arrays: Vec<ArrayRef> = boundaries.iter().map(|b| b.to_array(1)).collect();
        let refs: Vec<&dyn arrow_array::Array> = arrays.iter().map(|a| a.as_ref()).collect();
        let all = arrow_select::concat::concat(&refs)
            .map_err(|e| invalid(op, format!("divisions of mixed types: {e}")))?;
        let all = arrow_cast::cast(&all, field.data_type()).map_err(|e| {
            invalid(
                op,
                format!(
                    "divisions cannot be `{column}`'s type {}: {e}",
                    field.data_type()
                ),
            )
        })?;
        if all.null_count() > 0 {
            return Err(invalid(op, "divisions cannot be null"));
        }
        if !ascending(&all) {
            return Err(invalid(op, "divisions must be in ascending order"));
        }
        let n = boundaries.len() - 1;
        let schema = Arc::new(arrow_schema::Schema::new(vec![field.with_nullable(true)]));
        let batch = RecordBatch::try_new(schema, vec![all])?;
        let key = SortKey {
            column: column.to_string(),
            ascending: true,
            nulls_first: false,
        };
        let node = ShuffleNode::new(
            By::Given(vec![key], encode_batch(&batch)?),
            n,
            dask_shuffle::Method::Auto,
        )
        .with_divisions(Divisions {
            column: column.to_string(),
            boundaries,
        });
        let plan = self.plan();
        let shuffled = Plan::new(
            Kind::Shuffle {
                input: Arc::clone(plan),
                spec: Arc::new(node),
            },
            Arc::clone(&plan.schema),
            n,
        );
        Ok(DataFrame::from_plan(shuffled))
    }
}

/// Whether the values are in ascending order (ties allowed).
fn ascending(a: &ArrayRef) -> bool {
    let rows = arrow_row::RowConverter::new(vec![arrow_row::SortField::new(a.data_type().clone())])
        .and_then(|c| c.convert_columns(&[Arc::clone(a)]));
    match rows {
        Ok(rows) => (1..rows.num_rows()).all(|i| rows.row(i - 1) <= rows.row(i)),
        Err(_) => false,
    }
}

/// `[[j, k], partition]`: slice `j` of `k` of about equal row counts.
fn slice_op(args: Args) -> OpResult {
    let jk = args.get::<Vec<u64>>(0)?;
    let batch = args.get::<RecordBatch>(1)?;
    let (j, k) = match jk.as_slice() {
        [j, k] if *k > 0 && j < k => (*j as usize, *k as usize),
        _ => return Err(format!("a slice takes [piece, pieces], got {jk:?}").into()),
    };
    let n = batch.num_rows();
    let (start, end) = (j * n / k, (j + 1) * n / k);
    Ok(batch_value(batch.slice(start, end - start)))
}

register_op!(pub(crate) SLICE = "dataframe.repartition.slice" => slice_op);
