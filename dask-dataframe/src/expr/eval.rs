//! Evaluating a resolved expression over a partition: one Arrow kernel per node.

use std::sync::Arc;

use arrow_arith::temporal::DatePart;
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Datum, GenericStringArray, OffsetSizeTrait, RecordBatch, Scalar,
};
use arrow_schema::{ArrowError, DataType};

use super::{BinaryOp, DtPart, Expr, StrFunc};
use crate::scalar::ScalarValue;

/// A value while evaluating: a whole column, or a constant kept as a typed one-element
/// array (kernels take it as a scalar datum) until something needs it broadcast.
enum Value {
    Array(ArrayRef),
    Constant(ArrayRef),
}

impl Value {
    /// As a column of `len` values.
    fn into_array(self, len: usize) -> Result<ArrayRef, ArrowError> {
        match self {
            Value::Array(a) => Ok(a),
            Value::Constant(one) => {
                let indices = arrow_array::UInt32Array::from(vec![0u32; len]);
                arrow_select::take::take(one.as_ref(), &indices, None)
            }
        }
    }

    /// A column of `len` values, leaving `self` as it is.
    fn clone_into_array(&self, len: usize) -> Result<ArrayRef, ArrowError> {
        match self {
            Value::Array(a) => Ok(Arc::clone(a)),
            Value::Constant(c) => Value::Constant(Arc::clone(c)).into_array(len),
        }
    }

    /// As a kernel argument.
    fn datum(&self) -> Box<dyn Datum + '_> {
        match self {
            Value::Array(a) => Box::new(a),
            Value::Constant(one) => Box::new(Scalar::new(one)),
        }
    }
}

/// Evaluates `expr` (resolved against the batch's schema) to a column of the batch's
/// length.
pub(crate) fn eval(expr: &Expr, batch: &RecordBatch) -> Result<ArrayRef, ArrowError> {
    value(expr, batch)?.into_array(batch.num_rows())
}

fn value(expr: &Expr, batch: &RecordBatch) -> Result<Value, ArrowError> {
    let n = batch.num_rows();
    let column = |e: &Expr| value(e, batch)?.into_array(n);
    Ok(match expr {
        Expr::Column(c) => Value::Array(
            batch
                .column_by_name(c)
                .cloned()
                .ok_or_else(|| ArrowError::SchemaError(format!("no column `{c}`")))?,
        ),
        Expr::Literal(v) => Value::Constant(v.to_array(1)),
        Expr::Alias { expr, .. } => value(expr, batch)?,
        Expr::Binary { op, left, right } => {
            let l = value(left, batch)?;
            let r = value(right, batch)?;
            binary(*op, &l, &r, n)?
        }
        Expr::Cast { expr, to } => match value(expr, batch)? {
            Value::Array(a) => Value::Array(arrow_cast::cast(&a, to)?),
            Value::Constant(one) => Value::Constant(arrow_cast::cast(&one, to)?),
        },
        Expr::Not(e) => Value::Array(Arc::new(arrow_arith::boolean::not(boolean(&column(e)?)?)?)),
        Expr::Negate(e) => Value::Array(arrow_arith::numeric::neg_wrapping(&column(e)?)?),
        Expr::IsNull(e) => Value::Array(Arc::new(arrow_arith::boolean::is_null(&column(e)?)?)),
        Expr::IsNotNull(e) => {
            Value::Array(Arc::new(arrow_arith::boolean::is_not_null(&column(e)?)?))
        }
        Expr::FillNull { expr, value: fill } => {
            let a = column(expr)?;
            let mask = arrow_arith::boolean::is_not_null(&a)?;
            let f = value(fill, batch)?;
            Value::Array(arrow_select::zip::zip(&mask, &a, f.datum().as_ref())?)
        }
        Expr::Str { func, expr } => Value::Array(string(func, &column(expr)?)?),
        Expr::Dt { part, expr } => Value::Array(arrow_arith::temporal::date_part(
            &column(expr)?,
            date_part(*part),
        )?),
    })
}

fn boolean(a: &ArrayRef) -> Result<&BooleanArray, ArrowError> {
    a.as_boolean_opt().ok_or_else(|| {
        ArrowError::InvalidArgumentError(format!("expected booleans, got {}", a.data_type()))
    })
}

fn binary(op: BinaryOp, l: &Value, r: &Value, n: usize) -> Result<Value, ArrowError> {
    // Two constants give a constant (computed on their one row).
    let constant = matches!((l, r), (Value::Constant(_), Value::Constant(_)));
    let rows = if constant { 1 } else { n };
    let out = match datum_kernel(op) {
        Some(kernel) => kernel(l.datum().as_ref(), r.datum().as_ref())?,
        None => {
            let (a, b) = (l.clone_into_array(rows)?, r.clone_into_array(rows)?);
            let (a, b) = (boolean(&a)?, boolean(&b)?);
            Arc::new(if op == BinaryOp::And {
                arrow_arith::boolean::and_kleene(a, b)?
            } else {
                arrow_arith::boolean::or_kleene(a, b)?
            })
        }
    };
    Ok(if constant {
        Value::Constant(out)
    } else {
        Value::Array(out)
    })
}

/// A kernel taking arrays or scalars, for the operators that have one (all but `&` and
/// `|`, whose Kleene kernels take arrays).
type DatumKernel = fn(&dyn Datum, &dyn Datum) -> Result<ArrayRef, ArrowError>;

fn datum_kernel(op: BinaryOp) -> Option<DatumKernel> {
    use arrow_arith::numeric;
    use arrow_ord::cmp;
    fn boxed(r: Result<BooleanArray, ArrowError>) -> Result<ArrayRef, ArrowError> {
        r.map(|b| Arc::new(b) as ArrayRef)
    }
    Some(match op {
        BinaryOp::Add => numeric::add_wrapping,
        BinaryOp::Sub => numeric::sub_wrapping,
        BinaryOp::Mul => numeric::mul_wrapping,
        BinaryOp::Div => numeric::div,
        BinaryOp::Rem => numeric::rem,
        BinaryOp::Eq => |a, b| boxed(cmp::eq(a, b)),
        BinaryOp::NotEq => |a, b| boxed(cmp::neq(a, b)),
        BinaryOp::Lt => |a, b| boxed(cmp::lt(a, b)),
        BinaryOp::LtEq => |a, b| boxed(cmp::lt_eq(a, b)),
        BinaryOp::Gt => |a, b| boxed(cmp::gt(a, b)),
        BinaryOp::GtEq => |a, b| boxed(cmp::gt_eq(a, b)),
        BinaryOp::And | BinaryOp::Or => return None,
    })
}

fn string(func: &StrFunc, a: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    use arrow_string::like;
    // A pattern of the column's own string type, so the kernels see matching types.
    let pattern = |p: &str| -> Result<Scalar<ArrayRef>, ArrowError> {
        let one = arrow_cast::cast(&ScalarValue::Utf8(p.to_string()).to_array(1), a.data_type())?;
        Ok(Scalar::new(one))
    };
    Ok(match func {
        StrFunc::Contains(p) => Arc::new(like::contains(a, &pattern(p)?)?),
        StrFunc::StartsWith(p) => Arc::new(like::starts_with(a, &pattern(p)?)?),
        StrFunc::EndsWith(p) => Arc::new(like::ends_with(a, &pattern(p)?)?),
        StrFunc::Len => {
            // Characters, not bytes: pandas' `str.len`.
            let chars = match a.data_type() {
                DataType::LargeUtf8 => char_lengths(a.as_string::<i64>()),
                _ => {
                    let utf8 = arrow_cast::cast(a, &DataType::Utf8)?;
                    char_lengths(utf8.as_string::<i32>())
                }
            };
            Arc::new(chars)
        }
        StrFunc::Lower | StrFunc::Upper => {
            let upper = matches!(func, StrFunc::Upper);
            match a.data_type() {
                DataType::LargeUtf8 => Arc::new(change_case(a.as_string::<i64>(), upper)),
                DataType::Utf8 => Arc::new(change_case(a.as_string::<i32>(), upper)),
                other => {
                    let utf8 = arrow_cast::cast(a, &DataType::Utf8)?;
                    let changed: ArrayRef = Arc::new(change_case(utf8.as_string::<i32>(), upper));
                    arrow_cast::cast(&changed, other)?
                }
            }
        }
    })
}

/// The number of characters of each string.
fn char_lengths<O: OffsetSizeTrait>(a: &GenericStringArray<O>) -> arrow_array::Int64Array {
    a.iter()
        .map(|s| s.map(|s| s.chars().count() as i64))
        .collect()
}

/// Each string in upper or lower case, with an ASCII fast path.
fn change_case<O: OffsetSizeTrait>(
    a: &GenericStringArray<O>,
    upper: bool,
) -> GenericStringArray<O> {
    a.iter()
        .map(|s| {
            s.map(|s| match (s.is_ascii(), upper) {
                (true, true) => s.to_ascii_uppercase(),
                (true, false) => s.to_ascii_lowercase(),
                (false, true) => s.to_uppercase(),
                (false, false) => s.to_lowercase(),
            })
        })
        .collect()
}

fn date_part(part: DtPart) -> DatePart {
    match part {
        DtPart::Year => DatePart::Year,
        DtPart::Month => DatePart::Month,
        DtPart::Day => DatePart::Day,
        DtPart::Hour => DatePart::Hour,
        DtPart::Minute => DatePart::Minute,
        DtPart::Second => DatePart::Second,
        DtPart::Weekday => DatePart::DayOfWeekMonday0,
    }
}
