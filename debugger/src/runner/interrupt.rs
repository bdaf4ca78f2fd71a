//! Interrupts and limits of a run: an outside flag forwarded to the store,
//! the `--timeout` watchdog, the process's CPU time.

use super::*;

/// Raises a store's interrupt flag when an outside flag is raised, until
/// dropped (see [`forward_interrupt`]).
pub struct ForwardInterrupt {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ForwardInterrupt {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `--timeout`: a thread that raises the interrupt flag when the time is up,
/// unless the run ended first.
pub(crate) struct Timeout {
    cancel: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<bool>>,
}

impl Timeout {
    pub(crate) fn start(
        after: Option<Duration>,
        flag: wdb_engine::runtime::InterruptHandle,
    ) -> Timeout {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = after.map(|d| {
            std::thread::spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(d) {
                    flag.store(true, Ordering::SeqCst);
                    true
                } else {
                    false
                }
            })
        });
        Timeout { cancel, thread }
    }

    /// Stop the clock: whether the time ran out before.
    pub(crate) fn fired(self) -> bool {
        let _ = self.cancel.send(());
        self.thread.is_some_and(|t| t.join().unwrap_or(false))
    }

    /// Stop the clock: whether a run that ended with `outcome` timed out
    /// (the time ran out and the run stopped for it).
    pub(crate) fn fired_for(self, outcome: &RunOutcome) -> bool {
        self.fired() && matches!(outcome, RunOutcome::Paused(PauseReason::Interrupted))
    }
}

/// Watch `from` (polled every 20 ms) and raise `to` when it goes up: an
/// outside stop, such as the REPL's Ctrl-C, for a store made inside a run.
pub fn forward_interrupt(
    from: Arc<AtomicBool>,
    to: wdb_engine::runtime::InterruptHandle,
) -> ForwardInterrupt {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("wdb-interrupt".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_millis(20))
            {
                if from.load(Ordering::SeqCst) {
                    to.store(true, Ordering::SeqCst);
                    return;
                }
            }
        })
        .ok();
    ForwardInterrupt {
        stop: Some(stop),
        thread,
    }
}

/// CPU time of the whole process (`CLOCK_PROCESS_CPUTIME_ID`).
#[cfg(unix)]
pub fn process_cpu() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Some(Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
}

#[cfg(not(unix))]
pub fn process_cpu() -> Option<Duration> {
    None
}
