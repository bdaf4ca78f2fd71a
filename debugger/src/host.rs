//! The guest's WASI environment as the debugger describes it (program name,
//! arguments, captured or streamed output, stdin), and typed call arguments.
//! Linking and instantiating are [`crate::launch`]'s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wdb_engine::wasi::{self, Output, SharedStdin, Stdin, WasiConfig};

use wdb_engine::{ValType, Value};

/// The guest's WASI environment as a session describes it.
#[derive(Clone, Default)]
pub struct GuestIo {
    /// `argv[0]`: the program name the guest sees.
    pub program: String,
    /// Guest arguments after the program name.
    pub args: Vec<String>,
    /// Send guest stdout/stderr to `Event::Output` instead of the terminal.
    pub capture_output: bool,
    /// Send guest stdout/stderr here as they are written (wins over `capture_output`).
    pub output_sink: Option<OutputSink>,
    /// Let the guest read the process's stdin (an interactive terminal).
    pub inherit_stdin: bool,
    /// Guest stdin from a buffer the front end appends to (wins over `inherit_stdin`).
    pub stdin_pipe: Option<SharedStdin>,
    /// The guest's environment.
    pub env: Vec<(String, String)>,
    /// Preopened directories.
    pub preopens: Vec<wasi::Preopen>,
    /// Guest stdin read from this file (wins over `stdin_pipe` and `inherit_stdin`).
    pub stdin_file: Option<PathBuf>,
    /// Guest stdout written to this file, truncated (wins over `output_sink`).
    pub stdout_file: Option<PathBuf>,
    /// WASI 0.2 sockets reach the host's network.
    pub inherit_network: bool,
}

/// Receives guest output as it is written: (fd, bytes).
pub type OutputSink = Arc<dyn Fn(u32, &[u8]) + Send + Sync>;

/// Guest output captured for `Event::Output`: (fd, bytes) in order.
pub type OutputBuffer = Arc<Mutex<Vec<(u32, Vec<u8>)>>>;

/// The WASI configuration for `opts`, and the buffer that receives the
/// guest's output when it is captured.
pub fn wasi_config(opts: &GuestIo) -> Result<(WasiConfig, OutputBuffer), String> {
    let output: OutputBuffer = Arc::default();
    let sink = |fd: u32| {
        let buf = output.clone();
        Output::Sink(Arc::new(move |b: &[u8]| {
            if let Ok(mut v) = buf.lock() {
                v.push((fd, b.to_vec()));
            }
        }))
    };
    let to_sink = |fd: u32, f: &OutputSink| {
        let f = f.clone();
        Output::Sink(Arc::new(move |b: &[u8]| f(fd, b)))
    };
    let mut argv = vec![opts.program.clone()];
    argv.extend(opts.args.iter().cloned());
    let stdout_file = match &opts.stdout_file {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                format!("cannot write the guest's stdout to {}: {e}", path.display())
            })?;
            let file = Mutex::new(file);
            Some(Output::Sink(Arc::new(move |b: &[u8]| {
                use std::io::Write as _;
                // A sink cannot fail the guest's write: bytes a full disk
                // refuses are lost.
                if let Ok(mut f) = file.lock() {
                    let _ = f.write_all(b);
                }
            })))
        }
        None => None,
    };
    let stdin_bytes =
        match &opts.stdin_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| {
                format!("cannot read the guest's stdin from {}: {e}", path.display())
            })?),
            None => None,
        };
    let cfg = WasiConfig {
        args: argv,
        env: opts.env.clone(),
        preopens: opts.preopens.clone(),
        stdout: match (stdout_file, &opts.output_sink) {
            (Some(file), _) => file,
            (None, Some(f)) => to_sink(1, f),
            (None, None) if opts.capture_output => sink(1),
            (None, None) => Output::Inherit,
        },
        stderr: match &opts.output_sink {
            Some(f) => to_sink(2, f),
            None if opts.capture_output => sink(2),
            None => Output::Inherit,
        },
        stdin: if let Some(bytes) = stdin_bytes {
            Stdin::Bytes(bytes)
        } else if let Some(q) = &opts.stdin_pipe {
            Stdin::Shared(q.clone())
        } else if opts.inherit_stdin {
            Stdin::Inherit
        } else {
            Stdin::Null
        },
        inherit_network: opts.inherit_network,
        ..Default::default()
    };
    Ok((cfg, output))
}

/// Convert a computed value to a local's / global's type (for `set var`).
pub fn convert(v: Value, ty: ValType) -> Result<Value, String> {
    use crate::expr::{as_f64, as_i64};
    Ok(match ty {
        ValType::I32 => Value::I32(as_i64(v) as i32),
        ValType::I64 => Value::I64(as_i64(v)),
        ValType::F32 => Value::F32((as_f64(v) as f32).to_bits()),
        ValType::F64 => Value::F64(as_f64(v).to_bits()),
        _ if v.ty() == ty => v,
        _ => {
            return Err(format!(
                "cannot assign to a {}",
                wdb_engine::value::valtype_name(ty)
            ));
        }
    })
}
