//! The `palisade` command line.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    if palisade::SEAMS_COMPILED_IN {
        eprintln!("error: this palisade was built with the formal models' test seams (feature `seams`); it must not decide anything");
        eprintln!("  build it without them: cargo build (not `cargo test --workspace`, which unifies palisade-models' features)");
        return std::process::ExitCode::from(70);
    }
    cli::main()
}
