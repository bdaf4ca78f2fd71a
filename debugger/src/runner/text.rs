//! The text side of `wdb run`: backtraces, engine and load messages, and
//! the parsers of its option values (durations, sizes, `--dir`).

use super::*;

/// `  #0 func[12] fibArray at code_offset 0x1a3`, one line per frame.
/// A deep backtrace (stack exhaustion) keeps its first 20 and last 5 frames.
pub fn format_backtrace(trap: &wdb_engine::Trap) -> Vec<String> {
    const HEAD: usize = 20;
    const TAIL: usize = 5;
    let n = trap.backtrace.len();
    let mut lines: Vec<String> = trap
        .backtrace
        .iter()
        .enumerate()
        .filter(|(i, _)| n <= HEAD + TAIL + 1 || *i < HEAD || *i >= n - TAIL)
        .map(|(i, f)| {
            let mut s = format!("  #{i} func[{}]", f.func_index);
            if let Some(n) = &f.func_name {
                s.push(' ');
                s.push_str(n);
            }
            if let Some(o) = f.code_offset {
                s.push_str(&format!(" at code_offset {o:#x}"));
            }
            s
        })
        .collect();
    if n > HEAD + TAIL + 1 {
        lines.insert(
            HEAD,
            format!("  ... {} frames omitted ...", n - HEAD - TAIL),
        );
    }
    lines
}

/// [`format_backtrace`], with each frame's `file:line` from the module's
/// DWARF (`path` finds split DWARF beside it): `  #0 func[12] divide at
/// code_offset 0x1a3 (src/fib.c:43)`.
pub fn format_backtrace_with_lines(
    trap: &wdb_engine::Trap,
    module: &Module,
    path: &Path,
) -> Vec<String> {
    let mut lines = format_backtrace(trap);
    let (info, _) = crate::dwarf::DebugInfo::load(module, Some(path));
    if !info.has_debug_info() {
        return lines;
    }
    // `format_backtrace` may have left frames out: match lines to frames by
    // their `#N`.
    for line in &mut lines {
        let Some(i) = line
            .trim_start()
            .strip_prefix('#')
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if let Some(loc) = trap
            .backtrace
            .get(i)
            .and_then(|f| f.code_offset)
            .and_then(|o| info.location(o))
        {
            line.push_str(&format!(" ({}:{})", loc.file, loc.line));
        }
    }
    lines
}

/// An engine error's text without the "error: " its `Other` kind adds (the
/// front end says "error" once).
pub fn engine_message(e: &wdb_engine::Error) -> String {
    match e.kind {
        wdb_engine::ErrorKind::Other => e.message.clone(),
        _ => e.to_string(),
    }
}

/// Why `path` could not be opened as a module, in words for its user: a
/// component gets a sentence of its own rather than the decoder's.
pub fn load_error(path: &Path, e: &wdb_engine::Error) -> String {
    let is_component = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut head = [0u8; 8];
            std::io::Read::read_exact(&mut f, &mut head).map(|()| head)
        })
        .is_ok_and(|h| is_component_header(&h));
    if is_component {
        format!(
            "{}: this is a WebAssembly component (WASI 0.2), opened here as a core module: {}",
            path.display(),
            engine_message(e)
        )
    } else if e.kind == wdb_engine::ErrorKind::Other {
        e.message.clone()
    } else {
        format!("{}: {e}", path.display())
    }
}

/// `\0asm` with a component's version and layer (0x0d 0x00 0x01 0x00).
pub fn is_component_header(head: &[u8]) -> bool {
    head.len() >= 8 && head[..4] == *b"\0asm" && head[4..8] == [0x0d, 0x00, 0x01, 0x00]
}

/// `10s`, `500ms`, `2m`, `1.5s`, `100us`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (try 10s or 500ms)"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => v,
        "ms" => v / 1e3,
        "us" | "µs" => v / 1e6,
        "ns" => v / 1e9,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        u => {
            return Err(format!(
                "unknown duration unit `{u}` in `{s}` (use ns, us, ms, s, m, h)"
            ));
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("`{s}` is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `65536`, `64KiB`, `64MiB`, `4GiB` (binary), `64KB`, `64MB`, `1GB`
/// (decimal); `K`, `M`, `G` alone are binary.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (try 64MiB or 65536)"))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "k" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        u => {
            return Err(format!(
                "unknown size unit `{u}` in `{s}` (use KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    v.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// `HOST::GUEST` (wasmtime), `GUEST:HOST` (WasmEdge) or `DIR` (both names).
pub fn parse_dir(s: &str) -> Result<wasi::Preopen, String> {
    if s.is_empty() {
        return Err("empty --dir".into());
    }
    let (host, guest) = if let Some((h, g)) = s.split_once("::") {
        (h, g)
    } else if let Some((g, h)) = s.split_once(':') {
        (h, g)
    } else {
        (s, s)
    };
    if host.is_empty() || guest.is_empty() {
        return Err(format!("`{s}`: expected HOST::GUEST, GUEST:HOST or DIR"));
    }
    Ok(wasi::Preopen {
        host: PathBuf::from(host),
        guest: guest.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = [
            ("10s", Duration::from_secs(10)),
            ("500ms", Duration::from_millis(500)),
            ("2m", Duration::from_secs(120)),
            ("1.5s", Duration::from_millis(1500)),
            ("3", Duration::from_secs(3)),
            ("100us", Duration::from_micros(100)),
        ];
        for (s, d) in ok {
            assert_eq!(parse_duration(s), Ok(d), "{s}");
        }
        for s in ["", "ms", "10x", "-1s", "1.2.3s"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
    }

    #[test]
    fn sizes() {
        let ok = [
            ("65536", 65536),
            ("64MiB", 64 << 20),
            ("64M", 64 << 20),
            ("1GiB", 1 << 30),
            ("4KiB", 4096),
            ("2MB", 2_000_000),
        ];
        for (s, n) in ok {
            assert_eq!(parse_bytes(s), Ok(n), "{s}");
        }
        for s in ["", "MiB", "1TiB", "x", "99999999999999999999"] {
            assert!(parse_bytes(s).is_err(), "{s}");
        }
    }

    #[test]
    fn dirs() {
        let p = |h: &str, g: &str| wasi::Preopen {
            host: PathBuf::from(h),
            guest: g.to_string(),
        };
        assert_eq!(parse_dir("/tmp/x::/"), Ok(p("/tmp/x", "/")));
        assert_eq!(parse_dir(".:."), Ok(p(".", ".")));
        assert_eq!(parse_dir("/data:/tmp/x"), Ok(p("/tmp/x", "/data")));
        assert_eq!(parse_dir("fixtures"), Ok(p("fixtures", "fixtures")));
        assert!(parse_dir("::x").is_err());
        assert!(parse_dir("").is_err());
    }
}
