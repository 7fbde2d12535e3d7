//! Accumulators: per-group state of one aggregation, updated from a column of input
//! values, merged from other accumulators' states, and finished into output values.
//!
//! Every aggregation is three functions over columns indexed by group id — update
//! (partial), merge (combine) and finish — so the same code runs in every stage of the
//! reduction tree, and a state is plain Arrow columns (it crosses processes as a
//! `RecordBatch` through the batch codec).
//!
//! | aggregation | state | output |
//! |---|---|---|
//! | sum | the sum (`Int64` for signed integers and booleans, `UInt64`, `Float64`) | the sum |
//! | count, size | `Int64` counts | `Int64` |
//! | mean | `Float64` sum, `Int64` count | `Float64` (null for no values) |
//! | var, std | count, mean, M2 (Welford within a partition, Chan et al. to merge) | `Float64` (null when `count <= ddof`) |
//! | min, max, first, last | the value so far (any orderable type, compared in Arrow's row format) | the value |
//! | nunique | the distinct values, as a list | `Int64` |
//! | approximate nunique | 16 KiB of HyperLogLog registers | `Int64` |
//!
//! Loops run over whole columns with the group ids beside them: one pass per
//! aggregation per batch, nothing per row but an add or a compare.

use std::sync::Arc;

use arrow_array::builder::BinaryBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, Float64Array, Int64Array, ListArray, PrimitiveArray,
    UInt64Array, new_null_array,
};
use arrow_buffer::OffsetBuffer;
use arrow_row::{RowConverter, Rows, SortField};
use arrow_schema::{ArrowError, DataType, Field};
use rustc_hash::FxHashSet;

use super::AggFunc;
use super::group::SKIP;
use super::hll;

/// Which value a picking aggregation keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pick {
    Min,
    Max,
    First,
    Last,
}

/// The state of one aggregation over every group.
pub(crate) enum Acc {
    SumF64(Vec<f64>),
    SumI64(Vec<i64>),
    SumU64(Vec<u64>),
    Count(Vec<i64>),
    Mean {
        sum: Vec<f64>,
        count: Vec<i64>,
    },
    Moments {
        count: Vec<i64>,
        mean: Vec<f64>,
        m2: Vec<f64>,
    },
    Pick {
        how: Pick,
        dtype: DataType,
        best: Vec<Option<(u32, u32)>>,
        sources: Vec<ArrayRef>,
        rows: Vec<Rows>,
        converter: RowConverter,
    },
    Distinct {
        dtype: DataType,
        converter: RowConverter,
        sets: Vec<FxHashSet<Box<[u8]>>>,
    },
    Hll {
        converter: RowConverter,
        registers: Vec<u8>,
    },
}

/// The type sums of `input` accumulate in.
pub(crate) fn sum_type(input: &DataType) -> DataType {
    if input.is_floating() {
        DataType::Float64
    } else if input.is_unsigned_integer() {
        DataType::UInt64
    } else {
        DataType::Int64
    }
}

/// The fields of the state of `func` over values of type `input` (named `prefix_*`).
pub(crate) fn state_fields(func: AggFunc, input: &DataType, prefix: &str) -> Vec<Field> {
    let f = |suffix: &str, t: DataType| Field::new(format!("{prefix}_{suffix}"), t, true);
    match func {
        AggFunc::Sum => vec![f("sum", sum_type(input))],
        AggFunc::Count | AggFunc::Size => vec![f("count", DataType::Int64)],
        AggFunc::Mean => vec![f("sum", DataType::Float64), f("count", DataType::Int64)],
        AggFunc::Var { .. } | AggFunc::Std { .. } => vec![
            f("count", DataType::Int64),
            f("mean", DataType::Float64),
            f("m2", DataType::Float64),
        ],
        AggFunc::Min | AggFunc::Max | AggFunc::First | AggFunc::Last => {
            vec![f("value", input.clone())]
        }
        AggFunc::NUnique => vec![f(
            "values",
            DataType::List(Arc::new(Field::new("item", input.clone(), true))),
        )],
        AggFunc::ApproxNUnique => vec![f("hll", DataType::Binary)],
    }
}

/// The output type of `func` over values of type `input`.
pub(crate) fn output_type(func: AggFunc, input: &DataType) -> DataType {
    match func {
        AggFunc::Sum => sum_type(input),
        AggFunc::Count | AggFunc::Size | AggFunc::NUnique | AggFunc::ApproxNUnique => {
            DataType::Int64
        }
        AggFunc::Mean | AggFunc::Var { .. } | AggFunc::Std { .. } => DataType::Float64,
        AggFunc::Min | AggFunc::Max | AggFunc::First | AggFunc::Last => input.clone(),
    }
}

fn converter(t: &DataType) -> Result<RowConverter, ArrowError> {
    RowConverter::new(vec![SortField::new(t.clone())])
}

/// Calls `f(group, value)` for every row with a group and a valid value.
fn each<T: ArrowPrimitiveType>(
    ids: &[u32],
    a: &PrimitiveArray<T>,
    mut f: impl FnMut(usize, T::Native),
) {
    let values = a.values();
    match a.nulls() {
        None => {
            for (i, &g) in ids.iter().enumerate() {
                if g != SKIP {
                    f(g as usize, values[i]);
                }
            }
        }
        Some(nulls) => {
            for (i, &g) in ids.iter().enumerate() {
                if g != SKIP && nulls.is_valid(i) {
                    f(g as usize, values[i]);
                }
            }
        }
    }
}

/// Calls `f(group, row)` for every row with a group and a non-null value.
fn each_row(ids: &[u32], a: &dyn Array, mut f: impl FnMut(usize, usize)) {
    let nulls = a.logical_nulls();
    for (i, &g) in ids.iter().enumerate() {
        if g != SKIP && nulls.as_ref().is_none_or(|n| n.is_valid(i)) {
            f(g as usize, i);
        }
    }
}

fn typed<T: ArrowPrimitiveType>(a: &ArrayRef) -> Result<PrimitiveArray<T>, ArrowError> {
    let cast = arrow_cast::cast(a, &T::DATA_TYPE)?;
    Ok(cast.as_primitive::<T>().clone())
}

impl Acc {
    /// An empty accumulator of `func` over values of type `input`.
    pub(crate) fn new(func: AggFunc, input: &DataType) -> Result<Acc, ArrowError> {
        let pick = |how| -> Result<Acc, ArrowError> {
            Ok(Acc::Pick {
                how,
                dtype: input.clone(),
                best: Vec::new(),
                sources: Vec::new(),
                rows: Vec::new(),
                converter: converter(input)?,
            })
        };
        Ok(match func {
            AggFunc::Sum => match sum_type(input) {
                DataType::Float64 => Acc::SumF64(Vec::new()),
                DataType::UInt64 => Acc::SumU64(Vec::new()),
                _ => Acc::SumI64(Vec::new()),
            },
            AggFunc::Count | AggFunc::Size => Acc::Count(Vec::new()),
            AggFunc::Mean => Acc::Mean {
                sum: Vec::new(),
                count: Vec::new(),
            },
            AggFunc::Var { .. } | AggFunc::Std { .. } => Acc::Moments {
                count: Vec::new(),
                mean: Vec::new(),
                m2: Vec::new(),
            },
            AggFunc::Min => pick(Pick::Min)?,
            AggFunc::Max => pick(Pick::Max)?,
            AggFunc::First => pick(Pick::First)?,
            AggFunc::Last => pick(Pick::Last)?,
            AggFunc::NUnique => Acc::Distinct {
                dtype: input.clone(),
                converter: converter(input)?,
                sets: Vec::new(),
            },
            AggFunc::ApproxNUnique => Acc::Hll {
                converter: converter(input)?,
                registers: vec![0; hll::M],
            },
        })
    }

    /// Makes room for `n` groups.
    pub(crate) fn grow(&mut self, n: usize) {
        match self {
            Acc::SumF64(v) => v.resize(n, 0.0),
            Acc::SumI64(v) | Acc::Count(v) => v.resize(n, 0),
            Acc::SumU64(v) => v.resize(n, 0),
            Acc::Mean { sum, count } => {
                sum.resize(n, 0.0);
                count.resize(n, 0);
            }
            Acc::Moments { count, mean, m2 } => {
                count.resize(n, 0);
                mean.resize(n, 0.0);
                m2.resize(n, 0.0);
            }
            Acc::Pick { best, .. } => best.resize(n, None),
            Acc::Distinct { sets, .. } => sets.resize_with(n, FxHashSet::default),
            Acc::Hll { .. } => {}
        }
    }

    /// Adds input values (`None` for `size`, which counts rows).
    pub(crate) fn update(
        &mut self,
        ids: &[u32],
        values: Option<&ArrayRef>,
    ) -> Result<(), ArrowError> {
        let Some(values) = values else {
            if let Acc::Count(c) = self {
                ids.iter()
                    .filter(|&&g| g != SKIP)
                    .for_each(|&g| c[g as usize] += 1);
            }
            return Ok(());
        };
        match self {
            Acc::SumF64(s) => each(ids, &typed::<Float64Type>(values)?, |g, x| s[g] += x),
            Acc::SumI64(s) => each(ids, &typed::<Int64Type>(values)?, |g, x| {
                s[g] = s[g].wrapping_add(x);
            }),
            Acc::SumU64(s) => each(ids, &typed::<UInt64Type>(values)?, |g, x| {
                s[g] = s[g].wrapping_add(x);
            }),
            Acc::Count(c) => each_row(ids, values.as_ref(), |g, _| c[g] += 1),
            Acc::Mean { sum, count } => each(ids, &typed::<Float64Type>(values)?, |g, x| {
                sum[g] += x;
                count[g] += 1;
            }),
            Acc::Moments { count, mean, m2 } => {
                each(ids, &typed::<Float64Type>(values)?, |g, x| {
                    count[g] += 1;
                    let d = x - mean[g];
                    mean[g] += d / count[g] as f64;
                    m2[g] += d * (x - mean[g]);
                })
            }
            Acc::Pick { .. } => self.pick(ids, values)?,
            Acc::Distinct {
                converter, sets, ..
            } => {
                let rows = converter.convert_columns(std::slice::from_ref(values))?;
                each_row(ids, values.as_ref(), |g, i| {
                    sets[g].insert(rows.row(i).as_ref().into());
                });
            }
            Acc::Hll {
                converter,
                registers,
            } => {
                let rows = converter.convert_columns(std::slice::from_ref(values))?;
                each_row(ids, values.as_ref(), |_, i| {
                    hll::insert(registers, xxhash_rust::xxh3::xxh3_64(rows.row(i).as_ref()));
                });
            }
        }
        Ok(())
    }

    /// Considers the values of `source` for min/max/first/last.
    fn pick(&mut self, ids: &[u32], source: &ArrayRef) -> Result<(), ArrowError> {
        let Acc::Pick {
            how,
            best,
            sources,
            rows,
            converter,
            ..
        } = self
        else {
            return Ok(());
        };
        let s = sources.len() as u32;
        let compare = matches!(how, Pick::Min | Pick::Max);
        if compare {
            rows.push(converter.convert_columns(std::slice::from_ref(source))?);
        }
        sources.push(Arc::clone(source));
        let how = *how;
        each_row(ids, source.as_ref(), |g, i| {
            let better = match best[g] {
                None => true,
                Some((bs, bi)) => match how {
                    Pick::First => false,
                    Pick::Last => true,
                    Pick::Min => rows[s as usize].row(i) < rows[bs as usize].row(bi as usize),
                    Pick::Max => rows[s as usize].row(i) > rows[bs as usize].row(bi as usize),
                },
            };
            if better {
                best[g] = Some((s, i as u32));
            }
        });
        Ok(())
    }

    /// Merges states (the columns [`state`](Acc::state) makes) of the groups `ids`.
    pub(crate) fn merge(&mut self, ids: &[u32], state: &[ArrayRef]) -> Result<(), ArrowError> {
        match self {
            Acc::SumF64(s) => each(ids, state[0].as_primitive::<Float64Type>(), |g, x| {
                s[g] += x
            }),
            Acc::SumI64(s) => each(ids, state[0].as_primitive::<Int64Type>(), |g, x| {
                s[g] = s[g].wrapping_add(x);
            }),
            Acc::SumU64(s) => each(ids, state[0].as_primitive::<UInt64Type>(), |g, x| {
                s[g] = s[g].wrapping_add(x);
            }),
            Acc::Count(c) => each(ids, state[0].as_primitive::<Int64Type>(), |g, x| c[g] += x),
            Acc::Mean { sum, count } => {
                let (s, c) = (
                    state[0].as_primitive::<Float64Type>(),
                    state[1].as_primitive::<Int64Type>(),
                );
                each(ids, s, |g, x| sum[g] += x);
                each(ids, c, |g, x| count[g] += x);
            }
            Acc::Moments { count, mean, m2 } => {
                let n = state[0].as_primitive::<Int64Type>().values();
                let mu = state[1].as_primitive::<Float64Type>().values();
                let q = state[2].as_primitive::<Float64Type>().values();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP || n[i] == 0 {
                        continue;
                    }
                    let g = g as usize;
                    let (na, nb) = (count[g] as f64, n[i] as f64);
                    let total = na + nb;
                    let d = mu[i] - mean[g];
                    mean[g] += d * nb / total;
                    m2[g] += q[i] + d * d * na * nb / total;
                    count[g] += n[i];
                }
            }
            Acc::Pick { .. } => self.pick(ids, &state[0])?,
            Acc::Distinct {
                converter, sets, ..
            } => {
                let lists = state[0].as_list::<i32>();
                let rows = converter.convert_columns(std::slice::from_ref(lists.values()))?;
                let offsets = lists.value_offsets();
                for (i, &g) in ids.iter().enumerate() {
                    if g == SKIP {
                        continue;
                    }
                    for r in offsets[i] as usize..offsets[i + 1] as usize {
                        sets[g as usize].insert(rows.row(r).as_ref().into());
                    }
                }
            }
            Acc::Hll { registers, .. } => {
                let b = state[0].as_binary::<i32>();
                for (i, &g) in ids.iter().enumerate() {
                    if g != SKIP && b.is_valid(i) && b.value(i).len() == hll::M {
                        hll::merge(registers, b.value(i));
                    }
                }
            }
        }
        Ok(())
    }

    /// The state columns, one row per group.
    pub(crate) fn state(self) -> Result<Vec<ArrayRef>, ArrowError> {
        Ok(match self {
            Acc::SumF64(s) => vec![Arc::new(Float64Array::from(s))],
            Acc::SumI64(s) | Acc::Count(s) => vec![Arc::new(Int64Array::from(s))],
            Acc::SumU64(s) => vec![Arc::new(UInt64Array::from(s))],
            Acc::Mean { sum, count } => vec![
                Arc::new(Float64Array::from(sum)),
                Arc::new(Int64Array::from(count)),
            ],
            Acc::Moments { count, mean, m2 } => vec![
                Arc::new(Int64Array::from(count)),
                Arc::new(Float64Array::from(mean)),
                Arc::new(Float64Array::from(m2)),
            ],
            Acc::Pick {
                dtype,
                best,
                mut sources,
                ..
            } => {
                // Groups without a value point at a one-element null source.
                let none = sources.len();
                sources.push(new_null_array(&dtype, 1));
                let indices: Vec<(usize, usize)> = best
                    .iter()
                    .map(|b| b.map_or((none, 0), |(s, i)| (s as usize, i as usize)))
                    .collect();
                let refs: Vec<&dyn Array> = sources.iter().map(AsRef::as_ref).collect();
                vec![arrow_select::interleave::interleave(&refs, &indices)?]
            }
            Acc::Distinct {
                dtype,
                converter,
                sets,
            } => {
                let parser = converter.parser();
                let mut all = converter.empty_rows(0, 0);
                let mut lengths = Vec::with_capacity(sets.len());
                for set in &sets {
                    lengths.push(set.len());
                    for bytes in set {
                        all.push(parser.parse(bytes));
                    }
                }
                let values = converter
                    .convert_rows(&all)?
                    .pop()
                    .unwrap_or_else(|| new_null_array(&dtype, 0));
                let field = Arc::new(Field::new("item", dtype, true));
                let list =
                    ListArray::try_new(field, OffsetBuffer::from_lengths(lengths), values, None)?;
                vec![Arc::new(list)]
            }
            Acc::Hll { registers, .. } => {
                let mut b = BinaryBuilder::new();
                b.append_value(&registers);
                vec![Arc::new(b.finish())]
            }
        })
    }

    /// The output values of `func`, one per group.
    pub(crate) fn finish(self, func: AggFunc) -> Result<ArrayRef, ArrowError> {
        Ok(match self {
            Acc::Mean { sum, count } => Arc::new(
                sum.iter()
                    .zip(&count)
                    .map(|(&s, &c)| (c > 0).then(|| s / c as f64))
                    .collect::<Float64Array>(),
            ),
            Acc::Moments { count, m2, .. } => {
                let (ddof, sqrt) = match func {
                    AggFunc::Std { ddof } => (ddof, true),
                    AggFunc::Var { ddof } => (ddof, false),
                    _ => (0, false),
                };
                Arc::new(
                    count
                        .iter()
                        .zip(&m2)
                        .map(|(&n, &q)| {
                            let dof = n - i64::from(ddof);
                            (dof > 0).then(|| {
                                let v = (q / dof as f64).max(0.0);
                                if sqrt { v.sqrt() } else { v }
                            })
                        })
                        .collect::<Float64Array>(),
                )
            }
            Acc::Distinct { sets, .. } => {
                Arc::new(sets.iter().map(|s| s.len() as i64).collect::<Int64Array>())
            }
            Acc::Hll { registers, .. } => Arc::new(Int64Array::from(vec![
                hll::estimate(&registers).round() as i64,
            ])),
            other => other.state()?.remove(0),
        })
    }
}

/// Float columns with their NaNs as nulls: pandas treats NaN as missing, and so do the
/// aggregations (`skipna`). Other columns are returned as they are.
pub(crate) fn nan_as_null(a: &ArrayRef) -> ArrayRef {
    fn masked<T: ArrowPrimitiveType>(
        a: &PrimitiveArray<T>,
        is_nan: impl Fn(T::Native) -> bool,
    ) -> ArrayRef {
        if !a.values().iter().any(|&v| is_nan(v)) {
            return Arc::new(a.clone());
        }
        let valid: arrow_buffer::BooleanBuffer = a.values().iter().map(|&v| !is_nan(v)).collect();
        let nulls = arrow_buffer::NullBuffer::union(a.nulls(), Some(&valid.into()));
        Arc::new(
            PrimitiveArray::<T>::new(a.values().clone(), nulls)
                .with_data_type(a.data_type().clone()),
        )
    }
    match a.data_type() {
        DataType::Float64 => masked(a.as_primitive::<Float64Type>(), f64::is_nan),
        DataType::Float32 => masked(
            a.as_primitive::<arrow_array::types::Float32Type>(),
            f32::is_nan,
        ),
        _ => Arc::clone(a),
    }
}
