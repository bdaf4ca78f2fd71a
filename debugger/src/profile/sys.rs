//! What Linux tells us about this process: its RSS. Every
//! function returns `None` where it cannot measure (another OS, no /proc).

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_field(name: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(name))?;
    let kb: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Reset the peak RSS (`VmHWM`) to the current RSS and return that RSS.
pub fn reset_peak_rss() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_field("VmRSS:")
}

/// Peak RSS since the last reset.
pub fn peak_rss() -> Option<u64> {
    status_field("VmHWM:")
}
