//! `wasi:cli` (environment, arguments, exit, the standard streams and
//! terminals), `wasi:clocks` (wall and monotonic) and `wasi:random`.

use std::io::Read;
use std::time::{Duration, Instant};

use super::{InStream, OutStream, Output, P2Ctx, R, Res, Stdin, trap, u64a};
use crate::component::Val;
use crate::runtime::HostError;

// ---- wasi:cli ------------------------------------------------------------

pub(super) fn get_environment(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::List(
        c.env
            .iter()
            .map(|(k, v)| Val::Tuple(vec![Val::String(k.clone()), Val::String(v.clone())]))
            .collect(),
    )))
}

pub(super) fn get_arguments(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::List(
        c.args.iter().map(|a| Val::String(a.clone())).collect(),
    )))
}

pub(super) fn initial_cwd(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Option(None)))
}

pub(super) fn exit(_: &mut P2Ctx, a: &[Val]) -> R {
    match a.first() {
        Some(Val::Result(Ok(_))) => Err(HostError::Exit(0)),
        _ => Err(HostError::Exit(1)),
    }
}

pub(super) fn exit_with_code(_: &mut P2Ctx, a: &[Val]) -> R {
    match a.first() {
        Some(Val::U8(c)) => Err(HostError::Exit(*c as i32)),
        _ => Err(HostError::Exit(1)),
    }
}

pub(super) fn get_stdin(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Input(InStream::Stdin)))))
}

pub(super) fn get_stdout(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Output(OutStream::Stdout)))))
}

pub(super) fn get_stderr(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::Own(c.add(Res::Output(OutStream::Stderr)))))
}

pub(super) fn is_tty(fd: i32) -> bool {
    use std::io::IsTerminal;
    match fd {
        0 => std::io::stdin().is_terminal(),
        1 => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    }
}

pub(super) fn get_terminal_stdin(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stdin, Stdin::Inherit) && is_tty(0);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalInput)))),
    )))
}

pub(super) fn get_terminal_stdout(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stdout, Output::Inherit) && is_tty(1);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalOutput)))),
    )))
}

pub(super) fn get_terminal_stderr(c: &mut P2Ctx, _: &[Val]) -> R {
    let tty = matches!(c.stderr, Output::Inherit) && is_tty(2);
    Ok(Some(Val::Option(
        tty.then(|| Box::new(Val::Own(c.add(Res::TerminalOutput)))),
    )))
}

// ---- wasi:clocks, wasi:random ------------------------------------------

pub(super) fn wall_now(_: &mut P2Ctx, _: &[Val]) -> R {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Some(datetime(d)))
}

pub(crate) fn datetime(d: Duration) -> Val {
    Val::Record(vec![Val::U64(d.as_secs()), Val::U32(d.subsec_nanos())])
}

pub(super) fn wall_resolution(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(datetime(Duration::from_nanos(1))))
}

pub(super) fn mono_now(c: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::U64(c.created.elapsed().as_nanos() as u64)))
}

pub(super) fn mono_resolution(_: &mut P2Ctx, _: &[Val]) -> R {
    Ok(Some(Val::U64(1)))
}

pub(super) fn subscribe_instant(c: &mut P2Ctx, a: &[Val]) -> R {
    let at = c.created + Duration::from_nanos(u64a(a, 0)?);
    Ok(Some(Val::Own(c.add(Res::Pollable(Some(at))))))
}

pub(super) fn subscribe_duration(c: &mut P2Ctx, a: &[Val]) -> R {
    let at = Instant::now().checked_add(Duration::from_nanos(u64a(a, 0)?));
    Ok(Some(Val::Own(c.add(Res::Pollable(at)))))
}

pub(super) fn random_bytes(n: usize) -> std::result::Result<Vec<u8>, HostError> {
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .or_else(|e| trap(format!("random: {e}")))?;
    Ok(buf)
}

pub(super) fn get_random_bytes(_: &mut P2Ctx, a: &[Val]) -> R {
    let n = u64a(a, 0)?;
    if n > 1 << 26 {
        return trap("get-random-bytes: too many bytes asked for");
    }
    Ok(Some(Val::Bytes(random_bytes(n as usize)?)))
}

pub(super) fn get_random_u64(_: &mut P2Ctx, _: &[Val]) -> R {
    let b = random_bytes(8)?;
    Ok(Some(Val::U64(u64::from_le_bytes(
        b.try_into().unwrap_or_default(),
    ))))
}

pub(super) fn insecure_seed(_: &mut P2Ctx, _: &[Val]) -> R {
    let b = random_bytes(16)?;
    let lo = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let hi = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    Ok(Some(Val::Tuple(vec![Val::U64(lo), Val::U64(hi)])))
}
