//! `--native CMD`: the same work as a native program, run N times through
//! `bash -c`, timed by bash's `times` (children's user and system CPU).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Stats;

#[derive(Debug, Clone, Serialize)]
pub struct NativeReport {
    pub command: String,
    pub wall: Option<Stats>,
    /// User + system CPU of the command (bash `times`, millisecond precision).
    pub cpu: Option<Stats>,
    pub exit_code: Option<i32>,
    pub stdout_bytes: usize,
}

/// `0m1.250s` -> 1.25 s.
fn parse_times_field(s: &str) -> Option<Duration> {
    let (m, rest) = s.split_once('m')?;
    let secs: f64 = rest.strip_suffix('s')?.parse().ok()?;
    let mins: f64 = m.parse().ok()?;
    Some(Duration::from_secs_f64(mins * 60.0 + secs))
}

/// Children's user + system time from the second line of `times`.
pub(super) fn parse_times(out: &str) -> Option<Duration> {
    let line = out.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut f = line.split_whitespace();
    let user = parse_times_field(f.next()?)?;
    let sys = parse_times_field(f.next()?)?;
    Some(user + sys)
}

pub fn run(cmd: &str, runs: u32, progress: &mut dyn FnMut(u32)) -> Result<NativeReport, String> {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut exit_code = None;
    let mut stdout_bytes = 0;
    // The command's stdout is counted, not shown; its exit status and
    // bash's `times` (shell, then children) follow on our pipe.
    let script = format!("{{ {cmd}\n}} | wc -c; echo \"${{PIPESTATUS[0]}}\"; times");
    for i in 0..runs {
        progress(i);
        let t0 = Instant::now();
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("--native: cannot run bash: {e}"))?;
        walls.push(t0.elapsed());
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        stdout_bytes = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        exit_code = lines.next().and_then(|l| l.trim().parse().ok());
        match parse_times(&text) {
            Some(c) => cpus.push(c),
            None => {
                return Err(format!(
                    "--native: could not read CPU times from bash `times`: {text:?}"
                ));
            }
        }
    }
    if exit_code != Some(0) {
        return Err(format!(
            "--native `{cmd}` exited with {}",
            exit_code.map_or("an unknown status".to_string(), |c| c.to_string())
        ));
    }
    Ok(NativeReport {
        command: cmd.to_string(),
        wall: Stats::of(&walls),
        cpu: Stats::of(&cpus),
        exit_code,
        stdout_bytes,
    })
}
