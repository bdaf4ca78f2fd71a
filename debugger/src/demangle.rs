//! The one place mangled Rust (legacy and v0) and Itanium C++ symbol names
//! become the names a programmer reads: the name section's function names,
//! DWARF linkage names and profiles all go through [`demangle`].

/// What is known about the language a symbol comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// DWARF says Rust: only Rust's manglings apply.
    Rust,
    /// DWARF names another language (C, C++, ...): a `_Z` name is C++ first.
    Other,
    /// No DWARF (the name section): Rust's legacy form (`_ZN..17h<hash>E`)
    /// is tried before C++, which would keep the hash as a path segment.
    Unknown,
}

/// The demangled form of `name`, or `None` when it is not a mangled name
/// (or does not change).
pub fn demangle(name: &str, lang: Lang) -> Option<String> {
    let rust = || {
        rustc_demangle::try_demangle(name)
            .ok()
            .map(|d| format!("{d:#}"))
    };
    let cpp = || {
        if !name.starts_with("_Z") {
            return None;
        }
        cpp_demangle::Symbol::new(name.as_bytes())
            .ok()?
            .demangle(&cpp_demangle::DemangleOptions::default())
            .ok()
    };
    let pretty = match lang {
        Lang::Rust => rust(),
        Lang::Other => cpp().or_else(rust),
        Lang::Unknown => rust().or_else(cpp),
    };
    pretty.filter(|p| p != name)
}

/// [`demangle`] for display: the name itself when it is not mangled.
pub fn display(name: &str) -> String {
    demangle(name, Lang::Unknown).unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mangling_by_what_is_known_of_the_language() {
        let legacy = "_ZN8rustprog4main17h0123456789abcdefE";
        assert_eq!(display(legacy), "rustprog::main");
        assert_eq!(
            demangle(legacy, Lang::Rust).as_deref(),
            Some("rustprog::main")
        );
        // Read as C++, the hash stays a path segment.
        assert_eq!(
            demangle(legacy, Lang::Other).as_deref(),
            Some("rustprog::main::h0123456789abcdef")
        );
        assert_eq!(display("_Z3fooi"), "foo(int)");
        assert_eq!(demangle("_Z3fooi", Lang::Rust), None);
        assert_eq!(
            demangle("_RNvCs1234_7mycrate3foo", Lang::Other).as_deref(),
            Some("mycrate::foo")
        );
        assert_eq!(display("fib"), "fib");
        assert_eq!(demangle("fib", Lang::Unknown), None);
        assert_eq!(demangle("_Znot a symbol", Lang::Other), None);
    }
}
