//! User functions over blocks: `map_blocks`, `map_overlap` (with neighbours' margins)
//! and `blockwise` (index notation over several arrays).
//!
//! Each comes in two forms: a closure, convenient but runnable by in-process schedulers
//! only (the process scheduler refuses the graph up front, naming the task), and a
//! registered operation, which runs on every scheduler. Either way every block a user
//! function makes is checked against the chunks the output declares (`map_blocks`'s
//! `checked` and `check_blocks`), so a wrong shape fails `compute` naming the block
//! instead of giving a silently wrong array.

mod blockwise;
mod map_blocks;
mod overlap;

pub use blockwise::{blockwise, blockwise_op};
pub use overlap::Boundary;
