//! The types values carry: C's arithmetic types (sized for wasm32: `long`
//! and pointers are 4 bytes), pointers and arrays made by the expression,
//! and DWARF types, which keep their names and layouts for display.

use gimli::AttributeValue;

use crate::dwarf::types as dt;
use crate::dwarf::units::Ty;

/// C's arithmetic types, with wasm32's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Bool,
    /// Plain `char` (signed on wasm32).
    Char,
    SChar,
    UChar,
    Short,
    UShort,
    Int,
    UInt,
    Long,
    ULong,
    LongLong,
    ULongLong,
    Float,
    Double,
}

impl Scalar {
    pub fn size(self) -> u64 {
        use Scalar::*;
        match self {
            Bool | Char | SChar | UChar => 1,
            Short | UShort => 2,
            Int | UInt | Long | ULong | Float => 4,
            LongLong | ULongLong | Double => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Scalar::Float | Scalar::Double)
    }

    pub fn is_signed(self) -> bool {
        use Scalar::*;
        matches!(
            self,
            Char | SChar | Short | Int | Long | LongLong | Float | Double
        )
    }

    /// C's integer conversion rank.
    fn rank(self) -> u8 {
        use Scalar::*;
        match self {
            Bool => 0,
            Char | SChar | UChar => 1,
            Short | UShort => 2,
            Int | UInt => 3,
            Long | ULong => 4,
            LongLong | ULongLong => 5,
            Float => 6,
            Double => 7,
        }
    }

    fn unsigned(self) -> Scalar {
        use Scalar::*;
        match self {
            Char | SChar => UChar,
            Short => UShort,
            Int => UInt,
            Long => ULong,
            LongLong => ULongLong,
            other => other,
        }
    }

    pub fn name(self) -> &'static str {
        use Scalar::*;
        match self {
            Bool => "_Bool",
            Char => "char",
            SChar => "signed char",
            UChar => "unsigned char",
            Short => "short",
            UShort => "unsigned short",
            Int => "int",
            UInt => "unsigned int",
            Long => "long",
            ULong => "unsigned long",
            LongLong => "long long",
            ULongLong => "unsigned long long",
            Float => "float",
            Double => "double",
        }
    }

    /// The largest value of an integer type.
    pub fn max_value(self) -> u128 {
        let bits = self.size() * 8;
        if self.is_signed() {
            (1u128 << (bits - 1)) - 1
        } else {
            (1u128 << bits) - 1
        }
    }

    /// C's integer promotion: types narrower than `int` become `int`.
    pub fn promote(self) -> Scalar {
        if !self.is_float() && self.rank() < Scalar::Int.rank() {
            Scalar::Int
        } else {
            self
        }
    }

    /// C's usual arithmetic conversions: the common type of `a op b`.
    pub fn common(a: Scalar, b: Scalar) -> Scalar {
        if a.is_float() || b.is_float() {
            return if a.rank() >= b.rank() { a } else { b };
        }
        let (a, b) = (a.promote(), b.promote());
        if a == b {
            return a;
        }
        if a.is_signed() == b.is_signed() {
            return if a.rank() >= b.rank() { a } else { b };
        }
        let (s, u) = if a.is_signed() { (a, b) } else { (b, a) };
        if u.rank() >= s.rank() {
            u
        } else if s.size() > u.size() {
            s
        } else {
            s.unsigned()
        }
    }

    /// `unsigned long long`, `short int`, `signed`: the words of a C type.
    pub fn from_words(words: &[String]) -> Result<Scalar, String> {
        use Scalar::*;
        let (mut signed, mut unsigned, mut longs, mut base) = (false, false, 0, None);
        for w in words {
            match w.as_str() {
                "signed" => signed = true,
                "unsigned" => unsigned = true,
                "long" => longs += 1,
                "char" | "short" | "int" | "float" | "double" | "_Bool" | "bool" => {
                    if base.is_some() && w != "int" {
                        return Err(format!("bad type `{}`", words.join(" ")));
                    }
                    if base.is_none() || base == Some("int") {
                        base = Some(w.as_str());
                    }
                }
                other => return Err(format!("`{other}` in a type")),
            }
        }
        let bad = || format!("bad type `{}`", words.join(" "));
        if signed && unsigned {
            return Err(bad());
        }
        Ok(match (base.unwrap_or("int"), longs) {
            ("char", 0) if unsigned => UChar,
            ("char", 0) if signed => SChar,
            ("char", 0) => Char,
            ("short", 0) => [Short, UShort][unsigned as usize],
            ("int", 0) => [Int, UInt][unsigned as usize],
            ("int", 1) => [Long, ULong][unsigned as usize],
            ("int", 2) => [LongLong, ULongLong][unsigned as usize],
            ("float", 0) if !signed && !unsigned => Float,
            ("double", 0 | 1) if !signed && !unsigned => Double,
            ("_Bool" | "bool", 0) if !signed && !unsigned => Bool,
            _ => return Err(bad()),
        })
    }

    /// The scalar a DWARF base type is.
    fn of_base(
        e: &gimli::DebuggingInformationEntry<crate::dwarf::R>,
        name: &str,
    ) -> Option<Scalar> {
        use Scalar::*;
        let size = e
            .attr_value(gimli::DW_AT_byte_size)
            .and_then(|v| v.udata_value())?;
        let enc = match e.attr_value(gimli::DW_AT_encoding) {
            Some(AttributeValue::Encoding(enc)) => enc,
            _ => gimli::DW_ATE_signed,
        };
        let long = name.contains("long");
        Some(match (enc, size) {
            (gimli::DW_ATE_float, 4) => Float,
            (gimli::DW_ATE_float, 8) => Double,
            (gimli::DW_ATE_boolean, 1) => Bool,
            (gimli::DW_ATE_signed_char, 1) if name == "char" => Char,
            (gimli::DW_ATE_unsigned_char, 1) if name == "char" => UChar,
            (gimli::DW_ATE_signed_char | gimli::DW_ATE_signed, 1) => SChar,
            (gimli::DW_ATE_unsigned_char | gimli::DW_ATE_unsigned | gimli::DW_ATE_UTF, 1) => UChar,
            (gimli::DW_ATE_signed, 2) => Short,
            (gimli::DW_ATE_unsigned | gimli::DW_ATE_UTF, 2) => UShort,
            (gimli::DW_ATE_signed, 4) if long => Long,
            (gimli::DW_ATE_signed, 4) => Int,
            (gimli::DW_ATE_unsigned | gimli::DW_ATE_UTF | gimli::DW_ATE_address, 4) if long => {
                ULong
            }
            (gimli::DW_ATE_unsigned | gimli::DW_ATE_UTF | gimli::DW_ATE_address, 4) => UInt,
            (gimli::DW_ATE_signed, 8) => LongLong,
            (gimli::DW_ATE_unsigned | gimli::DW_ATE_UTF | gimli::DW_ATE_address, 8) => ULongLong,
            _ => return None,
        })
    }
}

/// A value's type.
#[derive(Debug, Clone)]
pub enum Type {
    Void,
    Scalar(Scalar),
    /// A pointer the expression made (`&x`, `(int *)0x10`, `p + 1`).
    Ptr(Box<Type>),
    /// An array the expression made: gdb's `x@n`, or a row of a
    /// multi-dimensional DWARF array.
    Array(Box<Type>, Vec<Option<u64>>),
    /// A type DWARF describes.
    Dwarf(Ty),
    /// A wasm slot's value (`$l0`, `$g1`, `$s0`): computes as `int`,
    /// `long long`, `float`, `double`, and prints as wasm prints it (`p/x`
    /// of an `f64` shows its bits).
    Wasm(wdb_engine::ValType),
    /// A Wasm reference (`(ref null $point)`, `funcref`): its value is the
    /// slot encoding, 8 bytes; GC objects are read through the store
    /// (`expr/gc.rs`).
    Ref(super::gc::RefTy),
}

/// What a type is, with typedefs and qualifiers looked through.
#[derive(Debug, Clone)]
pub enum Kind {
    Void,
    Scalar(Scalar),
    /// An enumeration and the integer type it is stored as.
    Enum(Scalar),
    Ptr(Type),
    Array(Type, Vec<Option<u64>>),
    Record,
    Func,
    /// Something expressions cannot compute with (Rust types, `long double`, v128).
    Opaque,
}

impl Type {
    pub fn dwarf(ty: Option<Ty>) -> Type {
        ty.map_or(Type::Void, Type::Dwarf)
    }

    pub fn kind(&self) -> Kind {
        match self {
            Type::Void => Kind::Void,
            Type::Scalar(s) => Kind::Scalar(*s),
            Type::Ptr(t) => Kind::Ptr((**t).clone()),
            Type::Array(e, d) => Kind::Array((**e).clone(), d.clone()),
            Type::Ref(_) => Kind::Opaque,
            Type::Wasm(v) => match v {
                wdb_engine::ValType::I32 => Kind::Scalar(Scalar::Int),
                wdb_engine::ValType::I64 => Kind::Scalar(Scalar::LongLong),
                wdb_engine::ValType::F32 => Kind::Scalar(Scalar::Float),
                wdb_engine::ValType::F64 => Kind::Scalar(Scalar::Double),
                _ => Kind::Opaque,
            },
            Type::Dwarf(t) => {
                let Some((t, e)) = dt::strip(t) else {
                    return Kind::Opaque;
                };
                match e.tag() {
                    gimli::DW_TAG_base_type => {
                        let name = t.cu.string_attr(&e, gimli::DW_AT_name).unwrap_or_default();
                        Scalar::of_base(&e, &name).map_or(Kind::Opaque, Kind::Scalar)
                    }
                    gimli::DW_TAG_pointer_type
                    | gimli::DW_TAG_reference_type
                    | gimli::DW_TAG_rvalue_reference_type => {
                        Kind::Ptr(Type::dwarf(dt::type_of(&t.cu, &e)))
                    }
                    gimli::DW_TAG_enumeration_type => {
                        let under =
                            dt::type_of(&t.cu, &e).and_then(|b| match Type::Dwarf(b).kind() {
                                Kind::Scalar(s) => Some(s),
                                _ => None,
                            });
                        let size = dt::byte_size(&t, 0).unwrap_or(4);
                        Kind::Enum(under.unwrap_or(match size {
                            1 => Scalar::SChar,
                            2 => Scalar::Short,
                            8 => Scalar::LongLong,
                            _ => Scalar::Int,
                        }))
                    }
                    gimli::DW_TAG_array_type => match dt::type_of(&t.cu, &e) {
                        Some(elem) => Kind::Array(Type::Dwarf(elem), dt::array_dims(&t)),
                        None => Kind::Opaque,
                    },
                    gimli::DW_TAG_structure_type
                    | gimli::DW_TAG_class_type
                    | gimli::DW_TAG_union_type => Kind::Record,
                    gimli::DW_TAG_subroutine_type | gimli::DW_TAG_subprogram => Kind::Func,
                    gimli::DW_TAG_unspecified_type => Kind::Void,
                    _ => Kind::Opaque,
                }
            }
        }
    }

    /// `sizeof`: bytes of one object of this type.
    pub fn size(&self) -> Option<u64> {
        match self {
            Type::Void => Some(1),
            Type::Scalar(s) => Some(s.size()),
            Type::Ptr(_) => Some(4),
            Type::Array(e, dims) => {
                let n: u64 = dims.iter().map(|d| d.unwrap_or(0)).product();
                e.size().map(|s| s.saturating_mul(n))
            }
            Type::Dwarf(t) => dt::byte_size(t, 0),
            Type::Ref(_) => Some(8),
            Type::Wasm(v) => Some(match v {
                wdb_engine::ValType::V128 => 16,
                wdb_engine::ValType::I64 | wdb_engine::ValType::F64 => 8,
                _ => 4,
            }),
        }
    }

    /// The type as C writes it: `int`, `struct node *`, `int [3][4]`.
    pub fn name(&self) -> String {
        match self {
            Type::Void => "void".to_string(),
            Type::Scalar(s) => s.name().to_string(),
            Type::Ptr(t) => dt::pointer_to(&t.name(), "*"),
            Type::Array(e, dims) => {
                let d: String = dims
                    .iter()
                    .map(|d| d.map_or("[]".to_string(), |n| format!("[{n}]")))
                    .collect();
                format!("{} {d}", e.name())
            }
            Type::Dwarf(t) => dt::type_name(Some(t), 0),
            Type::Wasm(v) => wdb_engine::value::valtype_name(*v).to_string(),
            Type::Ref(r) => r.name(),
        }
    }

    /// Integer-like (for `[]`, `%`, `<<`): scalars that are not floats, enums.
    pub fn is_char(&self) -> bool {
        match self {
            Type::Scalar(s) => matches!(s, Scalar::Char | Scalar::SChar | Scalar::UChar),
            Type::Dwarf(t) => dt::is_char_type(t),
            _ => false,
        }
    }
}

impl Type {
    /// The type as `ptype` shows it: a struct, union or enum (also behind
    /// typedefs and pointers) with its members.
    pub fn declaration(&self) -> String {
        if let Type::Ref(r) = self {
            return r.declaration();
        }
        let Type::Dwarf(t) = self else {
            return self.name();
        };
        let mut stars = String::new();
        let mut cur = t.clone();
        for _ in 0..8 {
            let Some((st, e)) = dt::strip(&cur) else {
                break;
            };
            match e.tag() {
                gimli::DW_TAG_pointer_type => match dt::type_of(&st.cu, &e) {
                    Some(p) => {
                        stars.push('*');
                        cur = p;
                    }
                    None => break,
                },
                gimli::DW_TAG_structure_type
                | gimli::DW_TAG_class_type
                | gimli::DW_TAG_union_type
                | gimli::DW_TAG_enumeration_type => {
                    let body = record_body(&st, &e);
                    let head = dt::type_name(Some(&st), 0);
                    return if stars.is_empty() {
                        format!("{head} {body}")
                    } else {
                        format!("{head} {body} {stars}")
                    };
                }
                _ => break,
            }
        }
        self.name()
    }
}

/// `{RED, GREEN, BLUE}` or the members of a struct, one a line.
fn record_body(t: &Ty, e: &gimli::DebuggingInformationEntry<crate::dwarf::R>) -> String {
    if e.tag() == gimli::DW_TAG_enumeration_type {
        let names: Vec<String> = dt::enumerator_names(t);
        return format!("{{{}}}", names.join(", "));
    }
    let mut out = String::from("{\n");
    for (name, m) in dt::members(t) {
        let tn = dt::type_name(dt::type_of(&t.cu, &m).as_ref(), 0);
        let bits = m
            .attr_value(gimli::DW_AT_bit_size)
            .and_then(|v| v.udata_value())
            .map(|b| format!(" : {b}"))
            .unwrap_or_default();
        out.push_str(&format!("    {}{bits};\n", declare(&tn, &name)));
    }
    out.push('}');
    out
}

/// A declaration of `name` with type `tn`: `int a[4]`, `struct node *next`,
/// `void (*f)(...)`.
pub fn declare(tn: &str, name: &str) -> String {
    if let Some(i) = tn.find("(*)") {
        return format!("{}(*{name}){}", &tn[..i], &tn[i + 3..]);
    }
    if let Some(i) = tn.find(" [") {
        return format!("{} {name}{}", &tn[..i], &tn[i + 1..]);
    }
    if tn.ends_with('*') {
        format!("{tn}{name}")
    } else {
        format!("{tn} {name}")
    }
}
