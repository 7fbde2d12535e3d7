//! The executable form of a node: a short program of steps.
//!
//! Every node of a [`Plan`](crate::Plan) — a task, a data value, an alias, or several
//! tasks fused by the optimizations — compiles to one `Program`, so schedulers have one
//! thing to run. Arguments refer to the task's dependencies by position, to literals, or
//! to earlier steps; each reference knows whether it is the last use, so the program
//! hands over (rather than clones) a value the first time it can, letting operations
//! take their inputs by value without copying.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Error, Result};
use crate::key::Key;
use crate::op::{Args, Op};
use crate::value::Value;

#[derive(Clone, Debug)]
pub(crate) enum PArg {
    /// In the IR: another node, by id. Replaced by `Dep` when the plan is finalised.
    Node(u32),
    /// The `i`-th dependency of the task.
    Dep { i: u32, last: bool },
    /// A literal.
    Literal(Value),
    /// The result of an earlier step.
    Step { j: u32, last: bool },
}

#[derive(Clone, Debug)]
pub(crate) struct PStep {
    pub key: Key,
    pub op: Op,
    pub args: Vec<PArg>,
}

#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub steps: Vec<PStep>,
}

impl Program {
    pub fn single(key: Key, op: Op, args: Vec<PArg>) -> Program {
        Program {
            steps: vec![PStep { key, op, args }],
        }
    }

    /// Marks the last use of each dependency and step (scanning backwards).
    pub fn mark_last_uses(&mut self, ndeps: usize) {
        let mut dep_seen = vec![false; ndeps];
        let mut step_seen = vec![false; self.steps.len()];
        for step in self.steps.iter_mut().rev() {
            for a in step.args.iter_mut().rev() {
                match a {
                    PArg::Dep { i, last } => {
                        *last = !std::mem::replace(&mut dep_seen[*i as usize], true);
                    }
                    PArg::Step { j, last } => {
                        *last = !std::mem::replace(&mut step_seen[*j as usize], true);
                    }
                    PArg::Node(_) | PArg::Literal(_) => {}
                }
            }
        }
    }

    /// Whether every step is a cheap operation.
    pub fn is_cheap(&self) -> bool {
        self.steps.iter().all(|s| s.op.is_cheap())
    }

    /// The first closure operation, with its step's key.
    pub fn first_local(&self) -> Option<(&Key, &Op)> {
        self.steps
            .iter()
            .find(|s| s.op.is_local())
            .map(|s| (&s.key, &s.op))
    }

    /// Runs the program on the task's dependency values (in dependency order).
    pub fn run(&self, task: &Key, mut inputs: Vec<Value>) -> Result<Value> {
        if let [step] = self.steps.as_slice() {
            let args = gather(&step.args, &mut inputs, &mut []);
            return call(step, task, args);
        }
        let mut results: Vec<Option<Value>> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let args = gather(&step.args, &mut inputs, &mut results);
            results.push(Some(call(step, task, args)?));
        }
        Ok(results
            .pop()
            .flatten()
            .expect("a program has at least one step and its last result is never taken"))
    }
}

fn placeholder() -> Value {
    static TAKEN: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    TAKEN.get_or_init(|| Value::opaque(())).clone()
}

fn gather(args: &[PArg], inputs: &mut [Value], results: &mut [Option<Value>]) -> Args {
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        values.push(match a {
            PArg::Dep { i, last: true } => {
                std::mem::replace(&mut inputs[*i as usize], placeholder())
            }
            PArg::Dep { i, last: false } => inputs[*i as usize].clone(),
            PArg::Literal(v) => v.clone(),
            PArg::Step { j, last: true } => results[*j as usize]
                .take()
                .expect("a step result is taken only at its last use"),
            PArg::Step { j, last: false } => results[*j as usize]
                .clone()
                .expect("a step result is present until its last use"),
            PArg::Node(_) => unreachable!("plans are finalised before they run"),
        });
    }
    Args::new(values)
}

fn call(step: &PStep, task: &Key, args: Args) -> Result<Value> {
    let fused_into = (step.key != *task).then_some(task);
    call_op(&step.key, &step.op, fused_into, args)
}

/// Calls `op` for the task `key`, catching panics and naming the task in errors.
pub(crate) fn call_op(key: &Key, op: &Op, fused_into: Option<&Key>, args: Args) -> Result<Value> {
    match catch_unwind(AssertUnwindSafe(|| op.call(args))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(Error::TaskFailed {
            key: key.clone(),
            op: op.name().to_string(),
            fused_into: fused_into.cloned(),
            source,
        }),
        Err(payload) => Err(Error::TaskPanicked {
            key: key.clone(),
            op: op.name().to_string(),
            fused_into: fused_into.cloned(),
            message: panic_message(payload.as_ref()),
        }),
    }
}

/// The message of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
