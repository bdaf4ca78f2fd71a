use super::*;

struct Cx;

impl EvalContext for Cx {
    fn local(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(0) => Ok(Value::I32(10)),
            LocalRef::Name(n) if n == "n" => Ok(Value::I32(10)),
            _ => Err(format!("no local {r:?}")),
        }
    }
    fn global(&self, r: &LocalRef) -> Result<Value, String> {
        match r {
            LocalRef::Index(0) => Ok(Value::I32(0x10000)),
            _ => Err("no global".into()),
        }
    }
    fn stack(&self, n: u32) -> Result<Value, String> {
        if n == 0 {
            Ok(Value::I64(-1))
        } else {
            Err("empty".into())
        }
    }
    fn load(&self, addr: u32, len: u32) -> Result<Vec<u8>, String> {
        Ok((0..len).map(|i| (addr + i) as u8).collect())
    }
    fn ident(&self, name: &str) -> Result<Value, String> {
        self.local(&LocalRef::Name(name.to_string()))
    }
}

fn ev(s: &str) -> Value {
    eval(&parse(s).unwrap_or_else(|e| panic!("{s}: {e}")), &Cx)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn arithmetic_and_precedence() {
    assert_eq!(ev("1 + 2 * 3"), Value::I32(7));
    assert_eq!(ev("(1 + 2) * 3"), Value::I32(9));
    assert_eq!(ev("10 - 4 - 3"), Value::I32(3));
    assert_eq!(ev("1 << 4 | 1"), Value::I32(17));
    assert_eq!(ev("-5 % 3"), Value::I32(-2));
    assert_eq!(ev("0x10 == 16 && 2 > 1"), Value::I32(1));
    assert_eq!(ev("!0"), Value::I32(1));
    assert_eq!(ev("1.5 * 2"), Value::F64(3.0f64.to_bits()));
}

#[test]
fn places() {
    assert_eq!(ev("$l0 * 2"), Value::I32(20));
    assert_eq!(ev("$n == 10"), Value::I32(1));
    assert_eq!(ev("n"), Value::I32(10));
    assert_eq!(ev("$g0"), Value::I32(0x10000));
    assert_eq!(ev("$s0"), Value::I64(-1));
    assert_eq!(ev("*(u8*)0x10"), Value::I32(0x10));
    assert_eq!(ev("*(i32*)0x10"), Value::I32(0x13121110));
    assert_eq!(ev("*0x10"), Value::I32(0x13121110));
    assert_eq!(ev("*(i64*)($l0 + 6)"), Value::I64(0x1716151413121110));
}

#[test]
fn errors() {
    assert!(parse("1 +").is_err());
    assert!(parse("(1").is_err());
    assert!(parse("1 # 2").is_err());
    assert!(parse("$").is_err());
    assert!(eval(&parse("1 / 0").unwrap(), &Cx).is_err());
    assert!(eval(&parse("$l9").unwrap(), &Cx).is_err());
}

#[test]
fn mem_types_round_trip() {
    assert_eq!(
        MemTy::I8.decode(&MemTy::I8.encode(Value::I32(-3))),
        Value::I32(-3)
    );
    assert_eq!(
        MemTy::F32.encode(Value::I32(1)),
        1.0f32.to_bits().to_le_bytes().to_vec()
    );
}
