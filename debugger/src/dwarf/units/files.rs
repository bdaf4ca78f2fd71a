//! The files DWARF lives in: custom sections of the module, of a `.dwp`
//! package or of split `.dwo` files beside it, and the path arithmetic that
//! finds them and matches source paths.

use super::*;

/// Custom sections of a wasm file as name -> payload range, for `.dwp`/`.dwo`
/// files, which need not validate as modules.
pub(super) fn scan_custom_sections(bytes: &[u8]) -> Option<HashMap<String, Range<usize>>> {
    Some(
        crate::sections::sections(bytes)?
            .into_iter()
            .filter_map(|s| s.custom)
            .collect(),
    )
}

pub(super) fn reader_for(
    bytes: &Arc<[u8]>,
    sections: &HashMap<String, Range<usize>>,
    name: &str,
) -> R {
    match sections.get(name) {
        Some(r) => gimli::EndianArcSlice::new(bytes.clone(), gimli::LittleEndian).range(r.clone()),
        None => empty_reader(),
    }
}

/// A file's bytes and its custom sections (name -> payload range).
pub(super) type FileSections = (Arc<[u8]>, HashMap<String, Range<usize>>);

pub(super) fn load_file_sections(path: &Path) -> Option<FileSections> {
    let bytes: Arc<[u8]> = std::fs::read(path).ok()?.into();
    let sections = scan_custom_sections(&bytes)?;
    Some((bytes, sections))
}

pub(crate) fn attr_to_string(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    value: AttributeValue<R>,
) -> Option<String> {
    let r = dwarf.attr_string(unit, value).ok()?;
    Some(r.to_string_lossy().ok()?.into_owned())
}

/// Where a skeleton unit's `.dwo` file may be: its `dwo_name` under the
/// unit's `comp_dir`, or beside the module.
pub(super) fn dwo_candidates(
    dwarf: &gimli::Dwarf<R>,
    skeleton: &gimli::Unit<R>,
    module_dir: Option<&Path>,
) -> Vec<PathBuf> {
    let Some(name) = skeleton
        .dwo_name()
        .ok()
        .flatten()
        .and_then(|n| attr_to_string(dwarf, skeleton, n))
    else {
        return Vec::new();
    };
    let dir = module_dir.map(Path::to_path_buf).unwrap_or_default();
    let comp_dir = skeleton
        .comp_dir
        .as_ref()
        .and_then(|d| d.to_string_lossy().ok().map(|s| s.into_owned()))
        .unwrap_or_default();
    let base_name = Path::new(&name)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_default();
    vec![
        dir.join(&comp_dir).join(&name),
        dir.join(&name),
        dir.join(base_name),
    ]
}

/// `a/./b/../c` style cleanup, only of `.` segments and leading `./`.
pub(super) fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

pub(super) fn join_path(base: &str, rest: &str) -> String {
    if rest.starts_with('/') || base.is_empty() || is_windows_absolute(rest) {
        rest.to_string()
    } else if base.contains('\\') && !base.contains('/') {
        format!("{base}\\{rest}")
    } else {
        format!("{base}/{rest}")
    }
}

pub(super) fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() > 2 && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// `path` ends with `suffix` at a path-component boundary.
pub(super) fn path_matches(path: &str, suffix: &str) -> bool {
    let suffix = suffix.trim_start_matches("./");
    path == suffix
        || path.ends_with(&format!("/{suffix}"))
        || path.ends_with(&format!("\\{suffix}"))
}
