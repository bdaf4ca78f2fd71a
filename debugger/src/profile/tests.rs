//! Unit tests for the pure parts of `wdb profile`.

use std::time::Duration;

use super::native::parse_times;
use super::output::{ms, thousands};
use super::{Stats, first_difference};

#[test]
fn stats_median_min_max() {
    let d = |v: &[u64]| {
        v.iter()
            .map(|&m| Duration::from_millis(m))
            .collect::<Vec<_>>()
    };
    let s = Stats::of(&d(&[30, 10, 20])).expect("some");
    assert_eq!(
        (s.median_ms, s.min_ms, s.max_ms, s.runs),
        (20.0, 10.0, 30.0, 3)
    );
    let s = Stats::of(&d(&[40, 10, 20, 30])).expect("some");
    assert_eq!(s.median_ms, 25.0);
    assert_eq!(Stats::of(&[]), None);
}

#[test]
fn bash_times_output() {
    let out = "0m0.001s 0m0.002s\n0m1.250s 0m0.250s\n";
    assert_eq!(parse_times(out), Some(Duration::from_millis(1500)));
    assert_eq!(
        parse_times("2m0.000s 0m0.000s\n"),
        Some(Duration::from_secs(120))
    );
    assert_eq!(parse_times("garbage"), None);
    assert_eq!(parse_times(""), None);
}

#[test]
fn number_formatting() {
    let cases = [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (21891, "21,891"),
        (1234567, "1,234,567"),
    ];
    for (n, s) in cases {
        assert_eq!(thousands(n), s);
    }
    assert_eq!(ms(0.5), "500 us");
    assert_eq!(ms(12.345), "12.35 ms");
    assert_eq!(ms(433.2), "433 ms");
    assert_eq!(ms(2350.0), "2.35 s");
}

#[test]
fn output_differences_are_located() {
    assert_eq!(
        first_difference(b"abc", b"abd"),
        ", first difference at byte 2"
    );
    assert_eq!(
        first_difference(b"ab", b"abc"),
        ", one is a prefix of the other up to byte 2"
    );
    assert_eq!(first_difference(b"same", b"same"), "");
}
