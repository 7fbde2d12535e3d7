//! pandas `drop_duplicates` for one partition.
//!
//! Rows are compared on the `subset` columns (every column when it is empty). As in
//! pandas, nulls equal nulls, NaN equals NaN (whatever its payload) and `-0.0` equals
//! `0.0`; the kept rows are output unchanged, in input order. A batch with no columns
//! to compare has rows that are all alike.
//!
//! A single integer column (any width) is hashed directly as an optional `i64`; other
//! subsets are hashed in `arrow_row` format. Batches must have fewer than `u32::MAX`
//! rows.

use std::collections::hash_map::Entry;
use std::hash::Hash;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_buffer::ScalarBuffer;
use arrow_row::{RowConverter, SortField};
use arrow_schema::{ArrowError, DataType};
use arrow_select::take::take_record_batch;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::canonical_floats;

/// Which of a set of duplicate rows `drop_duplicates` keeps (pandas' `keep`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keep {
    /// The first of each set of duplicates (pandas `keep="first"`).
    First,
    /// The last of each set of duplicates (pandas `keep="last"`).
    Last,
    /// None of them: every row that has a duplicate is dropped (pandas `keep=False`).
    None,
}

/// pandas `drop_duplicates(subset, keep)`: the rows of `batch` without duplicates,
/// compared on the `subset` columns (all columns when empty; nulls equal nulls, NaN
/// equals NaN), in input order. An unknown subset column is an error naming it and
/// listing the batch's columns.
pub(crate) fn drop_duplicates(
    batch: &RecordBatch,
    subset: &[String],
    keep: Keep,
) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema_ref();
    let len = batch.num_rows();
    if len >= u32::MAX as usize {
        return Err(ArrowError::InvalidArgumentError(format!(
            "drop_duplicates: a batch of {len} rows is too long; at most {} are supported",
            u32::MAX - 1
        )));
    }
    let indices: Vec<usize> = if subset.is_empty() {
        (0..schema.fields().len()).collect()
    } else {
        subset
            .iter()
            .map(|name| {
                schema
                    .fields()
                    .iter()
                    .position(|f| f.name() == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            schema.fields().iter().map(|f| f.name().as_str()).collect();
                        ArrowError::InvalidArgumentError(format!(
                            "drop_duplicates column '{name}' is not in the columns [{}]",
                            names.join(", ")
                        ))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    if len < 2 {
        return Ok(batch.clone());
    }
    let columns = indices
        .iter()
        .map(|&i| canonical_floats(batch.column(i)))
        .collect::<Result<Vec<ArrayRef>, ArrowError>>()?;

    let kept = match columns.as_slice() {
        [] => match keep {
            // Every row equals every other.
            Keep::First => vec![0],
            Keep::Last => vec![len as u32 - 1],
            Keep::None => Vec::new(),
        },
        [column] if column.data_type().is_integer() => {
            let values = widen_to_i64(column.as_ref())?;
            let nulls = column.logical_nulls().filter(|n| n.null_count() > 0);
            match &nulls {
                None => kept_rows(len, |i| Some(values[i]), keep),
                Some(nulls) => kept_rows(len, |i| nulls.is_valid(i).then(|| values[i]), keep),
            }
        }
        _ => {
            let fields = columns
                .iter()
                .map(|c| SortField::new(c.data_type().clone()))
                .collect();
            let rows = RowConverter::new(fields)?.convert_columns(&columns)?;
            kept_rows(len, |i| rows.row(i).data(), keep)
        }
    };
    if kept.len() == len {
        return Ok(batch.clone());
    }
    take_record_batch(batch, &UInt32Array::from(kept))
}

/// The rows to keep, in increasing order, among `len` rows whose keys `key` gives.
fn kept_rows<K: Hash + Eq>(len: usize, key: impl Fn(usize) -> K, keep: Keep) -> Vec<u32> {
    match keep {
        Keep::First => {
            let mut seen = FxHashSet::with_capacity_and_hasher(len, Default::default());
            (0..len)
                .filter(|&i| seen.insert(key(i)))
                .map(|i| i as u32)
                .collect()
        }
        Keep::Last => {
            let mut seen = FxHashSet::with_capacity_and_hasher(len, Default::default());
            let mut kept: Vec<u32> = (0..len)
                .rev()
                .filter(|&i| seen.insert(key(i)))
                .map(|i| i as u32)
                .collect();
            kept.reverse();
            kept
        }
        Keep::None => {
            /// Row state: not the first of its key.
            const LATER: u8 = 0;
            /// Row state: the first of its key, with no duplicate so far.
            const UNIQUE: u8 = 1;
            /// Row state: the first of its key, which has duplicates.
            const DUPLICATED: u8 = 2;
            let mut first: FxHashMap<K, u32> =
                FxHashMap::with_capacity_and_hasher(len, Default::default());
            let mut state = vec![LATER; len];
            for i in 0..len {
                match first.entry(key(i)) {
                    Entry::Vacant(e) => {
                        e.insert(i as u32);
                        state[i] = UNIQUE;
                    }
                    Entry::Occupied(e) => state[*e.get() as usize] = DUPLICATED,
                }
            }
            (0..len)
                .filter(|&i| state[i] == UNIQUE)
                .map(|i| i as u32)
                .collect()
        }
    }
}

/// The values of an integer array as `i64` (`UInt64` reinterpreted bit for bit, which
/// keeps equality; `Int64` values are shared, not copied); arbitrary where null.
fn widen_to_i64(array: &dyn Array) -> Result<ScalarBuffer<i64>, ArrowError> {
    /// Widens a primitive array of type `T` with `f`.
    fn widen<T: ArrowPrimitiveType>(
        array: &dyn Array,
        f: impl Fn(T::Native) -> i64,
    ) -> Result<ScalarBuffer<i64>, ArrowError> {
        let array = array.as_primitive_opt::<T>().ok_or_else(|| {
            ArrowError::ComputeError(format!("expected a {} array", T::DATA_TYPE))
        })?;
        Ok(array.values().iter().map(|&v| f(v)).collect())
    }
    match array.data_type() {
        DataType::Int64 => array
            .as_primitive_opt::<Int64Type>()
            .map(|a| a.values().clone())
            .ok_or_else(|| ArrowError::ComputeError("expected an Int64 array".into())),
        DataType::Int8 => widen::<Int8Type>(array, i64::from),
        DataType::Int16 => widen::<Int16Type>(array, i64::from),
        DataType::Int32 => widen::<Int32Type>(array, i64::from),
        DataType::UInt8 => widen::<UInt8Type>(array, i64::from),
        DataType::UInt16 => widen::<UInt16Type>(array, i64::from),
        DataType::UInt32 => widen::<UInt32Type>(array, i64::from),
        DataType::UInt64 => widen::<UInt64Type>(array, |v| v as i64),
        other => Err(ArrowError::ComputeError(format!(
            "expected an integer array, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::missing_docs_in_private_items)]

    use super::*;
    use arrow_array::types::Float64Type;
    use arrow_array::{
        Float64Array, Int32Array, Int64Array, RecordBatchOptions, StringArray, UInt64Array,
    };
    use arrow_schema::Schema;
    use std::sync::Arc;

    #[derive(Clone, Debug, PartialEq)]
    enum Val {
        Null,
        I(i64),
        F(f64),
        S(String),
    }

    impl Val {
        /// pandas' duplicate equality: nulls equal, NaN equal, -0.0 == 0.0.
        fn dup_eq(&self, other: &Val) -> bool {
            match (self, other) {
                (Val::F(a), Val::F(b)) => a == b || (a.is_nan() && b.is_nan()),
                _ => self == other,
            }
        }
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
            DataType::Int64 => Val::I(array.as_primitive::<Int64Type>().value(i)),
            DataType::Int32 => Val::I(array.as_primitive::<Int32Type>().value(i).into()),
            DataType::UInt64 => Val::I(array.as_primitive::<UInt64Type>().value(i) as i64),
            DataType::Float64 => Val::F(array.as_primitive::<Float64Type>().value(i)),
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

    /// The kept row indices by the O(n²) definition.
    fn reference(rows: &[Vec<Val>], cols: &[usize], keep: Keep) -> Vec<usize> {
        let same = |a: usize, b: usize| cols.iter().all(|&c| rows[a][c].dup_eq(&rows[b][c]));
        (0..rows.len())
            .filter(|&i| {
                let before = (0..i).any(|j| same(i, j));
                let after = (i + 1..rows.len()).any(|j| same(i, j));
                match keep {
                    Keep::First => !before,
                    Keep::Last => !after,
                    Keep::None => !before && !after,
                }
            })
            .collect()
    }

    fn random_batch(rng: &mut Rng, n: usize) -> RecordBatch {
        let a: Int64Array = (0..n)
            .map(|_| (rng.below(5) != 0).then(|| rng.below(3) as i64))
            .collect();
        let floats = [Some(1.5), Some(-0.0), Some(0.0), Some(f64::NAN), None];
        let f: Float64Array = (0..n).map(|_| floats[rng.below(5) as usize]).collect();
        let s: StringArray = (0..n)
            .map(|_| (rng.below(5) != 0).then(|| ["x", "y"][rng.below(2) as usize]))
            .collect();
        let b: Int32Array = (0..n)
            .map(|_| (rng.below(4) != 0).then(|| rng.below(3) as i32))
            .collect();
        RecordBatch::try_from_iter([
            ("a", Arc::new(a) as ArrayRef),
            ("f", Arc::new(f) as ArrayRef),
            ("s", Arc::new(s) as ArrayRef),
            ("b", Arc::new(b) as ArrayRef),
        ])
        .unwrap()
    }

    const SUBSETS: [&[&str]; 7] = [
        &[],
        &["a"],
        &["f"],
        &["s"],
        &["b"],
        &["a", "s"],
        &["f", "b"],
    ];

    #[test]
    fn matches_reference() {
        let mut rng = Rng(21);
        for _ in 0..300 {
            let n = rng.below(30) as usize;
            let batch = random_batch(&mut rng, n);
            let rows = rows_of(&batch);
            for subset in SUBSETS {
                let names: Vec<String> = subset.iter().map(|s| s.to_string()).collect();
                let cols: Vec<usize> = if subset.is_empty() {
                    (0..batch.num_columns()).collect()
                } else {
                    subset
                        .iter()
                        .map(|s| batch.schema().index_of(s).unwrap())
                        .collect()
                };
                for keep in [Keep::First, Keep::Last, Keep::None] {
                    let out = drop_duplicates(&batch, &names, keep).unwrap();
                    assert_eq!(out.schema(), batch.schema());
                    let expected: Vec<Vec<Val>> = reference(&rows, &cols, keep)
                        .into_iter()
                        .map(|i| rows[i].clone())
                        .collect();
                    let actual = rows_of(&out);
                    let same = actual.len() == expected.len()
                        && actual.iter().zip(&expected).all(|(x, y)| {
                            x.iter()
                                .zip(y)
                                .all(|(p, q)| p.dup_eq(q) && format!("{p:?}") == format!("{q:?}"))
                        });
                    assert!(same, "{subset:?} {keep:?}: {actual:?} vs {expected:?}");
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        // Unsigned values above i64::MAX stay distinct from negative ones.
        let batch = RecordBatch::try_from_iter([(
            "u",
            Arc::new(UInt64Array::from(vec![
                Some(u64::MAX),
                None,
                Some(u64::MAX),
                None,
                Some(1),
            ])) as ArrayRef,
        )])
        .unwrap();
        let out = drop_duplicates(&batch, &[], Keep::First).unwrap();
        assert_eq!(rows_of(&out).len(), 3);
        let out = drop_duplicates(&batch, &[], Keep::None).unwrap();
        assert_eq!(rows_of(&out), vec![vec![Val::I(1)]]);
        let out = drop_duplicates(&batch, &[], Keep::Last).unwrap();
        assert_eq!(
            rows_of(&out),
            vec![vec![Val::I(-1)], vec![Val::Null], vec![Val::I(1)]]
        );

        // Zero columns: every row is alike.
        let empty = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(4)),
        )
        .unwrap();
        assert_eq!(
            drop_duplicates(&empty, &[], Keep::First)
                .unwrap()
                .num_rows(),
            1
        );
        assert_eq!(
            drop_duplicates(&empty, &[], Keep::Last).unwrap().num_rows(),
            1
        );
        assert_eq!(
            drop_duplicates(&empty, &[], Keep::None).unwrap().num_rows(),
            0
        );
        let one = empty.slice(0, 1);
        assert_eq!(
            drop_duplicates(&one, &[], Keep::None).unwrap().num_rows(),
            1
        );

        // Empty batch and unknown column.
        let batch = RecordBatch::try_from_iter([(
            "a",
            Arc::new(Int64Array::from(Vec::<i64>::new())) as ArrayRef,
        )])
        .unwrap();
        assert_eq!(
            drop_duplicates(&batch, &[], Keep::None).unwrap().num_rows(),
            0
        );
        let err = drop_duplicates(&batch, &["zz".to_string()], Keep::First)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("drop_duplicates column 'zz' is not in the columns [a]"),
            "{err}"
        );
    }
}
