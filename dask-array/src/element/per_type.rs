//! Registering generic kernels and codecs once per element type, next to the code that
//! defines them.
//!
//! Every task an array emits names a *registered* operation, so that worker processes
//! (which re-execute the same binary) find it by name. Kernels are generic over the
//! element type; registration needs one concrete function per type. These macros write
//! that out, in the module that owns the kernel:
//!
//! ```text
//! per_element!(fn binary_op_for, "array.binary", binary_op, cheap);
//! // registers binary_op::<f64> as "array.binary.f64", ... binary_op::<bool> as
//! // "array.binary.bool", and defines
//! // pub(crate) fn binary_op_for<T: Element>() -> &'static RegisteredOp
//!
//! task(binary_op_for::<T>(), args) // in a builder
//! ```
//!
//! * [`per_element!`] covers the seven element types (`T: Element`, dispatching on
//!   [`Element::DTYPE`](crate::Element::DTYPE)); [`per_number!`] the six numeric ones
//!   (`T: Number`, on the seal's `NUMBER`); [`per_float!`] `f64` and `f32` (`T: Float`,
//!   on `FLOAT`). Each
//!   getter is one `match` over a closed enum of exactly the types its bound admits, so
//!   it is exhaustive with no impossible arm, and it is a constant after
//!   monomorphization.
//! * The operation's name is `<name>.<type>`; an optional flag is passed on to
//!   [`register_op!`](dask_graph::register_op): `cheap` (elementwise steps the
//!   optimizer may fold into their user) or `generator` (input-less blocks recomputed by
//!   each reader rather than kept).
//! * Each instance is a `static` inside its `match` arm: the registrations are reachable
//!   only through the getter, so call sites cannot pick another type's operation.
//! * [`per_element_codec!`] registers a value type's codec once per element type, named
//!   `<name>-<type>` (`ndarray-f64`, `array-argpartial-u8`).

/// Defines the getter `$getter::<T: $bound>()`: one registered operation per listed
/// type (`[Variant type, ...]`, the variants of the closed enum `$kind` that
/// `T::$selector` is), and a `match` returning `T`'s.
macro_rules! getter {
    (
        $bound:ident, $selector:ident, $kind:ident, [$($variant:ident $ty:ident),+],
        $(#[$meta:meta])* fn $getter:ident, $name:literal, $kernel:ident $(, $flag:ident)?
    ) => {
        #[doc = concat!("The operation `", $name, ".<T>` (`", stringify!($kernel), "::<T>`).")]
        $(#[$meta])*
        pub(crate) fn $getter<T: $crate::element::$bound>() -> &'static ::dask_graph::RegisteredOp {
            $crate::element::per_type::getter!(
                @match T::$selector, $kind, $name, $kernel, [$($flag)?], $($variant $ty),+
            )
        }
    };
    (
        @match $selector:expr, $kind:ident, $name:literal, $kernel:ident, $flags:tt,
        $($variant:ident $ty:ident),+
    ) => {
        match $selector {
            $(
                $crate::element::$kind::$variant => {
                    $crate::element::per_type::getter!(
                        @register $flags OP = concat!($name, ".", stringify!($ty)) => $kernel::<$ty>
                    );
                    &OP
                }
            )+
        }
    };
    (@register [$($flag:ident)?] $stat:ident = $name:expr => $func:expr) => {
        ::dask_graph::register_op!($stat = $name => $func $(, $flag)?);
    };
}
pub(crate) use getter;

/// `per_element!(fn getter, "array.op", kernel [, cheap | generator])`: registers
/// `kernel::<T>` as `array.op.<T>` for every element type and defines
/// `getter::<T: Element>()` returning `T`'s operation.
macro_rules! per_element {
    ($($args:tt)+) => {
        $crate::element::per_type::getter!(
            Element, DTYPE, DType,
            [F64 f64, F32 f32, I64 i64, I32 i32, U64 u64, U8 u8, Bool bool], $($args)+
        );
    };
}
pub(crate) use per_element;

/// [`per_element!`] for the numeric types only: the getter takes `T: Number`.
macro_rules! per_number {
    ($($args:tt)+) => {
        $crate::element::per_type::getter!(
            Number, NUMBER, NumberType,
            [F64 f64, F32 f32, I64 i64, I32 i32, U64 u64, U8 u8], $($args)+
        );
    };
}
pub(crate) use per_number;

/// [`per_element!`] for the floating-point types only: the getter takes `T: Float`.
macro_rules! per_float {
    ($($args:tt)+) => {
        $crate::element::per_type::getter!(Float, FLOAT, FloatType, [F64 f64, F32 f32], $($args)+);
    };
}
pub(crate) use per_float;

/// `per_element_codec!(T => Type<T>, "name", encode::<T>, decode::<T>)`: registers a
/// codec for `Type<T>` named `name-<T>` for every element type, `T` standing for each
/// in turn.
macro_rules! per_element_codec {
    ($t:ident => $ty:ty, $name:literal, $encode:expr, $decode:expr) => {
        $crate::element::per_type::per_element_codec!(
            @each $t => $ty, $name, $encode, $decode; f64 f32 i64 i32 u64 u8 bool
        );
    };
    (@each $t:ident => $ty:ty, $name:literal, $encode:expr, $decode:expr; $($elem:ident)+) => {
        $(
            const _: () = {
                type $t = $elem;
                ::dask_graph::register_codec!(
                    $ty,
                    concat!($name, "-", stringify!($elem)),
                    $encode,
                    $decode
                );
            };
        )+
    };
}
pub(crate) use per_element_codec;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::creation::{arange_op_for, full_op_for, linspace_op_for};
    use crate::elementwise::binary_op_for;
    use crate::reduce::fold_combine_for;

    #[test]
    fn getters_pick_the_registration_of_their_type() {
        assert_eq!(binary_op_for::<f64>().name, "array.binary.f64");
        assert_eq!(binary_op_for::<bool>().name, "array.binary.bool");
        assert_eq!(fold_combine_for::<i64>().name, "array.fold.combine.i64");
        assert_eq!(arange_op_for::<u8>().name, "array.arange.u8");
        assert_eq!(linspace_op_for::<f32>().name, "array.linspace.f32");
        // Flags reach the registration.
        assert!(binary_op_for::<i32>().cheap && !binary_op_for::<i32>().generator);
        assert!(full_op_for::<u64>().generator && !full_op_for::<u64>().cheap);
        assert!(!fold_combine_for::<f64>().cheap && !fold_combine_for::<f64>().generator);
        // What a worker process looks up by name is the same registration.
        let op = dask_graph::operation("array.binary.u8").unwrap();
        assert!(std::ptr::eq(op, binary_op_for::<u8>()));
    }

    #[test]
    fn every_array_operation_and_codec_is_registered_once() {
        let ops = dask_graph::operation_names();
        let array_ops: Vec<&str> = ops
            .into_iter()
            .filter(|n| n.starts_with("array."))
            .collect();
        for name in &array_ops {
            // An error here would mean two registrations under one name.
            dask_graph::operation(name).unwrap();
        }
        // Number-only and float-only operations exist for exactly their types.
        assert!(!array_ops.contains(&"array.arange.bool"));
        assert!(!array_ops.contains(&"array.powi.bool"));
        assert!(!array_ops.contains(&"array.matmul.i64"));
        assert!(array_ops.contains(&"array.powi.u8"));
        for codec in ["ndarray-bool", "ndarray-f32", "array-argpartial-u64"] {
            dask_graph::codec_by_name(codec).unwrap();
        }
    }
}
