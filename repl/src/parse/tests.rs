use super::*;
use wdb_debugger::runner::Mode;

/// Table test: each line parses to a command whose Debug form contains the text.
#[test]
fn commands_parse() {
    let table: &[(&str, &str)] = &[
        ("run", "Run { args: None }"),
        (
            "call fibArray 10",
            "Call { export: \"fibArray\", args: [\"10\"] }",
        ),
        (
            "invoke add 1 2",
            "Call { export: \"add\", args: [\"1\", \"2\"] }",
        ),
        ("c", "Continue"),
        ("si", "StepInstruction"),
        ("ni", "NextInstruction"),
        ("s", "Step"),
        ("n", "Next"),
        ("finish", "Finish"),
        ("until", "Until"),
        ("kill", "Kill"),
        ("restart", "Restart"),
        (
            "b fibArray",
            "SetBreakpoint { spec: Function(\"fibArray\"), temporary: false, condition: None }",
        ),
        (
            "break fib if $l0 == 3",
            "SetBreakpoint { spec: Function(\"fib\"), temporary: false, condition: Some(\"$l0 == 3\") }",
        ),
        (
            "tbreak *0x1a3",
            "SetBreakpoint { spec: CodeOffset(419), temporary: true, condition: None }",
        ),
        ("b fib+4", "FuncOffset(\"fib\", 4)"),
        ("b src/fib.c:12", "Line(\"src/fib.c\", 12)"),
        ("delete", "Delete(None)"),
        ("d 2", "Delete(Some(2))"),
        ("disable 1", "Enable(1, false)"),
        ("enable 1", "Enable(1, true)"),
        ("condition 1 $l0 > 2", "Condition(1, Some(\"$l0 > 2\"))"),
        ("condition 1", "Condition(1, None)"),
        ("ignore 1 3", "Ignore(1, 3)"),
        (
            "watch 0x1000",
            "Watch { addr: \"0x1000\", len: 0, kind: Write }",
        ),
        (
            "watch -l arr[3]",
            "Watch { addr: \"arr[3]\", len: 0, kind: Write }",
        ),
        (
            "watch p->next->val",
            "Watch { addr: \"p->next->val\", len: 0, kind: Write }",
        ),
        (
            "rwatch 0x1000 8",
            "Watch { addr: \"0x1000\", len: 8, kind: Read }",
        ),
        ("awatch $l1", "kind: Access"),
        ("catch wasi", "CatchWasi(None)"),
        ("catch wasi fd_write", "CatchWasi(Some(\"fd_write\"))"),
        ("catch throw", "CatchException { caught: false, tag: None }"),
        (
            "catch catch $e",
            "CatchException { caught: true, tag: Some(\"$e\") }",
        ),
        ("bt", "Frames"),
        ("where", "Frames"),
        ("f 1", "SelectFrame(1)"),
        ("frame", "MoveFrame(0)"),
        ("up", "MoveFrame(1)"),
        ("down 2", "MoveFrame(-2)"),
        ("stack", "Stack"),
        ("globals", "Globals"),
        ("p $l0", "Print { expr: \"$l0\", format: Natural }"),
        ("p/x $l0 + 1", "Print { expr: \"$l0 + 1\", format: Hex }"),
        ("print/t 5", "format: Binary"),
        (
            "x/16xb 0x1000",
            "ReadMemory { addr: \"0x1000\", format: ExamineFormat { count: 16, letter: 'x', unit: 1 } }",
        ),
        (
            "x/4dw $g0",
            "ExamineFormat { count: 4, letter: 'd', unit: 4 }",
        ),
        (
            "x/2xg 8",
            "ExamineFormat { count: 2, letter: 'x', unit: 8 }",
        ),
        ("x/s 0x400", "letter: 's'"),
        (
            "x/3i 0x1a3",
            "ExamineFormat { count: 3, letter: 'i', unit: 4 }",
        ),
        ("set var $l0 = 5", "SetVar { lhs: \"$l0\", value: \"5\" }"),
        (
            "set var *(i32*)0x1000 = -1",
            "SetVar { lhs: \"*(i32*)0x1000\", value: \"-1\" }",
        ),
        ("set $g0 = 1", "SetVar { lhs: \"$g0\", value: \"1\" }"),
        ("disas", "Disassemble { around: None }"),
        ("disassemble fib", "Disassemble { around: Some(\"fib\") }"),
        ("info breakpoints", "Info(Breakpoints)"),
        ("i b", "Info(Breakpoints)"),
        ("info locals", "Info(Locals)"),
        ("info args", "Info(Args)"),
        ("info frame", "Info(Frame)"),
        ("info exports", "Info(Exports)"),
        ("info imports", "Info(Imports)"),
        ("info functions", "Info(Functions)"),
        ("info globals", "Info(Globals)"),
        ("info memory", "Info(Memory)"),
        ("info tables", "Info(Tables)"),
        ("info sections", "Info(Sections)"),
        ("info wasi", "Info(Wasi)"),
        ("breakpoint set -n fib", "Function(\"fib\")"),
        ("breakpoint list", "Info(Breakpoints)"),
        ("thread backtrace", "Frames"),
        ("thread step-over", "Next"),
        ("thread step-out", "Finish"),
        ("frame variable", "Locals"),
        ("process continue", "Continue"),
        // gdb's vocabulary (issue 19).
        ("next 4", "Repeat { command: Next, count: 4 }"),
        ("s 2", "Repeat { command: Step, count: 2 }"),
        ("stepi 5", "Repeat { command: StepInstruction, count: 5 }"),
        ("ni 0x3", "Repeat { command: NextInstruction, count: 3 }"),
        ("next 1", "Next"),
        ("continue 3", "ContinueIgnoring(3)"),
        ("until 21", "RunTo { spec: Line(\"\", 21), advance: false }"),
        (
            "u fib.c:12",
            "RunTo { spec: Line(\"fib.c\", 12), advance: false }",
        ),
        (
            "advance fib",
            "RunTo { spec: Function(\"fib\"), advance: true }",
        ),
        ("break 19", "SetBreakpoint { spec: Line(\"\", 19)"),
        ("list 17", "List { around: Some(\"17\") }"),
        ("list 1,5", "List { around: Some(\"1,5\") }"),
        ("list -", "List { around: Some(\"-\") }"),
        ("list fib", "List { around: Some(\"fib\") }"),
        ("disable", "EnableAll(false)"),
        ("enable", "EnableAll(true)"),
        ("delete breakpoints 4", "Delete(Some(4))"),
        ("info watchpoints", "Info(Watchpoints)"),
        ("info variables", "Info(Variables)"),
        ("info types", "Info(Types)"),
        (
            "info functions sum",
            "InfoMatching { what: Functions, regex: Some(\"sum\") }",
        ),
        (
            "info variables ^g",
            "InfoMatching { what: Variables, regex: Some(\"^g\") }",
        ),
        (
            "info types node",
            "InfoMatching { what: Types, regex: Some(\"node\") }",
        ),
        ("directory /tmp/src", "Directory(Some(\"/tmp/src\"))"),
        ("directory", "Directory(None)"),
        (
            "set unwindonsignal off",
            "Set { name: \"unwindonsignal\", value: \"off\" }",
        ),
        (
            "set allocator my_alloc",
            "Set { name: \"allocator\", value: \"my_alloc\" }",
        ),
        ("show substitute-path", "Show(\"substitute-path\")"),
        ("show directories", "Show(\"directories\")"),
        (
            "set substitute-path . /src",
            "SubstitutePath { from: \".\", to: \"/src\" }",
        ),
        (
            "call greet \"Ada Lovelace\" &len",
            "Call { export: \"greet\", args: [\"\\\"Ada Lovelace\\\"\", \"&len\"] }",
        ),
        (
            "call/s greet \"a\\\" b\" 0",
            "CallString { export: \"greet\", args: [\"\\\"a\\\\\\\" b\\\"\", \"0\"] }",
        ),
        (
            "dump memory out.bin 0x100 0x200",
            "DumpMemory { path: \"out.bin\", start: \"0x100\", end: \"0x200\" }",
        ),
        ("dump binary memory o 1 2", "DumpMemory { path: \"o\""),
    ];
    for (line, want) in table {
        match parse(line) {
            Ok(Parsed::Command(c)) => {
                let got = format!("{c:?}");
                assert!(got.contains(want), "{line}: got {got}, want {want}");
            }
            other => panic!("{line}: {other:?}"),
        }
    }
}

#[test]
fn repl_actions() {
    assert!(matches!(parse("q"), Ok(Parsed::Action(ReplAction::Quit))));
    assert!(matches!(parse(""), Ok(Parsed::Action(ReplAction::Empty))));
    assert!(matches!(
        parse("# comment"),
        Ok(Parsed::Action(ReplAction::Empty))
    ));
    assert!(matches!(
        parse("help break"),
        Ok(Parsed::Action(ReplAction::Help(Some(_))))
    ));
    assert!(matches!(
        parse("mode jit"),
        Ok(Parsed::Command(Command::SetMode(Mode::Jit)))
    ));
    assert!(matches!(
        parse("mode interp"),
        Ok(Parsed::Command(Command::SetMode(Mode::Interp)))
    ));
    assert!(matches!(
        parse("mode aot"),
        Ok(Parsed::Command(Command::SetMode(Mode::Aot)))
    ));
    assert!(matches!(
        parse("mode"),
        Ok(Parsed::Command(Command::Info(InfoWhat::Mode)))
    ));
    assert!(matches!(
        parse("info mode"),
        Ok(Parsed::Command(Command::Info(InfoWhat::Mode)))
    ));
    assert!(parse("mode fast").is_err());
}

#[test]
fn errors_are_helpful() {
    let e = |l: &str| match parse(l) {
        Err(e) => e.0,
        Ok(p) => panic!("{l} parsed: {p:?}"),
    };
    assert_eq!(
        e("contnue"),
        "Undefined command: \"contnue\".  Did you mean \"continue\"?  Try \"help\"."
    );
    assert_eq!(
        e("zzzzzzzz"),
        "Undefined command: \"zzzzzzzz\".  Try \"help\"."
    );
    assert!(e("break").starts_with("usage: break"));
    assert!(e("call").starts_with("usage: call"));
    assert!(e("x/4q 0").contains("bad examine format"));
    assert!(e("p/z 1").contains("bad print format"));
    assert!(e("ignore 1").starts_with("usage: ignore"));
    assert!(e("delete x").contains("not a valid breakpoint number"));
    assert!(e("set var $l0").starts_with("usage: set"));
    assert!(e("b *zz").contains("bad code offset"));
    assert!(e("c/x").contains("takes no /FORMAT"));
}

#[test]
fn gdb_script_words() {
    let action = |l: &str| match parse(l) {
        Ok(Parsed::Action(a)) => a,
        other => panic!("{l}: {other:?}"),
    };
    assert_eq!(action("echo hello\\n"), ReplAction::Echo("hello\n".into()));
    assert_eq!(
        action("echo a\\tb\\101\\\\"),
        ReplAction::Echo("a\tbA\\".into())
    );
    assert_eq!(
        action("source cmds.gdb"),
        ReplAction::Source(PathBuf::from("cmds.gdb"))
    );
    assert_eq!(
        action("set pagination off"),
        ReplAction::Set("pagination".into(), "off".into())
    );
    assert_eq!(
        action("set confirm off"),
        ReplAction::Set("confirm".into(), "off".into())
    );
    assert_eq!(action("show version"), ReplAction::Show("version".into()));
    assert_eq!(action("show confirm"), ReplAction::Show("confirm".into()));
    let many = |l: &str| match parse(l) {
        Ok(Parsed::Commands {
            commands,
            stop_on_error,
        }) => (format!("{commands:?}"), stop_on_error),
        other => panic!("{l}: {other:?}"),
    };
    assert_eq!(
        many("delete 2 3"),
        ("[Delete(Some(2)), Delete(Some(3))]".to_string(), false)
    );
    assert_eq!(
        many("disable 1-3 5"),
        (
            "[Enable(1, false), Enable(2, false), Enable(3, false), Enable(5, false)]".to_string(),
            false
        )
    );
    // Locations of a breakpoint, one by one (gdb's `1.1-2` too).
    assert_eq!(
        many("disable 2.1 3 2.3-4"),
        (
            "[Enable(3, false), EnableLocation { number: 2, location: 1, on: false }, \
             EnableLocation { number: 2, location: 3, on: false }, \
             EnableLocation { number: 2, location: 4, on: false }]"
                .to_string(),
            false
        )
    );
    assert!(matches!(
        parse("enable 2.2"),
        Ok(Parsed::Command(Command::EnableLocation {
            number: 2,
            location: 2,
            on: true
        }))
    ));
    let (start, stop) = many("start");
    assert!(stop);
    assert!(
        start.contains("spec: Function(\"main\"), temporary: true"),
        "{start}"
    );
    assert!(start.contains("Run { args: None }"), "{start}");
    // With arguments, `start` sets them as `run` does (see program.rs).
    assert!(matches!(
        parse("start 7"),
        Ok(Parsed::Action(ReplAction::Program(_)))
    ));
    let e = |l: &str| parse(l).expect_err(l).0;
    assert!(e("disable 3-1").contains("inverted"));
    assert!(e("delete 1.2").contains("`disable 1.2` turns it off"));
    assert!(e("next 0").contains("at least 1"));
    assert!(e("call f \"open").contains("unterminated"));
    assert!(e("call/x f").contains("only /s"));
    assert!(e("advance").starts_with("usage: advance"));
    assert!(e("dump memory f 1").starts_with("usage: dump"));
    assert!(e("echo \\q").contains("unknown escape"));
}

#[test]
fn help_texts() {
    assert!(help(None).unwrap().contains("x/NFU ADDR"));
    assert!(help(Some("bt")).unwrap().starts_with("usage: backtrace"));
    assert!(help(Some("nope")).is_err());
}
