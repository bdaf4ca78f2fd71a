use super::*;
use crate::api::Format;

/// A frame without DWARF: locals 10 and 0x2000, global 0x10000, an i64 -1
/// on the operand stack, memory whose byte at `a` is `a as u8`.
struct Cx;

impl FrameAccess for Cx {
    fn local(&self, index: u32) -> Option<Value> {
        [
            Value::I32(10),
            Value::I32(0x2000),
            Value::F64(39.5f64.to_bits()),
        ]
        .get(index as usize)
        .copied()
    }
    fn global(&self, index: u32) -> Option<Value> {
        (index == 0).then_some(Value::I32(0x10000))
    }
    fn operand(&self, _: u32) -> Option<Value> {
        None
    }
    fn read_memory(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        (addr + len as u64 <= 0x1_0000).then(|| (0..len as u64).map(|i| (addr + i) as u8).collect())
    }
}

impl EvalContext for Cx {
    fn as_frame(&self) -> &dyn FrameAccess {
        self
    }
    fn wasm_local(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(i) => self.local(*i).ok_or_else(|| format!("no local $l{i}")),
            LocalRef::Name(n) if n == "n" => Ok(Value::I32(10)),
            LocalRef::Name(n) if n == "w" => Ok(Value::F64(39.5f64.to_bits())),
            LocalRef::Name(n) => Err(format!("No symbol \"{n}\" in current context.")),
        }
    }
    fn wasm_stack(&self, n: u32) -> Result<Value, String> {
        if n == 0 {
            Ok(Value::I64(-1))
        } else {
            Err("the operand stack has 1 values".into())
        }
    }
}

fn env(history: &[Val]) -> Env<'_> {
    Env {
        cx: &Cx,
        debug: None,
        code_offset: 0,
        inline_frame: None,
        history,
    }
}

fn show(s: &str) -> String {
    let e = env(&[]);
    let v = e.evaluate(s).unwrap_or_else(|err| panic!("{s}: {err}"));
    e.show(&v, Format::Natural)
}

fn fails(s: &str) -> ExprError {
    env(&[]).evaluate(s).expect_err(s)
}

#[test]
fn c_arithmetic_and_precedence() {
    for (src, want) in [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("1 << 4 | 1", "17"),
        ("-5 % 3", "-2"),
        ("-5 / 2", "-2"),
        ("0x10 == 16 && 2 > 1", "1"),
        ("!0", "1"),
        ("~0", "-1"),
        ("~0u", "4294967295"),
        ("1 ? 2 : 3", "2"),
        ("0 ? 2 : 3.5", "3.5"),
        ("1 ? 2 : 3.5", "2"),
        ("2147483647 + 1", "-2147483648"),
        ("4294967295u + 1", "0"),
        ("-1 < 0u", "0"),
        ("-1 < 0", "1"),
        ("-1 < 0ll", "1"),
        ("-1ll < 0u", "1"),
        ("-1L < 0u", "0"),
        ("3000000000", "3000000000"),
        ("0xffffffff", "4294967295"),
        ("1.5 * 2", "3"),
        ("7 / 2.0", "3.5"),
        ("7 / 2", "3"),
        ("(double)7 / 2", "3.5"),
        ("(int)3.9", "3"),
        ("(int)-3.9", "-3"),
        ("(unsigned char)300", "44 ','"),
        ("(char)65", "65 'A'"),
        ("(short)65537", "1"),
        ("(float)0.1", "0.1"),
        ("0.1f + 0.2f", "0.3"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1e300 * 1e10", "inf"),
        ("5e-324", "5e-324"),
        ("1e-5", "1e-05"),
        ("1e20", "1e+20"),
        ("0b101", "5"),
        ("017", "15"),
        ("'a'", "97"),
        ("'\\n'", "10"),
        ("sizeof(int)", "4"),
        ("sizeof(long long)", "8"),
        ("sizeof(char *)", "4"),
        ("sizeof 1.5", "8"),
        ("1.5 > 1", "1"),
        ("nan == nan", "0"),
        ("nan != nan", "1"),
        ("-1 >> 1", "-1"),
        ("0xf0u >> 4", "15"),
        ("(unsigned)-1 / 2", "2147483647"),
        ("(char)-1 == 255", "0"),
        ("(unsigned char)-1 == 255", "1"),
    ] {
        assert_eq!(show(src), want, "{src}");
    }
}

#[test]
fn floats_are_not_truncated() {
    // The bugs of issue 18: a double local used with integers.
    assert_eq!(show("w + 1"), "40.5");
    assert_eq!(show("w / 2"), "19.75");
    assert_eq!(show("w > 39"), "1");
    assert_eq!(show("w == 39.5"), "1");
    assert_eq!(show("$l2 * 2"), "79");
}

#[test]
fn wasm_places_and_memory() {
    for (src, want) in [
        ("$l0 * 2", "20"),
        ("$n == 10", "1"),
        ("n", "10"),
        ("$g0", "65536"),
        ("$s0", "-1"),
        ("*(u8*)0x10", "16 '\\020'"),
        ("*(i32*)0x10", "319951120"),
        ("*0x10", "319951120"),
        ("*(i64*)($l0 + 6)", "1663540288323457296"),
        ("((unsigned char *)0x41)[1]", "66 'B'"),
        ("*(unsigned char *)0x41@3", "\"ABC\""),
        ("*(short *)0x10@2", "{4368, 4882}"),
        ("(int *)0x10 + 2", "(int *) 0x18"),
        ("(int *)0x18 - (int *)0x10", "2"),
        ("&*(int *)0x10", "(int *) 0x10"),
    ] {
        assert_eq!(show(src), want, "{src}");
    }
}

#[test]
fn print_formats_apply_by_type() {
    let e = env(&[]);
    let f = |s: &str, fmt| e.show(&e.evaluate(s).unwrap(), fmt);
    assert_eq!(f("-1", Format::Hex), "0xffffffff");
    assert_eq!(f("(char)-1", Format::Hex), "0xff");
    assert_eq!(f("-1ll", Format::Hex), "0xffffffffffffffff");
    assert_eq!(f("5", Format::Binary), "101");
    assert_eq!(f("65", Format::Char), "65 'A'");
    assert_eq!(f("1.5", Format::Hex), "0x1");
    assert_eq!(f("*(short *)0x10@2", Format::Hex), "{0x1110, 0x1312}");
}

#[test]
fn value_history() {
    let e = env(&[]);
    let h = vec![e.evaluate("1").unwrap(), e.evaluate("2.5").unwrap()];
    let e = env(&h);
    let s = |src: &str| e.show(&e.evaluate(src).unwrap(), Format::Natural);
    assert_eq!(s("$1"), "1");
    assert_eq!(s("$2"), "2.5");
    assert_eq!(s("$"), "2.5");
    assert_eq!(s("$$"), "1");
    assert_eq!(s("$$0 + $$1"), "3.5");
    assert_eq!(e.evaluate("$3").unwrap_err().kind, ErrorKind::History);
    assert_eq!(e.evaluate("$$5").unwrap_err().kind, ErrorKind::History);
}

#[test]
fn typed_errors() {
    assert_eq!(fails("1 +").kind, ErrorKind::Syntax);
    assert_eq!(fails("1 +").message, "expression expected");
    assert_eq!(fails("(1").kind, ErrorKind::Syntax);
    assert_eq!(fails("1 # 2").kind, ErrorKind::Syntax);
    assert_eq!(fails("1 / 0").kind, ErrorKind::Arithmetic);
    assert_eq!(fails("1 % 0").message, "division by zero");
    assert_eq!(fails("1 << 32").kind, ErrorKind::Arithmetic);
    assert_eq!(fails("1.5 % 2").kind, ErrorKind::Type);
    assert_eq!(fails("~1.5").kind, ErrorKind::Type);
    assert_eq!(fails("$l9").kind, ErrorKind::NoSymbol);
    assert_eq!(
        fails("nosuch").message,
        "No symbol \"nosuch\" in current context."
    );
    assert_eq!(fails("$s1").message, "the operand stack has 1 values");
    assert_eq!(fails("*(int *)0xfffffff0").kind, ErrorKind::Memory);
    assert_eq!(
        fails("*(int *)0xfffffff0").message,
        "Cannot access memory at address 0xfffffff0"
    );
    assert_eq!(fails("(struct rec *)0").kind, ErrorKind::NoSymbol);
    assert_eq!(fails("&$l0").kind, ErrorKind::Unavailable);
    assert_eq!(fails("*(void *)0x10").kind, ErrorKind::Type);
}

#[test]
fn parse_table() {
    let id = |s: &str| Box::new(Expr::Ident(s.to_string()));
    let int = |v| Box::new(Expr::Int(v, Scalar::Int));
    let bin = |op, a, b| Expr::Binary(op, a, b);
    let cases: Vec<(&str, Expr)> = vec![
        ("x", Expr::Ident("x".into())),
        ("0x1F", Expr::Int(31, Scalar::Int)),
        ("0x80000000", Expr::Int(0x8000_0000, Scalar::UInt)),
        ("2147483648", Expr::Int(0x8000_0000, Scalar::LongLong)),
        ("1.5f", Expr::Float(1.5, Scalar::Float)),
        ("a.b", Expr::Member(id("a"), "b".into())),
        // A Wasm GC field by index; after an operator `.5` stays a float.
        (
            "$l0.1.0",
            Expr::Member(
                Box::new(Expr::Member(
                    Box::new(Expr::Dollar(Dollar::Local(LocalRef::Index(0)))),
                    "1".into(),
                )),
                "0".into(),
            ),
        ),
        (
            "a[0].2",
            Expr::Member(Box::new(Expr::Index(id("a"), int(0))), "2".into()),
        ),
        (
            "x*.5",
            bin(
                BinOp::Mul,
                id("x"),
                Box::new(Expr::Float(0.5, Scalar::Double)),
            ),
        ),
        ("p->x", Expr::Arrow(id("p"), "x".into())),
        ("arr[3]", Expr::Index(id("arr"), int(3))),
        (
            "m[1][2]",
            Expr::Index(Box::new(Expr::Index(id("m"), int(1))), int(2)),
        ),
        ("*p", Expr::Unary(UnOp::Deref, id("p"))),
        ("&x", Expr::Unary(UnOp::AddrOf, id("x"))),
        ("-x", Expr::Unary(UnOp::Neg, id("x"))),
        ("~x", Expr::Unary(UnOp::BitNot, id("x"))),
        (
            "a + b * c",
            bin(
                BinOp::Add,
                id("a"),
                Box::new(bin(BinOp::Mul, id("b"), id("c"))),
            ),
        ),
        (
            "a - b - c",
            bin(
                BinOp::Sub,
                Box::new(bin(BinOp::Sub, id("a"), id("b"))),
                id("c"),
            ),
        ),
        (
            "a && b || c",
            bin(
                BinOp::Or,
                Box::new(bin(BinOp::And, id("a"), id("b"))),
                id("c"),
            ),
        ),
        (
            "a & b == c",
            bin(
                BinOp::BitAnd,
                id("a"),
                Box::new(bin(BinOp::Eq, id("b"), id("c"))),
            ),
        ),
        (
            "*a@5",
            bin(
                BinOp::At,
                Box::new(Expr::Unary(UnOp::Deref, id("a"))),
                int(5),
            ),
        ),
        (
            "a << 1 @ 2",
            bin(
                BinOp::Shl,
                id("a"),
                Box::new(bin(BinOp::At, int(1), int(2))),
            ),
        ),
        ("c ? a : b", Expr::Cond(id("c"), id("a"), id("b"))),
        (
            "(double)n",
            Expr::Cast(
                TypeName {
                    base: BaseType::Scalar(Scalar::Double),
                    stars: 0,
                },
                id("n"),
            ),
        ),
        (
            "(struct rec *)0x11440",
            Expr::Cast(
                TypeName {
                    base: BaseType::Struct("rec".into()),
                    stars: 1,
                },
                int(0x11440),
            ),
        ),
        (
            "(shape_t *)p",
            Expr::Cast(
                TypeName {
                    base: BaseType::Named("shape_t".into()),
                    stars: 1,
                },
                id("p"),
            ),
        ),
        ("(n) - 1", bin(BinOp::Sub, id("n"), int(1))),
        (
            "sizeof(unsigned long long)",
            Expr::SizeofType(TypeName {
                base: BaseType::Scalar(Scalar::ULongLong),
                stars: 0,
            }),
        ),
        ("$l3", Expr::Dollar(Dollar::Local(LocalRef::Index(3)))),
        (
            "$sp",
            Expr::Dollar(Dollar::Local(LocalRef::Name("sp".into()))),
        ),
        (
            "$g:sp",
            Expr::Dollar(Dollar::Global(LocalRef::Name("sp".into()))),
        ),
        ("$2", Expr::Dollar(Dollar::History(2))),
        ("$", Expr::Dollar(Dollar::Back(0))),
        ("$$", Expr::Dollar(Dollar::Back(1))),
        ("$$3", Expr::Dollar(Dollar::Back(3))),
        ("std::f::X", Expr::Ident("std::f::X".into())),
        ("  x  ", Expr::Ident("x".into())),
    ];
    for (src, want) in cases {
        assert_eq!(parse(src), Ok(want), "parsing {src:?}");
    }
    // A typedef the caller knows makes `(T) -x` a cast.
    let t = parse::parse_with("(myint) -x", &|n| n == "myint").unwrap();
    assert!(matches!(t, Expr::Cast(..)), "{t:?}");
}

#[test]
fn parse_errors() {
    for bad in [
        "",
        "   ",
        "a +",
        "(a",
        "a)",
        "a[1",
        "p->",
        "a.",
        "1 2",
        "a b",
        "#",
        "0xZZ",
        "a ==",
        "[1]",
        "a ? b",
        "(struct)x",
        "'ab'",
        "09",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} should not parse");
    }
    let deep = "(".repeat(10_000) + "1" + &")".repeat(10_000);
    assert!(
        parse(&deep).is_err(),
        "deep nesting is refused, not a stack overflow"
    );
    let unary = "-".repeat(5000) + "1";
    assert!(parse(&unary).is_err());
    assert!(parse("99999999999999999999999999999999999999999999").is_err());
}

#[test]
fn parse_never_panics_on_noise() {
    let alphabet: Vec<char> = "ab_09x()[]*&+-/%<>=!.|,?:@$~^ \t->'\"é".chars().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (seed >> 58) as usize;
        let s: String = (0..len)
            .map(|i| {
                let r = seed.rotate_left(i as u32 * 7) >> 40;
                alphabet[(r as usize) % alphabet.len()]
            })
            .collect();
        if let Ok(e) = parse(&s) {
            let _ = env(&[]).eval_expr(&e);
        }
    }
}
