//! An in-memory hash join of two `RecordBatch`es with pandas `merge` semantics.
//!
//! [`join_schema`] checks a [`JoinSpec`] against the two input schemas and gives the
//! output schema (or a message saying what is wrong); [`hash_join`] joins two batches
//! of those schemas.
//!
//! Semantics, following pandas `merge(left, right, how, left_on, right_on, suffixes)`:
//!
//! * **Columns.** Every left column in order, then every right column in order, except
//!   that a right key column whose name equals the name of the left key it is paired
//!   with is dropped: that key appears once, as with pandas `on=`. In `Right` and
//!   `Outer` joins such a shared key column holds the coalesced value (the left row's
//!   value where a left row exists, else the right row's); in the other joins it is the
//!   left column. Any other left and right columns whose names clash (non-key columns,
//!   and keys with different names) get `suffixes.0` on the left one and `suffixes.1`
//!   on the right one (pandas' default is `"_x"`, `"_y"`). If a name still appears
//!   twice after that, [`join_schema`] refuses the spec. `Semi` and `Anti` output only
//!   the left columns, unrenamed: the left rows that have (`Semi`) or have no (`Anti`)
//!   match, each left row at most once.
//! * **Null keys never match** (the SQL rule): a row with a null in any of its key
//!   columns matches nothing. It is kept, with nulls for the other side, by the joins
//!   that keep unmatched rows of its side (`Left`/`Outer` for left rows, `Right`/`Outer`
//!   for right rows, `Anti` for left rows) and dropped by the others. A null is a
//!   top-level null of the key column (a struct key whose fields are null is not null).
//! * **Floats.** NaN keys equal NaN keys (as in pandas, whatever their payload), and
//!   `-0.0` equals `0.0`.
//! * **Key types.** Equal types match. Two integer columns of different widths or
//!   signedness are compared as `Int64` (an unsigned value above `i64::MAX` is then an
//!   error; two `UInt64` columns are compared as they are). Two string columns (`Utf8`,
//!   `LargeUtf8`, `Utf8View`) compare as strings, two binary columns (`Binary`,
//!   `LargeBinary`, `BinaryView`) as bytes. Any other pair of types is refused by
//!   [`join_schema`], naming both columns and types. A shared key column takes the left
//!   column's type; in `Right` and `Outer` joins right values are cast to it, and a
//!   right value that does not fit (an `Int64` 1000 into an `Int8` key) is an error.
//! * **Nullability.** Columns of the side that may be missing become nullable: the right
//!   columns in `Left` and `Outer` joins, the left columns in `Right` and `Outer` joins.
//!   A coalesced key is nullable where a null key can reach it: from the right column in
//!   a `Right` join, from either column in an `Outer` join.
//! * **Row order.** `Inner`, `Left`, `Semi` and `Anti`: left rows in their order, each
//!   left row's matches in right order. `Right`: right rows in their order, each with its
//!   matching left rows in left order. `Outer`: the `Left` order, then the unmatched right
//!   rows in right order. Duplicate keys on both sides give every pair of matches.
//!
//! Implementation: a hash table is built on the right side (on the left side for a
//! `Right` join) in a chained layout — a map from key to the first build row having it
//! plus a `next` array linking each build row to the following one with the same key,
//! so a key's rows come out in build order without a vector per key — and probed with
//! the other side, producing `u32` index arrays (null where a side is missing) that
//! `arrow_select::take` gathers. A single integer key (any width, widened to `i64`)
//! is hashed directly; other keys go through `arrow_row` rows. Each input batch must
//! have fewer than `u32::MAX` rows.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, UInt32Array, new_null_array};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_cast::cast::{CastOptions, cast_with_options};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use arrow_select::concat::concat;
use arrow_select::take::take;
use arrow_select::zip::zip;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::canonical_floats;

/// The kind of join, as pandas' `how` (plus the semi and anti joins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinHow {
    /// Only the pairs of matching rows.
    Inner,
    /// Every left row, with its matches or with nulls on the right.
    Left,
    /// Every right row, with its matches or with nulls on the left.
    Right,
    /// Every left row as in `Left`, then the unmatched right rows.
    Outer,
    /// The left rows that have at least one match, once each, left columns only.
    Semi,
    /// The left rows that have no match, left columns only.
    Anti,
}

/// What to join on and how, as the arguments of pandas `merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct JoinSpec {
    /// The left key columns, paired in order with `right_on`.
    pub left_on: Vec<String>,
    /// The right key columns, paired in order with `left_on`.
    pub right_on: Vec<String>,
    /// The kind of join.
    pub how: JoinHow,
    /// Appended to the left and right names of clashing columns (pandas: `"_x"`, `"_y"`).
    pub suffixes: (String, String),
}

/// Marks a missing row in an index vector (no input row has this index, as every
/// input has fewer than `u32::MAX` rows).
const NONE: u32 = u32::MAX;

/// How a pair of key columns is brought to one type before comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyCast {
    /// Both columns have the same type and are compared as they are.
    Same,
    /// Integers of different types: both are cast to `Int64`.
    Int64,
    /// Strings of different types: both are cast to `LargeUtf8`.
    LargeUtf8,
    /// Binaries of different types: both are cast to `LargeBinary`.
    LargeBinary,
}

impl KeyCast {
    /// The type both columns are cast to, or `None` to leave them as they are.
    fn target(self) -> Option<DataType> {
        match self {
            KeyCast::Same => None,
            KeyCast::Int64 => Some(DataType::Int64),
            KeyCast::LargeUtf8 => Some(DataType::LargeUtf8),
            KeyCast::LargeBinary => Some(DataType::LargeBinary),
        }
    }
}

/// Where an output column comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The left column with this index.
    Left(usize),
    /// The right column with this index.
    Right(usize),
    /// A shared key: the left column's value where the left row exists, else the right
    /// column's (cast to the left type).
    Coalesce(usize, usize),
}

/// A checked join: the key column indices, how each key pair is compared, and where
/// each output column comes from.
#[derive(Debug)]
struct JoinPlan {
    /// Indices of the left key columns.
    left_keys: Vec<usize>,
    /// Indices of the right key columns, paired with `left_keys`.
    right_keys: Vec<usize>,
    /// How each key pair is compared.
    casts: Vec<KeyCast>,
    /// The source of each output column.
    sources: Vec<Source>,
    /// The output schema.
    schema: SchemaRef,
}

/// The output schema, or a message saying what is wrong (key missing — name it and
/// list the side's columns, key counts differ, key types incompatible — name both
/// columns and types, a suffixed name still clashing).
pub(crate) fn join_schema(
    left: &Schema,
    right: &Schema,
    spec: &JoinSpec,
) -> Result<SchemaRef, String> {
    plan(left, right, spec).map(|plan| plan.schema)
}

/// Joins the two batches; `schema` is [`join_schema`]'s result for their schemas and
/// `spec`.
pub(crate) fn hash_join(
    left: &RecordBatch,
    right: &RecordBatch,
    spec: &JoinSpec,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let plan = plan(left.schema_ref(), right.schema_ref(), spec)
        .map_err(ArrowError::InvalidArgumentError)?;
    if schema.fields().len() != plan.sources.len() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "join output schema has {} columns but the join produces {}",
            schema.fields().len(),
            plan.sources.len()
        )));
    }
    for (side, batch) in [("left", left), ("right", right)] {
        if batch.num_rows() >= NONE as usize {
            return Err(ArrowError::InvalidArgumentError(format!(
                "the {side} join input has {} rows; at most {} are supported",
                batch.num_rows(),
                NONE - 1
            )));
        }
    }

    let left_keys = side_keys(left, &plan.left_keys, &plan.casts, "left")?;
    let right_keys = side_keys(right, &plan.right_keys, &plan.casts, "right")?;
    let (left_idx, right_idx) = match (&left_keys, &right_keys) {
        (KeyArrays::Int(l), KeyArrays::Int(r)) => {
            let lk = |i: usize| l.get(i);
            let rk = |i: usize| r.get(i);
            join_indices(spec.how, left.num_rows(), right.num_rows(), lk, rk)
        }
        (KeyArrays::Encoded(l), KeyArrays::Encoded(r)) => {
            let lk = |i: usize| l.get(i);
            let rk = |i: usize| r.get(i);
            join_indices(spec.how, left.num_rows(), right.num_rows(), lk, rk)
        }
        _ => {
            return Err(ArrowError::ComputeError(
                "join keys of the two sides were encoded differently".to_string(),
            ));
        }
    };

    let num_rows = left_idx.len();
    let columns = assemble(left, right, &plan, &left_idx, &right_idx)?;
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(num_rows)),
    )
}

/// Checks `spec` against the schemas and works out the output columns.
fn plan(left: &Schema, right: &Schema, spec: &JoinSpec) -> Result<JoinPlan, String> {
    if spec.left_on.len() != spec.right_on.len() {
        return Err(format!(
            "left_on has {} key columns ({}) but right_on has {} ({})",
            spec.left_on.len(),
            spec.left_on.join(", "),
            spec.right_on.len(),
            spec.right_on.join(", ")
        ));
    }
    if spec.left_on.is_empty() {
        return Err("a join needs at least one key column (left_on and right_on are empty)".into());
    }
    let left_keys = find_keys(left, &spec.left_on, "left")?;
    let right_keys = find_keys(right, &spec.right_on, "right")?;

    let mut casts = Vec::with_capacity(left_keys.len());
    for (&l, &r) in left_keys.iter().zip(&right_keys) {
        let (lf, rf) = (left.field(l), right.field(r));
        let cast = key_cast(lf.data_type(), rf.data_type()).ok_or_else(|| {
            format!(
                "join key columns '{}' (left, {}) and '{}' (right, {}) have incompatible types",
                lf.name(),
                lf.data_type(),
                rf.name(),
                rf.data_type()
            )
        })?;
        casts.push(cast);
    }
    let compared: Vec<DataType> = left_keys
        .iter()
        .zip(&casts)
        .map(|(&l, cast)| {
            cast.target()
                .unwrap_or_else(|| left.field(l).data_type().clone())
        })
        .collect();
    let sort_fields: Vec<SortField> = compared.iter().cloned().map(SortField::new).collect();
    if !RowConverter::supports_fields(&sort_fields) {
        let types: Vec<String> = compared.iter().map(DataType::to_string).collect();
        return Err(format!(
            "join keys of types ({}) cannot be compared",
            types.join(", ")
        ));
    }

    let semi = matches!(spec.how, JoinHow::Semi | JoinHow::Anti);
    let coalesce = matches!(spec.how, JoinHow::Right | JoinHow::Outer);
    // A right key whose name is its paired left key's is dropped; the left column
    // (coalesced in right and outer joins) stands for both.
    let mut dropped = vec![false; right.fields().len()];
    let mut shared: Vec<Option<usize>> = vec![None; left.fields().len()];
    for (&l, &r) in left_keys.iter().zip(&right_keys) {
        if left.field(l).name() == right.field(r).name() {
            dropped[r] = true;
            shared[l].get_or_insert(r);
        }
    }

    let mut sources: Vec<Source> = (0..left.fields().len())
        .map(|l| match shared[l] {
            Some(r) if coalesce => Source::Coalesce(l, r),
            _ => Source::Left(l),
        })
        .collect();
    let mut fields: Vec<Field> = Vec::new();
    if semi {
        fields.extend(left.fields().iter().map(|f| f.as_ref().clone()));
    } else {
        sources.extend(
            (0..right.fields().len())
                .filter(|&r| !dropped[r])
                .map(Source::Right),
        );
        let right_names: Vec<&String> = right
            .fields()
            .iter()
            .zip(&dropped)
            .filter(|(_, d)| !**d)
            .map(|(f, _)| f.name())
            .collect();
        let left_names: Vec<&String> = left.fields().iter().map(|f| f.name()).collect();
        let left_missing = matches!(spec.how, JoinHow::Right | JoinHow::Outer);
        let right_missing = matches!(spec.how, JoinHow::Left | JoinHow::Outer);
        for source in &sources {
            let field = match *source {
                Source::Left(l) => {
                    let f = left.field(l);
                    let name = if right_names.contains(&f.name()) {
                        format!("{}{}", f.name(), spec.suffixes.0)
                    } else {
                        f.name().clone()
                    };
                    f.clone()
                        .with_name(name)
                        .with_nullable(f.is_nullable() || left_missing)
                }
                Source::Right(r) => {
                    let f = right.field(r);
                    let name = if left_names.contains(&f.name()) {
                        format!("{}{}", f.name(), spec.suffixes.1)
                    } else {
                        f.name().clone()
                    };
                    f.clone()
                        .with_name(name)
                        .with_nullable(f.is_nullable() || right_missing)
                }
                Source::Coalesce(l, r) => {
                    let (lf, rf) = (left.field(l), right.field(r));
                    let nullable = match spec.how {
                        JoinHow::Right => rf.is_nullable(),
                        _ => lf.is_nullable() || rf.is_nullable(),
                    };
                    lf.clone().with_nullable(nullable)
                }
            };
            fields.push(field);
        }
        let mut seen: FxHashMap<&str, ()> = FxHashMap::default();
        for field in &fields {
            if seen.insert(field.name().as_str(), ()).is_some() {
                return Err(format!(
                    "join output column name '{}' appears more than once (suffixes {:?}, {:?}); \
                     rename a column or choose other suffixes",
                    field.name(),
                    spec.suffixes.0,
                    spec.suffixes.1
                ));
            }
        }
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, left.metadata().clone()));
    Ok(JoinPlan {
        left_keys,
        right_keys,
        casts,
        sources,
        schema,
    })
}

/// The indices of the key columns `names` of one side, or a message naming the missing
/// one and listing the side's columns.
fn find_keys(schema: &Schema, names: &[String], side: &str) -> Result<Vec<usize>, String> {
    names
        .iter()
        .map(|name| {
            schema
                .fields()
                .iter()
                .position(|f| f.name() == name)
                .ok_or_else(|| {
                    let columns: Vec<&str> =
                        schema.fields().iter().map(|f| f.name().as_str()).collect();
                    format!(
                        "join key column '{name}' is not in the {side} columns [{}]",
                        columns.join(", ")
                    )
                })
        })
        .collect()
}

/// How keys of types `left` and `right` are compared, or `None` if they cannot be.
fn key_cast(left: &DataType, right: &DataType) -> Option<KeyCast> {
    let is_string =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let is_binary = |t: &DataType| {
        matches!(
            t,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView
        )
    };
    if left == right {
        Some(KeyCast::Same)
    } else if left.is_integer() && right.is_integer() {
        Some(KeyCast::Int64)
    } else if is_string(left) && is_string(right) {
        Some(KeyCast::LargeUtf8)
    } else if is_binary(left) && is_binary(right) {
        Some(KeyCast::LargeBinary)
    } else {
        None
    }
}

/// A side's keys, ready for hashing.
enum KeyArrays {
    /// A single integer key widened to `i64`.
    Int(IntKeys),
    /// The key columns in Arrow's row format.
    Encoded(EncodedKeys),
}

/// A single integer key column widened to `i64`, with its validity.
struct IntKeys {
    /// The key values (arbitrary where null).
    values: ScalarBuffer<i64>,
    /// Which rows have a key; `None` when all do.
    nulls: Option<NullBuffer>,
}

impl IntKeys {
    /// The key of row `i`, or `None` if it is null.
    #[inline]
    fn get(&self, i: usize) -> Option<i64> {
        match &self.nulls {
            Some(nulls) if nulls.is_null(i) => None,
            _ => Some(self.values[i]),
        }
    }
}

/// Key columns in row format, with the rows that have a null in any key column.
struct EncodedKeys {
    /// One row per input row.
    rows: Rows,
    /// Which rows have no null key; `None` when all.
    nulls: Option<NullBuffer>,
}

impl EncodedKeys {
    /// The encoded key of row `i`, or `None` if one of its key columns is null.
    #[inline]
    fn get(&self, i: usize) -> Option<&[u8]> {
        match &self.nulls {
            Some(nulls) if nulls.is_null(i) => None,
            _ => Some(self.rows.row(i).data()),
        }
    }
}

/// The keys of one side: its key columns cast as `casts` says, floats made canonical
/// (NaN and zero), then widened to `i64` (one integer key) or encoded as rows.
fn side_keys(
    batch: &RecordBatch,
    keys: &[usize],
    casts: &[KeyCast],
    side: &str,
) -> Result<KeyArrays, ArrowError> {
    let mut arrays = Vec::with_capacity(keys.len());
    for (&k, cast) in keys.iter().zip(casts) {
        let column = batch.column(k);
        let array = match cast.target() {
            None => Arc::clone(column),
            Some(target) => {
                let options = CastOptions {
                    safe: false,
                    ..CastOptions::default()
                };
                cast_with_options(column, &target, &options).map_err(|e| {
                    ArrowError::InvalidArgumentError(format!(
                        "{side} join key column '{}' ({}) cannot be compared as {target}: {e}",
                        batch.schema_ref().field(k).name(),
                        column.data_type()
                    ))
                })?
            }
        };
        arrays.push(canonical_floats(&array)?);
    }
    if let [array] = arrays.as_slice()
        && let Some(values) = widen_to_i64(array.as_ref())?
    {
        return Ok(KeyArrays::Int(IntKeys {
            values,
            nulls: array.logical_nulls().filter(|n| n.null_count() > 0),
        }));
    }
    let fields = arrays
        .iter()
        .map(|a| SortField::new(a.data_type().clone()))
        .collect();
    let rows = RowConverter::new(fields)?.convert_columns(&arrays)?;
    let nulls = arrays
        .iter()
        .fold(None, |acc: Option<NullBuffer>, a| {
            NullBuffer::union(acc.as_ref(), a.logical_nulls().as_ref())
        })
        .filter(|n| n.null_count() > 0);
    Ok(KeyArrays::Encoded(EncodedKeys { rows, nulls }))
}

/// The values of an integer array as `i64` (`UInt64` reinterpreted bit for bit, which
/// keeps equality), or `None` if `array` is not of an integer type.
fn widen_to_i64(array: &dyn Array) -> Result<Option<ScalarBuffer<i64>>, ArrowError> {
    /// Widens a primitive array of type `T` with `f`.
    fn widen<T: ArrowPrimitiveType>(
        array: &dyn Array,
        f: impl Fn(T::Native) -> i64,
    ) -> Result<Option<ScalarBuffer<i64>>, ArrowError> {
        let array = array.as_primitive_opt::<T>().ok_or_else(|| {
            ArrowError::ComputeError(format!("expected a {} array", T::DATA_TYPE))
        })?;
        Ok(Some(array.values().iter().map(|&v| f(v)).collect()))
    }
    match array.data_type() {
        DataType::Int64 => {
            let array = array
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| ArrowError::ComputeError("expected an Int64 array".into()))?;
            Ok(Some(array.values().clone()))
        }
        DataType::Int8 => widen::<Int8Type>(array, i64::from),
        DataType::Int16 => widen::<Int16Type>(array, i64::from),
        DataType::Int32 => widen::<Int32Type>(array, i64::from),
        DataType::UInt8 => widen::<UInt8Type>(array, i64::from),
        DataType::UInt16 => widen::<UInt16Type>(array, i64::from),
        DataType::UInt32 => widen::<UInt32Type>(array, i64::from),
        DataType::UInt64 => widen::<UInt64Type>(array, |v| v as i64),
        _ => Ok(None),
    }
}

/// A hash table over the build side in a chained layout: `heads` maps each key to the
/// first build row having it, and `next[i]` is the following build row with row `i`'s
/// key (`NONE` after the last), so a key's rows are visited in build order.
struct Chains<K> {
    /// The first build row of each key.
    heads: FxHashMap<K, u32>,
    /// The next build row with the same key, or `NONE`.
    next: Vec<u32>,
}

impl<K: Hash + Eq> Chains<K> {
    /// Builds the table over `len` rows whose keys `key` gives (`None` for a null key,
    /// which is left out).
    fn build(len: usize, key: impl Fn(usize) -> Option<K>) -> Self {
        let mut heads = FxHashMap::with_capacity_and_hasher(len, Default::default());
        let mut next = vec![NONE; len];
        // Inserting from the last row makes each chain run in increasing row order.
        for i in (0..len).rev() {
            if let Some(k) = key(i) {
                match heads.entry(k) {
                    Entry::Occupied(mut e) => {
                        next[i] = *e.get();
                        e.insert(i as u32);
                    }
                    Entry::Vacant(e) => {
                        e.insert(i as u32);
                    }
                }
            }
        }
        Chains { heads, next }
    }

    /// The first build row whose key is `key`, or `NONE`.
    #[inline]
    fn first(&self, key: Option<K>) -> u32 {
        key.and_then(|k| self.heads.get(&k).copied())
            .unwrap_or(NONE)
    }
}

/// What a probe emits for each probe row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Emit {
    /// One pair per match.
    Matches,
    /// One pair per match, or the row with `NONE` if it has none.
    MatchesOrUnmatched,
    /// The row once if it has a match.
    Semi,
    /// The row once if it has no match.
    Anti,
}

/// Probes `table` with `len` rows whose keys `key` gives: the probe row indices and the
/// matching build row indices (`NONE` for unmatched rows; empty for `Semi` and `Anti`),
/// marking matched build rows in `matched` if given.
fn probe<K: Hash + Eq>(
    table: &Chains<K>,
    len: usize,
    key: impl Fn(usize) -> Option<K>,
    emit: Emit,
    mut matched: Option<&mut [bool]>,
) -> (Vec<u32>, Vec<u32>) {
    let mut probe_idx = Vec::with_capacity(len);
    let mut build_idx = Vec::new();
    if matches!(emit, Emit::Matches | Emit::MatchesOrUnmatched) {
        build_idx.reserve(len);
    }
    for p in 0..len {
        let first = table.first(key(p));
        match emit {
            Emit::Semi => {
                if first != NONE {
                    probe_idx.push(p as u32);
                }
            }
            Emit::Anti => {
                if first == NONE {
                    probe_idx.push(p as u32);
                }
            }
            Emit::Matches | Emit::MatchesOrUnmatched => {
                if first == NONE {
                    if emit == Emit::MatchesOrUnmatched {
                        probe_idx.push(p as u32);
                        build_idx.push(NONE);
                    }
                    continue;
                }
                let mut b = first;
                while b != NONE {
                    probe_idx.push(p as u32);
                    build_idx.push(b);
                    if let Some(matched) = matched.as_deref_mut() {
                        matched[b as usize] = true;
                    }
                    b = table.next[b as usize];
                }
            }
        }
    }
    (probe_idx, build_idx)
}

/// The left and right row indices of the join's output rows (`NONE` where a side is
/// missing; the right vector is empty for `Semi` and `Anti`).
fn join_indices<K: Hash + Eq>(
    how: JoinHow,
    left_len: usize,
    right_len: usize,
    left_key: impl Fn(usize) -> Option<K>,
    right_key: impl Fn(usize) -> Option<K>,
) -> (Vec<u32>, Vec<u32>) {
    match how {
        JoinHow::Right => {
            let table = Chains::build(left_len, left_key);
            let (right_idx, left_idx) =
                probe(&table, right_len, right_key, Emit::MatchesOrUnmatched, None);
            (left_idx, right_idx)
        }
        JoinHow::Outer => {
            let table = Chains::build(right_len, right_key);
            let mut matched = vec![false; right_len];
            let (mut left_idx, mut right_idx) = probe(
                &table,
                left_len,
                left_key,
                Emit::MatchesOrUnmatched,
                Some(&mut matched),
            );
            for (r, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
                left_idx.push(NONE);
                right_idx.push(r as u32);
            }
            (left_idx, right_idx)
        }
        JoinHow::Inner | JoinHow::Left | JoinHow::Semi | JoinHow::Anti => {
            let table = Chains::build(right_len, right_key);
            let emit = match how {
                JoinHow::Inner => Emit::Matches,
                JoinHow::Left => Emit::MatchesOrUnmatched,
                JoinHow::Semi => Emit::Semi,
                _ => Emit::Anti,
            };
            probe(&table, left_len, left_key, emit, None)
        }
    }
}

/// How to gather one side's columns for the output rows.
enum Gather {
    /// The output rows are the side's rows in order: its columns are reused.
    Identity,
    /// The side is missing from every output row: null columns of this length.
    AllNull(usize),
    /// Take these rows (null where the side is missing).
    Take(UInt32Array),
}

impl Gather {
    /// The gather for `indices` (`NONE` for missing) over a side of `source_len` rows.
    fn new(indices: &[u32], source_len: usize) -> Self {
        if indices.len() == source_len && indices.iter().enumerate().all(|(i, &v)| v as usize == i)
        {
            return Gather::Identity;
        }
        let missing = indices.iter().filter(|&&v| v == NONE).count();
        if missing == 0 {
            return Gather::Take(UInt32Array::from(indices.to_vec()));
        }
        if missing == indices.len() {
            return Gather::AllNull(indices.len());
        }
        let valid = BooleanBuffer::collect_bool(indices.len(), |i| indices[i] != NONE);
        let values: Vec<u32> = indices
            .iter()
            .map(|&v| if v == NONE { 0 } else { v })
            .collect();
        Gather::Take(UInt32Array::new(
            ScalarBuffer::from(values),
            Some(NullBuffer::new(valid)),
        ))
    }

    /// `column` gathered for the output rows.
    fn apply(&self, column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
        match self {
            Gather::Identity => Ok(Arc::clone(column)),
            Gather::AllNull(len) => Ok(new_null_array(column.data_type(), *len)),
            Gather::Take(indices) => take(column.as_ref(), indices, None),
        }
    }
}

/// The output columns for the output rows `left_idx`/`right_idx`.
fn assemble(
    left: &RecordBatch,
    right: &RecordBatch,
    plan: &JoinPlan,
    left_idx: &[u32],
    right_idx: &[u32],
) -> Result<Vec<ArrayRef>, ArrowError> {
    let left_gather = Gather::new(left_idx, left.num_rows());
    let has_right = plan.sources.iter().any(|s| matches!(s, Source::Right(_)));
    let right_gather = if has_right {
        Some(Gather::new(right_idx, right.num_rows()))
    } else {
        None
    };
    let mut coalescer: Option<Coalescer> = None;
    let mut columns = Vec::with_capacity(plan.sources.len());
    for source in &plan.sources {
        let column = match *source {
            Source::Left(l) => left_gather.apply(left.column(l))?,
            Source::Right(r) => match &right_gather {
                Some(gather) => gather.apply(right.column(r))?,
                None => {
                    return Err(ArrowError::ComputeError(
                        "join has no right rows to gather".into(),
                    ));
                }
            },
            Source::Coalesce(l, r) => {
                let coalescer = match &mut coalescer {
                    Some(coalescer) => coalescer,
                    None => coalescer.insert(Coalescer::new(
                        left_idx,
                        right_idx,
                        left.num_rows(),
                        right.num_rows(),
                    )?),
                };
                let left_column = left.column(l);
                let right_column = right.column(r);
                let right_column = if right_column.data_type() == left_column.data_type() {
                    Arc::clone(right_column)
                } else {
                    let options = CastOptions {
                        safe: false,
                        ..CastOptions::default()
                    };
                    cast_with_options(right_column, left_column.data_type(), &options).map_err(
                        |e| {
                            ArrowError::InvalidArgumentError(format!(
                                "right join key column '{}' ({}) has values that do not fit \
                                 the left key type {}: {e}",
                                right.schema_ref().field(r).name(),
                                right_column.data_type(),
                                left_column.data_type()
                            ))
                        },
                    )?
                };
                coalescer.apply(&left_gather, left_column, &right_column)?
            }
        };
        columns.push(column);
    }
    Ok(columns)
}

/// How a shared key column is coalesced: the left value where the left row exists,
/// else the right value.
enum Coalescer {
    /// The output rows with a left row all come first (an outer join's layout): the
    /// gathered left rows, then the gathered right rows of the rest, concatenated.
    Split {
        /// Gathers the left rows of the leading output rows.
        head: Gather,
        /// Gathers the right rows of the trailing output rows.
        tail: Gather,
    },
    /// Rows with and without a left row are mixed (a right join): both sides are
    /// gathered in full and zipped by `has_left`.
    Zip {
        /// Whether each output row has a left row.
        has_left: arrow_array::BooleanArray,
        /// Gathers the right rows of every output row.
        right: Gather,
    },
}

impl Coalescer {
    /// The coalescing plan for output rows `left_idx`/`right_idx` (`NONE` where a side
    /// is missing) over sides of `left_len` and `right_len` rows.
    fn new(
        left_idx: &[u32],
        right_idx: &[u32],
        left_len: usize,
        right_len: usize,
    ) -> Result<Self, ArrowError> {
        let missing_both = || {
            ArrowError::ComputeError("a join output row has neither a left nor a right row".into())
        };
        if left_idx.len() != right_idx.len() {
            return Err(ArrowError::ComputeError(
                "join index vectors differ in length".into(),
            ));
        }
        let split = left_idx
            .iter()
            .position(|&l| l == NONE)
            .unwrap_or(left_idx.len());
        let (left_tail, right_tail) = (&left_idx[split..], &right_idx[split..]);
        if left_tail.iter().all(|&l| l == NONE) {
            if right_tail.contains(&NONE) {
                return Err(missing_both());
            }
            return Ok(Coalescer::Split {
                head: Gather::new(&left_idx[..split], left_len),
                tail: Gather::new(right_tail, right_len),
            });
        }
        if left_idx
            .iter()
            .zip(right_idx)
            .any(|(&l, &r)| l == NONE && r == NONE)
        {
            return Err(missing_both());
        }
        let has_left = BooleanBuffer::collect_bool(left_idx.len(), |i| left_idx[i] != NONE);
        Ok(Coalescer::Zip {
            has_left: has_left.into(),
            right: Gather::new(right_idx, right_len),
        })
    }

    /// The coalesced column of `left_column` (gathered by `left_gather`, for every
    /// output row) and `right_column` (already of the left type).
    fn apply(
        &self,
        left_gather: &Gather,
        left_column: &ArrayRef,
        right_column: &ArrayRef,
    ) -> Result<ArrayRef, ArrowError> {
        match self {
            Coalescer::Split { head, tail } => {
                let head = head.apply(left_column)?;
                let tail = tail.apply(right_column)?;
                if tail.is_empty() {
                    Ok(head)
                } else if head.is_empty() {
                    Ok(tail)
                } else {
                    concat(&[head.as_ref(), tail.as_ref()])
                }
            }
            Coalescer::Zip { has_left, right } => {
                let left = left_gather.apply(left_column)?;
                let right = right.apply(right_column)?;
                zip(has_left, &left, &right)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::missing_docs_in_private_items)]

    use super::*;
    use arrow_array::types::Float64Type;
    use arrow_array::{
        Float64Array, Int8Array, Int32Array, Int64Array, LargeStringArray, StringArray, UInt8Array,
        UInt64Array,
    };

    /// A value of a test cell, compared the way join keys are.
    #[derive(Clone, Debug, PartialEq, PartialOrd)]
    enum Val {
        Null,
        I(i64),
        F(f64),
        S(String),
    }

    impl Val {
        /// Key equality: nulls never match, NaN matches NaN, -0.0 matches 0.0.
        fn key_eq(&self, other: &Val) -> bool {
            match (self, other) {
                (Val::I(a), Val::I(b)) => a == b,
                (Val::S(a), Val::S(b)) => a == b,
                (Val::F(a), Val::F(b)) => a == b || (a.is_nan() && b.is_nan()),
                _ => false,
            }
        }

        /// Exact equality for comparing outputs (NaN equals NaN).
        fn same(&self, other: &Val) -> bool {
            match (self, other) {
                (Val::F(a), Val::F(b)) => a.to_bits() == b.to_bits() || a == b,
                _ => self == other,
            }
        }
    }

    /// A tiny deterministic PRNG (splitmix64).
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
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    fn cell(array: &dyn Array, i: usize) -> Val {
        if array.is_null(i) {
            return Val::Null;
        }
        match array.data_type() {
            DataType::Int8 => Val::I(array.as_primitive::<Int8Type>().value(i).into()),
            DataType::Int32 => Val::I(array.as_primitive::<Int32Type>().value(i).into()),
            DataType::Int64 => Val::I(array.as_primitive::<Int64Type>().value(i)),
            DataType::UInt8 => Val::I(array.as_primitive::<UInt8Type>().value(i).into()),
            DataType::UInt64 => Val::I(array.as_primitive::<UInt64Type>().value(i) as i64),
            DataType::Float64 => Val::F(array.as_primitive::<Float64Type>().value(i)),
            DataType::Utf8 => Val::S(array.as_string::<i32>().value(i).to_string()),
            DataType::LargeUtf8 => Val::S(array.as_string::<i64>().value(i).to_string()),
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

    /// The reference join: nested loops over rows, in the documented order. `shared`
    /// lists (left key column, right key column) pairs with the same name: the right one
    /// is dropped and, in right and outer joins, the left one coalesced.
    fn reference(
        left: &[Vec<Val>],
        right: &[Vec<Val>],
        lk: &[usize],
        rk: &[usize],
        how: JoinHow,
        shared: &[(usize, usize)],
        (width_l, width_r): (usize, usize),
    ) -> Vec<Vec<Val>> {
        let matches =
            |l: &Vec<Val>, r: &Vec<Val>| lk.iter().zip(rk).all(|(&a, &b)| l[a].key_eq(&r[b]));
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        match how {
            JoinHow::Right => {
                for (j, r) in right.iter().enumerate() {
                    let mut any = false;
                    for (i, l) in left.iter().enumerate() {
                        if matches(l, r) {
                            pairs.push((Some(i), Some(j)));
                            any = true;
                        }
                    }
                    if !any {
                        pairs.push((None, Some(j)));
                    }
                }
            }
            _ => {
                let mut matched_r = vec![false; right.len()];
                for (i, l) in left.iter().enumerate() {
                    let ms: Vec<usize> = (0..right.len())
                        .filter(|&j| matches(l, &right[j]))
                        .collect();
                    match how {
                        JoinHow::Semi if !ms.is_empty() => pairs.push((Some(i), None)),
                        JoinHow::Anti if ms.is_empty() => pairs.push((Some(i), None)),
                        JoinHow::Semi | JoinHow::Anti => {}
                        _ => {
                            for &j in &ms {
                                matched_r[j] = true;
                                pairs.push((Some(i), Some(j)));
                            }
                            if ms.is_empty() && how != JoinHow::Inner {
                                pairs.push((Some(i), None));
                            }
                        }
                    }
                }
                if how == JoinHow::Outer {
                    for (j, m) in matched_r.iter().enumerate() {
                        if !m {
                            pairs.push((None, Some(j)));
                        }
                    }
                }
            }
        }
        let semi = matches!(how, JoinHow::Semi | JoinHow::Anti);
        pairs
            .into_iter()
            .map(|(i, j)| {
                let mut row: Vec<Val> = (0..width_l)
                    .map(|c| {
                        let coalesced = shared.iter().find(|(l, _)| *l == c);
                        match (i, j, coalesced) {
                            (Some(i), _, _) => left[i][c].clone(),
                            (None, Some(j), Some(&(_, r))) => right[j][r].clone(),
                            _ => Val::Null,
                        }
                    })
                    .collect();
                if !semi {
                    let kept = (0..width_r).filter(|&c| !shared.iter().any(|&(_, r)| r == c));
                    row.extend(kept.map(|c| match j {
                        Some(j) => right[j][c].clone(),
                        None => Val::Null,
                    }));
                }
                row
            })
            .collect()
    }

    const ALL: [JoinHow; 6] = [
        JoinHow::Inner,
        JoinHow::Left,
        JoinHow::Right,
        JoinHow::Outer,
        JoinHow::Semi,
        JoinHow::Anti,
    ];

    fn spec(left_on: &[&str], right_on: &[&str], how: JoinHow) -> JoinSpec {
        JoinSpec {
            left_on: left_on.iter().map(|s| s.to_string()).collect(),
            right_on: right_on.iter().map(|s| s.to_string()).collect(),
            how,
            suffixes: ("_x".into(), "_y".into()),
        }
    }

    fn check(left: &RecordBatch, right: &RecordBatch, spec: &JoinSpec) {
        let schema = join_schema(left.schema_ref(), right.schema_ref(), spec).unwrap();
        let out = hash_join(left, right, spec, &schema).unwrap();
        assert_eq!(out.schema(), schema);
        let lk = find_keys(left.schema_ref(), &spec.left_on, "left").unwrap();
        let rk = find_keys(right.schema_ref(), &spec.right_on, "right").unwrap();
        let shared: Vec<(usize, usize)> = lk
            .iter()
            .zip(&rk)
            .filter(|&(&l, &r)| left.schema().field(l).name() == right.schema().field(r).name())
            .map(|(&l, &r)| (l, r))
            .collect();
        let widths = (left.num_columns(), right.num_columns());
        let expected = reference(
            &rows_of(left),
            &rows_of(right),
            &lk,
            &rk,
            spec.how,
            &shared,
            widths,
        );
        let actual = rows_of(&out);
        assert_eq!(actual.len(), expected.len(), "{spec:?}");
        for (a, e) in actual.iter().zip(&expected) {
            assert!(
                a.len() == e.len() && a.iter().zip(e).all(|(x, y)| x.same(y)),
                "{spec:?}: got {a:?}, expected {e:?}\nall got {actual:?}\nall expected {expected:?}"
            );
        }
        // The order is the documented one, so the sorted multisets agree as well.
        let sort = |mut v: Vec<Vec<Val>>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            v.len()
        };
        assert_eq!(sort(actual), sort(expected));
    }

    fn ints(rng: &mut Rng, n: usize, domain: u64, null_pct: u64) -> Vec<Option<i64>> {
        (0..n)
            .map(|_| (!rng.chance(null_pct)).then(|| rng.below(domain) as i64))
            .collect()
    }

    fn strs(rng: &mut Rng, n: usize, domain: u64, null_pct: u64) -> Vec<Option<String>> {
        (0..n)
            .map(|_| (!rng.chance(null_pct)).then(|| format!("s{}", rng.below(domain))))
            .collect()
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn ids(n: usize, base: i64) -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(
            (0..n as i64).map(|i| i + base),
        ))
    }

    #[test]
    fn single_int64_key_matches_reference() {
        let mut rng = Rng(1);
        for case in 0..150 {
            let (nl, nr) = (rng.below(12) as usize, rng.below(12) as usize);
            let domain = 1 + rng.below(6);
            let left = batch(vec![
                (
                    "k",
                    Arc::new(Int64Array::from(ints(&mut rng, nl, domain, 20))),
                ),
                ("v", ids(nl, 0)),
                ("a", Arc::new(StringArray::from(strs(&mut rng, nl, 3, 30)))),
            ]);
            let right = batch(vec![
                ("v", ids(nr, 100)),
                (
                    "k",
                    Arc::new(Int64Array::from(ints(&mut rng, nr, domain, 20))),
                ),
                ("b", Arc::new(Int64Array::from(ints(&mut rng, nr, 9, 30)))),
            ]);
            for how in ALL {
                check(&left, &right, &spec(&["k"], &["k"], how));
            }
            if case == 0 {
                let schema = join_schema(
                    left.schema_ref(),
                    right.schema_ref(),
                    &spec(&["k"], &["k"], JoinHow::Inner),
                )
                .unwrap();
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                assert_eq!(names, ["k", "v_x", "a", "v_y", "b"]);
            }
        }
    }

    #[test]
    fn two_column_key_matches_reference() {
        let mut rng = Rng(2);
        for _ in 0..150 {
            let (nl, nr) = (rng.below(12) as usize, rng.below(12) as usize);
            let a_left: Vec<Option<i32>> = ints(&mut rng, nl, 3, 15)
                .into_iter()
                .map(|v| v.map(|v| v as i32))
                .collect();
            let a_right: Vec<Option<i32>> = ints(&mut rng, nr, 3, 15)
                .into_iter()
                .map(|v| v.map(|v| v as i32))
                .collect();
            let left = batch(vec![
                ("id", ids(nl, 0)),
                ("a", Arc::new(Int32Array::from(a_left))),
                ("b", Arc::new(StringArray::from(strs(&mut rng, nl, 3, 15)))),
            ]);
            let right = batch(vec![
                ("b", Arc::new(StringArray::from(strs(&mut rng, nr, 3, 15)))),
                ("a", Arc::new(Int32Array::from(a_right))),
                ("id", ids(nr, 100)),
            ]);
            for how in ALL {
                check(&left, &right, &spec(&["a", "b"], &["a", "b"], how));
            }
        }
    }

    #[test]
    fn differently_named_and_mixed_type_keys_match_reference() {
        let mut rng = Rng(3);
        for _ in 0..150 {
            let (nl, nr) = (rng.below(12) as usize, rng.below(12) as usize);
            let kl: Vec<Option<i32>> = ints(&mut rng, nl, 5, 20)
                .into_iter()
                .map(|v| v.map(|v| v as i32))
                .collect();
            let kr: Vec<Option<u8>> = ints(&mut rng, nr, 5, 20)
                .into_iter()
                .map(|v| v.map(|v| v as u8))
                .collect();
            let left = batch(vec![
                ("lk", Arc::new(Int32Array::from(kl))),
                ("s", Arc::new(StringArray::from(strs(&mut rng, nl, 3, 20)))),
                ("v", ids(nl, 0)),
            ]);
            let right = batch(vec![
                ("rk", Arc::new(UInt8Array::from(kr))),
                (
                    "s",
                    Arc::new(LargeStringArray::from(strs(&mut rng, nr, 3, 20))),
                ),
                ("lk", ids(nr, 100)),
            ]);
            for how in ALL {
                // Single differently named integer key of different types.
                check(&left, &right, &spec(&["lk"], &["rk"], how));
                // A shared Utf8/LargeUtf8 key (coalesced to Utf8) plus an integer pair.
                check(&left, &right, &spec(&["s", "lk"], &["s", "rk"], how));
                // A shared Int32/UInt8 single key would need a same-named column: use s.
                check(&left, &right, &spec(&["s"], &["s"], how));
            }
        }
    }

    #[test]
    fn float_keys_treat_nan_as_equal() {
        let mut rng = Rng(4);
        let choices = [
            Some(1.0),
            Some(-0.0),
            Some(0.0),
            Some(f64::NAN),
            None,
            Some(2.5),
        ];
        for _ in 0..100 {
            let (nl, nr) = (rng.below(10) as usize, rng.below(10) as usize);
            let mut pick = |n: usize| -> Float64Array {
                (0..n).map(|_| choices[rng.below(6) as usize]).collect()
            };
            let left = batch(vec![("f", Arc::new(pick(nl))), ("v", ids(nl, 0))]);
            let right = batch(vec![("f", Arc::new(pick(nr))), ("w", ids(nr, 100))]);
            for how in ALL {
                check(&left, &right, &spec(&["f"], &["f"], how));
            }
        }
    }

    #[test]
    fn empty_inputs_work_for_every_join() {
        let full = batch(vec![
            (
                "k",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(2)])),
            ),
            ("s", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
        ]);
        let empty = full.slice(0, 0);
        for how in ALL {
            for (l, r) in [(&full, &empty), (&empty, &full), (&empty, &empty)] {
                check(l, r, &spec(&["k"], &["k"], how));
                check(l, r, &spec(&["k", "s"], &["k", "s"], how));
            }
        }
    }

    #[test]
    fn schema_names_suffixes_and_nullability() {
        let left = Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Utf8, false),
            Field::new("lk2", DataType::Int32, false),
        ]);
        let right = Schema::new(vec![
            Field::new("v", DataType::Float64, false),
            Field::new("k", DataType::Int64, false),
            Field::new("rk2", DataType::Int8, true),
        ]);
        let describe = |how| {
            let s = join_schema(&left, &right, &spec(&["k", "lk2"], &["k", "rk2"], how)).unwrap();
            s.fields()
                .iter()
                .map(|f| (f.name().clone(), f.is_nullable()))
                .collect::<Vec<_>>()
        };
        let own = |v: &[(&str, bool)]| {
            v.iter()
                .map(|(n, b)| (n.to_string(), *b))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            describe(JoinHow::Inner),
            own(&[
                ("k", false),
                ("v_x", false),
                ("lk2", false),
                ("v_y", false),
                ("rk2", true)
            ])
        );
        assert_eq!(
            describe(JoinHow::Left),
            own(&[
                ("k", false),
                ("v_x", false),
                ("lk2", false),
                ("v_y", true),
                ("rk2", true)
            ])
        );
        assert_eq!(
            describe(JoinHow::Right),
            own(&[
                ("k", false),
                ("v_x", true),
                ("lk2", true),
                ("v_y", false),
                ("rk2", true)
            ])
        );
        assert_eq!(
            describe(JoinHow::Outer),
            own(&[
                ("k", false),
                ("v_x", true),
                ("lk2", true),
                ("v_y", true),
                ("rk2", true)
            ])
        );
        assert_eq!(
            describe(JoinHow::Semi),
            own(&[("k", false), ("v", false), ("lk2", false)])
        );
        assert_eq!(describe(JoinHow::Anti), describe(JoinHow::Semi));

        // Custom suffixes, and a suffixed name that still clashes.
        let mut s = spec(&["k"], &["k"], JoinHow::Inner);
        s.suffixes = ("_l".into(), "".into());
        let names: Vec<String> = join_schema(&left, &right, &s)
            .unwrap()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["k", "v_l", "lk2", "v", "rk2"]);
        let left2 = Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Utf8, false),
            Field::new("v_x", DataType::Utf8, false),
        ]);
        let err = join_schema(&left2, &right, &spec(&["k"], &["k"], JoinHow::Left)).unwrap_err();
        assert!(
            err.contains("'v_x'") && err.contains("more than once"),
            "{err}"
        );
    }

    #[test]
    fn error_messages() {
        let left = Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("v", DataType::Utf8, false),
        ]);
        let right = Schema::new(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("w", DataType::Float64, false),
        ]);
        let err = join_schema(&left, &right, &spec(&["k"], &["nope"], JoinHow::Inner)).unwrap_err();
        assert_eq!(
            err,
            "join key column 'nope' is not in the right columns [key, w]"
        );
        let err = join_schema(&left, &right, &spec(&["x"], &["key"], JoinHow::Inner)).unwrap_err();
        assert_eq!(err, "join key column 'x' is not in the left columns [k, v]");
        let err = join_schema(&left, &right, &spec(&["k"], &["key"], JoinHow::Inner)).unwrap_err();
        assert_eq!(
            err,
            "join key columns 'k' (left, Int64) and 'key' (right, Utf8) have incompatible types"
        );
        let err =
            join_schema(&left, &right, &spec(&["k", "v"], &["key"], JoinHow::Inner)).unwrap_err();
        assert!(
            err.contains("left_on has 2") && err.contains("right_on has 1"),
            "{err}"
        );
        let err = join_schema(&left, &right, &spec(&[], &[], JoinHow::Inner)).unwrap_err();
        assert!(err.contains("at least one key"), "{err}");
        // Zero-column inputs are refused, not a panic.
        let none = Schema::empty();
        assert!(join_schema(&none, &none, &spec(&["k"], &["k"], JoinHow::Inner)).is_err());
    }

    #[test]
    fn unsigned_keys() {
        let big = u64::MAX - 1;
        let left = batch(vec![(
            "k",
            Arc::new(UInt64Array::from(vec![big, 1, 2])) as ArrayRef,
        )]);
        let right = batch(vec![
            ("k", Arc::new(UInt64Array::from(vec![2, big])) as ArrayRef),
            ("w", ids(2, 0)),
        ]);
        // Same type: compared as they are, large values included.
        for how in ALL {
            check(&left, &right, &spec(&["k"], &["k"], how));
        }
        // Mixed with Int64: a value above i64::MAX is an error, not a wrong answer.
        let right = batch(vec![(
            "k",
            Arc::new(Int64Array::from(vec![2, 5])) as ArrayRef,
        )]);
        let s = spec(&["k"], &["k"], JoinHow::Inner);
        let schema = join_schema(left.schema_ref(), right.schema_ref(), &s).unwrap();
        let err = hash_join(&left, &right, &s, &schema)
            .unwrap_err()
            .to_string();
        assert!(err.contains("left join key column 'k'"), "{err}");
        // A right key value that does not fit the left key type in an outer join.
        let left = batch(vec![(
            "k",
            Arc::new(Int8Array::from(vec![1, 2])) as ArrayRef,
        )]);
        let right = batch(vec![(
            "k",
            Arc::new(Int64Array::from(vec![2, 1000])) as ArrayRef,
        )]);
        let s = spec(&["k"], &["k"], JoinHow::Outer);
        let schema = join_schema(left.schema_ref(), right.schema_ref(), &s).unwrap();
        let err = hash_join(&left, &right, &s, &schema)
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not fit"), "{err}");
        let s = spec(&["k"], &["k"], JoinHow::Left);
        let schema = join_schema(left.schema_ref(), right.schema_ref(), &s).unwrap();
        let out = hash_join(&left, &right, &s, &schema).unwrap();
        assert_eq!(rows_of(&out), vec![vec![Val::I(1)], vec![Val::I(2)]]);
    }

    #[test]
    fn larger_join_with_duplicates() {
        let mut rng = Rng(5);
        let (nl, nr) = (3000, 2000);
        let left = batch(vec![
            ("k", Arc::new(Int64Array::from(ints(&mut rng, nl, 500, 5)))),
            ("v", ids(nl, 0)),
        ]);
        let right = batch(vec![
            ("k", Arc::new(Int64Array::from(ints(&mut rng, nr, 500, 5)))),
            ("w", ids(nr, 0)),
        ]);
        for how in ALL {
            check(&left, &right, &spec(&["k"], &["k"], how));
        }
    }
}
