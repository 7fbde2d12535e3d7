//! A progress bar for computes (`indicatif`), as a [`Callback`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use dask_graph::{Callback, Key, Plan};
use indicatif::{ProgressDrawTarget, ProgressStyle};

/// Shows completed/total tasks and the elapsed time of a compute on stderr.
///
/// Like Python Dask's `ProgressBar(minimum=...)`, nothing is drawn for computes shorter
/// than [`ProgressBar::minimum`] (half a second by default). On success the bar is
/// drawn at 100% and left on screen; on failure it stops where it was, marked
/// "failed". When stderr is not a terminal nothing is drawn at all, so logs and piped
/// output are never filled with control sequences.
///
/// ```
/// use dask_diagnostics::ProgressBar;
/// use dask_graph::{compute_with, testing::tree_sum_graph, Key, Optimizations, SyncScheduler};
/// let bar = ProgressBar::new();
/// let out = compute_with(&tree_sum_graph(100), &[Key::new("total")], &SyncScheduler, &Optimizations::all(), &bar)?;
/// # Ok::<(), dask_graph::Error>(())
/// ```
pub struct ProgressBar {
    minimum: Duration,
    /// Drawing on the process's stderr (not a custom target).
    on_stderr: bool,
    target: Box<dyn Fn() -> ProgressDrawTarget + Send + Sync>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    total: u64,
    done: u64,
    started: Option<Instant>,
    bar: Option<indicatif::ProgressBar>,
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new()
    }
}

impl ProgressBar {
    /// A bar on stderr that appears after half a second.
    pub fn new() -> ProgressBar {
        ProgressBar {
            minimum: Duration::from_millis(500),
            on_stderr: true,
            target: Box::new(ProgressDrawTarget::stderr),
            state: Mutex::new(State::default()),
        }
    }

    /// Draws nothing for computes shorter than `minimum`.
    pub fn with_minimum(mut self, minimum: Duration) -> ProgressBar {
        self.minimum = minimum;
        self
    }

    /// Draws on the targets `make` returns (one per compute) instead of stderr — for
    /// tests, or to draw into a log.
    pub fn with_draw_target(
        mut self,
        make: impl Fn() -> ProgressDrawTarget + Send + Sync + 'static,
    ) -> ProgressBar {
        self.target = Box::new(make);
        self.on_stderr = false;
        self
    }

    /// The delay before the bar appears.
    pub fn minimum(&self) -> Duration {
        self.minimum
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn make_bar(&self, total: u64, elapsed: Duration) -> indicatif::ProgressBar {
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), (self.target)())
            .with_elapsed(elapsed);
        // The template is a constant known to parse; fall back to the default style.
        if let Ok(style) = ProgressStyle::with_template(
            "[{elapsed_precise}] {bar:40} {pos}/{len} tasks ({percent}%) {msg}",
        ) {
            bar.set_style(style.progress_chars("#>-"));
        }
        bar
    }
}

impl Callback for ProgressBar {
    fn start(&self, plan: &Plan) {
        *self.state() = State {
            total: plan.len() as u64,
            done: 0,
            started: Some(Instant::now()),
            bar: None,
        };
    }

    fn posttask(&self, _key: &Key, _worker: usize, _elapsed: Duration, _nbytes: usize) {
        let mut st = self.state();
        st.done += 1;
        let elapsed = st.started.map_or(Duration::ZERO, |t| t.elapsed());
        if st.bar.is_none() && elapsed >= self.minimum {
            st.bar = Some(self.make_bar(st.total, elapsed));
        }
        if let Some(bar) = &st.bar {
            bar.set_position(st.done);
        }
    }

    fn finish(&self, ok: bool) {
        let mut st = self.state();
        let elapsed = st.started.map_or(Duration::ZERO, |t| t.elapsed());
        if st.bar.is_none() && elapsed >= self.minimum {
            st.bar = Some(self.make_bar(st.total, elapsed));
        }
        if let Some(bar) = st.bar.take() {
            if ok {
                bar.set_position(st.total);
                bar.finish();
            } else {
                bar.set_position(st.done);
                bar.abandon_with_message("failed");
            }
            // The final bar stays on screen; what is printed next starts on a new line.
            if self.on_stderr && !bar.is_hidden() {
                eprintln!();
            }
        }
    }
}
