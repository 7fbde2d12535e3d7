//! What a collection building its graph may know about the compute it builds for.
//!
//! Graphs are built when a collection is computed, and some choices are better made
//! knowing the scheduler: a shuffle of more data than the scheduler may hold goes
//! through files instead of through task results. [`Collection`](crate::Collection)'s
//! provided methods build the graph inside [`building_for`], so graph builders can
//! ask [`memory_limit_hint`]. Outside a compute (building a graph to draw it, say) the
//! hint is `None`. Keys never depend on the hint, only how they are computed.

use std::cell::Cell;

use crate::scheduler::Scheduler;

thread_local! {
    static MEMORY_LIMIT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `build` with [`memory_limit_hint`] giving `scheduler`'s memory limit, restoring
/// the previous hint afterwards (builds nest).
pub fn building_for<R>(scheduler: &dyn Scheduler, build: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            MEMORY_LIMIT.with(|m| m.set(self.0));
        }
    }
    let _restore = Restore(MEMORY_LIMIT.with(|m| m.replace(scheduler.memory_limit())));
    build()
}

/// The memory limit of the scheduler the graph being built will run on, if it has one
/// (see [`Scheduler::memory_limit`]).
pub fn memory_limit_hint() -> Option<u64> {
    MEMORY_LIMIT.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Callback, Plan, Result, Value};

    struct Limited(Option<u64>);
    impl Scheduler for Limited {
        fn name(&self) -> &str {
            "limited"
        }
        fn execute(&self, _plan: &Plan, _callbacks: &dyn Callback) -> Result<Vec<Value>> {
            Ok(Vec::new())
        }
        fn memory_limit(&self) -> Option<u64> {
            self.0
        }
    }

    #[test]
    fn the_hint_holds_inside_the_build_only_and_nests() {
        assert_eq!(memory_limit_hint(), None);
        let seen = building_for(&Limited(Some(5)), || {
            let inner = building_for(&Limited(Some(7)), memory_limit_hint);
            (memory_limit_hint(), inner)
        });
        assert_eq!(seen, (Some(5), Some(7)));
        assert_eq!(memory_limit_hint(), None);
    }
}
