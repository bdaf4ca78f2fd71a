//! `wdb run`. WASI HELPER owns this file.

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    pub file: std::path::PathBuf,
}

pub fn main(args: RunArgs) -> anyhow::Result<u8> {
    anyhow::bail!("wdb run is not built yet ({})", args.file.display())
}
