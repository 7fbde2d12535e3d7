//! The `Collection` trait: what every lazy collection is to the rest of the system.
//!
//! A collection (an array, a scalar reduction, a delayed value, a dataframe, a bag) is a
//! graph, the keys of its outputs, and a way to turn the computed values of those keys
//! into what the user asked for — Dask's `__dask_graph__`, `__dask_keys__` and
//! `__dask_postcompute__`. Persisting needs one more thing: the same collection rebuilt
//! over its computed values (`__dask_postpersist__`).
//!
//! Everything else is written once, here, on top of those four methods: [`compute`],
//! [`compute_with`], [`persist`], [`to_dot`] and [`visualize`]. Tuples and `Vec`s of
//! collections are collections too, so computing several of them at once merges their
//! graphs into one (O(layers)) and runs it once: an input they share is computed once.
//!
//! ```
//! use dask_graph::{Collection, Graph, Key, Layer, Result, SyncScheduler, Value, Values, tokenize};
//! use std::borrow::Cow;
//!
//! /// A collection of one constant.
//! struct Constant(Graph, Key);
//! impl Constant {
//!     fn new(name: &str, v: i64) -> Constant {
//!         let mut layer = Layer::new(name);
//!         layer.data(name, Value::new(v));
//!         Constant(Graph::from_layers([layer]), Key::new(name))
//!     }
//! }
//! impl Collection for Constant {
//!     type Output = i64;
//!     type Error = dask_graph::Error;
//!     type Persisted = Constant;
//!     fn graph(&self) -> Cow<'_, Graph> { Cow::Borrowed(&self.0) }
//!     fn keys(&self) -> Vec<Key> { vec![self.1.clone()] }
//!     fn finalize(&self, values: &mut Values) -> Result<i64> {
//!         values.next_as::<i64>(&self.1)
//!     }
//!     fn persisted(&self, values: &mut Values) -> Result<Constant> {
//!         // A layer's name identifies its contents: a token of the keys it holds.
//!         let layer = values.data_layer(tokenize("persisted", &self.1), &self.keys())?;
//!         Ok(Constant(Graph::from_layers([layer]), self.1.clone()))
//!     }
//! }
//!
//! let (a, b) = (Constant::new("a", 1), Constant::new("b", 2));
//! assert_eq!((&a, &b).compute(&SyncScheduler)?, (1, 2));
//! # Ok::<(), dask_graph::Error>(())
//! ```
//!
//! [`compute`]: Collection::compute
//! [`compute_with`]: Collection::compute_with
//! [`persist`]: Collection::persist
//! [`to_dot`]: Collection::to_dot
//! [`visualize`]: Collection::visualize

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::graph::{Graph, Layer};
use crate::key::Key;
use crate::optimize::Optimizations;
use crate::scheduler::{Callback, Scheduler};
use crate::value::Value;

/// A lazy collection: a graph, the keys of its outputs, and how to finish their values.
///
/// Implement the four required methods; the rest is provided. A collection's keys may
/// repeat keys of another collection computed with it: shared keys are computed once.
pub trait Collection {
    /// What computing gives (an `ndarray`, a number, a `RecordBatch`, a tuple of those).
    type Output;
    /// The error of `finalize` and of every provided method. Graph errors convert into
    /// it; it converts into a graph error so collections of different kinds can be
    /// computed together.
    type Error: From<Error> + Into<Error>;
    /// What persisting gives: the collection itself, backed by its computed values
    /// (for a reference or a tuple of references, the owned collections).
    type Persisted;

    /// The graph that computes [`keys`](Collection::keys) (and possibly more, which
    /// planning culls).
    fn graph(&self) -> Cow<'_, Graph>;

    /// The keys whose values [`finalize`](Collection::finalize) needs, in the order it
    /// takes them.
    fn keys(&self) -> Vec<Key>;

    /// Builds the output from the computed values of [`keys`](Collection::keys), taking
    /// exactly that many from `values`, in order.
    fn finalize(&self, values: &mut Values) -> Result<Self::Output, Self::Error>;

    /// The same collection backed by the computed values of its keys (taking exactly
    /// that many from `values`), so expressions built on it start from the results.
    fn persisted(&self, values: &mut Values) -> Result<Self::Persisted, Self::Error>;

    /// Computes the collection on `scheduler` with every optimization.
    fn compute(&self, scheduler: &dyn Scheduler) -> Result<Self::Output, Self::Error> {
        self.compute_with(scheduler, &Optimizations::all(), &())
    }

    /// Computes the collection with chosen optimizations and callbacks (a progress bar,
    /// a profiler).
    fn compute_with(
        &self,
        scheduler: &dyn Scheduler,
        optimizations: &Optimizations,
        callbacks: &dyn Callback,
    ) -> Result<Self::Output, Self::Error> {
        let mut values = run(self, scheduler, optimizations, callbacks)?;
        self.finalize(&mut values)
    }

    /// Computes the collection and returns it backed by the results: later expressions
    /// built on it start from them instead of recomputing.
    fn persist(&self, scheduler: &dyn Scheduler) -> Result<Self::Persisted, Self::Error> {
        let mut values = run(self, scheduler, &Optimizations::all(), &())?;
        self.persisted(&mut values)
    }

    /// The graph in Graphviz DOT.
    fn to_dot(&self) -> String {
        crate::dot::graph_to_dot(&self.graph())
    }

    /// Renders the graph to `path` (SVG, PNG, ... by its extension) with Graphviz's
    /// `dot`; the error says so when `dot` is not installed.
    fn visualize(&self, path: impl AsRef<Path>) -> Result<(), Self::Error>
    where
        Self: Sized,
    {
        Ok(crate::dot::render_to_file(&self.to_dot(), path.as_ref())?)
    }
}

/// Plans and executes a collection's keys, checking that the scheduler returned one
/// value per key.
fn run<C: Collection + ?Sized>(
    what: &C,
    scheduler: &dyn Scheduler,
    optimizations: &Optimizations,
    callbacks: &dyn Callback,
) -> Result<Values> {
    let keys = what.keys();
    let graph = crate::context::building_for(scheduler, || what.graph());
    let values =
        crate::scheduler::compute_with(&graph, &keys, scheduler, optimizations, callbacks)?;
    drop(graph);
    if values.len() != keys.len() {
        return Err(Error::Scheduler {
            scheduler: scheduler.name().to_string(),
            message: format!(
                "{} value(s) returned for {} requested key(s)",
                values.len(),
                keys.len()
            ),
        });
    }
    Ok(Values::new(values))
}

/// The computed values of a collection's keys, handed to [`Collection::finalize`] and
/// [`Collection::persisted`] in key order; each part of a tuple takes its own.
#[derive(Debug)]
pub struct Values {
    values: std::vec::IntoIter<Value>,
}

impl Values {
    /// Values in key order.
    pub fn new(values: Vec<Value>) -> Values {
        Values {
            values: values.into_iter(),
        }
    }

    /// How many are left.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether none are left.
    pub fn is_empty(&self) -> bool {
        self.values.len() == 0
    }

    /// The next value (an error if a collection asks for more values than it has keys).
    pub fn next_value(&mut self) -> Result<Value> {
        self.values.next().ok_or_else(|| Error::InvalidArgument {
            what: "finalize".into(),
            message: "a collection asked for more values than it has keys".into(),
        })
    }

    /// The next `n` values.
    pub fn take(&mut self, n: usize) -> Result<Vec<Value>> {
        (0..n).map(|_| self.next_value()).collect()
    }

    /// The next value as a `T` (moved out when nothing else holds it, cloned
    /// otherwise); `key` names it in the error if it has another type.
    pub fn next_as<T: Clone + Send + Sync + 'static>(&mut self, key: &Key) -> Result<T> {
        let value = self.next_value()?;
        value.take::<T>().map_err(|m| Error::InvalidArgument {
            what: "finalize".into(),
            message: format!("the value of {key} has the wrong type: {m}"),
        })
    }

    /// A layer `name` holding the next `keys.len()` values as data under `keys`: what a
    /// persisted collection's graph is made of.
    pub fn data_layer(&mut self, name: impl Into<Arc<str>>, keys: &[Key]) -> Result<Layer> {
        let mut layer = Layer::with_capacity(name, keys.len());
        for key in keys {
            layer.data(key.clone(), self.next_value()?);
        }
        Ok(layer)
    }
}

impl<C: Collection + ?Sized> Collection for &C {
    type Output = C::Output;
    type Error = C::Error;
    type Persisted = C::Persisted;
    fn graph(&self) -> Cow<'_, Graph> {
        (**self).graph()
    }
    fn keys(&self) -> Vec<Key> {
        (**self).keys()
    }
    fn finalize(&self, values: &mut Values) -> Result<C::Output, C::Error> {
        (**self).finalize(values)
    }
    fn persisted(&self, values: &mut Values) -> Result<C::Persisted, C::Error> {
        (**self).persisted(values)
    }
}

impl<C: Collection> Collection for Vec<C> {
    type Output = Vec<C::Output>;
    type Error = C::Error;
    type Persisted = Vec<C::Persisted>;
    fn graph(&self) -> Cow<'_, Graph> {
        let mut graph = Graph::new();
        for c in self {
            graph.merge(&c.graph());
        }
        Cow::Owned(graph)
    }
    fn keys(&self) -> Vec<Key> {
        self.iter().flat_map(Collection::keys).collect()
    }
    fn finalize(&self, values: &mut Values) -> Result<Vec<C::Output>, C::Error> {
        self.iter().map(|c| c.finalize(values)).collect()
    }
    fn persisted(&self, values: &mut Values) -> Result<Vec<C::Persisted>, C::Error> {
        self.iter().map(|c| c.persisted(values)).collect()
    }
}

macro_rules! tuple_collection {
    ($($t:ident $i:tt),+) => {
        /// Several collections of any kinds, computed in one merged graph; errors meet in
        /// the graph's [`Error`].
        impl<$($t: Collection),+> Collection for ($($t,)+) {
            type Output = ($($t::Output,)+);
            type Error = Error;
            type Persisted = ($($t::Persisted,)+);
            fn graph(&self) -> Cow<'_, Graph> {
                let mut graph = Graph::new();
                $(graph.merge(&self.$i.graph());)+
                Cow::Owned(graph)
            }
            fn keys(&self) -> Vec<Key> {
                let mut keys = Vec::new();
                $(keys.extend(self.$i.keys());)+
                keys
            }
            fn finalize(&self, values: &mut Values) -> Result<Self::Output> {
                Ok(($(self.$i.finalize(values).map_err(Into::into)?,)+))
            }
            fn persisted(&self, values: &mut Values) -> Result<Self::Persisted> {
                Ok(($(self.$i.persisted(values).map_err(Into::into)?,)+))
            }
        }
    };
}

tuple_collection!(A 0);
tuple_collection!(A 0, B 1);
tuple_collection!(A 0, B 1, C 2);
tuple_collection!(A 0, B 1, C 2, D 3);
tuple_collection!(A 0, B 1, C 2, D 3, E 4);
tuple_collection!(A 0, B 1, C 2, D 3, E 4, F 5);
