//! Choosing a scheduler at compute time: by value, by name, for a scope, or from the
//! `DASK_SCHEDULER` environment variable.
//!
//! Precedence, as in Python Dask (`compute(scheduler=...)` over `dask.config.set` over
//! the configuration): an explicit argument, then the innermost [`use_scheduler`] scope
//! of the current thread, then `DASK_SCHEDULER`, then `"threads"`. The named threaded
//! and process schedulers are process-wide pools started on first use.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use dask_graph::{Error, Result, Scheduler, SyncScheduler};
use dask_sched_procs::ProcessScheduler;
use dask_sched_threads::ThreadScheduler;

/// The names [`scheduler_by_name`] knows.
pub const SCHEDULER_NAMES: [&str; 3] = ["sync", "threads", "processes"];

/// The environment variable naming the default scheduler.
pub const SCHEDULER_ENV: &str = "DASK_SCHEDULER";

/// A scheduler to compute with, shareable across threads.
pub type SchedulerHandle = Arc<dyn Scheduler>;

thread_local! {
    static SCOPED: RefCell<Vec<SchedulerHandle>> = const { RefCell::new(Vec::new()) };
}

/// The scheduler called `name`: `"sync"`, `"threads"` (the shared thread pool, one
/// worker per core) or `"processes"` (the shared process pool, one worker per core).
/// Any other name is an error listing the known ones.
///
/// ```
/// let s = dask::scheduler_by_name("sync")?;
/// assert_eq!(s.name(), "sync");
/// let err = dask::scheduler_by_name("gpu").err().map(|e| e.to_string()).unwrap_or_default();
/// assert!(err.contains("gpu") && err.contains("threads"));
/// # Ok::<(), dask::graph::Error>(())
/// ```
pub fn scheduler_by_name(name: &str) -> Result<SchedulerHandle> {
    match name.trim().to_ascii_lowercase().as_str() {
        "sync" | "synchronous" | "single-threaded" => Ok(Arc::new(SyncScheduler)),
        "threads" | "threading" => Ok(Arc::new(ThreadScheduler::global()?)),
        "processes" | "multiprocessing" => global_processes(),
        _ => Err(Error::Scheduler {
            scheduler: name.to_string(),
            message: format!(
                "unknown scheduler `{name}`; the known ones are {}",
                SCHEDULER_NAMES.map(|n| format!("`{n}`")).join(", ")
            ),
        }),
    }
}

fn global_processes() -> Result<SchedulerHandle> {
    static GLOBAL: Mutex<Option<Arc<ProcessScheduler>>> = Mutex::new(None);
    let mut global = GLOBAL.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = &*global {
        return Ok(Arc::clone(s) as SchedulerHandle);
    }
    let s = Arc::new(ProcessScheduler::with_available_cores()?);
    *global = Some(Arc::clone(&s));
    Ok(s)
}

/// The scheduler a compute without an explicit one uses: the innermost
/// [`use_scheduler`] scope, else `DASK_SCHEDULER`, else `"threads"`.
pub fn default_scheduler() -> Result<SchedulerHandle> {
    if let Some(s) = SCOPED.with(|s| s.borrow().last().cloned()) {
        return Ok(s);
    }
    match std::env::var(SCHEDULER_ENV) {
        Ok(name) if !name.trim().is_empty() => scheduler_by_name(&name).map_err(|e| match e {
            Error::Scheduler { scheduler, message } => Error::Scheduler {
                scheduler,
                message: format!("{message} (from the {SCHEDULER_ENV} environment variable)"),
            },
            other => other,
        }),
        _ => scheduler_by_name("threads"),
    }
}

/// Something that names or is a scheduler: a name (`"sync"`), or a scheduler value.
pub trait IntoScheduler {
    /// The scheduler.
    fn into_scheduler(self) -> Result<SchedulerHandle>;
}

impl IntoScheduler for &str {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        scheduler_by_name(self)
    }
}

impl IntoScheduler for String {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        scheduler_by_name(&self)
    }
}

impl IntoScheduler for SchedulerHandle {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        Ok(self)
    }
}

impl IntoScheduler for SyncScheduler {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        Ok(Arc::new(self))
    }
}

impl IntoScheduler for ThreadScheduler {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        Ok(Arc::new(self))
    }
}

impl IntoScheduler for Arc<ProcessScheduler> {
    fn into_scheduler(self) -> Result<SchedulerHandle> {
        Ok(self)
    }
}

/// Makes `scheduler` the default for computes on this thread until the returned guard
/// is dropped (scopes nest; the innermost wins).
///
/// ```
/// let _sync = dask::use_scheduler("sync")?;
/// assert_eq!(dask::default_scheduler()?.name(), "sync");
/// # Ok::<(), dask::graph::Error>(())
/// ```
pub fn use_scheduler(scheduler: impl IntoScheduler) -> Result<ScopeGuard> {
    let s = scheduler.into_scheduler()?;
    SCOPED.with(|v| v.borrow_mut().push(s));
    Ok(ScopeGuard {
        _not_send: std::marker::PhantomData,
    })
}

/// Ends a [`use_scheduler`] scope when dropped. It must be dropped on the thread that
/// made it (it is not `Send`).
#[must_use = "the scope ends when the guard is dropped"]
pub struct ScopeGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPED.with(|v| {
            v.borrow_mut().pop();
        });
    }
}
