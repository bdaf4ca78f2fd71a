//! `wasi:io`: errors, pollables and `poll`, and the input and output
//! streams (stdin, stdout, stderr, files, TCP connections).

use std::io::Write;

use super::{InStream, OutStream, P2Ctx, R, Res, bytes, net, rep, trap, u64a};
use crate::component::Val;

// ---- wasi:io ---------------------------------------------------------------

pub(super) fn error_to_debug_string(c: &mut P2Ctx, a: &[Val]) -> R {
    match c.get(rep(a, 0)?)? {
        Res::Error(s) => Ok(Some(Val::String(s.clone()))),
        _ => trap("not an error resource"),
    }
}

pub(super) fn pollable_ready(c: &mut P2Ctx, a: &[Val]) -> R {
    Ok(Some(Val::Bool(net::ready_now(c, rep(a, 0)?)?)))
}

pub(super) fn pollable_block(c: &mut P2Ctx, a: &[Val]) -> R {
    net::wait(c, &[rep(a, 0)?])?;
    Ok(None)
}

pub(super) fn poll(c: &mut P2Ctx, a: &[Val]) -> R {
    let Some(Val::List(items)) = a.first() else {
        return trap("poll: a list of pollables was expected");
    };
    if items.is_empty() {
        return trap("poll: an empty list of pollables");
    }
    let mut reps = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Val::Borrow(r) | Val::Own(r) => reps.push(*r),
            _ => return trap("poll: not a pollable"),
        }
    }
    let ready = net::wait(c, &reps)?;
    Ok(Some(Val::List(ready.into_iter().map(Val::U32).collect())))
}

pub(super) fn stream_err(c: &mut P2Ctx, e: std::io::Error) -> Val {
    let r = c.add(Res::Error(e.to_string()));
    Val::err(Some(Val::Variant(0, Some(Box::new(Val::Own(r))))))
}

pub(super) fn closed() -> Val {
    Val::err(Some(Val::Variant(1, None)))
}

pub(super) fn input_read(c: &mut P2Ctx, a: &[Val]) -> R {
    read(c, a, false)
}

pub(super) fn input_blocking_read(c: &mut P2Ctx, a: &[Val]) -> R {
    read(c, a, true)
}

pub(super) fn read(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let len = u64a(a, 1)?.min(1 << 20) as usize;
    let r = rep(a, 0)?;
    let stop = c.interrupt.clone();
    let got = match c.get(r)? {
        // Empty: nothing yet (a file's or stdin's empty read is its end).
        Res::Input(InStream::Tcp(s)) => match net::tcp_read(s, len, blocking, stop.as_deref()) {
            Ok(Some(b)) => return Ok(Some(Val::ok(Some(Val::Bytes(b))))),
            Ok(None) => return Ok(Some(closed())),
            Err(e) => Err(e),
        },
        Res::Input(InStream::Stdin) => c.read_stdin(len),
        Res::Input(InStream::File { file, pos }) => {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; len];
            match file.read_at(&mut buf, *pos) {
                Ok(n) => {
                    buf.truncate(n);
                    *pos += n as u64;
                    Ok(buf)
                }
                Err(e) => Err(e),
            }
        }
        _ => return trap("not an input-stream"),
    };
    Ok(Some(match got {
        Ok(b) if b.is_empty() && len > 0 => closed(),
        Ok(b) => Val::ok(Some(Val::Bytes(b))),
        Err(e) => stream_err(c, e),
    }))
}

pub(super) fn input_skip(c: &mut P2Ctx, a: &[Val]) -> R {
    skip(c, a, false)
}

pub(super) fn input_blocking_skip(c: &mut P2Ctx, a: &[Val]) -> R {
    skip(c, a, true)
}

pub(super) fn skip(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let r = read(c, a, blocking)?;
    Ok(r.map(|v| match v {
        Val::Result(Ok(Some(b))) => match *b {
            Val::Bytes(b) => Val::ok(Some(Val::U64(b.len() as u64))),
            other => Val::ok(Some(other)),
        },
        other => other,
    }))
}

/// A stream's pollable: a connection's is ready when the socket is; the
/// others always are.
pub(super) fn subscribe_stream(c: &mut P2Ctx, a: &[Val]) -> R {
    let r = rep(a, 0)?;
    let p = match c.get(r)? {
        Res::Input(InStream::Tcp(_)) | Res::Output(OutStream::Tcp(_)) => Res::IoPollable(r),
        _ => Res::Pollable(None),
    };
    Ok(Some(Val::Own(c.add(p))))
}

pub(super) fn output_check_write(c: &mut P2Ctx, a: &[Val]) -> R {
    let res = match c.get(rep(a, 0)?)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_check_write(o),
        Res::Output(_) => Ok(1 << 20),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(n) => Val::ok(Some(Val::U64(n))),
        Err(e) => stream_err(c, e),
    }))
}

pub(super) fn output_write(c: &mut P2Ctx, a: &[Val]) -> R {
    write(c, a, false)
}

pub(super) fn output_blocking_write(c: &mut P2Ctx, a: &[Val]) -> R {
    write(c, a, true)
}

pub(super) fn write(c: &mut P2Ctx, a: &[Val], flush: bool) -> R {
    let data = bytes(a, 1)?;
    let r = rep(a, 0)?;
    let stop = c.interrupt.clone();
    let res = match c.get(r)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_write(o, data, flush, stop.as_deref()),
        Res::Output(OutStream::File { file, pos }) => {
            use std::os::unix::fs::FileExt;
            let r = file.write_all_at(data, *pos);
            if r.is_ok() {
                *pos += data.len() as u64;
            }
            r
        }
        Res::Output(OutStream::Append(file)) => (&**file).write_all(data),
        Res::Output(OutStream::Stdout) => c.write_out(&OutStream::Stdout, data),
        Res::Output(OutStream::Stderr) => c.write_out(&OutStream::Stderr, data),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(()) => Val::ok(None),
        Err(e) => stream_err(c, e),
    }))
}

pub(super) fn output_write_zeroes(c: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 1)?.min(1 << 24) as usize;
    write(c, &[a[0].clone(), Val::Bytes(vec![0; n])], false)
}

pub(super) fn output_blocking_write_zeroes(c: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 1)?.min(1 << 24) as usize;
    write(c, &[a[0].clone(), Val::Bytes(vec![0; n])], true)
}

pub(super) fn output_flush(c: &mut P2Ctx, a: &[Val]) -> R {
    flush(c, a, false)
}

pub(super) fn output_blocking_flush(c: &mut P2Ctx, a: &[Val]) -> R {
    flush(c, a, true)
}

pub(super) fn flush(c: &mut P2Ctx, a: &[Val], blocking: bool) -> R {
    let stop = c.interrupt.clone();
    let res = match c.get(rep(a, 0)?)? {
        Res::Output(OutStream::Tcp(o)) => net::tcp_flush(o, blocking, stop.as_deref()),
        Res::Output(_) => Ok(()),
        _ => return trap("not an output-stream"),
    };
    Ok(Some(match res {
        Ok(()) => Val::ok(None),
        Err(e) => stream_err(c, e),
    }))
}
