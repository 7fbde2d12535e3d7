//! The registered operations, per element type.
//!
//! Every task an array emits names a registered operation (so every array runs on
//! every scheduler, worker processes included). Kernels are generic functions; this
//! module instantiates them once per element type under stable names such as
//! `array.binary.f64`, and registers the block codec `ndarray-f64` for each type.
//! Elementwise operations are registered *cheap*, which lets the optimizer fuse chains
//! of them into one task per block; block generators (random numbers, fills, ranges)
//! are registered as *generators*, which each dependent recomputes instead of keeping
//! the block in memory for the last of them (as Dask's blockwise fusion does).

use dask_graph::{RegisteredOp, register_codec, register_op};

/// The operations every element type has.
#[doc(hidden)]
pub struct ElementOps {
    pub binary: &'static RegisteredOp,
    pub compare: &'static RegisteredOp,
    pub unary: &'static RegisteredOp,
    pub powi: &'static RegisteredOp,
    pub where_: &'static RegisteredOp,
    pub cast: &'static RegisteredOp,
    pub full: &'static RegisteredOp,
    pub arange: &'static RegisteredOp,
    pub slice: &'static RegisteredOp,
    pub transpose: &'static RegisteredOp,
    pub reshape: &'static RegisteredOp,
    pub squeeze: &'static RegisteredOp,
    pub assemble: &'static RegisteredOp,
    pub fold_partial: &'static RegisteredOp,
    pub fold_combine: &'static RegisteredOp,
    pub moments_partial: &'static RegisteredOp,
    pub arg_partial: &'static RegisteredOp,
    pub arg_combine: &'static RegisteredOp,
    pub arg_finish: &'static RegisteredOp,
    pub cum_local: &'static RegisteredOp,
    pub histogram: &'static RegisteredOp,
    pub topk: &'static RegisteredOp,
    pub overlap: &'static RegisteredOp,
    pub trim: &'static RegisteredOp,
    pub percentile: &'static RegisteredOp,
    pub check_shape: &'static RegisteredOp,
}

/// The operations only floating-point types have.
#[doc(hidden)]
pub struct FloatOps {
    pub unary: &'static RegisteredOp,
    pub powf: &'static RegisteredOp,
    pub is_nan: &'static RegisteredOp,
    pub linspace: &'static RegisteredOp,
    pub moments_finish: &'static RegisteredOp,
    pub matmul: &'static RegisteredOp,
}

/// Registers the kernels of one element type; `$arange` is the operation for
/// `arange` (numbers only; `bool` gets the `full` kernel, never used).
macro_rules! element_ops {
    ($ty:ty, $name:literal, $module:ident, $arange:expr, $unary:expr, $powi:expr) => {
        pub(crate) mod $module {
            use super::*;
            use crate::{creation, cumulative, elementwise as ew, rechunk, reduce, shape};

            register_op!(BINARY = concat!("array.binary.", $name) => ew::binary_op::<$ty>, cheap);
            register_op!(COMPARE = concat!("array.compare.", $name) => ew::compare_op::<$ty>, cheap);
            register_op!(UNARY = concat!("array.unary.", $name) => $unary, cheap);
            register_op!(POWI = concat!("array.powi.", $name) => $powi, cheap);
            register_op!(WHERE = concat!("array.where.", $name) => ew::where_op::<$ty>, cheap);
            register_op!(CAST = concat!("array.cast.", $name) => ew::cast_op::<$ty>, cheap);
            register_op!(FULL = concat!("array.full.", $name) => creation::full_op::<$ty>, generator);
            register_op!(ARANGE = concat!("array.arange.", $name) => $arange, generator);
            register_op!(SLICE = concat!("array.slice.", $name) => shape::slice_op::<$ty>, cheap);
            register_op!(TRANSPOSE = concat!("array.transpose.", $name) => shape::transpose_op::<$ty>);
            register_op!(RESHAPE = concat!("array.reshape.", $name) => shape::reshape_op::<$ty>, cheap);
            register_op!(SQUEEZE = concat!("array.squeeze.", $name) => reduce::squeeze_op::<$ty>, cheap);
            register_op!(ASSEMBLE = concat!("array.assemble.", $name) => rechunk::assemble_op::<$ty>);
            register_op!(FOLD_PARTIAL = concat!("array.fold.partial.", $name) => reduce::fold_partial::<$ty>);
            register_op!(FOLD_COMBINE = concat!("array.fold.combine.", $name) => reduce::fold_combine::<$ty>);
            register_op!(MOMENTS_PARTIAL = concat!("array.moments.partial.", $name) => reduce::moments_partial::<$ty>);
            register_op!(ARG_PARTIAL = concat!("array.arg.partial.", $name) => reduce::arg_partial::<$ty>);
            register_op!(ARG_COMBINE = concat!("array.arg.combine.", $name) => reduce::arg_combine::<$ty>);
            register_op!(ARG_FINISH = concat!("array.arg.finish.", $name) => reduce::arg_finish::<$ty>);
            register_op!(CUM_LOCAL = concat!("array.cum.local.", $name) => cumulative::cum_local_op::<$ty>);
            register_op!(HISTOGRAM = concat!("array.histogram.", $name) => crate::histogram::histogram_op::<$ty>);
            register_op!(TOPK = concat!("array.topk.", $name) => crate::select::topk_op::<$ty>);
            register_op!(OVERLAP = concat!("array.overlap.", $name) => crate::overlap::overlap_op::<$ty>);
            register_op!(TRIM = concat!("array.overlap.trim.", $name) => crate::overlap::trim_op::<$ty>, cheap);
            register_op!(PERCENTILE = concat!("array.percentile.partial.", $name) => crate::percentile::summary_op::<$ty>);
            register_op!(CHECK_SHAPE = concat!("array.check_shape.", $name) => crate::map_blocks::check_shape_op::<$ty>, cheap);

            register_codec!(
                ndarray::ArrayD<$ty>,
                concat!("ndarray-", $name),
                crate::block::encode_value::<$ty>,
                crate::block::decode_value::<$ty>
            );
            register_codec!(
                reduce::ArgPartial<$ty>,
                concat!("array-argpartial-", $name),
                reduce::encode_arg::<$ty>,
                reduce::decode_arg::<$ty>
            );

            pub static OPS: ElementOps = ElementOps {
                binary: &BINARY,
                compare: &COMPARE,
                unary: &UNARY,
                powi: &POWI,
                where_: &WHERE,
                cast: &CAST,
                full: &FULL,
                arange: &ARANGE,
                slice: &SLICE,
                transpose: &TRANSPOSE,
                reshape: &RESHAPE,
                squeeze: &SQUEEZE,
                assemble: &ASSEMBLE,
                fold_partial: &FOLD_PARTIAL,
                fold_combine: &FOLD_COMBINE,
                moments_partial: &MOMENTS_PARTIAL,
                arg_partial: &ARG_PARTIAL,
                arg_combine: &ARG_COMBINE,
                arg_finish: &ARG_FINISH,
                cum_local: &CUM_LOCAL,
                histogram: &HISTOGRAM,
                topk: &TOPK,
                overlap: &OVERLAP,
                trim: &TRIM,
                percentile: &PERCENTILE,
                check_shape: &CHECK_SHAPE,
            };
        }
    };
}

macro_rules! number_ops {
    ($ty:ty, $name:literal, $module:ident) => {
        element_ops!(
            $ty,
            $name,
            $module,
            crate::creation::arange_op::<$ty>,
            crate::elementwise::unary_op::<$ty>,
            crate::elementwise::powi_op::<$ty>
        );
    };
}

macro_rules! float_ops {
    ($ty:ty, $name:literal, $module:ident, $fmodule:ident) => {
        number_ops!($ty, $name, $module);
        pub(crate) mod $fmodule {
            use super::*;
            use crate::{creation, elementwise as ew, reduce};

            register_op!(UNARY = concat!("array.float.", $name) => ew::float_op::<$ty>, cheap);
            register_op!(POWF = concat!("array.powf.", $name) => ew::powf_op::<$ty>, cheap);
            register_op!(IS_NAN = concat!("array.isnan.", $name) => ew::is_nan_op::<$ty>, cheap);
            register_op!(LINSPACE = concat!("array.linspace.", $name) => creation::linspace_op::<$ty>, generator);
            register_op!(MOMENTS_FINISH = concat!("array.moments.finish.", $name) => reduce::moments_finish::<$ty>);
            register_op!(MATMUL = concat!("array.matmul.", $name) => crate::linalg::matmul_op::<$ty>);

            pub static FLOAT_OPS: FloatOps = FloatOps {
                unary: &UNARY,
                powf: &POWF,
                is_nan: &IS_NAN,
                linspace: &LINSPACE,
                moments_finish: &MOMENTS_FINISH,
                matmul: &MATMUL,
            };
        }
    };
}

float_ops!(f64, "f64", f64_ops, f64_float);
float_ops!(f32, "f32", f32_ops, f32_float);
number_ops!(i64, "i64", i64_ops);
number_ops!(i32, "i32", i32_ops);
number_ops!(u64, "u64", u64_ops);
number_ops!(u8, "u8", u8_ops);
element_ops!(
    bool,
    "bool",
    bool_ops,
    crate::creation::full_op::<bool>,
    crate::elementwise::unary_op::<bool>,
    crate::creation::full_op::<bool>
);
