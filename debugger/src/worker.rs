//! The worker thread: owns a [`Session`] and serves [`Request`]s over
//! crossbeam channels. It never dies on user input: failures (and panics,
//! caught in [`Session::handle`]) come back as `CommandFailed`, and every
//! request ends with `Event::Done { id }`.

use std::sync::atomic::Ordering;
use std::thread;

use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::api::{Event, Request};
use crate::session::{InterruptSlot, Session, SessionConfig};

/// The channel a front end sends requests on.
pub type RequestSender = Sender<Request>;
/// The channel a front end receives events on.
pub type EventReceiver = Receiver<Event>;

/// What a front end keeps to stop a running guest from another thread.
#[derive(Clone)]
pub struct SessionHandle {
    interrupt: InterruptSlot,
}

impl SessionHandle {
    /// Stop the running computation at its next loop back-edge or call (the
    /// session reports `Stopped { reason: Interrupted }`).
    pub fn interrupt(&self) {
        if let Ok(h) = self.interrupt.lock() {
            h.store(true, Ordering::SeqCst);
        }
    }
}

/// Start a worker thread serving a new session.
pub fn spawn(config: SessionConfig) -> (Sender<Request>, Receiver<Event>, SessionHandle) {
    let (req_tx, req_rx) = unbounded::<Request>();
    let (ev_tx, ev_rx) = unbounded::<Event>();
    let mut session = Session::new(config);
    let handle = SessionHandle {
        interrupt: session.interrupt_slot(),
    };
    thread::Builder::new()
        .name("wdb-session".into())
        .spawn(move || {
            for req in req_rx {
                let id = req.id;
                // Say "running" before a command that may run for long, so a
                // GUI can show progress and a Pause button meanwhile.
                let runs = req.command.may_run();
                if runs && ev_tx.send(Event::Running).is_err() {
                    return;
                }
                for ev in session
                    .handle(req)
                    .into_iter()
                    .filter(|e| !matches!(e, Event::Running))
                {
                    if ev_tx.send(ev).is_err() {
                        return;
                    }
                }
                if ev_tx.send(Event::Done { id }).is_err() {
                    return;
                }
            }
        })
        .expect("spawning the session thread");
    (req_tx, ev_rx, handle)
}
