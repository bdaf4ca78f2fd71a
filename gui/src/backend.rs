//! How the app reaches a debugger session: a [`Backend`] sends [`Request`]s
//! and hands back whatever [`Event`]s arrived, never blocking the UI. The
//! real app uses the worker thread; tests use a synchronous session so a
//! frame sees the result of the command it sent.

use wdb_debugger::api::{Event, Request};

pub trait Backend {
    /// Queue a request; it never blocks on the engine.
    fn send(&mut self, request: Request);
    /// Every event that arrived since the last poll, in order.
    fn poll(&mut self) -> Vec<Event>;
    /// Ask a running guest to stop (works while the worker is busy).
    fn interrupt(&self);
    /// Append bytes to the guest's stdin (works while the worker is busy).
    fn feed_stdin(&self, bytes: &[u8]);
}

fn push_stdin(pipe: &SharedStdin, bytes: &[u8]) {
    // A poisoned lock means a guest read panicked; its session reports that.
    if let Ok(mut q) = pipe.lock() {
        q.extend(bytes);
    }
}

use crossbeam_channel::{Receiver, Sender, unbounded};
use wdb_debugger::engine::wasi::SharedStdin;
use wdb_debugger::session::{Session, SessionConfig};
use wdb_debugger::worker::{self, SessionHandle};

/// The session on its worker thread. A forwarding thread relays events and
/// wakes the UI with `request_repaint`, so an idle window uses no CPU.
pub struct WorkerBackend {
    requests: Sender<Request>,
    events: Receiver<Event>,
    handle: SessionHandle,
    stdin: SharedStdin,
}

impl WorkerBackend {
    pub fn spawn(ctx: egui::Context) -> std::io::Result<WorkerBackend> {
        let stdin = SharedStdin::default();
        let (requests, worker_events, handle) = worker::spawn(gui_session_config(&stdin));
        let (tx, events) = unbounded();
        std::thread::Builder::new()
            .name("wdb-gui-events".into())
            .spawn(move || {
                for ev in worker_events {
                    if tx.send(ev).is_err() {
                        return;
                    }
                    ctx.request_repaint();
                }
            })?;
        Ok(WorkerBackend {
            requests,
            events,
            handle,
            stdin,
        })
    }
}

impl Backend for WorkerBackend {
    fn send(&mut self, request: Request) {
        // A send fails only if the worker thread is gone; the next poll then
        // shows nothing new, and the log says why.
        if self.requests.send(request).is_err() {
            eprintln!("wdb gui: the session thread has stopped");
        }
    }

    fn poll(&mut self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    fn interrupt(&self) {
        self.handle.interrupt();
    }

    fn feed_stdin(&self, bytes: &[u8]) {
        push_stdin(&self.stdin, bytes);
    }
}

/// The session run synchronously on the UI thread: each request is handled
/// as it is sent. For tests (a frame sees the result of its own command).
pub struct SyncBackend {
    session: Session,
    queued: Vec<Event>,
    stdin: SharedStdin,
}

impl SyncBackend {
    pub fn new() -> SyncBackend {
        let stdin = SharedStdin::default();
        SyncBackend {
            session: Session::new(gui_session_config(&stdin)),
            queued: Vec::new(),
            stdin,
        }
    }
}

impl Default for SyncBackend {
    fn default() -> Self {
        SyncBackend::new()
    }
}

impl Backend for SyncBackend {
    fn send(&mut self, request: Request) {
        let id = request.id;
        self.queued.extend(self.session.handle(request));
        self.queued.push(Event::Done { id });
    }

    fn poll(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.queued)
    }

    fn interrupt(&self) {}

    fn feed_stdin(&self, bytes: &[u8]) {
        push_stdin(&self.stdin, bytes);
    }
}

/// Guest output comes to the Console panel, not the terminal; breakpoints
/// are not saved per module by the GUI (the REPL owns that behaviour).
fn gui_session_config(stdin: &SharedStdin) -> SessionConfig {
    SessionConfig {
        capture_output: true,
        stdin_pipe: Some(stdin.clone()),
        ..SessionConfig::default()
    }
}
