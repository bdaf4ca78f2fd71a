//! `wdb wast`. ENGINE HELPER owns this file.

#[derive(clap::Args, Debug)]
pub struct WastArgs {
    pub files: Vec<std::path::PathBuf>,
}

pub fn main(args: WastArgs) -> anyhow::Result<u8> {
    anyhow::bail!("wdb wast is not built yet ({} files)", args.files.len())
}
