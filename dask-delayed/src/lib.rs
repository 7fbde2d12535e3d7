//! `Delayed<T>`: typed lazy values, the way to parallelise ordinary code.
//!
//! ```
//! use dask_delayed::{delayed, value};
//! use dask_graph::SyncScheduler;
//!
//! let load = delayed(|n: i64| (0..n).collect::<Vec<i64>>());
//! let process = delayed(|v: Vec<i64>| v.iter().sum::<i64>());
//! let summarize = delayed(|parts: Vec<i64>| parts.iter().sum::<i64>());
//!
//! let parts: Vec<_> = [10i64, 20, 30]
//!     .into_iter()
//!     .map(|n| process.call((load.call((n,)),)))
//!     .collect();
//! let total = summarize.call((parts,));
//! assert_eq!(total.compute(&SyncScheduler)?, 45 + 190 + 435);
//! # Ok::<(), dask_graph::Error>(())
//! ```
//!
//! # Design
//!
//! * A `Delayed<T>` is a key plus the graph that computes it (layers shared by `Arc`, so
//!   building is O(1) per call and merging O(layers)). The type parameter is checked at
//!   compile time: passing a `Delayed<String>` where a function takes an `i64` does not
//!   compile.
//! * Functions are closures ([`delayed`]); a call becomes one task whose operation is the
//!   closure, so these graphs run on in-process schedulers (the process scheduler
//!   refuses them up front, naming the task). Each call gets a unique key unless named
//!   ([`DelayedFn::named`] keys are the name plus the argument keys, so the same named
//!   call is computed once).
//! * Arguments are plain values (literals), `Delayed`s, or a `Vec` of `Delayed`s for a
//!   `Vec<T>` parameter ([`IntoInput`]); arities 1 to 4 work without boilerplate.
//!   Inputs are taken by value without copying when the task holds the last reference.
//! * A `Delayed` is a [`Collection`]: [`compute`] of several delayed values (or of
//!   delayed values together with arrays and other collections) merges their graphs, so a
//!   shared input is computed once. This crate depends on `dask-graph` only: the scheduler is an
//!   argument (the `dask` facade picks one by name).

mod input;
pub mod registered;

use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use std::borrow::Cow;

use dask_graph::{
    Arg, Args, BoxError, Data, Graph, Key, Layer, Op, Result, Scheduler, Value, Values, tokenize,
    unique_token,
};

pub use dask_graph::Collection;

pub use input::{Extract, Input, IntoInput};
pub use registered::{RegisteredArgs, registered_call};

#[doc(hidden)]
pub use dask_graph::{
    Args as __Args, OpResult as __OpResult, Value as __Value, register_op as __register_op,
};

/// A lazily computed value of type `T`.
pub struct Delayed<T> {
    key: Key,
    graph: Graph,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Delayed<T> {
    fn clone(&self) -> Self {
        Delayed {
            key: self.key.clone(),
            graph: self.graph.clone(),
            _t: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Delayed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Delayed<{}>({})", std::any::type_name::<T>(), self.key)
    }
}

/// A key no other call will have ([`unique_token`] of `name`).
pub(crate) fn unique_key(name: &str) -> Key {
    Key::new(unique_token(name, ""))
}

/// Wraps a plain value.
pub fn value<T: Data>(v: T) -> Delayed<T> {
    let key = unique_key("value");
    let mut layer = Layer::new(key.name());
    layer.data(key.clone(), Value::new(v));
    Delayed {
        key,
        graph: Graph::from_layers([layer]),
        _t: PhantomData,
    }
}

impl<T: Send + Sync + 'static> Delayed<T> {
    /// The key of the value.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The graph that computes it.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// A `Delayed` for `key` of an existing graph (Dask's `Delayed(key, graph)`): for
    /// example one block of an array, to feed into delayed functions. Nothing checks
    /// here that the graph computes `key` or that its value is a `T`; computing says so
    /// if not.
    pub fn from_graph(graph: Graph, key: Key) -> Delayed<T> {
        Delayed {
            key,
            graph,
            _t: PhantomData,
        }
    }

    /// Computes the value on `scheduler` ([`Collection::compute`]).
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<T>
    where
        T: Clone,
    {
        Collection::compute(self, scheduler)
    }

    /// Computes the value and returns a `Delayed` backed by it (same key), so later
    /// graphs built on it start from the result instead of recomputing it
    /// ([`Collection::persist`]).
    pub fn persist(&self, scheduler: &dyn Scheduler) -> Result<Delayed<T>>
    where
        T: Clone,
    {
        Collection::persist(self, scheduler)
    }

    /// The graph as Graphviz DOT text ([`Collection::to_dot`]).
    pub fn to_dot(&self) -> String
    where
        T: Clone,
    {
        Collection::to_dot(self)
    }

    /// Renders the graph to `path` (SVG, PNG, ... by its extension) with Graphviz's `dot`;
    /// an error says so when `dot` is not installed ([`Collection::visualize`]).
    pub fn visualize(&self, path: impl AsRef<Path>) -> Result<()>
    where
        T: Clone,
    {
        Collection::visualize(self, path)
    }

    /// Applies `f` to a reference to the value.
    pub fn map<R: Data>(&self, f: impl Fn(&T) -> R + Send + Sync + 'static) -> Delayed<R> {
        let op = Op::local("map", move |a: Args| Ok(Value::new(f(a.get::<T>(0)?))));
        self.derive("map", op)
    }

    /// Applies `f` to the value itself (moved out when this task holds the last
    /// reference, cloned otherwise).
    pub fn then<R: Data>(&self, f: impl Fn(T) -> R + Send + Sync + 'static) -> Delayed<R>
    where
        T: Clone,
    {
        let op = Op::local("then", move |mut a: Args| {
            Ok(Value::new(f(a.take::<T>(0)?)))
        });
        self.derive("then", op)
    }

    fn derive<R>(&self, name: &str, op: Op) -> Delayed<R> {
        let key = unique_key(name);
        let mut layer = Layer::new(key.name());
        layer.task(key.clone(), op, vec![Arg::Key(self.key.clone())]);
        let mut graph = self.graph.clone();
        graph.add_layer(layer);
        Delayed {
            key,
            graph,
            _t: PhantomData,
        }
    }
}

impl<A, B> Delayed<(A, B)>
where
    A: Data + Clone,
    B: Data + Clone,
    (A, B): Clone,
{
    /// Splits a delayed pair into its parts (Dask's `nout=2`); the pair is computed once.
    pub fn split(&self) -> (Delayed<A>, Delayed<B>) {
        (
            self.map(|p: &(A, B)| p.0.clone()),
            self.map(|p: &(A, B)| p.1.clone()),
        )
    }
}

impl<A, B, C> Delayed<(A, B, C)>
where
    A: Data + Clone,
    B: Data + Clone,
    C: Data + Clone,
{
    /// Splits a delayed triple into its parts (Dask's `nout=3`).
    pub fn split(&self) -> (Delayed<A>, Delayed<B>, Delayed<C>) {
        (
            self.map(|p: &(A, B, C)| p.0.clone()),
            self.map(|p: &(A, B, C)| p.1.clone()),
            self.map(|p: &(A, B, C)| p.2.clone()),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Functions.

/// A closure made lazy: [`DelayedFn::call`] it with values or `Delayed`s.
pub fn delayed<F>(f: F) -> DelayedFn<F> {
    DelayedFn {
        f: Arc::new(f),
        name: None,
    }
}

/// A function whose calls build tasks. See [`delayed`].
pub struct DelayedFn<F> {
    f: Arc<F>,
    name: Option<String>,
}

impl<F> Clone for DelayedFn<F> {
    fn clone(&self) -> Self {
        DelayedFn {
            f: Arc::clone(&self.f),
            name: self.name.clone(),
        }
    }
}

impl<F> DelayedFn<F> {
    /// Names the function's tasks. Calls of a named function get deterministic keys
    /// (the name plus the keys they depend on, so the same named call over the same
    /// inputs is one task), and the name shows in errors and pictures. Calls taking
    /// plain values keep unique keys: a closure's literals cannot be compared.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Calls the function; `args` is a tuple of inputs, one per parameter.
    pub fn call<Args, R, P>(&self, args: Args) -> Delayed<R>
    where
        F: Apply<Args, R, P>,
    {
        self.f
            .apply(Arc::clone(&self.f), self.name.as_deref(), args)
    }

    /// Calls a function returning `Result<R, E>`: an `Err` fails the task (and the
    /// compute), naming its key.
    pub fn try_call<Args, R, P, E>(&self, args: Args) -> Delayed<R>
    where
        F: TryApply<Args, R, P, E>,
    {
        self.f
            .try_apply(Arc::clone(&self.f), self.name.as_deref(), args)
    }
}

/// Implemented for closures of 1 to 4 parameters (`P` is the tuple of their types):
/// builds the task of one call.
pub trait Apply<Args, R, P> {
    /// The call's `Delayed`.
    fn apply(&self, me: Arc<Self>, name: Option<&str>, args: Args) -> Delayed<R>;
}

/// Like [`Apply`], for closures returning `Result<R, E>`.
pub trait TryApply<Args, R, P, E> {
    /// The call's `Delayed`.
    fn try_apply(&self, me: Arc<Self>, name: Option<&str>, args: Args) -> Delayed<R>;
}

/// The task of a call with the given flat arguments and graphs.
fn build_call<R>(name: Option<&str>, args: Vec<Arg>, graphs: Vec<Graph>, op: Op) -> Delayed<R> {
    let label = name.unwrap_or("call");
    let all_keys = args.iter().all(|a| matches!(a, Arg::Key(_)));
    let key = match name {
        Some(n) if all_keys => Key::new(tokenize(n, &input::arg_keys(&args))),
        _ => unique_key(label),
    };
    build_task(key, op, args, graphs)
}

/// A `Delayed` for the task `key = op(args)` over the merged `graphs`.
pub(crate) fn build_task<R>(key: Key, op: Op, args: Vec<Arg>, graphs: Vec<Graph>) -> Delayed<R> {
    let mut graph = Graph::merged(graphs.iter());
    let mut layer = Layer::new(key.name());
    layer.task(key.clone(), op, args);
    graph.add_layer(layer);
    Delayed {
        key,
        graph,
        _t: PhantomData,
    }
}

/// The body shared by [`Apply`] and [`TryApply`]: flattens the inputs into task
/// arguments (remembering each parameter's span and extractor) and builds the task whose
/// closure rebuilds the parameters, calls `me` and turns its result into a value with
/// `finish`.
macro_rules! call_with_inputs {
    ($me:ident, $name:ident, $args:ident; $($p:ident $i:ident $x:ident),+; $finish:expr) => {{
        #[allow(non_snake_case)]
        let ($($i,)+) = $args;
        let mut flat = Vec::new();
        let mut graphs = Vec::new();
        $(
            #[allow(non_snake_case)]
            let $x = {
                let input = $i.into_input();
                let span = (flat.len(), input.args.len(), input.extract);
                flat.extend(input.args);
                graphs.extend(input.graphs);
                span
            };
        )+
        let finish = $finish;
        let op = Op::local($name.unwrap_or("call"), move |mut a: Args| {
            $(
                #[allow(non_snake_case)]
                let $p = ($x.2)(&mut a, $x.0, $x.1)?;
            )+
            finish($me($($p),+))
        });
        build_call($name, flat, graphs, op)
    }};
}

macro_rules! impl_apply {
    ($($p:ident $i:ident $x:ident),+) => {
        impl<F, R, $($p, $i),+> Apply<($($i,)+), R, ($($p,)+)> for F
        where
            F: Fn($($p),+) -> R + Send + Sync + 'static,
            R: Data,
            $($p: Send + Sync + 'static, $i: IntoInput<$p>,)+
        {
            fn apply(&self, me: Arc<Self>, name: Option<&str>, args: ($($i,)+)) -> Delayed<R> {
                call_with_inputs!(me, name, args; $($p $i $x),+;
                    |r: R| -> dask_graph::OpResult { Ok(Value::new(r)) })
            }
        }

        impl<F, R, E, $($p, $i),+> TryApply<($($i,)+), R, ($($p,)+), E> for F
        where
            F: Fn($($p),+) -> std::result::Result<R, E> + Send + Sync + 'static,
            R: Data,
            E: Into<BoxError>,
            $($p: Send + Sync + 'static, $i: IntoInput<$p>,)+
        {
            fn try_apply(&self, me: Arc<Self>, name: Option<&str>, args: ($($i,)+)) -> Delayed<R> {
                call_with_inputs!(me, name, args; $($p $i $x),+;
                    |r: std::result::Result<R, E>| -> dask_graph::OpResult {
                        r.map(Value::new).map_err(Into::into)
                    })
            }
        }
    };
}

impl_apply!(A IA xa);
impl_apply!(A IA xa, B IB xb);
impl_apply!(A IA xa, B IB xb, C IC xc);
impl_apply!(A IA xa, B IB xb, C IC xc, D ID xd);

// ---------------------------------------------------------------------------------------
// Computing, alone or with other collections.

/// A delayed value is a collection of one key; computing gives the value itself (moved
/// out of the result when nothing else holds it, cloned otherwise).
impl<T: Clone + Send + Sync + 'static> Collection for Delayed<T> {
    type Output = T;
    type Error = dask_graph::Error;
    type Persisted = Delayed<T>;

    fn graph(&self) -> Cow<'_, Graph> {
        Cow::Borrowed(&self.graph)
    }

    fn keys(&self) -> Vec<Key> {
        vec![self.key.clone()]
    }

    fn finalize(&self, values: &mut Values) -> Result<T> {
        values.next_as::<T>(&self.key)
    }

    fn persisted(&self, values: &mut Values) -> Result<Delayed<T>> {
        // Named after the whole key (block index included): two persisted blocks of one
        // layer must not share a layer name.
        let layer = values.data_layer(
            tokenize("persisted", &self.key),
            std::slice::from_ref(&self.key),
        )?;
        Ok(Delayed::from_graph(
            Graph::from_layers([layer]),
            self.key.clone(),
        ))
    }
}

/// Computes one or several collections (a `Delayed`, a tuple or a `Vec` of them, or of
/// any collections) in one merged graph on `scheduler`: shared inputs are computed
/// once. The same as [`Collection::compute`].
pub fn compute<C: Collection>(what: &C, scheduler: &dyn Scheduler) -> Result<C::Output, C::Error> {
    what.compute(scheduler)
}
