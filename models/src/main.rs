//! `cargo run -p palisade-models` prints the verification table and exits 1
//! on any unexpected result; `--explore CLAIM` serves the stateright
//! Explorer on loopback.

use std::path::PathBuf;
use std::process::ExitCode;

use palisade_models::tool_policy::ToolPolicyModel;
use palisade_models::verify;
use stateright::Model;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, claim] = args.as_slice() {
        if flag == "--explore" {
            return match claim.as_str() {
                "ToolPolicy" => {
                    let address = "127.0.0.1:3000";
                    eprintln!("serving the stateright Explorer for {claim} on http://{address}");
                    ToolPolicyModel { bug: palisade::seams::Bug::None }.checker().serve(address);
                    ExitCode::SUCCESS
                }
                other => {
                    eprintln!("unknown claim `{other}`; claims: ToolPolicy");
                    ExitCode::from(2)
                }
            };
        }
    }
    let tla_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tla");
    let rows = verify::table(&tla_dir);
    print!("{}", verify::render(&rows));
    if rows.iter().all(verify::Row::as_expected) {
        ExitCode::SUCCESS
    } else {
        eprintln!("verify: some results are not the expected ones");
        ExitCode::from(1)
    }
}
