//! Tasks, arguments and graph nodes.
//!
//! Dependencies are explicit: an argument is either a reference to another key or a
//! literal value, never a value that happens to look like a key (Dask moved away from
//! tuple-encoded tasks for exactly this reason). A node is a task, a data value, an alias
//! of another key, or a fused task — a short program of steps produced by the
//! optimizations, each step remembering the key it came from so errors can name it.

use crate::key::Key;
use crate::op::Op;
use crate::value::Value;

/// One argument of a task.
#[derive(Clone, Debug)]
pub enum Arg {
    /// The result of another task (a dependency).
    Key(Key),
    /// A literal value (a parameter such as an axis or a slice).
    Literal(Value),
}

impl From<Key> for Arg {
    fn from(k: Key) -> Arg {
        Arg::Key(k)
    }
}

impl From<&Key> for Arg {
    fn from(k: &Key) -> Arg {
        Arg::Key(k.clone())
    }
}

impl From<Value> for Arg {
    fn from(v: Value) -> Arg {
        Arg::Literal(v)
    }
}

/// An operation applied to arguments.
#[derive(Clone, Debug)]
pub struct Task {
    /// The function.
    pub op: Op,
    /// Its arguments, in order.
    pub args: Vec<Arg>,
}

impl Task {
    /// A task calling `op` on `args`.
    pub fn new(op: impl Into<Op>, args: Vec<Arg>) -> Task {
        Task {
            op: op.into(),
            args,
        }
    }
}

/// An argument of a fused step.
#[derive(Clone, Debug)]
pub enum StepArg {
    /// The result of a task outside the fused task.
    Key(Key),
    /// A literal value.
    Literal(Value),
    /// The result of an earlier step of the same fused task.
    Step(usize),
}

/// One step of a fused task.
#[derive(Clone, Debug)]
pub struct Step {
    /// The key the step had before fusion (named in errors).
    pub key: Key,
    /// The function.
    pub op: Op,
    /// Its arguments.
    pub args: Vec<StepArg>,
}

/// Several tasks fused into one: steps run in order, the last step's result is the
/// fused task's result. Produced by [`fuse_linear`](crate::optimize::fuse_linear) and
/// [`inline`](crate::optimize::inline).
#[derive(Clone, Debug)]
pub struct Fused {
    /// The steps, each referring only to earlier steps.
    pub steps: Vec<Step>,
}

/// A node of a graph.
#[derive(Clone, Debug)]
pub enum Node {
    /// A task to run.
    Task(Task),
    /// A value known up front.
    Data(Value),
    /// Another name for an existing key.
    Alias(Key),
    /// A fused task.
    Fused(Fused),
}

impl Node {
    /// Calls `f` on every key this node depends on, in argument order (a key used twice
    /// is reported twice).
    pub fn for_each_dependency<'a>(&'a self, mut f: impl FnMut(&'a Key)) {
        match self {
            Node::Task(t) => {
                for a in &t.args {
                    if let Arg::Key(k) = a {
                        f(k)
                    }
                }
            }
            Node::Data(_) => {}
            Node::Alias(k) => f(k),
            Node::Fused(fz) => {
                for s in &fz.steps {
                    for a in &s.args {
                        if let StepArg::Key(k) = a {
                            f(k)
                        }
                    }
                }
            }
        }
    }

    /// The distinct keys this node depends on, in first-use order.
    pub fn dependencies(&self) -> Vec<Key> {
        let mut all: Vec<&Key> = Vec::new();
        self.for_each_dependency(|k| all.push(k));
        if all.len() <= 16 {
            let mut out: Vec<Key> = Vec::with_capacity(all.len());
            for k in all {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
            out
        } else {
            let mut seen: crate::KeyMap<()> = crate::KeyMap::default();
            all.into_iter()
                .filter(|k| seen.insert((*k).clone(), ()).is_none())
                .cloned()
                .collect()
        }
    }

    /// A short description for messages and pictures: the operation name, `data` or
    /// `alias`.
    pub fn label(&self) -> String {
        match self {
            Node::Task(t) => t.op.name().to_string(),
            Node::Data(v) => format!("data<{}>", v.type_name()),
            Node::Alias(_) => "alias".to_string(),
            Node::Fused(fz) => fz
                .steps
                .iter()
                .map(|s| s.op.name())
                .collect::<Vec<_>>()
                .join("+"),
        }
    }
}

impl From<Task> for Node {
    fn from(t: Task) -> Node {
        Node::Task(t)
    }
}
