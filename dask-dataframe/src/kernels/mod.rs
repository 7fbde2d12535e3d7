//! Per-partition Arrow kernels: the hash join, sorting and range partitioning, and
//! de-duplication. Each works on whole `RecordBatch`es with Arrow's compute kernels and
//! row format, knows nothing about graphs, and is tested against a naive reference.

pub(crate) mod dedup;
pub(crate) mod join;
pub(crate) mod sort;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{ArrowPrimitiveType, Float16Type, Float32Type, Float64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{ArrowError, DataType};

/// `array` with every NaN replaced by one NaN and `-0.0` by `0.0` if it is a float
/// array (so values that compare equal have equal bits: what hashing and the row
/// format see), else `array` itself.
pub(crate) fn canonical_floats(array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    /// Rewrites the values of a float array of type `T`.
    fn canonical<T: ArrowPrimitiveType>(
        array: &dyn Array,
        is_nan: impl Fn(T::Native) -> bool,
        nan: T::Native,
        zero: T::Native,
    ) -> Result<ArrayRef, ArrowError> {
        let array = array.as_primitive_opt::<T>().ok_or_else(|| {
            ArrowError::ComputeError(format!("expected a {} array", T::DATA_TYPE))
        })?;
        let canonical = array.unary::<_, T>(|v| {
            if is_nan(v) {
                nan
            } else if v == zero {
                zero
            } else {
                v
            }
        });
        Ok(Arc::new(canonical))
    }
    /// The native type of `Float16` arrays.
    type F16 = <Float16Type as ArrowPrimitiveType>::Native;
    match array.data_type() {
        DataType::Float16 => canonical::<Float16Type>(array, |v| v.is_nan(), F16::NAN, F16::ZERO),
        DataType::Float32 => canonical::<Float32Type>(array, f32::is_nan, f32::NAN, 0.0),
        DataType::Float64 => canonical::<Float64Type>(array, f64::is_nan, f64::NAN, 0.0),
        _ => Ok(Arc::clone(array)),
    }
}
