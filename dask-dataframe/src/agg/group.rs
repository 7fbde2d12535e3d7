//! Assigning rows to groups: a hash table from key values to dense group ids.
//!
//! Keys of any types go through Arrow's row format ([`arrow_row`]): the key columns
//! of a batch become one byte string per row that compares and hashes like the tuple of
//! values, so one table serves every combination of key types. A single `Int64` key
//! (the common `groupby("user_id")`) skips the row format and hashes the integers
//! directly. Group ids are handed out in order of first appearance, the key values of
//! each group are kept for the output, and rows with a null key get [`SKIP`] when nulls
//! are dropped (pandas' `dropna=True`) or a group of their own when kept.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::{ArrowError, DataType, Field};
use rustc_hash::FxHashMap;

/// The group id of a row that belongs to no group (a null key, dropped).
pub(crate) const SKIP: u32 = u32::MAX;

/// Rows to group ids, across any number of batches.
pub(crate) enum Grouper {
    /// No keys: every row is in group 0, and group 0 always exists (a reduction of an
    /// empty frame still has one result row).
    Whole,
    /// One `Int64` key.
    Int64 {
        map: FxHashMap<i64, u32>,
        keys: Vec<Option<i64>>,
        null_group: Option<u32>,
        dropna: bool,
    },
    /// Any keys, through the row format.
    Rows {
        converter: RowConverter,
        map: FxHashMap<Box<[u8]>, u32>,
        groups: Rows,
        dropna: bool,
    },
}

impl Grouper {
    /// A grouper for keys of these fields.
    pub(crate) fn new(keys: &[Field], dropna: bool) -> Result<Grouper, ArrowError> {
        Ok(match keys {
            [] => Grouper::Whole,
            [k] if *k.data_type() == DataType::Int64 => Grouper::Int64 {
                map: FxHashMap::default(),
                keys: Vec::new(),
                null_group: None,
                dropna,
            },
            _ => {
                let converter = RowConverter::new(
                    keys.iter()
                        .map(|f| SortField::new(f.data_type().clone()))
                        .collect(),
                )?;
                let groups = converter.empty_rows(0, 0);
                Grouper::Rows {
                    converter,
                    map: FxHashMap::default(),
                    groups,
                    dropna,
                }
            }
        })
    }

    /// How many groups so far.
    pub(crate) fn len(&self) -> usize {
        match self {
            Grouper::Whole => 1,
            Grouper::Int64 { keys, .. } => keys.len(),
            Grouper::Rows { groups, .. } => groups.num_rows(),
        }
    }

    /// The group id of each row of `keys` (columns of equal length, of the key types),
    /// adding new groups as they appear.
    pub(crate) fn ids(&mut self, keys: &[ArrayRef], rows: usize) -> Result<Vec<u32>, ArrowError> {
        match self {
            Grouper::Whole => Ok(vec![0; rows]),
            Grouper::Int64 {
                map,
                keys: seen,
                null_group,
                dropna,
            } => {
                let col = keys[0].as_primitive::<Int64Type>();
                let mut ids = Vec::with_capacity(rows);
                for v in col.iter() {
                    let id = match v {
                        Some(v) => *map.entry(v).or_insert_with(|| {
                            seen.push(Some(v));
                            (seen.len() - 1) as u32
                        }),
                        None if *dropna => SKIP,
                        None => *null_group.get_or_insert_with(|| {
                            seen.push(None);
                            (seen.len() - 1) as u32
                        }),
                    };
                    ids.push(id);
                }
                Ok(ids)
            }
            Grouper::Rows {
                converter,
                map,
                groups,
                dropna,
            } => {
                let converted = converter.convert_columns(keys)?;
                let any_null = null_rows(keys, rows);
                let mut ids = Vec::with_capacity(rows);
                for (i, row) in converted.iter().enumerate() {
                    if *dropna && any_null.as_ref().is_some_and(|m| m[i]) {
                        ids.push(SKIP);
                        continue;
                    }
                    let bytes = row.as_ref();
                    let id = match map.get(bytes) {
                        Some(&id) => id,
                        None => {
                            let id = groups.num_rows() as u32;
                            groups.push(row);
                            map.insert(bytes.into(), id);
                            id
                        }
                    };
                    ids.push(id);
                }
                Ok(ids)
            }
        }
    }

    /// The key columns of the groups, in group-id order.
    pub(crate) fn keys(&self) -> Result<Vec<ArrayRef>, ArrowError> {
        Ok(match self {
            Grouper::Whole => Vec::new(),
            Grouper::Int64 { keys, .. } => {
                vec![Arc::new(keys.iter().copied().collect::<Int64Array>()) as ArrayRef]
            }
            Grouper::Rows {
                converter, groups, ..
            } => converter.convert_rows(groups)?,
        })
    }
}

/// Per row, whether any key is null (`None` when no key has nulls).
fn null_rows(keys: &[ArrayRef], rows: usize) -> Option<Vec<bool>> {
    if keys.iter().all(|k| k.null_count() == 0) {
        return None;
    }
    let mut out = vec![false; rows];
    for k in keys {
        if let Some(nulls) = k.logical_nulls() {
            for (i, o) in out.iter_mut().enumerate() {
                *o |= nulls.is_null(i);
            }
        }
    }
    Some(out)
}
