//! Registered functions: calls that run on every scheduler, worker processes included.
//!
//! [`delayed_fn!`](crate::delayed_fn) wraps an ordinary function definition. It keeps
//! the function (call it directly as usual), registers an operation named after its
//! module path, and adds a module of the same name whose `call` builds the lazy call:
//!
//! ```
//! dask_delayed::delayed_fn! {
//!     /// Adds two numbers.
//!     pub fn add(a: i64, b: i64) -> i64 { a + b }
//! }
//!
//! fn main() -> Result<(), dask_graph::Error> {
//!     let x = dask_delayed::value(40i64);
//!     let sum = add::call((&x, 2i64));
//!     assert_eq!(add(1, 2), 3);
//!     assert_eq!(sum.compute(&dask_graph::SyncScheduler)?, 42);
//!     // Same function, same inputs: same key (computed once when merged).
//!     assert_eq!(add::call((&x, 2i64)).key(), sum.key());
//!     Ok(())
//! }
//! ```
//!
//! Use it where items go (a module, not inside a function body): the generated module
//! refers to the function through `super`.
//!
//! Parameters are taken by value (moved when the task holds the last reference) and
//! must be `Clone`; a function may return a plain value or a `Result` (an `Err` fails
//! the task, naming its key). Arguments are plain values or `Delayed`s — a `Vec` of
//! `Delayed`s needs a closure ([`delayed`](crate::delayed)). For worker processes every
//! argument, literal and result type needs a codec.

use dask_graph::{Arg, Data, Graph, Key, Value, tokenize};

use crate::Delayed;

/// One argument of a registered call: a literal or one `Delayed`.
pub trait IntoSingleInput<T> {
    /// The task argument, and the graph it needs (if any).
    fn into_single(self) -> (Arg, Option<Graph>);
}

impl<T: Data + Clone> IntoSingleInput<T> for T {
    fn into_single(self) -> (Arg, Option<Graph>) {
        (Arg::Literal(Value::new(self)), None)
    }
}

impl<T: Send + Sync + 'static> IntoSingleInput<T> for Delayed<T> {
    fn into_single(self) -> (Arg, Option<Graph>) {
        (Arg::Key(self.key().clone()), Some(self.graph().clone()))
    }
}

impl<T: Send + Sync + 'static> IntoSingleInput<T> for &Delayed<T> {
    fn into_single(self) -> (Arg, Option<Graph>) {
        (Arg::Key(self.key().clone()), Some(self.graph().clone()))
    }
}

/// The task of a call of the registered operation `op` (used by
/// [`delayed_fn!`](crate::delayed_fn)). The key is deterministic: the operation's name,
/// the keys of the `Delayed` arguments and the encoded literals (a literal without a
/// codec makes the key unique instead).
#[doc(hidden)]
pub fn registered_call<R>(
    op: &'static dask_graph::RegisteredOp,
    parts: Vec<(Arg, Option<Graph>)>,
) -> Delayed<R> {
    let short = op.name.rsplit("::").next().unwrap_or(op.name);
    let mut token_parts: Vec<(String, Vec<u8>)> = Vec::with_capacity(parts.len());
    let mut deterministic = true;
    for (arg, _) in &parts {
        match arg {
            Arg::Key(k) => token_parts.push((k.to_string(), Vec::new())),
            Arg::Literal(v) => match v.encode() {
                Ok(e) => token_parts.push((e.codec, e.bytes)),
                Err(_) => deterministic = false,
            },
        }
    }
    let key = if deterministic {
        Key::new(tokenize(short, &(op.name, token_parts)))
    } else {
        crate::unique_key(short)
    };
    let mut graphs = Vec::new();
    let mut args = Vec::with_capacity(parts.len());
    for (arg, graph) in parts {
        args.push(arg);
        graphs.extend(graph);
    }
    crate::build_task(key, dask_graph::Op::Registered(op), args, graphs)
}

/// Wraps a function definition so that it can be called lazily on any scheduler; see
/// the [module documentation](crate::registered).
#[macro_export]
macro_rules! delayed_fn {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident : $ty:ty),+ $(,)?) -> Result<$ok:ty, $err:ty> $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),+) -> Result<$ok, $err> $body

        $crate::delayed_fn!(@module $vis $name ($($arg : $ty),+) -> $ok;
            |r: Result<$ok, $err>| r.map($crate::__Value::new).map_err(::core::convert::Into::into));
    };
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($arg:ident : $ty:ty),+ $(,)?) -> $ret:ty $body:block
    ) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),+) -> $ret $body

        $crate::delayed_fn!(@module $vis $name ($($arg : $ty),+) -> $ret;
            |r: $ret| ::core::result::Result::Ok($crate::__Value::new(r)));
    };
    (@module $vis:vis $name:ident ($($arg:ident : $ty:ty),+) -> $out:ty; $finish:expr) => {
        #[doc = concat!("Lazy calls of [`", stringify!($name), "`].")]
        #[allow(non_snake_case)]
        $vis mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn __op(mut args: $crate::__Args) -> $crate::__OpResult {
                let mut __i = 0usize;
                $(
                    let $arg: $ty = args.take::<$ty>(__i)?;
                    __i += 1;
                )+
                let _ = __i;
                ($finish)(super::$name($($arg),+))
            }

            $crate::__register_op!(
                #[doc = concat!("The registered operation of [`", stringify!($name), "`](super::", stringify!($name), ").")]
                pub OP = concat!(module_path!(), "::", stringify!($name)) => __op
            );

            /// Builds the lazy call; arguments are plain values or `Delayed`s.
            #[allow(clippy::type_complexity)]
            pub fn call<Args: $crate::RegisteredArgs<($($ty,)+)>>(args: Args) -> $crate::Delayed<$out> {
                $crate::registered_call(&OP, args.into_parts())
            }
        }
    };
}

/// A tuple of arguments for a registered function with parameter types `P`.
pub trait RegisteredArgs<P> {
    /// Each argument's task argument and graph.
    fn into_parts(self) -> Vec<(Arg, Option<Graph>)>;
}

macro_rules! impl_registered_args {
    ($($p:ident $i:ident),+) => {
        impl<$($p, $i: IntoSingleInput<$p>),+> RegisteredArgs<($($p,)+)> for ($($i,)+) {
            #[allow(non_snake_case)]
            fn into_parts(self) -> Vec<(Arg, Option<Graph>)> {
                let ($($i,)+) = self;
                vec![$($i.into_single()),+]
            }
        }
    };
}

impl_registered_args!(A IA);
impl_registered_args!(A IA, B IB);
impl_registered_args!(A IA, B IB, C IC);
impl_registered_args!(A IA, B IB, C IC, D ID);
impl_registered_args!(A IA, B IB, C IC, D ID, E IE);
