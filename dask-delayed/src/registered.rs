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
//! the task, naming its key). Arguments are plain values, `Delayed`s, or a `Vec` of
//! `Delayed`s for a `Vec` parameter (the seed's `summarize(L)`). For worker processes
//! every argument, literal and result type needs a codec.

use dask_graph::{Arg, ArgError, Args, Graph, Key, Value, tokenize};

use crate::{Delayed, IntoInput};

/// Rebuilds a parameter of type `T` from task arguments `start..start + len` (`many`:
/// gathered from several `Delayed`s into a `Vec`). Used by
/// [`delayed_fn!`](crate::delayed_fn) through [`Param`]: the `Vec` case is picked for
/// `Vec` parameters by method resolution (the more specific impl is found first).
#[doc(hidden)]
pub struct Param<T>(pub std::marker::PhantomData<T>);

#[doc(hidden)]
pub trait ExtractVec<T> {
    fn extract(&self, args: &mut Args, start: usize, len: usize, many: bool)
    -> Result<T, ArgError>;
}

impl<U: Clone + Send + Sync + 'static> ExtractVec<Vec<U>> for &Param<Vec<U>> {
    fn extract(
        &self,
        args: &mut Args,
        start: usize,
        len: usize,
        many: bool,
    ) -> Result<Vec<U>, ArgError> {
        if many {
            (start..start + len).map(|i| args.take::<U>(i)).collect()
        } else {
            args.take::<Vec<U>>(start)
        }
    }
}

#[doc(hidden)]
pub trait ExtractOne<T> {
    fn extract(&self, args: &mut Args, start: usize, len: usize, many: bool)
    -> Result<T, ArgError>;
}

impl<T: Clone + Send + Sync + 'static> ExtractOne<T> for Param<T> {
    fn extract(
        &self,
        args: &mut Args,
        start: usize,
        _len: usize,
        _many: bool,
    ) -> Result<T, ArgError> {
        args.take::<T>(start)
    }
}

/// Reads the layout argument (argument 0: per parameter, its number of task arguments
/// and whether they are gathered) into `(start, len, many)` triples.
#[doc(hidden)]
pub fn layout(args: &Args) -> Result<Vec<(usize, usize, bool)>, ArgError> {
    let raw = args.get::<Vec<u64>>(0)?;
    let mut start = 1usize;
    Ok(raw
        .chunks_exact(2)
        .map(|c| {
            let span = (start, c[0] as usize, c[1] != 0);
            start += c[0] as usize;
            span
        })
        .collect())
}

/// The task of a call of the registered operation `op` (used by
/// [`delayed_fn!`](crate::delayed_fn)). The key is deterministic: the operation's name,
/// the keys of the `Delayed` arguments and the encoded literals (a literal without a
/// codec makes the key unique instead).
#[doc(hidden)]
pub fn registered_call<R>(op: &'static dask_graph::RegisteredOp, parts: Vec<Part>) -> Delayed<R> {
    let short = op.name.rsplit("::").next().unwrap_or(op.name);
    let layout: Vec<u64> = parts
        .iter()
        .flat_map(|p| [p.args.len() as u64, u64::from(p.many)])
        .collect();
    let mut args = vec![Arg::Literal(Value::new(layout))];
    let mut graphs = Vec::new();
    for p in parts {
        args.extend(p.args);
        graphs.extend(p.graphs);
    }
    let mut token_parts: Vec<(String, Vec<u8>)> = Vec::with_capacity(args.len());
    let mut deterministic = true;
    for arg in &args {
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
    crate::build_task(key, dask_graph::Op::Registered(op), args, graphs)
}

/// One parameter's task arguments, the graphs they need, and whether they are gathered
/// into a `Vec`.
#[doc(hidden)]
pub struct Part {
    args: Vec<Arg>,
    graphs: Vec<Graph>,
    many: bool,
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
                #[allow(unused_imports)]
                use $crate::registered::{ExtractOne as _, ExtractVec as _};
                let spans = $crate::registered::layout(&args)?;
                let mut spans = spans.into_iter();
                $(
                    let (start, len, many) = spans.next().ok_or("missing a parameter layout")?;
                    let $arg: $ty = (&&$crate::registered::Param::<$ty>(::core::marker::PhantomData))
                        .extract(&mut args, start, len, many)?;
                )+
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

/// A tuple of arguments for a registered function with parameter types `P`: plain
/// values, `Delayed`s, or a `Vec` of `Delayed`s for a `Vec` parameter.
pub trait RegisteredArgs<P> {
    /// Each parameter's part of the task.
    fn into_parts(self) -> Vec<Part>;
}

fn part<T>(input: crate::Input<T>) -> Part {
    Part {
        args: input.args,
        graphs: input.graphs,
        many: input.many,
    }
}

macro_rules! impl_registered_args {
    ($($p:ident $i:ident),+) => {
        impl<$($p, $i: IntoInput<$p>),+> RegisteredArgs<($($p,)+)> for ($($i,)+) {
            #[allow(non_snake_case)]
            fn into_parts(self) -> Vec<Part> {
                let ($($i,)+) = self;
                vec![$(part($i.into_input())),+]
            }
        }
    };
}

impl_registered_args!(A IA);
impl_registered_args!(A IA, B IB);
impl_registered_args!(A IA, B IB, C IC);
impl_registered_args!(A IA, B IB, C IC, D ID);
impl_registered_args!(A IA, B IB, C IC, D ID, E IE);
