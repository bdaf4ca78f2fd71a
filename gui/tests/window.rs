//! `wdb-gui` in a real window (Xvfb, software rendering), as a person starts
//! it: the window appears titled with the module, draws the inspector (not a
//! blank frame) and survives input. Needs `Xvfb`, `xdotool` and ImageMagick's `import`
//! (`.ci/run` installs them); without them the test fails and says so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A process killed when dropped, so a failing assert leaves nothing behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn need(tool: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is not on PATH: this test needs Xvfb, xdotool and imagemagick \
         (apt-get install xvfb xdotool imagemagick; .ci/run installs them)"
    );
}

/// Start Xvfb on a display of its own choosing (`-displayfd`), return it.
fn xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let mut out = child.stdout.take().expect("Xvfb stdout");
    let child = Killed(child);
    let mut digits = String::new();
    let mut byte = [0u8; 1];
    use std::io::Read as _;
    while out.read(&mut byte).expect("read the display number") == 1 && byte[0] != b'\n' {
        digits.push(byte[0] as char);
    }
    assert!(!digits.is_empty(), "Xvfb printed no display number");
    (child, format!(":{digits}"))
}

/// The first window whose title matches `name`, waiting up to `limit`.
fn window(display: &str, name: &str, limit: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < limit {
        let out = Command::new("xdotool")
            .args(["search", "--name", name])
            .env("DISPLAY", display)
            .output()
            .expect("xdotool");
        if let Some(id) = String::from_utf8_lossy(&out.stdout).lines().next() {
            return Some(id.to_string());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// Distinct colours in a screenshot of the whole screen.
fn colours(display: &str, png: &Path) -> usize {
    let st = Command::new("import")
        .args(["-window", "root"])
        .arg(png)
        .env("DISPLAY", display)
        .status()
        .expect("import");
    assert!(st.success(), "import failed");
    let out = Command::new("convert")
        .arg(png)
        .args(["-format", "%k", "info:"])
        .output()
        .expect("convert");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a colour count")
}

fn xdotool(display: &str, args: &[&str]) {
    let st = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool");
    assert!(st.success(), "xdotool {args:?}");
}

#[test]
fn the_inspector_opens_in_a_real_window_and_draws() {
    for tool in ["Xvfb", "xdotool", "import", "convert"] {
        need(tool);
    }
    let (_xvfb, display) = xvfb();
    let state = tempfile::tempdir().expect("state dir");
    let runtime = tempfile::tempdir().expect("runtime dir");
    let app = Command::new(env!("CARGO_BIN_EXE_wdb-gui"))
        .arg("fixtures/fib.wasm")
        .current_dir(root())
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("WDB_STATE_DIR", state.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wdb-gui");
    let mut app = Killed(app);
    // Software rendering on a loaded machine can take a while to start.
    let id = window(&display, "fib.wasm - wdb", Duration::from_secs(60));
    let Some(id) = id else {
        let _ = app.0.kill();
        let mut said = String::new();
        if let Some(mut err) = app.0.stderr.take() {
            use std::io::Read as _;
            let _ = err.read_to_string(&mut said);
        }
        panic!("no window titled `fib.wasm - wdb` within 60 s; wdb-gui said:\n{said}");
    };
    // Let it lay out and paint a few frames, then look at the screen.
    std::thread::sleep(Duration::from_secs(3));
    let shots = tempfile::tempdir().expect("shot dir");
    let first = colours(&display, &shots.path().join("open.png"));
    // A blank or single-colour frame has a handful; panels, text and
    // syntax colours give hundreds (anti-aliased glyphs).
    assert!(first > 100, "the window looks blank: {first} colours");
    // Input reaches it and it keeps running: click into the window and type.
    xdotool(
        &display,
        &["mousemove", "--window", &id, "640", "400", "click", "1"],
    );
    xdotool(&display, &["type", "--window", &id, "fib"]);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        app.0.try_wait().expect("wdb-gui status").is_none(),
        "wdb-gui exited after input"
    );
    let after = colours(&display, &shots.path().join("after.png"));
    assert!(
        after > 100,
        "the window went blank after input: {after} colours"
    );
}
