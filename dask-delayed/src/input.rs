//! What a delayed function can be called with: plain values, `Delayed`s, or a `Vec` of
//! `Delayed`s for a parameter of type `Vec<T>`.

use dask_graph::{Arg, ArgError, Args, Data, Graph, Key, Value};

use crate::Delayed;

/// Rebuilds a parameter from the task's arguments `start..start + len`.
pub type Extract<T> = fn(&mut Args, usize, usize) -> Result<T, ArgError>;

/// One parameter of a call: its task arguments, the graphs they come from, and how to
/// turn them back into the parameter's type.
pub struct Input<T> {
    pub(crate) args: Vec<Arg>,
    pub(crate) graphs: Vec<Graph>,
    pub(crate) extract: Extract<T>,
    /// Several task arguments gathered into one `Vec` parameter.
    pub(crate) many: bool,
}

/// Something that can be passed where a delayed function takes a `T`.
pub trait IntoInput<T> {
    /// The parameter's task arguments.
    fn into_input(self) -> Input<T>;
}

fn take_one<T: Clone + Send + Sync + 'static>(
    args: &mut Args,
    start: usize,
    _len: usize,
) -> Result<T, ArgError> {
    args.take::<T>(start)
}

fn take_many<T: Clone + Send + Sync + 'static>(
    args: &mut Args,
    start: usize,
    len: usize,
) -> Result<Vec<T>, ArgError> {
    (start..start + len).map(|i| args.take::<T>(i)).collect()
}

/// A plain value, passed as a literal.
impl<T: Data + Clone> IntoInput<T> for T {
    fn into_input(self) -> Input<T> {
        Input {
            args: vec![Arg::Literal(Value::new(self))],
            graphs: Vec::new(),
            extract: take_one::<T>,
            many: false,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> IntoInput<T> for Delayed<T> {
    fn into_input(self) -> Input<T> {
        Input {
            args: vec![Arg::Key(self.key)],
            graphs: vec![self.graph],
            extract: take_one::<T>,
            many: false,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> IntoInput<T> for &Delayed<T> {
    fn into_input(self) -> Input<T> {
        self.clone().into_input()
    }
}

/// Several delayed values for one `Vec<T>` parameter (Dask's `summarize(L)`).
impl<T: Clone + Send + Sync + 'static> IntoInput<Vec<T>> for Vec<Delayed<T>> {
    fn into_input(self) -> Input<Vec<T>> {
        let mut args = Vec::with_capacity(self.len());
        let mut graphs = Vec::with_capacity(self.len());
        for d in self {
            args.push(Arg::Key(d.key));
            graphs.push(d.graph);
        }
        Input {
            args,
            graphs,
            extract: take_many::<T>,
            many: true,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> IntoInput<Vec<T>> for &[Delayed<T>] {
    fn into_input(self) -> Input<Vec<T>> {
        self.to_vec().into_input()
    }
}

/// The keys referred to by `args` (for deterministic keys).
pub(crate) fn arg_keys(args: &[Arg]) -> Vec<Key> {
    args.iter()
        .filter_map(|a| match a {
            Arg::Key(k) => Some(k.clone()),
            Arg::Literal(_) => None,
        })
        .collect()
}
