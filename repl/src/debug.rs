//! The debugger REPL front end. REPL HELPER owns this file (and may split it).

pub fn main(args: crate::cli::DebugArgs) -> anyhow::Result<u8> {
    anyhow::bail!("the debugger REPL is not built yet ({:?})", args.file)
}
