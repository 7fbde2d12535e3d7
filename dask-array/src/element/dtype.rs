//! The element type of an array as a value.

use std::fmt::{self, Display};

/// The element type of an array, known without computing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DType {
    /// `f64` (NumPy `float64`).
    F64,
    /// `f32` (`float32`).
    F32,
    /// `i64` (`int64`).
    I64,
    /// `i32` (`int32`).
    I32,
    /// `u64` (`uint64`).
    U64,
    /// `u8` (`uint8`).
    U8,
    /// `bool`.
    Bool,
}

impl DType {
    /// Every element type, in declaration order.
    pub const ALL: [DType; 7] = [
        DType::F64,
        DType::F32,
        DType::I64,
        DType::I32,
        DType::U64,
        DType::U8,
        DType::Bool,
    ];

    /// NumPy's name for the type, e.g. `"float64"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "float64",
            DType::F32 => "float32",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::U64 => "uint64",
            DType::U8 => "uint8",
            DType::Bool => "bool",
        }
    }

    /// Bytes per element.
    pub fn itemsize(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::U8 | DType::Bool => 1,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
