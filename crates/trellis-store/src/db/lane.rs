//! The writer's lane: a thread of its own that drives SQLite write transactions.
//!
//! SQLite has one writer, and a write transaction holds it across every statement's round
//! trip to the connection's thread. When the task driving the transaction shares the runtime
//! with request handling, each statement's answer waits in the run queue behind other
//! requests' work (parsing, rendering, matching) while the one writer idles. Measured with
//! `trellis bench deals` on 2 cores: about 940 registrations/s with the transaction driven in
//! the request's task, about 1,300/s driven here. (Asking the runtime to look at its shared
//! queue more often did not help: the woken task still waits for a worker to finish its
//! current request.)

use std::future::Future;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// A single-threaded runtime on its own OS thread, alive while the `Lane` is.
#[derive(Debug)]
pub struct Lane {
    handle: Handle,
    /// Dropping it ends the thread's `block_on`, and with it the runtime.
    _stop: oneshot::Sender<()>,
}

impl Lane {
    /// Starts the thread.
    pub(crate) fn start() -> std::io::Result<Self> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("trellis-writer".to_owned())
            .spawn(move || {
                // Either a send or the sender's drop ends the wait; both mean stop.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }

    /// Runs `work` to completion on the lane. It completes even if the caller stops waiting
    /// (a client that hangs up): a write is never cut off between two statements.
    ///
    /// # Panics
    ///
    /// Passes on a panic of `work`.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> T {
        match self.handle.spawn(work).await {
            Ok(value) => value,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime lives as long as `self`, which the caller borrows: nothing else
            // cancels a task.
            Err(e) => unreachable!("the writer lane dropped a task: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[expect(clippy::panic, reason = "the panic is what is tested")]
    async fn work_runs_on_the_lane_thread_and_panics_reach_the_caller() {
        let lane = Lane::start().unwrap();
        let name = lane
            .run(async { std::thread::current().name().map(str::to_owned) })
            .await;
        assert_eq!(name.as_deref(), Some("trellis-writer"));
        let handle = tokio::spawn(async move {
            lane.run(async { panic!("boom") }).await;
        });
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
    }

    #[tokio::test]
    async fn work_finishes_when_the_caller_stops_waiting() {
        let lane = Lane::start().unwrap();
        let (done, finished) = oneshot::channel();
        let waiting = lane.run(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            done.send(()).unwrap();
        });
        // The caller gives up at once.
        drop(tokio::time::timeout(std::time::Duration::from_millis(1), waiting).await);
        finished.await.unwrap();
    }
}
