//! `merge` and `join`: pandas' merge semantics over partitions, by the cheapest
//! strategy the frames allow.
//!
//! * **Partition-wise** when both frames have equal known divisions on the (single)
//!   join key: partition `i` of one meets partition `i` of the other, nothing moves.
//! * **Broadcast** when one side is small (its estimated size at most
//!   [`DEFAULT_BROADCAST_THRESHOLD`], settable with
//!   [`MergeOptions::broadcast_threshold`]) and the join kind allows it — the right side
//!   for inner, left, semi and anti joins, the left side for inner and right joins —
//!   or has one partition: it is concatenated once and every partition of the other
//!   side is joined with it. An outer join never broadcasts (an unmatched row of the
//!   small side would appear once per partition).
//! * **Hash** otherwise: both sides are shuffled by a hash of their keys (integer keys
//!   of different widths hash alike) into the same partition count, then joined
//!   partition by partition; the shuffle goes through files when the data is larger
//!   than memory allows.
//!
//! Each partition pair is joined by a hash join (`kernels::join`): **null keys never
//! match** (the SQL rule; a left row with a null key is kept, unmatched, by a left
//! join), NaN float keys match each other as pandas does, and clashing column names
//! get the suffixes (`_x`, `_y` by default).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use dask_graph::{Args, OpResult, register_op};
use dask_shuffle::Method;
use serde::{Deserialize, Serialize};

pub use crate::kernels::join::JoinHow;
use crate::kernels::join::{JoinSpec, hash_join, join_schema};

use crate::error::{Result, invalid};
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Kind, Plan, estimated_bytes, postcard_bytes};
use crate::shuffle::{By, ShuffleNode};

/// The largest estimated size (bytes in memory) of a side that is broadcast: 64 MiB.
pub const DEFAULT_BROADCAST_THRESHOLD: u64 = 64 << 20;

/// How [`DataFrame::merge_with`] joins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JoinStrategy {
    /// The cheapest the frames allow (see the module notes).
    #[default]
    Auto,
    /// Broadcast the smaller side allowed by the join kind (an error for outer joins).
    Broadcast,
    /// Shuffle both sides by a hash of their keys.
    Hash,
    /// Partition `i` with partition `i` (an error unless both frames have equal known
    /// divisions on the key).
    PartitionWise,
}

/// The options of a merge: keys, kind, suffixes and strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOptions {
    left_on: Vec<String>,
    right_on: Vec<String>,
    how: JoinHow,
    suffixes: (String, String),
    strategy: JoinStrategy,
    broadcast_threshold: u64,
    npartitions: Option<usize>,
    method: Method,
}

impl MergeOptions {
    /// A merge on columns of the same names on both sides, inner by default.
    pub fn on<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> MergeOptions {
        let on: Vec<String> = columns.into_iter().map(Into::into).collect();
        MergeOptions::left_right(on.clone(), on)
    }
    /// A merge of `left_on` of the left frame with `right_on` of the right one.
    pub fn left_right<S: Into<String>, T: Into<String>>(
        left_on: impl IntoIterator<Item = S>,
        right_on: impl IntoIterator<Item = T>,
    ) -> MergeOptions {
        MergeOptions {
            left_on: left_on.into_iter().map(Into::into).collect(),
            right_on: right_on.into_iter().map(Into::into).collect(),
            how: JoinHow::Inner,
            suffixes: ("_x".into(), "_y".into()),
            strategy: JoinStrategy::Auto,
            broadcast_threshold: DEFAULT_BROADCAST_THRESHOLD,
            npartitions: None,
            method: Method::Auto,
        }
    }
    /// The kind of join.
    pub fn how(mut self, how: JoinHow) -> MergeOptions {
        self.how = how;
        self
    }
    /// The suffixes of clashing column names (`("_x", "_y")` by default).
    pub fn suffixes(mut self, left: impl Into<String>, right: impl Into<String>) -> MergeOptions {
        self.suffixes = (left.into(), right.into());
        self
    }
    /// The strategy ([`JoinStrategy::Auto`] by default).
    pub fn strategy(mut self, strategy: JoinStrategy) -> MergeOptions {
        self.strategy = strategy;
        self
    }
    /// The largest estimated size of a side that Auto broadcasts.
    pub fn broadcast_threshold(mut self, bytes: u64) -> MergeOptions {
        self.broadcast_threshold = bytes;
        self
    }
    /// The partition count of a hash join (the larger side's by default).
    pub fn npartitions(mut self, n: usize) -> MergeOptions {
        self.npartitions = Some(n);
        self
    }
    /// The method of a hash join's shuffles ([`Method::Auto`] by default).
    pub fn method(mut self, method: Method) -> MergeOptions {
        self.method = method;
        self
    }
}

/// What a join task needs: the spec and the output schema.
#[derive(Serialize, Deserialize)]
struct Task {
    spec: JoinSpec,
    schema: Schema,
}

impl DataFrame {
    /// The rows of this frame and `right` whose `on` columns are equal, as pandas'
    /// `merge(right, on=..., how=...)`; see [`merge_with`](DataFrame::merge_with).
    ///
    /// ```
    /// use dask_dataframe::{DataFrame, JoinHow};
    /// use arrow_array::{Int64Array, RecordBatch, StringArray};
    /// use std::sync::Arc;
    ///
    /// let left = RecordBatch::try_from_iter([
    ///     ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as _),
    ///     ("x", Arc::new(Int64Array::from(vec![10, 20, 30, 40])) as _),
    /// ])?;
    /// let right = RecordBatch::try_from_iter([
    ///     ("id", Arc::new(Int64Array::from(vec![2, 4, 4])) as _),
    ///     ("name", Arc::new(StringArray::from(vec!["b", "d", "D"])) as _),
    /// ])?;
    /// let (l, r) = (DataFrame::from_record_batch(left, 2)?, DataFrame::from_record_batch(right, 2)?);
    /// let out = l.merge(&r, ["id"], JoinHow::Inner)?.compute(&dask_graph::SyncScheduler)?;
    /// assert_eq!(out.num_rows(), 3);
    /// assert_eq!(out.schema().fields().len(), 3); // id, x, name
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge<S: Into<String>>(
        &self,
        right: &DataFrame,
        on: impl IntoIterator<Item = S>,
        how: JoinHow,
    ) -> Result<DataFrame> {
        self.merge_with(right, MergeOptions::on(on).how(how))
    }

    /// Joins on the two frames' indexes (see [`set_index`](DataFrame::set_index)), as
    /// pandas' `join`: an error unless both have one.
    pub fn join(&self, right: &DataFrame, how: JoinHow) -> Result<DataFrame> {
        match (self.index(), right.index()) {
            (Some(l), Some(r)) => {
                self.merge_with(right, MergeOptions::left_right([l], [r]).how(how))
            }
            _ => Err(invalid(
                "join",
                "both frames need an index (set_index) to join on it; use merge to join on columns",
            )),
        }
    }

    /// A merge with every option: keys, kind, suffixes, strategy (see the module
    /// notes of `join` for how the strategy is chosen).
    pub fn merge_with(&self, right: &DataFrame, options: MergeOptions) -> Result<DataFrame> {
        let op = "merge";
        if options.left_on.is_empty() {
            return Err(invalid(op, "no key columns were given"));
        }
        let spec = JoinSpec {
            left_on: options.left_on.clone(),
            right_on: options.right_on.clone(),
            how: options.how,
            suffixes: options.suffixes.clone(),
        };
        let schema: SchemaRef =
            join_schema(&self.schema(), &right.schema(), &spec).map_err(|m| invalid(op, m))?;
        let (l, r) = (self.plan(), right.plan());
        let how = options.how;
        let left_small = || l.npartitions == 1 || small(l, options.broadcast_threshold);
        let right_small = || r.npartitions == 1 || small(r, options.broadcast_threshold);
        let right_ok = matches!(
            how,
            JoinHow::Inner | JoinHow::Left | JoinHow::Semi | JoinHow::Anti
        );
        let left_ok = matches!(how, JoinHow::Inner | JoinHow::Right);
        let aligned = self.divisions().is_some_and(|dl| {
            right.divisions().is_some_and(|dr| {
                options.left_on.len() == 1
                    && dl.column == options.left_on[0]
                    && dr.column == options.right_on[0]
                    && dl.boundaries == dr.boundaries
            })
        });
        let one = |p: &Arc<Plan>| -> Arc<Plan> {
            if p.npartitions == 1 {
                return Arc::clone(p);
            }
            Plan::new(
                Kind::Coalesce {
                    input: Arc::clone(p),
                    groups: std::iter::once(0..p.npartitions).collect(),
                },
                Arc::clone(&p.schema),
                1,
            )
        };
        let hash = || {
            let n = options
                .npartitions
                .unwrap_or(l.npartitions.max(r.npartitions))
                .max(1);
            let shuffle = |p: &Arc<Plan>, on: &[String]| {
                Plan::new(
                    Kind::Shuffle {
                        input: Arc::clone(p),
                        spec: Arc::new(ShuffleNode::new(By::Hash(on.to_vec()), n, options.method)),
                    },
                    Arc::clone(&p.schema),
                    n,
                )
            };
            (shuffle(l, &options.left_on), shuffle(r, &options.right_on))
        };
        let chosen = match options.strategy {
            JoinStrategy::PartitionWise => {
                if !aligned {
                    return Err(invalid(
                        op,
                        "a partition-wise join needs both frames to have equal known divisions on the join key",
                    ));
                }
                (Arc::clone(l), Arc::clone(r))
            }
            JoinStrategy::Broadcast => {
                if right_ok && (!left_ok || r_smaller(l, r)) {
                    (Arc::clone(l), one(r))
                } else if left_ok {
                    (one(l), Arc::clone(r))
                } else {
                    return Err(invalid(
                        op,
                        "an outer join cannot broadcast a side (its unmatched rows would repeat); use the hash strategy",
                    ));
                }
            }
            JoinStrategy::Hash => hash(),
            JoinStrategy::Auto => {
                if aligned && l.npartitions == r.npartitions {
                    (Arc::clone(l), Arc::clone(r))
                } else if right_ok
                    && right_small()
                    && !(left_ok && left_small() && !r_smaller(l, r))
                {
                    (Arc::clone(l), one(r))
                } else if left_ok && left_small() {
                    (one(l), Arc::clone(r))
                } else {
                    hash()
                }
            }
        };
        let (a, b) = chosen;
        let n = a.npartitions.max(b.npartitions);
        let task = Task {
            spec,
            schema: schema.as_ref().clone(),
        };
        Ok(DataFrame::from_plan(Plan::new(
            Kind::Zip {
                inputs: vec![a, b],
                op: &JOIN,
                spec: postcard_bytes(&task).into(),
                reads: None,
            },
            schema,
            n,
        )))
    }
}

/// Whether a side's estimated size is at most `threshold`.
fn small(p: &Plan, threshold: u64) -> bool {
    estimated_bytes(p).is_some_and(|b| b <= threshold)
}

/// Whether the right side is estimated smaller than the left.
fn r_smaller(l: &Plan, r: &Plan) -> bool {
    match (estimated_bytes(l), estimated_bytes(r)) {
        (Some(a), Some(b)) => b <= a,
        _ => r.npartitions <= l.npartitions,
    }
}

/// `[task, left, right]`: the two partitions joined.
fn join_op(args: Args) -> OpResult {
    let task: Task = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let left = args.get::<RecordBatch>(1)?;
    let right = args.get::<RecordBatch>(2)?;
    let schema = Arc::new(task.schema);
    Ok(batch_value(hash_join(left, right, &task.spec, &schema)?))
}

register_op!(JOIN = "dataframe.join" => join_op);
