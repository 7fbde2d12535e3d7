//! Operations: the functions tasks run.
//!
//! Two kinds, one calling convention (`fn(Args) -> OpResult`):
//!
//! * **Registered** operations are plain functions placed in a `linkme` distributed slice
//!   under a stable name with [`register_op!`](crate::register_op). They need no start-up
//!   code, so a worker process re-executing the same binary knows all of them; a task
//!   naming one can run on any scheduler. Every operation a collection emits is
//!   registered.
//! * **Local** operations wrap a closure. They are convenient for user code but only
//!   in-process schedulers can run them; a scheduler that cannot refuses the whole graph
//!   before running anything.
//!
//! [`Args`] owns the argument values, so an operation can take an input by value (without
//! copying) when the scheduler handed over the last reference to it.

use std::fmt;
use std::sync::{Arc, OnceLock};

use linkme::distributed_slice;

use crate::error::{BoxError, Error};
use crate::registry::NameIndex;
use crate::value::{TypeMismatch, Value};

/// What an operation returns: a value, or any error (which the scheduler wraps with the
/// task's key and the operation's name).
pub type OpResult = Result<Value, BoxError>;

/// The signature of a registered operation.
pub type OpFn = fn(Args) -> OpResult;

/// A plain function registered under a stable name.
pub struct RegisteredOp {
    /// The stable name, e.g. `"array.add"`; unique in the binary.
    pub name: &'static str,
    /// The function.
    pub func: OpFn,
    /// Whether the operation is so cheap that [`inline`](crate::optimize::inline) may fold
    /// it into its single dependent instead of scheduling it as a task of its own.
    pub cheap: bool,
    /// Whether a task of this operation *without inputs* is cheaper to run again than to
    /// keep (a block of random numbers or of zeros): [`inline`](crate::optimize::inline)
    /// copies it into every dependent, so its result never waits in memory for a
    /// second reader — what keeps `x + x.T` on a generated `x` in bounded memory.
    pub generator: bool,
}

impl fmt::Debug for RegisteredOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegisteredOp({})", self.name)
    }
}

/// Every operation linked into the binary.
#[distributed_slice]
pub static OPERATIONS: [RegisteredOp];

/// Registers a function as an operation under a stable name, in one line, and names a
/// static through which code can refer to it.
///
/// ```
/// use dask_graph::{register_op, Args, OpResult, Value, Op};
/// fn double(args: Args) -> OpResult {
///     Ok(Value::new(2 * *args.get::<i64>(0)?))
/// }
/// register_op!(pub DOUBLE = "doc.double" => double);
/// register_op!(NEGATE = "doc.negate" => |a: Args| Ok(Value::new(-*a.get::<i64>(0)?)), cheap);
/// register_op!(SEVEN = "doc.seven" => |_a: Args| Ok(Value::new(7i64)), generator);
///
/// assert_eq!(dask_graph::operation("doc.double").unwrap().name, "doc.double");
/// let op = Op::from(&DOUBLE);
/// assert_eq!(op.name(), "doc.double");
/// assert!(NEGATE.cheap);
/// assert!(SEVEN.generator && !SEVEN.cheap);
/// ```
#[macro_export]
macro_rules! register_op {
    ($(#[$meta:meta])* $vis:vis $stat:ident = $name:expr => $func:expr) => {
        $crate::register_op!($(#[$meta])* $vis $stat = $name => $func, cheap = false);
    };
    ($(#[$meta:meta])* $vis:vis $stat:ident = $name:expr => $func:expr, cheap) => {
        $crate::register_op!($(#[$meta])* $vis $stat = $name => $func, cheap = true);
    };
    ($(#[$meta:meta])* $vis:vis $stat:ident = $name:expr => $func:expr, generator) => {
        $crate::register_op!($(#[$meta])* $vis $stat = $name => $func, cheap = false, generator = true);
    };
    ($(#[$meta:meta])* $vis:vis $stat:ident = $name:expr => $func:expr, cheap = $cheap:expr) => {
        $crate::register_op!($(#[$meta])* $vis $stat = $name => $func, cheap = $cheap, generator = false);
    };
    ($(#[$meta:meta])* $vis:vis $stat:ident = $name:expr => $func:expr, cheap = $cheap:expr, generator = $gen:expr) => {
        $(#[$meta])*
        #[$crate::__linkme::distributed_slice($crate::OPERATIONS)]
        #[linkme(crate = $crate::__linkme)]
        $vis static $stat: $crate::RegisteredOp = $crate::RegisteredOp {
            name: $name,
            func: $func,
            cheap: $cheap,
            generator: $gen,
        };
    };
}

fn index() -> &'static NameIndex<RegisteredOp> {
    static INDEX: OnceLock<NameIndex<RegisteredOp>> = OnceLock::new();
    INDEX.get_or_init(|| NameIndex::new(&OPERATIONS, |op| op.name))
}

/// The operation registered under `name`; an error names it if there is none.
pub fn operation(name: &str) -> Result<&'static RegisteredOp, Error> {
    index().get(name, "operation", |name| Error::UnknownOperation { name })
}

/// Names of every registered operation, sorted.
pub fn operation_names() -> Vec<&'static str> {
    index().sorted_names()
}

/// A fingerprint of the registries (operation and codec names): two processes with the
/// same fingerprint agree on what every name means.
pub fn registry_fingerprint() -> String {
    let mut t = crate::key::Tokenizer::new();
    t.feed(&operation_names());
    t.feed(&crate::codec::codec_names());
    t.hex()
}

/// A closure operation, runnable by in-process schedulers only.
pub struct LocalOp {
    name: String,
    func: Box<dyn Fn(Args) -> OpResult + Send + Sync>,
}

impl LocalOp {
    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The function a task runs.
#[derive(Clone)]
pub enum Op {
    /// A registered function (runs anywhere the binary runs).
    Registered(&'static RegisteredOp),
    /// A closure (in-process schedulers only).
    Local(Arc<LocalOp>),
}

impl Op {
    /// A closure operation named `name` (the name appears in error messages).
    ///
    /// ```
    /// use dask_graph::{Op, Value};
    /// let offset = 10i64;
    /// let op = Op::local("add-offset", move |a| Ok(Value::new(a.get::<i64>(0)? + offset)));
    /// assert!(op.is_local());
    /// ```
    pub fn local(
        name: impl Into<String>,
        func: impl Fn(Args) -> OpResult + Send + Sync + 'static,
    ) -> Op {
        Op::Local(Arc::new(LocalOp {
            name: name.into(),
            func: Box::new(func),
        }))
    }

    /// The registered operation named `name`.
    pub fn named(name: &str) -> Result<Op, Error> {
        operation(name).map(Op::Registered)
    }

    /// The operation's name.
    pub fn name(&self) -> &str {
        match self {
            Op::Registered(r) => r.name,
            Op::Local(l) => &l.name,
        }
    }

    /// Whether this is a closure.
    pub fn is_local(&self) -> bool {
        matches!(self, Op::Local(_))
    }

    /// Whether [`inline`](crate::optimize::inline) may fold this operation into its
    /// dependent.
    pub fn is_cheap(&self) -> bool {
        match self {
            Op::Registered(r) => r.cheap,
            Op::Local(_) => false,
        }
    }

    /// Whether [`inline`](crate::optimize::inline) may copy an input-less task of this
    /// operation into each of its dependents.
    pub fn is_generator(&self) -> bool {
        match self {
            Op::Registered(r) => r.generator,
            Op::Local(_) => false,
        }
    }

    /// Calls the operation.
    pub fn call(&self, args: Args) -> OpResult {
        match self {
            Op::Registered(r) => (r.func)(args),
            Op::Local(l) => (l.func)(args),
        }
    }

    /// Whether two ops are the same operation.
    pub fn same_as(&self, other: &Op) -> bool {
        match (self, other) {
            (Op::Registered(a), Op::Registered(b)) => std::ptr::eq(*a, *b) || a.name == b.name,
            (Op::Local(a), Op::Local(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl From<&'static RegisteredOp> for Op {
    fn from(r: &'static RegisteredOp) -> Op {
        Op::Registered(r)
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Registered(r) => write!(f, "{}", r.name),
            Op::Local(l) => write!(f, "{} (local)", l.name),
        }
    }
}

/// The argument values of one call, owned by the operation.
///
/// ```
/// use dask_graph::{Args, Value};
/// let args = Args::new(vec![Value::new(2i64), Value::new(String::from("x"))]);
/// assert_eq!(*args.get::<i64>(0).unwrap(), 2);
/// let err = args.get::<i64>(1).unwrap_err();
/// assert!(err.to_string().starts_with("argument 1: expected"));
/// assert!(args.get::<i64>(2).unwrap_err().to_string().contains("only 2"));
/// ```
#[derive(Debug, Default)]
pub struct Args {
    values: Vec<Value>,
}

/// An argument was missing or of the wrong type.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArgError {
    /// Fewer arguments than the operation needs.
    #[error("argument {index} is missing: the operation was given only {len} arguments")]
    Missing {
        /// The position asked for.
        index: usize,
        /// How many there are.
        len: usize,
    },
    /// An argument already taken with [`Args::take`].
    #[error("argument {index} was already taken by value")]
    Taken {
        /// The position.
        index: usize,
    },
    /// An argument of the wrong type.
    #[error("argument {index}: {mismatch}")]
    Type {
        /// The position.
        index: usize,
        /// The types.
        mismatch: TypeMismatch,
    },
}

struct Taken;

fn taken() -> Value {
    static TAKEN: OnceLock<Value> = OnceLock::new();
    TAKEN.get_or_init(|| Value::opaque(Taken)).clone()
}

impl Args {
    /// Arguments from values.
    pub fn new(values: Vec<Value>) -> Args {
        Args { values }
    }

    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The argument values (an argument already taken with [`Args::take`] shows as an
    /// empty placeholder).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The arguments, as a vector.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// Argument `index` as a type-erased value.
    pub fn value(&self, index: usize) -> Result<&Value, ArgError> {
        let v = self.values.get(index).ok_or(ArgError::Missing {
            index,
            len: self.values.len(),
        })?;
        if v.is::<Taken>() {
            return Err(ArgError::Taken { index });
        }
        Ok(v)
    }

    /// Argument `index` as a `&T`.
    pub fn get<T: 'static>(&self, index: usize) -> Result<&T, ArgError> {
        self.value(index)?
            .get::<T>()
            .map_err(|mismatch| ArgError::Type { index, mismatch })
    }

    /// Every argument as a `&T` (for variadic operations such as a sum of partials).
    pub fn all<T: 'static>(&self) -> Result<Vec<&T>, ArgError> {
        (0..self.values.len()).map(|i| self.get::<T>(i)).collect()
    }

    /// Takes argument `index` by value: moved when this call holds the last reference
    /// (no copy), cloned otherwise.
    pub fn take<T: Clone + Send + Sync + 'static>(&mut self, index: usize) -> Result<T, ArgError> {
        let len = self.values.len();
        let slot = self
            .values
            .get_mut(index)
            .ok_or(ArgError::Missing { index, len })?;
        if slot.is::<Taken>() {
            return Err(ArgError::Taken { index });
        }
        if !slot.is::<T>() {
            return Err(ArgError::Type {
                index,
                mismatch: TypeMismatch {
                    expected: std::any::type_name::<T>(),
                    found: slot.type_name(),
                },
            });
        }
        let value = std::mem::replace(slot, taken());
        value
            .take::<T>()
            .map_err(|mismatch| ArgError::Type { index, mismatch })
    }
}

register_op!(
    /// Returns its first argument: data nodes and aliases compile to it.
    pub IDENTITY = "dask.identity" => |args: Args| {
    Ok(args.value(0)?.clone())
}, cheap);
