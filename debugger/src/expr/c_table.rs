//! The table test: every expression of `fixtures/dwarf/exprs.rows`, printed
//! by wdb at the breakpoint in `check()` of `fixtures/dwarf/exprs.wasm`,
//! must have the value and the type that C gives it. C's answers come from
//! the same fixture source compiled natively with `cc` at test time, each
//! row printed with its `_Generic` type name.

use std::path::{Path, PathBuf};

use crate::api::{BreakSpec, Command, Event, Format, Request};
use crate::session::{Session, SessionConfig};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/dwarf")
}

fn rows() -> Vec<String> {
    let text = std::fs::read_to_string(fixtures().join("exprs.rows")).expect("exprs.rows");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Compile a program that prints `TYPE\tVALUE` for each row, run it.
fn native(rows: &[String], dir: &Path) -> Vec<(String, String)> {
    let mut c = format!(
        "#define main fixture_main\n#include \"{}\"\n#undef main\n",
        fixtures().join("exprs.c").display()
    );
    c.push_str(
        r#"
#define TYPE(e) _Generic((e), _Bool: "_Bool", char: "char", signed char: "signed char", \
    unsigned char: "unsigned char", short: "short", unsigned short: "unsigned short", \
    int: "int", unsigned int: "unsigned int", long: "long", \
    unsigned long: "unsigned long", long long: "long long", \
    unsigned long long: "unsigned long long", float: "float", double: "double")
static void show_i(long long v) { printf("%lld\n", v); }
static void show_u(unsigned long long v) { printf("%llu\n", v); }
static void show_f(float v) { printf("%.9g\n", v); }
static void show_d(double v) { printf("%.17g\n", v); }
#define SHOW(e) _Generic((e), float: show_f, double: show_d, unsigned int: show_u, \
    unsigned long: show_u, unsigned long long: show_u, default: show_i)(e)
int main(void) {
    setup();
"#,
    );
    for r in rows {
        c.push_str(&format!("    printf(\"%s\\t\", TYPE({r})); SHOW({r});\n"));
    }
    c.push_str("    return 0;\n}\n");
    let src = dir.join("exprs_native.c");
    let bin = dir.join("exprs_native");
    std::fs::write(&src, c).expect("write the native program");
    let out = std::process::Command::new("cc")
        .args(["-w", "-O0", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("cc runs (the table test needs a native C compiler)");
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(&bin).output().expect("run it");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (t, v) = l.split_once('\t').expect("TYPE\\tVALUE");
            (t.to_string(), v.to_string())
        })
        .collect()
}

pub(crate) fn send(s: &mut Session, command: Command) -> Vec<Event> {
    s.handle(Request { id: 1, command })
}

/// A session stopped at `check()` of the fixture.
pub(crate) fn stopped_in_check(state: &Path) -> Session {
    let mut s = Session::new(SessionConfig {
        capture_output: true,
        state_dir: Some(state.to_path_buf()),
        ..Default::default()
    });
    let ev = send(
        &mut s,
        Command::Load {
            path: fixtures().join("exprs.wasm"),
            args: vec![],
        },
    );
    assert!(matches!(ev.first(), Some(Event::Loaded(_))), "{ev:?}");
    send(
        &mut s,
        Command::SetBreakpoint {
            spec: BreakSpec::Function("check".into()),
            temporary: false,
            condition: None,
        },
    );
    let ev = send(&mut s, Command::Run { args: None });
    assert!(
        ev.iter().any(|e| matches!(e, Event::Stopped(_))),
        "no stop: {ev:?}"
    );
    s
}

pub(crate) fn print(s: &mut Session, e: &str, format: Format) -> Result<String, String> {
    let ev = send(
        s,
        Command::Print {
            expr: e.into(),
            format,
        },
    );
    match ev.as_slice() {
        [Event::Printed { text, .. }] => Ok(text.clone()),
        [Event::CommandFailed { message, .. }] => Err(message.clone()),
        other => panic!("{e}: {other:?}"),
    }
}

pub(crate) fn text(s: &mut Session, command: Command) -> Result<String, String> {
    match send(s, command).as_slice() {
        [Event::Text(t)] => Ok(t.clone()),
        [Event::CommandFailed { message, .. }] => Err(message.clone()),
        other => panic!("{other:?}"),
    }
}

/// Equal as numbers of C type `ty` (wdb shows the shortest text that reads
/// back, C `%.17g`; a char is shown as `65 'A'`).
fn same_value(ty: &str, wdb: &str, c: &str) -> bool {
    let wdb = wdb.split(' ').next().unwrap_or(wdb);
    match ty {
        "float" => wdb
            .parse::<f32>()
            .ok()
            .zip(c.parse::<f32>().ok())
            .is_some_and(|(a, b)| a == b || (a.is_nan() && b.is_nan())),
        "double" => wdb
            .parse::<f64>()
            .ok()
            .zip(c.parse::<f64>().ok())
            .is_some_and(|(a, b)| a == b || (a.is_nan() && b.is_nan())),
        _ => wdb
            .parse::<i128>()
            .ok()
            .zip(c.parse::<i128>().ok())
            .is_some_and(|(a, b)| a == b),
    }
}

#[test]
fn every_operator_and_conversion_agrees_with_c() {
    let dir = std::env::temp_dir().join(format!("wdb-expr-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rows = rows();
    assert!(rows.len() > 100, "the table has {} rows", rows.len());
    let want = native(&rows, &dir);
    assert_eq!(
        want.len(),
        rows.len(),
        "the native program printed every row"
    );
    let mut s = stopped_in_check(&dir);
    let mut wrong = Vec::new();
    for (row, (cty, cval)) in rows.iter().zip(&want) {
        let value = print(&mut s, row, Format::Natural);
        let ty = text(
            &mut s,
            Command::Ptype {
                expr: row.clone(),
                expand: false,
            },
        );
        let ty = ty
            .as_deref()
            .map(|t| t.trim_start_matches("type = ").to_string());
        match (&value, &ty) {
            (Ok(v), Ok(t)) if t == cty && same_value(cty, v, cval) => {}
            _ => wrong.push(format!(
                "{row}: wdb {value:?} of type {ty:?}, C {cval} of type {cty}"
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        wrong.is_empty(),
        "{} rows differ from C:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
