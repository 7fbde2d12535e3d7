//! Repartitioning a frame by key through `dask-shuffle`: by a hash of key columns
//! (joins, `drop_duplicates`, groupby-apply, `split_out` groupbys) or by ranges of sort
//! keys (`sort_values`, `set_index`, `repartition(divisions)`).
//!
//! The frame's side of the shuffle is two registered operations: a split that computes
//! each row's output partition and cuts the batch into pieces with Arrow's `take`, and
//! a concatenation. Hashing normalises key types first (every integer type hashes as
//! the `Int64` it equals, `LargeUtf8` as `Utf8`), so two frames whose keys differ only
//! in width land equal keys in the same partition — what a hash join needs.
//!
//! A range shuffle needs its boundaries before it can split: each input partition
//! sends a sorted sample of its keys (evenly spaced rows, weighted by its row count) to
//! one task that picks `n − 1` weighted quantiles. Nothing is computed when the frame
//! is built; the boundaries are a task of the same graph.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dask_graph::{Arg, Args, BoxError, Graph, Key, Layer, OpResult, Value, register_op, tokenize};
use dask_shuffle::{Method, Pieces, Route, Shuffle};
use serde::{Deserialize, Serialize};

use crate::partition::batch_value;
use crate::plan::postcard_bytes;
use crate::sort::{SortKey, range_partition, sort_batch};

/// Which output partition a row goes to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum By {
    /// A hash of these columns, modulo the partition count.
    Hash(Vec<String>),
    /// The range of the sort keys among boundaries computed from a sample.
    Range(Vec<SortKey>),
    /// The range of the sort keys among boundaries given (the `n + 1` divisions, rows
    /// of the key column, Arrow IPC bytes); a row outside them is an error.
    Given(Vec<SortKey>, Vec<u8>),
}

/// A shuffle node of the plan.
#[derive(Clone, Debug)]
pub(crate) struct ShuffleNode {
    pub(crate) by: By,
    pub(crate) npartitions: usize,
    pub(crate) method: Method,
    /// The divisions of the output, when known before computing (given boundaries).
    pub(crate) divisions: Option<crate::plan::Divisions>,
    bytes: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct SplitSpec {
    by: By,
    n: u64,
}

impl ShuffleNode {
    pub(crate) fn new(by: By, npartitions: usize, method: Method) -> ShuffleNode {
        let bytes = postcard_bytes(&SplitSpec {
            by: by.clone(),
            n: npartitions as u64,
        });
        ShuffleNode {
            by,
            npartitions,
            method,
            divisions: None,
            bytes,
        }
    }

    /// The node, knowing its output's divisions.
    pub(crate) fn with_divisions(mut self, divisions: crate::plan::Divisions) -> ShuffleNode {
        self.divisions = Some(divisions);
        self
    }

    /// The columns the split reads.
    pub(crate) fn columns(&self) -> Vec<String> {
        match &self.by {
            By::Hash(c) => c.clone(),
            By::Range(k) | By::Given(k, _) => k.iter().map(|k| k.column.clone()).collect(),
        }
    }

    /// The node's name over the input `input`.
    pub(crate) fn name(&self, input: &str) -> String {
        tokenize(
            "shuffle",
            &(input, &self.bytes, postcard_bytes(&self.method)),
        )
    }

    /// Adds the layers; the output partitions are `(name, i)`. A range shuffle samples
    /// the partitions of `sampled` (the input, or a read of its key columns only).
    // Internal: each argument is a distinct fact of the plan node.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        &self,
        graph: &mut Graph,
        input: &Arc<str>,
        sampled: &Arc<str>,
        n_in: usize,
        name: &Arc<str>,
        schema: &SchemaRef,
        estimated_bytes: Option<u64>,
    ) {
        let inputs: Vec<Key> = (0..n_in).map(|i| Key::block(input, &[i as u32])).collect();
        let mut split_args = vec![Arg::Literal(Value::new(self.bytes.clone()))];
        if let By::Range(keys) = &self.by {
            let samples: Vec<Key> = (0..n_in)
                .map(|i| Key::block(sampled, &[i as u32]))
                .collect();
            let boundaries = boundaries_layers(graph, name, &samples, keys, self.npartitions);
            split_args.push(Arg::Key(boundaries));
        }
        let schema_arg = Arg::Literal(Value::new(postcard_bytes(schema.as_ref())));
        let shuffle = Shuffle::new(Arc::clone(name), self.npartitions, &SPLIT, &CONCAT)
            .split_args(split_args)
            .concat_args(vec![schema_arg.clone()])
            .stage_concat(&CONCAT, vec![schema_arg])
            .method(self.method)
            .estimated_bytes(estimated_bytes);
        // The partition count was checked when the node was made.
        if let Err(e) = shuffle.build(graph, &inputs) {
            unreachable_build(&e);
        }
    }
}

/// A shuffle's build fails only on a zero partition count or fan-in, both checked
/// before a node exists.
fn unreachable_build(e: &dask_graph::Error) {
    debug_assert!(false, "a shuffle node could not be built: {e}");
}

/// The sample and boundary tasks of a range shuffle; returns the boundaries' key.
fn boundaries_layers(
    graph: &mut Graph,
    name: &Arc<str>,
    inputs: &[Key],
    keys: &[SortKey],
    n_out: usize,
) -> Key {
    let spec = Arg::Literal(Value::new(postcard_bytes(keys)));
    // Enough sample rows that every output partition gets about 20 of them.
    let per = (20 * n_out).div_ceil(inputs.len().max(1)).clamp(64, 10_000) as u64;
    let sample_name: Arc<str> = Arc::from(format!("{name}-sample"));
    let mut samples = Layer::new(Arc::clone(&sample_name));
    let mut args = vec![spec.clone(), Arg::Literal(Value::new(n_out as u64))];
    for (i, input) in inputs.iter().enumerate() {
        let key = Key::block(&sample_name, &[i as u32]);
        samples.task(
            key.clone(),
            &SAMPLE,
            vec![
                spec.clone(),
                Arg::Literal(Value::new(per)),
                Arg::Key(input.clone()),
            ],
        );
        args.push(Arg::Key(key));
    }
    let key = Key::new(format!("{name}-boundaries"));
    let mut boundaries = Layer::new(key.name_arc().clone());
    boundaries.task(key.clone(), &BOUNDARIES, args);
    graph.add_layer(samples);
    graph.add_layer(boundaries);
    key
}

/// Key columns as hashing sees them: integers as `Int64`, large strings as `Utf8`,
/// dictionaries as their values, floats as `Float64` with `-0.0` as `0.0` and one NaN
/// (the join and de-duplication kernels hold those equal, so they must meet).
pub(crate) fn normalized(array: &ArrayRef) -> Result<ArrayRef, arrow_schema::ArrowError> {
    if matches!(
        array.data_type(),
        DataType::Float16 | DataType::Float32 | DataType::Float64
    ) {
        let wide = arrow_cast::cast(array, &DataType::Float64)?;
        return crate::kernels::canonical_floats(&wide);
    }
    let to = match array.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DataType::Int64,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Dictionary(_, v) => v.as_ref().clone(),
        _ => return Ok(Arc::clone(array)),
    };
    arrow_cast::cast(array, &to)
}

/// A 64-bit hash of each row's `columns`.
pub(crate) fn hash_rows(batch: &RecordBatch, columns: &[String]) -> Result<Vec<u64>, BoxError> {
    let arrays = columns
        .iter()
        .map(|c| {
            let a = batch
                .column_by_name(c)
                .ok_or_else(|| format!("shuffle: the partition has no column `{c}`"))?;
            Ok(normalized(a)?)
        })
        .collect::<Result<Vec<ArrayRef>, BoxError>>()?;
    if let [a] = arrays.as_slice()
        && let Some(ints) = a.as_any().downcast_ref::<Int64Array>()
    {
        let values = ints.values();
        return Ok((0..ints.len())
            .map(|i| {
                if ints.is_null(i) {
                    0
                } else {
                    mix(values[i] as u64)
                }
            })
            .collect());
    }
    let converter = arrow_row::RowConverter::new(
        arrays
            .iter()
            .map(|a| arrow_row::SortField::new(a.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&arrays)?;
    Ok(rows
        .iter()
        .map(|r| xxhash_rust::xxh3::xxh3_64(r.as_ref()))
        .collect())
}

/// A fast integer mixer (the finaliser of SplitMix64).
#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The batch cut by `route` from each row's output partition.
fn cut(batch: &RecordBatch, targets: &[u64], route: Route) -> Result<Pieces, BoxError> {
    let pieces = route.rows_by_piece(targets.iter().copied());
    let mut out = Vec::with_capacity(pieces.len());
    for rows in pieces {
        if rows.is_empty() {
            out.push(None);
        } else if rows.len() == batch.num_rows() {
            out.push(Some(batch_value(batch.clone())));
        } else {
            let idx = UInt32Array::from(rows);
            out.push(Some(batch_value(arrow_select::take::take_record_batch(
                batch, &idx,
            )?)));
        }
    }
    Ok(Pieces(out))
}

/// Boundaries decoded from Arrow IPC bytes.
fn decode_batch(bytes: &[u8]) -> Result<RecordBatch, BoxError> {
    let v = Value::decode("arrow-ipc-batch", bytes)?;
    Ok(v.get::<RecordBatch>()?.clone())
}

/// Boundaries as Arrow IPC bytes (for `By::Given`).
pub(crate) fn encode_batch(batch: &RecordBatch) -> Result<Vec<u8>, dask_graph::Error> {
    Ok(batch_value(batch.clone()).encode()?.bytes)
}

/// An error unless every key of `batch` lies within the first and last of the
/// divisions `all` (one key column), naming the first row outside.
fn check_within(batch: &RecordBatch, keys: &[SortKey], all: &RecordBatch) -> Result<(), BoxError> {
    let (Some(key), n) = (keys.first(), all.num_rows()) else {
        return Ok(());
    };
    let column = batch
        .column_by_name(&key.column)
        .ok_or_else(|| format!("repartition: the partition has no column `{}`", key.column))?;
    let bounds = arrow_cast::cast(all.column(0), column.data_type())?;
    if n == 0 {
        return Ok(());
    }
    let lo = arrow_array::Scalar::new(bounds.slice(0, 1));
    let hi = arrow_array::Scalar::new(bounds.slice(n - 1, 1));
    let below = arrow_ord::cmp::lt(column, &lo)?;
    let above = arrow_ord::cmp::gt(column, &hi)?;
    for i in 0..column.len() {
        let outside = column.is_null(i) || below.value(i) || above.value(i);
        if outside {
            let value = arrow_cast::display::array_value_to_string(column, i)?;
            let (first, last) = (
                arrow_cast::display::array_value_to_string(&bounds, 0)?,
                arrow_cast::display::array_value_to_string(&bounds, n - 1)?,
            );
            return Err(format!(
                "repartition: a row with `{}` = {} lies outside the divisions [{first}, {last}]; give divisions that cover the data",
                key.column,
                if column.is_null(i) { "null".to_string() } else { value },
            )
            .into());
        }
    }
    Ok(())
}

/// `[spec, (boundaries,) input, route]`: the input (a partition, or the pieces a stage
/// gathered) cut by each row's output partition.
fn split_op(args: Args) -> OpResult {
    let spec: SplitSpec = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let given = match &spec.by {
        By::Given(_, bytes) => Some(decode_batch(bytes)?),
        _ => None,
    };
    let at = if matches!(spec.by, By::Range(_)) {
        2
    } else {
        1
    };
    let route = *args.get::<Route>(at + 1)?;
    let input = args.value(at)?.clone();
    let pieces = Pieces::split_each(input, route.k as usize, |part| {
        let batch = part.get::<RecordBatch>()?;
        let targets: Vec<u64> = match (&spec.by, &given) {
            (By::Hash(columns), _) => {
                let n = spec.n.max(1);
                hash_rows(batch, columns)?
                    .into_iter()
                    .map(|h| h % n)
                    .collect()
            }
            (By::Range(keys), _) => {
                let bounds = args.get::<RecordBatch>(1)?;
                range_partition(batch, keys, bounds)?
                    .into_iter()
                    .map(u64::from)
                    .collect()
            }
            (By::Given(keys, _), Some(all)) => {
                check_within(batch, keys, all)?;
                let inner = all.slice(1, all.num_rows().saturating_sub(2));
                range_partition(batch, keys, &inner)?
                    .into_iter()
                    .map(u64::from)
                    .collect()
            }
            (By::Given(..), None) => return Err("divisions missing".into()),
        };
        cut(batch, &targets, route)
    })?;
    Ok(Value::new(pieces))
}

/// `[schema, pieces...]`: the pieces, in order, as one batch.
fn concat_op(args: Args) -> OpResult {
    let schema: Schema = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let schema = Arc::new(schema);
    let parts = Pieces::flatten(args.into_values().into_iter().skip(1));
    let batches = parts
        .iter()
        .map(|p| p.get::<RecordBatch>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(batch_value(concat(&schema, batches)?))
}

/// Batches with the columns of `schema` (by name, in any order) as one batch.
pub(crate) fn concat<'a>(
    schema: &SchemaRef,
    batches: impl IntoIterator<Item = &'a RecordBatch>,
) -> Result<RecordBatch, BoxError> {
    let batches: Vec<RecordBatch> = batches
        .into_iter()
        .map(|b| align(b, schema))
        .collect::<Result<_, _>>()?;
    if batches.len() == 1 {
        return Ok(batches
            .into_iter()
            .next()
            .unwrap_or_else(|| RecordBatch::new_empty(Arc::clone(schema))));
    }
    Ok(arrow_select::concat::concat_batches(schema, &batches)?)
}

/// `b` with exactly the columns of `schema`, in its order.
fn align(b: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, BoxError> {
    if b.schema_ref().fields() == schema.fields() {
        return Ok(b.clone());
    }
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            b.column_by_name(f.name())
                .cloned()
                .ok_or_else(|| format!("a partition lacks the column `{}`", f.name()).into())
        })
        .collect::<Result<Vec<ArrayRef>, BoxError>>()?;
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// The name of the weight column of a sample.
const WEIGHT: &str = "__dask_weight";

/// `[sort keys, rows, partition]`: `rows` evenly spaced rows of the key columns (a
/// systematic sample; the boundaries task sorts them all), and each one's weight (the
/// rows it stands for).
fn sample_op(args: Args) -> OpResult {
    let keys: Vec<SortKey> = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let per = *args.get::<u64>(1)? as usize;
    let batch = args.get::<RecordBatch>(2)?;
    let columns: Vec<&str> = keys.iter().map(|k| k.column.as_str()).collect();
    let indices = columns
        .iter()
        .map(|c| batch.schema_ref().index_of(c))
        .collect::<Result<Vec<_>, _>>()?;
    let projected = batch.project(&indices)?;
    let n = projected.num_rows();
    let take = per.min(n);
    let idx: UInt32Array = (0..take).map(|i| (i * n / take.max(1)) as u32).collect();
    let sample = arrow_select::take::take_record_batch(&projected, &idx)?;
    let weight = n as f64 / take.max(1) as f64;
    let mut fields: Vec<Field> = sample
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(WEIGHT, DataType::Float64, false));
    let mut cols = sample.columns().to_vec();
    cols.push(Arc::new(Float64Array::from(vec![weight; take])));
    Ok(batch_value(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols,
    )?))
}

/// `[sort keys, n, samples...]`: `n − 1` boundaries splitting the samples' weight
/// evenly (rows of the key columns).
fn boundaries_op(args: Args) -> OpResult {
    let keys: Vec<SortKey> = postcard::from_bytes(args.get::<Vec<u8>>(0)?)?;
    let n = (*args.get::<u64>(1)?).max(1) as usize;
    let samples: Vec<&RecordBatch> = (2..args.len())
        .map(|i| args.get::<RecordBatch>(i))
        .collect::<Result<_, _>>()?;
    let Some(first) = samples.first() else {
        return Err("a range shuffle of no partitions".into());
    };
    let all = arrow_select::concat::concat_batches(&first.schema(), samples.iter().copied())?;
    let sorted = sort_batch(&all, &keys)?;
    let weights = sorted
        .column_by_name(WEIGHT)
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .ok_or("a sample without weights")?;
    let total: f64 = weights.values().iter().sum();
    let mut picks = Vec::with_capacity(n.saturating_sub(1));
    let mut acc = 0.0;
    let mut next = 1;
    // Boundary `q` is the first sample row with at least `q / n` of the weight before
    // it: the rows before it make the first `q` partitions.
    for (i, w) in weights.values().iter().enumerate() {
        while next < n && acc >= total * next as f64 / n as f64 {
            picks.push(i as u32);
            next += 1;
        }
        acc += w;
    }
    while picks.len() < n - 1 {
        picks.push(sorted.num_rows().saturating_sub(1) as u32);
    }
    let weight_at = sorted.schema_ref().index_of(WEIGHT)?;
    let key_cols: Vec<usize> = (0..sorted.num_columns())
        .filter(|&c| c != weight_at)
        .collect();
    let keys_only = sorted.project(&key_cols)?;
    if keys_only.num_rows() == 0 {
        // No rows at all: every (absent) row goes to the first partition.
        return Ok(batch_value(keys_only));
    }
    let idx = UInt32Array::from(picks);
    Ok(batch_value(arrow_select::take::take_record_batch(
        &keys_only, &idx,
    )?))
}

register_op!(pub(crate) SPLIT = "dataframe.shuffle.split" => split_op);
register_op!(pub(crate) CONCAT = "dataframe.shuffle.concat" => concat_op);
register_op!(SAMPLE = "dataframe.shuffle.sample" => sample_op);
register_op!(BOUNDARIES = "dataframe.shuffle.boundaries" => boundaries_op);
