//! Assigning rows to groups: a hash table from key values to dense group ids.
//!
//! Keys of any types go through Arrow's row format ([`arrow_row`]): the key columns
//! of a batch become one byte string per row that compares and hashes like the tuple of
//! values, so one table serves every combination of key types. A single `Int64` key
//! (the common `groupby("user_id")`) skips the row format and hashes the integers
//! directly, and a single `Utf8` key (`groupby("name")`) hashes the strings as they lie
//! in the batch, copying each only when its group first appears. Group ids are handed out in order of first appearance, the key values of
//! each group are kept for the output, and rows with a null key get [`SKIP`] when nulls
//! are dropped (pandas' `dropna=True`) or a group of their own when kept.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, Int64Array, StringArray};
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::{ArrowError, DataType, Field};
use rustc_hash::FxHashMap;

/// Groups a hash table is sized for before the first batch (at most one per row):
/// growing it step by step rehashes every key several times.
const INITIAL_GROUPS: usize = 1 << 12;

/// The group id of a row that belongs to no group (a null key, dropped).
pub(crate) const SKIP: u32 = u32::MAX;

/// Rows to group ids, across any number of batches.
pub(crate) enum Grouper {
    /// No keys: every row is in group 0, and group 0 always exists (a reduction of an
    /// empty frame still has one result row).
    Whole,
    /// One `Int64` key.
    Int64(Single<i64>),
    /// One `Utf8` key: the strings hashed directly, copied once per group.
    Utf8(Single<Box<str>>),
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
            [k] if *k.data_type() == DataType::Int64 => Grouper::Int64(Single::new(dropna)),
            [k] if *k.data_type() == DataType::Utf8 => Grouper::Utf8(Single::new(dropna)),
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
            Grouper::Int64(t) => t.keys.len(),
            Grouper::Utf8(t) => t.keys.len(),
            Grouper::Rows { groups, .. } => groups.num_rows(),
        }
    }

    /// The group id of each row of `keys` (columns of equal length, of the key types),
    /// adding new groups as they appear.
    pub(crate) fn ids(&mut self, keys: &[ArrayRef], rows: usize) -> Result<Vec<u32>, ArrowError> {
        match self {
            Grouper::Whole => Ok(vec![0; rows]),
            Grouper::Int64(t) => {
                let col = keys[0].as_primitive::<Int64Type>();
                t.reserve(rows);
                Ok(col.iter().map(|v| t.id(v, |v: &i64| v, |v| v)).collect())
            }
            Grouper::Utf8(t) => {
                let col = keys[0].as_string::<i32>();
                t.reserve(rows);
                Ok(col
                    .iter()
                    .map(|v| t.id(v, |v: &&str| *v, Box::from))
                    .collect())
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
            Grouper::Int64(Single { keys, .. }) => {
                vec![Arc::new(keys.iter().copied().collect::<Int64Array>()) as ArrayRef]
            }
            Grouper::Utf8(Single { keys, .. }) => {
                vec![
                    Arc::new(keys.iter().map(|k| k.as_deref()).collect::<StringArray>())
                        as ArrayRef,
                ]
            }
            Grouper::Rows {
                converter, groups, ..
            } => converter.convert_rows(groups)?,
        })
    }
}

/// A hash table of one key column's values (`K`, looked up by a borrowed form) to
/// group ids, with the keys in group order.
pub(crate) struct Single<K> {
    map: FxHashMap<K, u32>,
    keys: Vec<Option<K>>,
    null_group: Option<u32>,
    dropna: bool,
}

impl<K: std::hash::Hash + Eq + Clone> Single<K> {
    fn new(dropna: bool) -> Single<K> {
        Single {
            map: FxHashMap::default(),
            keys: Vec::new(),
            null_group: None,
            dropna,
        }
    }

    /// Sizes the table before its first batch.
    fn reserve(&mut self, rows: usize) {
        if self.map.is_empty() {
            self.map.reserve(rows.min(INITIAL_GROUPS));
        }
    }

    /// The group of value `v` (`None`: a null key), added if new; `borrow` views a
    /// value as the table's lookup form and `own` makes the stored key.
    #[inline]
    fn id<V, Q>(&mut self, v: Option<V>, borrow: impl Fn(&V) -> &Q, own: impl Fn(V) -> K) -> u32
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        match v {
            Some(v) => match self.map.get(borrow(&v)) {
                Some(&id) => id,
                None => {
                    let id = self.keys.len() as u32;
                    let key = own(v);
                    self.keys.push(Some(key.clone()));
                    self.map.insert(key, id);
                    id
                }
            },
            None if self.dropna => SKIP,
            None => *self.null_group.get_or_insert_with(|| {
                self.keys.push(None);
                (self.keys.len() - 1) as u32
            }),
        }
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
