//! `cargo run -p palisade-models` prints the verification table and exits 1
//! on any unexpected result; `--explore CLAIM [--bug]` serves the stateright
//! Explorer on loopback for that claim's model (with `--bug`, its negative
//! variant: the same model with the bug injected).

use std::path::PathBuf;
use std::process::ExitCode;

use palisade::seams::Bug;
use palisade_models::verify;

const ADDRESS: &str = "127.0.0.1:3000";

fn claim_names() -> String {
    verify::CLAIMS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

fn explore_claim(name: &str, buggy: bool) -> ExitCode {
    let Some(claim) = verify::claim(name) else {
        eprintln!("unknown claim `{name}`; claims: {}", claim_names());
        return ExitCode::from(2);
    };
    let bug = if buggy { claim.first_bug() } else { Bug::None };
    eprintln!("serving the stateright Explorer for {} ({bug:?}) on http://{ADDRESS}", claim.name);
    (claim.explore)(bug, ADDRESS);
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => {}
        ["--explore", claim] => return explore_claim(claim, false),
        ["--explore", claim, "--bug"] => return explore_claim(claim, true),
        _ => {
            eprintln!("usage: palisade-models [--explore CLAIM [--bug]]; claims: {}", claim_names());
            return ExitCode::from(2);
        }
    }
    let tla_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tla");
    let rows = verify::table(&tla_dir);
    print!("{}", verify::render(&rows));
    let mismatches = verify::state_count_mismatches(&rows);
    for mismatch in &mismatches {
        eprintln!("verify: {mismatch}");
    }
    if rows.iter().all(verify::Row::as_expected) && mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("verify: some results are not the expected ones");
        ExitCode::from(1)
    }
}
