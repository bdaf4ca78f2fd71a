//! DWARF values as the trees front ends expand: a [`VarValue`] becomes a
//! [`ValueView`] whose children are its fields or elements, so the GUI can
//! show `struct node` as a node with `value`, `next`, ... under it rather
//! than one long line cut at the panel's edge.

use crate::api::{NamedValue, ValueView};
use crate::dwarf::VarValue;

/// Children listed per node; the rest is summarised by one `...` child
/// (the text still names the full length).
const MAX_CHILDREN: usize = 100;

/// `v` as a view typed `ty`, with its parts as children.
pub fn var_view(ty: &str, v: &VarValue) -> ValueView {
    ValueView {
        ty: ty.to_string(),
        text: v.to_string(),
        bits: v.as_i128().unwrap_or(0) as u128,
        children: children(v),
    }
}

fn children(v: &VarValue) -> Vec<NamedValue> {
    // A Wasm reference expands to what it points at.
    if let VarValue::WasmRef { value, .. } = v {
        return children(value);
    }
    let named = |name: String, v: &VarValue| NamedValue {
        name,
        value: var_view("", v),
    };
    let mut out: Vec<NamedValue> = match v {
        VarValue::Struct { fields } | VarValue::Variant { fields, .. } => fields
            .iter()
            .take(MAX_CHILDREN)
            .map(|(n, v)| named(n.clone(), v))
            .collect(),
        VarValue::Array { elements, .. }
        | VarValue::Slice { elements, .. }
        | VarValue::Vec { elements, .. } => elements
            .iter()
            .take(MAX_CHILDREN)
            .enumerate()
            .map(|(i, v)| named(format!("[{i}]"), v))
            .collect(),
        _ => Vec::new(),
    };
    let shown = out.len() as u64;
    let total = match v {
        VarValue::Struct { fields } | VarValue::Variant { fields, .. } => fields.len() as u64,
        VarValue::Array { len, .. } | VarValue::Slice { len, .. } | VarValue::Vec { len, .. } => {
            *len
        }
        _ => 0,
    };
    if shown < total {
        out.push(NamedValue {
            name: "...".into(),
            value: ValueView {
                text: format!("{} more", total - shown),
                ..ValueView::default()
            },
        });
    }
    out
}

/// Whether a value is a pointer worth following for the tree (non-null,
/// not a C string, which already shows its text).
pub fn is_followable_pointer(v: &VarValue) -> bool {
    matches!(v, VarValue::Pointer { address, .. } if *address != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_and_arrays_become_trees() {
        let v = VarValue::Struct {
            fields: vec![
                ("value".into(), VarValue::Int(7)),
                (
                    "next".into(),
                    VarValue::Pointer {
                        type_name: "struct node *".into(),
                        address: 0x11540,
                    },
                ),
                (
                    "xs".into(),
                    VarValue::Array {
                        elements: vec![VarValue::Int(1), VarValue::Int(2)],
                        len: 5,
                    },
                ),
            ],
        };
        let view = var_view("struct node", &v);
        assert_eq!(view.ty, "struct node");
        let names: Vec<&str> = view.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["value", "next", "xs"]);
        assert_eq!(view.children[1].value.text, "(struct node *) 0x11540");
        let xs = &view.children[2].value.children;
        let names: Vec<&str> = xs.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["[0]", "[1]", "..."]);
        assert_eq!(xs[2].value.text, "3 more");
        assert!(view.children[0].value.children.is_empty());
    }

    #[test]
    fn gc_references_expand_to_what_they_point_at() {
        let point = VarValue::WasmRef {
            type_name: "(ref $point)".into(),
            len: None,
            value: Box::new(VarValue::Struct {
                fields: vec![
                    ("x".into(), VarValue::Int(1)),
                    ("y".into(), VarValue::Int(2)),
                ],
            }),
        };
        let arr = VarValue::WasmRef {
            type_name: "(ref $points)".into(),
            len: Some(2),
            value: Box::new(VarValue::Array {
                elements: vec![point.clone(), VarValue::Raw("null".into())],
                len: 2,
            }),
        };
        let view = var_view("(ref null $points)", &arr);
        assert_eq!(
            view.text,
            "(ref $points) [len 2] {(ref $point) {x = 1, y = 2}, null}"
        );
        let first = &view.children[0].value;
        assert_eq!(first.text, "(ref $point) {x = 1, y = 2}");
        let names: Vec<&str> = first.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["x", "y"]);
    }
}
