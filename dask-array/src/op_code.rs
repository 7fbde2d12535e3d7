//! Operation codes: which variant of a kernel a task runs.
//!
//! Several kernels serve a family of operations (`array.binary.<T>` adds, subtracts,
//! ...), told apart by a code in the task's first literal argument. Each family is a
//! `#[repr(u64)]` enum declared with [`op_code!`]: builders write `variant.code()`,
//! kernels decode it with the generated `TryFrom<u64>`, and a code the kernel does not
//! know is an error of the task ([`UnknownCode`]), never a panic or a silent default.
//!
//! Codes travel as plain `u64` literals — every literal argument needs a codec to reach
//! a worker process, and `u64` has one — and their values are fixed: they are part of
//! the tasks' encoding and of layer names (tokens hash the `u64`).

use std::fmt;

use dask_graph::{Args, BoxError};

/// A code that is not one of its family's variants.
#[derive(Debug)]
pub(crate) struct UnknownCode {
    family: &'static str,
    code: u64,
}

impl UnknownCode {
    /// An unknown `code` of the family named `family` (e.g. "binary operation").
    pub(crate) fn new(family: &'static str, code: u64) -> UnknownCode {
        UnknownCode { family, code }
    }
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {}", self.family, self.code)
    }
}

impl std::error::Error for UnknownCode {}

/// Decodes the code in literal argument `i`.
pub(crate) fn code_arg<C>(args: &Args, i: usize) -> Result<C, BoxError>
where
    C: TryFrom<u64, Error = UnknownCode>,
{
    Ok(C::try_from(*args.get::<u64>(i)?)?)
}

/// Declares an operation-code family: a `#[repr(u64)]` enum with explicit codes,
/// `code()` to encode a variant and `TryFrom<u64>` to decode one (an [`UnknownCode`]
/// naming the family otherwise).
macro_rules! op_code {
    (
        $(#[$meta:meta])*
        enum $name:ident($family:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u64)]
        pub(crate) enum $name {
            $($(#[$vmeta])* $variant = $code),+
        }

        impl $name {
            /// The code as a task's literal argument carries it.
            pub(crate) const fn code(self) -> u64 {
                self as u64
            }
        }

        impl TryFrom<u64> for $name {
            type Error = $crate::op_code::UnknownCode;

            fn try_from(code: u64) -> Result<Self, Self::Error> {
                match code {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::op_code::UnknownCode::new($family, code)),
                }
            }
        }
    };
}
pub(crate) use op_code;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use dask_graph::{Args, Value};

    use super::code_arg;

    op_code! {
        /// A family for the test.
        enum Demo("demo operation") {
            First = 3,
            Second = 7,
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_errors() {
        for d in [Demo::First, Demo::Second] {
            assert_eq!(Demo::try_from(d.code()).unwrap(), d);
        }
        assert_eq!(Demo::Second.code(), 7);
        let err = Demo::try_from(4).unwrap_err();
        assert_eq!(err.to_string(), "unknown demo operation 4");
        let args = Args::new(vec![Value::new(3u64), Value::new(5u64)]);
        assert_eq!(code_arg::<Demo>(&args, 0).unwrap(), Demo::First);
        let err = code_arg::<Demo>(&args, 1).unwrap_err();
        assert_eq!(err.to_string(), "unknown demo operation 5");
        // Not a `u64` at all: an error too, never a panic.
        let args = Args::new(vec![Value::new(1.5f64)]);
        assert!(code_arg::<Demo>(&args, 0).is_err());
    }
}
