//! `gpt`: train, sample from and benchmark the tiny GPT from the command line.

mod bench;
mod cli;

use std::process::ExitCode;

use clap::Parser;

// Training allocates and frees many activation-sized buffers per step. glibc's malloc returns
// large ones to the kernel each time, and the page faults of getting them back cost ~30% of a
// step (measured with perf); mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
