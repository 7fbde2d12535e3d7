//! The ready queue of one run: the priorities of tasks whose inputs are all computed.
//!
//! Two parts. The tasks ready at the start (the graph's roots: in a reduction, every
//! input block) are a sorted array claimed through an atomic cursor, so taking one is a
//! compare-and-swap, not a lock. Tasks that become ready later go to a binary min-heap
//! under a mutex, whose minimum is mirrored in an atomic. A worker can therefore decide
//! without any lock whether the task it has just unlocked beats everything queued (the
//! common depth-first case, which then never touches the queue at all). Priorities are
//! positions in [`Plan::order`], so they are distinct and the task id is
//! `order[priority]`.
//!
//! [`Plan::order`]: dask_graph::Plan::order

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::lock;

/// The value of [`ReadyQueue::min`] when the queue is empty.
pub(crate) const EMPTY: u32 = u32::MAX;

/// A min-queue of task priorities, shared by the workers of one run.
pub(crate) struct ReadyQueue {
    /// Priorities ready at the start, ascending; `roots[cursor..]` are still queued.
    roots: Box<[u32]>,
    cursor: AtomicUsize,
    heap: Mutex<BinaryHeap<Reverse<u32>>>,
    /// The smallest priority in `heap`, or [`EMPTY`]. Written under the lock.
    heap_min: AtomicU32,
}

impl ReadyQueue {
    /// A queue holding `roots`, which must be in ascending order.
    pub(crate) fn new(roots: Vec<u32>) -> ReadyQueue {
        debug_assert!(roots.windows(2).all(|w| w[0] < w[1]));
        ReadyQueue {
            roots: roots.into_boxed_slice(),
            cursor: AtomicUsize::new(0),
            heap: Mutex::new(BinaryHeap::new()),
            heap_min: AtomicU32::new(EMPTY),
        }
    }

    /// The next unclaimed root and its position, or [`EMPTY`].
    fn next_root(&self) -> (usize, u32) {
        let at = self.cursor.load(Ordering::SeqCst);
        (at, self.roots.get(at).copied().unwrap_or(EMPTY))
    }

    /// The smallest queued priority ([`EMPTY`] when there is none), read without locking.
    /// Sequentially consistent: it pairs with the idle flags of waiting threads.
    pub(crate) fn min(&self) -> u32 {
        self.next_root().1.min(self.heap_min.load(Ordering::SeqCst))
    }

    /// Whether nothing is queued (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.min() == EMPTY
    }

    /// Takes the smallest priority.
    pub(crate) fn pop(&self) -> Option<u32> {
        loop {
            let (at, root) = self.next_root();
            let heaped = self.heap_min.load(Ordering::SeqCst);
            if root == EMPTY && heaped == EMPTY {
                return None;
            }
            if root < heaped {
                if self
                    .cursor
                    .compare_exchange(at, at + 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    return Some(root);
                }
                continue; // another worker took it
            }
            let mut heap = lock(&self.heap);
            if let Some(Reverse(top)) = heap.pop() {
                self.publish(&heap);
                return Some(top);
            }
            // Emptied by another worker in between: look again.
        }
    }

    /// Adds `priorities`.
    pub(crate) fn push(&self, priorities: &[u32]) {
        let mut heap = lock(&self.heap);
        heap.extend(priorities.iter().copied().map(Reverse));
        self.publish(&heap);
    }

    /// Adds `priorities` and takes the smallest of everything — under one lock when the
    /// heap holds it, which is the usual case.
    pub(crate) fn push_pop(&self, priorities: &[u32]) -> Option<u32> {
        {
            let mut heap = lock(&self.heap);
            heap.extend(priorities.iter().copied().map(Reverse));
            let (_, root) = self.next_root();
            if let Some(&Reverse(top)) = heap.peek()
                && top < root
            {
                heap.pop();
                self.publish(&heap);
                return Some(top);
            }
            self.publish(&heap);
        }
        self.pop()
    }

    /// Drops everything queued (after a failure).
    pub(crate) fn clear(&self) {
        self.cursor.store(self.roots.len(), Ordering::SeqCst);
        let mut heap = lock(&self.heap);
        heap.clear();
        self.publish(&heap);
    }

    fn publish(&self, heap: &BinaryHeap<Reverse<u32>>) {
        self.heap_min
            .store(heap.peek().map_or(EMPTY, |r| r.0), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_priority_order() {
        let q = ReadyQueue::new(vec![1, 5, 9]);
        assert_eq!(q.min(), 1);
        q.push(&[3, 0]);
        assert_eq!(q.min(), 0);
        assert_eq!(q.push_pop(&[2]), Some(0));
        let mut got = Vec::new();
        while let Some(p) = q.pop() {
            got.push(p);
        }
        assert_eq!(got, [1, 2, 3, 5, 9]);
        assert!(q.is_empty());
        assert_eq!(q.min(), EMPTY);
    }

    #[test]
    fn clear_empties() {
        let q = ReadyQueue::new(vec![2, 4]);
        q.push(&[3]);
        q.clear();
        assert_eq!(q.pop(), None);
        assert_eq!(q.push_pop(&[]), None);
    }
}
