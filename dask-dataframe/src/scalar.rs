//! Single values: literals in expressions, and what reductions compute to.

use std::fmt;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt64Array, new_null_array,
};
use arrow_schema::{ArrowError, DataType, TimeUnit};
use serde::{Deserialize, Serialize};

/// One value of a column type, or null.
///
/// Literals in expressions ([`lit`](crate::lit)) are scalar values, and so are the
/// results of reductions ([`Scalar::compute`](crate::Scalar::compute)): a sum of
/// integers is an `Int64`, a mean a `Float64`, the minimum of a string column a
/// `Utf8`. Reductions of an empty or all-null column give `Null` where pandas gives NaN
/// (`mean`, `min`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ScalarValue {
    /// A missing value (of any type).
    Null,
    /// A boolean.
    Boolean(bool),
    /// A signed integer (every signed integer type is read as `i64`).
    Int64(i64),
    /// An unsigned integer.
    UInt64(u64),
    /// A floating-point number.
    Float64(f64),
    /// A string.
    Utf8(String),
    /// Days since 1970-01-01.
    Date32(i32),
    /// A timestamp in `unit`s since 1970-01-01 00:00:00 (no time zone).
    Timestamp(i64, TimeUnit),
}

impl ScalarValue {
    /// The Arrow type of the value (`Null` for null).
    pub fn data_type(&self) -> DataType {
        match self {
            ScalarValue::Null => DataType::Null,
            ScalarValue::Boolean(_) => DataType::Boolean,
            ScalarValue::Int64(_) => DataType::Int64,
            ScalarValue::UInt64(_) => DataType::UInt64,
            ScalarValue::Float64(_) => DataType::Float64,
            ScalarValue::Utf8(_) => DataType::Utf8,
            ScalarValue::Date32(_) => DataType::Date32,
            ScalarValue::Timestamp(_, unit) => DataType::Timestamp(*unit, None),
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, ScalarValue::Null)
    }

    /// The value as an `f64` if it is a number (integers converted; null is `None`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ScalarValue::Float64(x) => Some(*x),
            ScalarValue::Int64(x) => Some(*x as f64),
            ScalarValue::UInt64(x) => Some(*x as f64),
            _ => None,
        }
    }

    /// The value as an `i64` if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ScalarValue::Int64(x) => Some(*x),
            ScalarValue::UInt64(x) => i64::try_from(*x).ok(),
            _ => None,
        }
    }

    /// The value as a string slice if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ScalarValue::Utf8(s) => Some(s),
            _ => None,
        }
    }

    /// An array of `len` copies of the value.
    pub fn to_array(&self, len: usize) -> ArrayRef {
        use std::sync::Arc;
        match self {
            ScalarValue::Null => new_null_array(&DataType::Null, len),
            ScalarValue::Boolean(b) => Arc::new(BooleanArray::from(vec![*b; len])),
            ScalarValue::Int64(x) => Arc::new(Int64Array::from_value(*x, len)),
            ScalarValue::UInt64(x) => Arc::new(UInt64Array::from_value(*x, len)),
            ScalarValue::Float64(x) => Arc::new(Float64Array::from_value(*x, len)),
            ScalarValue::Utf8(s) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                s.as_str(),
                len,
            ))),
            ScalarValue::Date32(d) => Arc::new(Date32Array::from_value(*d, len)),
            ScalarValue::Timestamp(t, unit) => match unit {
                TimeUnit::Second => Arc::new(TimestampSecondArray::from_value(*t, len)),
                TimeUnit::Millisecond => Arc::new(TimestampMillisecondArray::from_value(*t, len)),
                TimeUnit::Microsecond => Arc::new(TimestampMicrosecondArray::from_value(*t, len)),
                TimeUnit::Nanosecond => Arc::new(TimestampNanosecondArray::from_value(*t, len)),
            },
        }
    }

    /// The value at `index` of `array`, widened to one of the variants (signed integers
    /// to `Int64`, unsigned to `UInt64`, floats to `Float64`, strings to `Utf8`).
    pub fn from_array(array: &dyn Array, index: usize) -> Result<ScalarValue, ArrowError> {
        if index >= array.len() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "index {index} is out of bounds for an array of {} values",
                array.len()
            )));
        }
        if array.is_null(index) {
            return Ok(ScalarValue::Null);
        }
        let one = array.slice(index, 1);
        let as_type = |t: &DataType| arrow_cast::cast(&one, t);
        Ok(match array.data_type() {
            DataType::Null => ScalarValue::Null,
            DataType::Boolean => {
                ScalarValue::Boolean(arrow_array::cast::as_boolean_array(&one).value(0))
            }
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                let a = as_type(&DataType::Int64)?;
                ScalarValue::Int64(
                    arrow_array::cast::as_primitive_array::<arrow_array::types::Int64Type>(&a)
                        .value(0),
                )
            }
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
                let a = as_type(&DataType::UInt64)?;
                ScalarValue::UInt64(
                    arrow_array::cast::as_primitive_array::<arrow_array::types::UInt64Type>(&a)
                        .value(0),
                )
            }
            DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                let a = as_type(&DataType::Float64)?;
                ScalarValue::Float64(
                    arrow_array::cast::as_primitive_array::<arrow_array::types::Float64Type>(&a)
                        .value(0),
                )
            }
            DataType::Date32 => ScalarValue::Date32(
                arrow_array::cast::as_primitive_array::<arrow_array::types::Date32Type>(&one)
                    .value(0),
            ),
            DataType::Timestamp(unit, _) => {
                let a = as_type(&DataType::Int64)?;
                ScalarValue::Timestamp(
                    arrow_array::cast::as_primitive_array::<arrow_array::types::Int64Type>(&a)
                        .value(0),
                    *unit,
                )
            }
            _ => {
                let a = as_type(&DataType::Utf8)?;
                ScalarValue::Utf8(arrow_array::cast::as_string_array(&a).value(0).to_string())
            }
        })
    }
}

impl fmt::Display for ScalarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScalarValue::Null => f.write_str("null"),
            ScalarValue::Boolean(b) => write!(f, "{b}"),
            ScalarValue::Int64(x) => write!(f, "{x}"),
            ScalarValue::UInt64(x) => write!(f, "{x}"),
            // `{:?}` keeps the decimal point (`1.0`), so a float reads as one.
            ScalarValue::Float64(x) => write!(f, "{x:?}"),
            ScalarValue::Utf8(s) => write!(f, "{s:?}"),
            ScalarValue::Date32(_) | ScalarValue::Timestamp(..) => {
                let a = self.to_array(1);
                match arrow_cast::display::array_value_to_string(&a, 0) {
                    Ok(s) => f.write_str(&s),
                    Err(_) => write!(f, "{self:?}"),
                }
            }
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $variant:ident as $as:ty),+) => {
        $(impl From<$t> for ScalarValue {
            fn from(v: $t) -> ScalarValue {
                ScalarValue::$variant(v as $as)
            }
        })+
    };
}

scalar_from!(
    i8 => Int64 as i64, i16 => Int64 as i64, i32 => Int64 as i64, i64 => Int64 as i64,
    u8 => UInt64 as u64, u16 => UInt64 as u64, u32 => UInt64 as u64, u64 => UInt64 as u64,
    f32 => Float64 as f64, f64 => Float64 as f64
);

impl From<bool> for ScalarValue {
    fn from(v: bool) -> ScalarValue {
        ScalarValue::Boolean(v)
    }
}

impl From<&str> for ScalarValue {
    fn from(v: &str) -> ScalarValue {
        ScalarValue::Utf8(v.to_string())
    }
}

impl From<String> for ScalarValue {
    fn from(v: String) -> ScalarValue {
        ScalarValue::Utf8(v)
    }
}

impl<T: Into<ScalarValue>> From<Option<T>> for ScalarValue {
    fn from(v: Option<T>) -> ScalarValue {
        v.map_or(ScalarValue::Null, Into::into)
    }
}
