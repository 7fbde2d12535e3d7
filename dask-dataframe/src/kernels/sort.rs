//! Sorting kernels for one partition: a stable multi-key sort ([`sort_batch`]) and the
//! range index of each row given split points ([`range_partition`], the per-partition step of a
//! distributed sort).
//!
//! The order is pandas `sort_values`' with `kind="stable"`: each [`SortKey`] is
//! ascending or descending, with its nulls first or last (pandas' `na_position`,
//! `"last"` by default). Float NaN sorts as a null — wherever the key puts nulls, in
//! input order among them and the nulls — and `-0.0` ties with `0.0`. Rows whose keys
//! tie keep their input order.
//!
//! One key of a primitive, boolean, string or binary type is sorted with
//! `arrow_ord::sort::sort_to_indices`, then each run of tied keys is put back in input
//! order; other keys (several columns, or nested types) are compared in
//! `arrow_row` format, which the range search uses too. Batches must have
//! fewer than `u32::MAX` rows.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{ArrowPrimitiveType, Float16Type, Float32Type, Float64Type};
use arrow_array::{Array, ArrayRef, PrimitiveArray, RecordBatch, UInt32Array};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_cast::cast::{CastOptions, cast_with_options};
use arrow_ord::partition::partition;
use arrow_ord::sort::{SortOptions, sort_to_indices};
use arrow_row::{Row, RowConverter, SortField};
use arrow_schema::{ArrowError, DataType};
use arrow_select::take::{take, take_record_batch};
use serde::{Deserialize, Serialize};

/// A sort key: column name, ascending, nulls first?
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SortKey {
    /// The name of the key column.
    pub column: String,
    /// Smallest first if true, largest first if false.
    pub ascending: bool,
    /// Nulls (and NaNs) before the values if true, after them if false (pandas'
    /// default).
    pub nulls_first: bool,
}

/// The batch sorted (stable) by the keys (pandas `sort_values`: nulls last by default,
/// NaN sorted as null-like). No keys leave the batch as it is.
pub(crate) fn sort_batch(batch: &RecordBatch, keys: &[SortKey]) -> Result<RecordBatch, ArrowError> {
    let columns = key_columns(batch, keys, "sort")?;
    check_len(batch.num_rows())?;
    if columns.is_empty() || batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let indices = sort_indices(&columns, keys)?;
    take_record_batch(batch, &indices)
}

/// For each row, the index of the range it falls in given ascending `boundaries`
/// (n-1 split points for n ranges, a one-row-per-split-point RecordBatch with the key
/// columns, found by name and cast to the batch's key types if they differ): range r
/// holds rows with boundaries[r-1] <= key < boundaries[r] in the sort order the keys
/// define (respecting ascending/nulls_first, so descending sorts work). Boundaries out
/// of that order are an error.
pub(crate) fn range_partition(
    batch: &RecordBatch,
    keys: &[SortKey],
    boundaries: &RecordBatch,
) -> Result<Vec<u32>, ArrowError> {
    if keys.is_empty() {
        return Err(ArrowError::InvalidArgumentError(
            "range_partition needs at least one sort key".into(),
        ));
    }
    let columns = key_columns(batch, keys, "range partition")?;
    let mut bounds = key_columns(boundaries, keys, "range boundary")?;
    for (bound, (column, key)) in bounds.iter_mut().zip(columns.iter().zip(keys)) {
        if bound.data_type() != column.data_type() {
            let options = CastOptions {
                safe: false,
                ..CastOptions::default()
            };
            *bound = cast_with_options(bound, column.data_type(), &options).map_err(|e| {
                ArrowError::InvalidArgumentError(format!(
                    "range boundary column '{}' ({}) cannot be cast to the key type {}: {e}",
                    key.column,
                    bound.data_type(),
                    column.data_type()
                ))
            })?;
        }
    }
    check_len(batch.num_rows())?;
    check_len(boundaries.num_rows())?;
    if boundaries.num_rows() == 0 {
        return Ok(vec![0; batch.num_rows()]);
    }
    if let ([column], [bound], [key]) = (columns.as_slice(), bounds.as_slice(), keys)
        && let Some(ranges) = primitive_ranges(column, bound, key)
    {
        return Ok(ranges);
    }
    let converter = converter_for(&columns, keys)?;
    let rows = converter.convert_columns(&columns)?;
    let bound_rows = converter.convert_columns(&bounds)?;
    let bound_rows: Vec<Row<'_>> = bound_rows.iter().collect();
    if let Some(i) = bound_rows.windows(2).position(|w| w[1] < w[0]) {
        return Err(ArrowError::InvalidArgumentError(format!(
            "range boundaries are not in sort order: boundary {} sorts after boundary {}",
            i,
            i + 1
        )));
    }
    Ok(rows
        .iter()
        .map(|row| bound_rows.partition_point(|b| *b <= row) as u32)
        .collect())
}

/// Refuses batches too long for `u32` row indices.
fn check_len(len: usize) -> Result<(), ArrowError> {
    if len >= u32::MAX as usize {
        return Err(ArrowError::InvalidArgumentError(format!(
            "a batch of {len} rows is too long to sort; at most {} are supported",
            u32::MAX - 1
        )));
    }
    Ok(())
}

/// [`range_partition`] of one `Float64` or 64-bit integer-like key (integers,
/// timestamps, dates) with boundaries free of nulls, by comparing native values (the
/// key columns come with NaN made null); `None` for anything else.
fn primitive_ranges(column: &ArrayRef, bound: &ArrayRef, key: &SortKey) -> Option<Vec<u32>> {
    if bound.null_count() > 0 {
        return None;
    }
    let missing = if key.nulls_first {
        0
    } else {
        bound.len() as u32
    };
    match column.data_type() {
        DataType::Float64 => {
            let c = column.as_primitive::<Float64Type>();
            let b = bound.as_primitive::<Float64Type>().values();
            search(c.values(), c.nulls(), b, key.ascending, missing)
        }
        DataType::Int64 | DataType::Timestamp(..) | DataType::Date64 => {
            let as_i64 =
                |a: &ArrayRef| cast_with_options(a, &DataType::Int64, &CastOptions::default()).ok();
            let (c, b) = (as_i64(column)?, as_i64(bound)?);
            let c = c.as_primitive::<arrow_array::types::Int64Type>();
            let b = b.as_primitive::<arrow_array::types::Int64Type>().values();
            search(c.values(), c.nulls(), b, key.ascending, missing)
        }
        _ => None,
    }
}

/// For each value, how many boundaries sort at or before it (`missing` for nulls);
/// `None` when the boundaries are out of order (the general path reports it).
fn search<T: PartialOrd + Copy>(
    values: &[T],
    nulls: Option<&NullBuffer>,
    bounds: &[T],
    ascending: bool,
    missing: u32,
) -> Option<Vec<u32>> {
    let ordered = bounds.windows(2).all(|w| {
        if ascending {
            w[0] <= w[1]
        } else {
            w[0] >= w[1]
        }
    });
    if !ordered {
        return None;
    }
    let out = values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if nulls.is_some_and(|n| n.is_null(i)) {
                missing
            } else if ascending {
                bounds.partition_point(|&b| b <= v) as u32
            } else {
                bounds.partition_point(|&b| b >= v) as u32
            }
        })
        .collect();
    Some(out)
}

/// The sort options of `key`.
fn options(key: &SortKey) -> SortOptions {
    SortOptions {
        descending: !key.ascending,
        nulls_first: key.nulls_first,
    }
}

/// A row converter ordering rows of `columns` as `keys` say.
fn converter_for(columns: &[ArrayRef], keys: &[SortKey]) -> Result<RowConverter, ArrowError> {
    RowConverter::new(
        columns
            .iter()
            .zip(keys)
            .map(|(c, k)| SortField::new_with_options(c.data_type().clone(), options(k)))
            .collect(),
    )
}

/// The key columns of `batch` (NaN made null and `-0.0` zero), or an error naming a
/// missing one and listing the batch's columns; `what` names the operation.
fn key_columns(
    batch: &RecordBatch,
    keys: &[SortKey],
    what: &str,
) -> Result<Vec<ArrayRef>, ArrowError> {
    let schema = batch.schema_ref();
    keys.iter()
        .map(|key| {
            let index = schema
                .fields()
                .iter()
                .position(|f| f.name() == &key.column)
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        schema.fields().iter().map(|f| f.name().as_str()).collect();
                    ArrowError::InvalidArgumentError(format!(
                        "{what} key column '{}' is not in the columns [{}]",
                        key.column,
                        names.join(", ")
                    ))
                })?;
            nan_as_null(batch.column(index))
        })
        .collect()
}

/// `array` with NaN made null and `-0.0` made `0.0` if it is a float array holding
/// any, else `array` itself.
fn nan_as_null(array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    /// The rewrite for a float array of type `T`.
    fn rewrite<T: ArrowPrimitiveType>(
        array: &ArrayRef,
        is_nan: impl Fn(T::Native) -> bool,
        zero: T::Native,
    ) -> Result<ArrayRef, ArrowError> {
        let typed = array.as_primitive_opt::<T>().ok_or_else(|| {
            ArrowError::ComputeError(format!("expected a {} array", T::DATA_TYPE))
        })?;
        let values = typed.values();
        // `-0.0 == 0.0`, so this finds both zeros; rewriting `0.0` to itself is harmless.
        if !values.iter().any(|&v| is_nan(v) || v == zero) {
            return Ok(Arc::clone(array));
        }
        let not_nan = NullBuffer::new(BooleanBuffer::collect_bool(values.len(), |i| {
            !is_nan(values[i])
        }));
        let nulls = NullBuffer::union(typed.nulls(), Some(&not_nan));
        let values = values
            .iter()
            .map(|&v| if v == zero { zero } else { v })
            .collect();
        Ok(Arc::new(PrimitiveArray::<T>::try_new(values, nulls)?))
    }
    /// The native type of `Float16` arrays.
    type F16 = <Float16Type as ArrowPrimitiveType>::Native;
    match array.data_type() {
        DataType::Float16 => rewrite::<Float16Type>(array, |v| v.is_nan(), F16::ZERO),
        DataType::Float32 => rewrite::<Float32Type>(array, f32::is_nan, 0.0),
        DataType::Float64 => rewrite::<Float64Type>(array, f64::is_nan, 0.0),
        _ => Ok(Arc::clone(array)),
    }
}

/// Whether `sort_to_indices` sorts one column of this type directly.
fn has_fast_sort(data_type: &DataType) -> bool {
    data_type.is_primitive()
        || matches!(
            data_type,
            DataType::Boolean
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
        )
}

/// The stable sort permutation of the (prepared, non-empty) key `columns`.
fn sort_indices(columns: &[ArrayRef], keys: &[SortKey]) -> Result<UInt32Array, ArrowError> {
    if let ([column], [key]) = (columns, keys)
        && has_fast_sort(column.data_type())
    {
        // sort_to_indices is not stable: put each run of tied keys back in input order.
        let indices = sort_to_indices(column, Some(options(key)), None)?;
        let sorted = take(column.as_ref(), &indices, None)?;
        let mut indices: Vec<u32> = indices.values().to_vec();
        for range in partition(&[sorted])?.ranges() {
            if range.len() > 1
                && let Some(run) = indices.get_mut(range)
            {
                run.sort_unstable();
            }
        }
        return Ok(UInt32Array::from(indices));
    }
    let rows = converter_for(columns, keys)?.convert_columns(columns)?;
    let len = rows.num_rows() as u32;
    let mut indices: Vec<u32> = (0..len).collect();
    // `sort_by` is stable.
    indices.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    Ok(UInt32Array::from(indices))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::missing_docs_in_private_items)]

    use std::cmp::Ordering;

    use super::*;
    use arrow_array::{Float32Array, Float64Array, Int32Array, Int64Array, StringArray};

    /// A test cell.
    #[derive(Clone, Debug, PartialEq)]
    enum Val {
        Null,
        I(i64),
        F(f64),
        S(String),
    }

    impl Val {
        fn null_like(&self) -> bool {
            matches!(self, Val::Null) || matches!(self, Val::F(f) if f.is_nan())
        }
    }

    /// pandas' order of one key.
    fn cmp_key(a: &Val, b: &Val, key: &SortKey) -> Ordering {
        match (a.null_like(), b.null_like()) {
            (true, true) => Ordering::Equal,
            (true, false) if key.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if key.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = match (a, b) {
                    (Val::I(x), Val::I(y)) => x.cmp(y),
                    (Val::F(x), Val::F(y)) => x.partial_cmp(y).unwrap(),
                    (Val::S(x), Val::S(y)) => x.cmp(y),
                    _ => panic!("mixed types"),
                };
                if key.ascending { o } else { o.reverse() }
            }
        }
    }

    fn cmp_rows(a: &[Val], b: &[Val], cols: &[usize], keys: &[SortKey]) -> Ordering {
        cols.iter()
            .zip(keys)
            .map(|(&c, k)| cmp_key(&a[c], &b[c], k))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn cell(array: &dyn Array, i: usize) -> Val {
        if array.is_null(i) {
            return Val::Null;
        }
        match array.data_type() {
            DataType::Int64 => Val::I(
                array
                    .as_primitive::<arrow_array::types::Int64Type>()
                    .value(i),
            ),
            DataType::Int32 => Val::I(
                array
                    .as_primitive::<arrow_array::types::Int32Type>()
                    .value(i)
                    .into(),
            ),
            DataType::Float64 => Val::F(array.as_primitive::<Float64Type>().value(i)),
            DataType::Float32 => Val::F(array.as_primitive::<Float32Type>().value(i).into()),
            DataType::Utf8 => Val::S(array.as_string::<i32>().value(i).to_string()),
            other => panic!("unexpected type {other}"),
        }
    }

    fn rows_of(batch: &RecordBatch) -> Vec<Vec<Val>> {
        (0..batch.num_rows())
            .map(|i| {
                batch
                    .columns()
                    .iter()
                    .map(|c| cell(c.as_ref(), i))
                    .collect()
            })
            .collect()
    }

    const NAMES: [&str; 4] = ["i", "f", "s", "id"];

    /// A batch with columns i (Int64), f (Float64 with NaN, -0.0), s (Utf8), id (row).
    fn random_batch(rng: &mut Rng, n: usize) -> RecordBatch {
        let i: Int64Array = (0..n)
            .map(|_| (rng.below(5) != 0).then(|| rng.below(4) as i64 - 2))
            .collect();
        let floats = [
            Some(1.5),
            Some(-0.0),
            Some(0.0),
            Some(f64::NAN),
            None,
            Some(-3.0),
        ];
        let f: Float64Array = (0..n).map(|_| floats[rng.below(6) as usize]).collect();
        let s: StringArray = (0..n)
            .map(|_| (rng.below(5) != 0).then(|| ["a", "b", "ab", ""][rng.below(4) as usize]))
            .collect();
        let id = Int64Array::from_iter_values(0..n as i64);
        RecordBatch::try_from_iter([
            (NAMES[0], Arc::new(i) as ArrayRef),
            (NAMES[1], Arc::new(f) as ArrayRef),
            (NAMES[2], Arc::new(s) as ArrayRef),
            (NAMES[3], Arc::new(id) as ArrayRef),
        ])
        .unwrap()
    }

    fn random_keys(rng: &mut Rng) -> (Vec<usize>, Vec<SortKey>) {
        let count = 1 + rng.below(3) as usize;
        let mut cols: Vec<usize> = Vec::new();
        while cols.len() < count {
            let c = rng.below(3) as usize;
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
        let keys = cols
            .iter()
            .map(|&c| SortKey {
                column: NAMES[c].to_string(),
                ascending: rng.below(2) == 0,
                nulls_first: rng.below(2) == 0,
            })
            .collect();
        (cols, keys)
    }

    fn reference_order(rows: &[Vec<Val>], cols: &[usize], keys: &[SortKey]) -> Vec<i64> {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| cmp_rows(&rows[a], &rows[b], cols, keys));
        order.into_iter().map(|r| r as i64).collect()
    }

    fn ids(batch: &RecordBatch) -> Vec<i64> {
        batch
            .column(3)
            .as_primitive::<arrow_array::types::Int64Type>()
            .values()
            .to_vec()
    }

    #[test]
    fn sort_batch_matches_stable_reference() {
        let mut rng = Rng(11);
        for case in 0..400 {
            // Long batches too: std's unstable sort is stable on short slices.
            let n = rng.below(if case % 10 == 0 { 3000 } else { 40 }) as usize;
            let batch = random_batch(&mut rng, n);
            let (cols, keys) = random_keys(&mut rng);
            let sorted = sort_batch(&batch, &keys).unwrap();
            assert_eq!(sorted.schema(), batch.schema());
            let expected = reference_order(&rows_of(&batch), &cols, &keys);
            assert_eq!(ids(&sorted), expected, "{keys:?}");
        }
    }

    #[test]
    fn sort_examples() {
        let batch = RecordBatch::try_from_iter([
            (
                "f",
                Arc::new(Float64Array::from(vec![
                    Some(2.0),
                    Some(f64::NAN),
                    None,
                    Some(-1.0),
                    Some(f64::NAN),
                    Some(2.0),
                ])) as ArrayRef,
            ),
            (
                "id",
                Arc::new(Int32Array::from(vec![0, 1, 2, 3, 4, 5])) as ArrayRef,
            ),
        ])
        .unwrap();
        let key = |ascending, nulls_first| SortKey {
            column: "f".into(),
            ascending,
            nulls_first,
        };
        let ids = |b: RecordBatch| -> Vec<i32> {
            b.column(1)
                .as_primitive::<arrow_array::types::Int32Type>()
                .values()
                .to_vec()
        };
        assert_eq!(
            ids(sort_batch(&batch, &[key(true, false)]).unwrap()),
            [3, 0, 5, 1, 2, 4]
        );
        assert_eq!(
            ids(sort_batch(&batch, &[key(false, false)]).unwrap()),
            [0, 5, 3, 1, 2, 4]
        );
        assert_eq!(
            ids(sort_batch(&batch, &[key(false, true)]).unwrap()),
            [1, 2, 4, 0, 5, 3]
        );
        // The original values (NaN included) are kept.
        let sorted = sort_batch(&batch, &[key(true, false)]).unwrap();
        assert!(
            sorted
                .column(0)
                .as_primitive::<Float64Type>()
                .value(3)
                .is_nan()
        );
        // Float32 NaN too; no keys is the identity.
        let f32s = RecordBatch::try_from_iter([(
            "f",
            Arc::new(Float32Array::from(vec![f32::NAN, 1.0, -0.0, 0.0])) as ArrayRef,
        )])
        .unwrap();
        let sorted = sort_batch(&f32s, &[key(true, false)]).unwrap();
        let values = sorted
            .column(0)
            .as_primitive::<Float32Type>()
            .values()
            .to_vec();
        assert_eq!(values[..3], [-0.0, 0.0, 1.0]);
        assert!(values[2].is_sign_positive() && values[0].is_sign_negative());
        assert_eq!(sort_batch(&batch, &[]).unwrap(), batch);
        let err = sort_batch(
            &batch,
            &[SortKey {
                column: "x".into(),
                ..key(true, true)
            }],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sort key column 'x' is not in the columns [f, id]"),
            "{err}"
        );
    }

    #[test]
    fn range_partition_matches_reference() {
        let mut rng = Rng(13);
        for _ in 0..300 {
            let n = rng.below(40) as usize;
            let batch = random_batch(&mut rng, n);
            let (cols, keys) = random_keys(&mut rng);
            // Split points: sorted rows of another batch, key columns only, reordered.
            let m = 1 + rng.below(6) as usize;
            let sample = sort_batch(&random_batch(&mut rng, m), &keys).unwrap();
            let picked: Vec<u32> = (0..sample.num_rows() as u32)
                .filter(|_| rng.below(2) == 0)
                .collect();
            let sample = take_record_batch(&sample, &UInt32Array::from(picked)).unwrap();
            let bound_cols: Vec<(&str, ArrayRef)> = cols
                .iter()
                .rev()
                .map(|&c| (NAMES[c], Arc::clone(sample.column(c))))
                .collect();
            let bounds = RecordBatch::try_from_iter(bound_cols).unwrap();
            let ranges = range_partition(&batch, &keys, &bounds).unwrap();

            let rows = rows_of(&batch);
            let bound_rows = rows_of(&sample);
            let expected: Vec<u32> = rows
                .iter()
                .map(|r| {
                    bound_rows
                        .iter()
                        .filter(|b| cmp_rows(b, r, &cols, &keys).is_le())
                        .count() as u32
                })
                .collect();
            assert_eq!(ranges, expected, "{keys:?}");
            // A sorted batch gets non-decreasing range indices.
            let sorted = sort_batch(&batch, &keys).unwrap();
            let ranges = range_partition(&sorted, &keys, &bounds).unwrap();
            assert!(ranges.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn range_partition_errors_and_casts() {
        let batch = RecordBatch::try_from_iter([(
            "k",
            Arc::new(Int64Array::from(vec![Some(5), None, Some(1), Some(10)])) as ArrayRef,
        )])
        .unwrap();
        let key = |ascending| SortKey {
            column: "k".into(),
            ascending,
            nulls_first: false,
        };
        let bounds = |v: Vec<i32>| {
            RecordBatch::try_from_iter([("k", Arc::new(Int32Array::from(v)) as ArrayRef)]).unwrap()
        };
        // Int32 boundaries are cast to the Int64 key.
        assert_eq!(
            range_partition(&batch, &[key(true)], &bounds(vec![2, 5])).unwrap(),
            [2, 2, 0, 2]
        );
        assert_eq!(
            range_partition(&batch, &[key(false)], &bounds(vec![5, 2])).unwrap(),
            [1, 2, 2, 0]
        );
        let err = range_partition(&batch, &[key(true)], &bounds(vec![5, 2])).unwrap_err();
        assert!(err.to_string().contains("not in sort order"), "{err}");
        assert_eq!(
            range_partition(&batch, &[key(true)], &bounds(vec![])).unwrap(),
            [0; 4]
        );
        assert!(range_partition(&batch, &[], &bounds(vec![1])).is_err());
        let other =
            RecordBatch::try_from_iter([("x", Arc::new(Int32Array::from(vec![1])) as ArrayRef)])
                .unwrap();
        let err = range_partition(&batch, &[key(true)], &other)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("range boundary key column 'k' is not in the columns [x]"),
            "{err}"
        );
    }
}
