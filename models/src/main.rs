//! `cargo run -p palisade-models` prints the verification table and exits 1
//! on any unexpected result; `--explore CLAIM [--bug]` serves the stateright
//! Explorer on loopback for that claim's model (with `--bug`, its negative
//! variant: the same model with the bug injected).

use std::path::PathBuf;
use std::process::ExitCode;

use palisade::seams::Bug;
use palisade_models::{exposure, hot_reload, ingress, nodes, pairing_cap, pairing_ttl, routing, sandbox_scope, tool_policy, verify};
use stateright::Model;

const ADDRESS: &str = "127.0.0.1:3000";
const CLAIMS: &str = "ToolPolicy, Exposure, NodeApproval, PairingCap, PairingTTL, Ingress, Routing, SandboxScope, HotReload";

fn explore<M>(model: M) -> ExitCode
where
    M: Model + Send + Sync + 'static,
    M::State: std::fmt::Debug + std::hash::Hash + Send + Sync + Clone + PartialEq,
    M::Action: std::fmt::Debug + Send + Sync + Clone + PartialEq,
{
    eprintln!("serving the stateright Explorer on http://{ADDRESS}");
    model.checker().serve(ADDRESS);
    ExitCode::SUCCESS
}

fn explore_claim(claim: &str, buggy: bool) -> ExitCode {
    let pick = |bug: Bug| if buggy { bug } else { Bug::None };
    match claim {
        "ToolPolicy" => explore(tool_policy::ToolPolicyModel { bug: pick(Bug::FoldAllowUnion) }),
        "Exposure" => explore(exposure::ExposureModel { bug: pick(Bug::NoBindCheck) }),
        "NodeApproval" => explore(nodes::NodesModel { bug: pick(Bug::NodeAnyRequest) }),
        "PairingCap" => explore(pairing_cap::PairingCapModel { bug: pick(Bug::PairingCheckOutsideTx) }),
        "PairingTTL" => explore(pairing_ttl::PairingTtlModel { bug: pick(Bug::PairingNoExpiry) }),
        "Ingress" => explore(ingress::IngressModel { bug: pick(Bug::AnyCommandBypass) }),
        "Routing" => explore(routing::RoutingModel { bug: pick(Bug::KeyWithoutAccount) }),
        "SandboxScope" => explore(sandbox_scope::SandboxScopeModel { bug: pick(Bug::SlugOnlyNames) }),
        "HotReload" => match hot_reload::HotReloadModel::new(pick(Bug::ReloadRereads)) {
            Some(model) => explore(model),
            None => {
                eprintln!("the reload model's policies do not compile");
                ExitCode::from(1)
            }
        },
        other => {
            eprintln!("unknown claim `{other}`; claims: {CLAIMS}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => {}
        ["--explore", claim] => return explore_claim(claim, false),
        ["--explore", claim, "--bug"] => return explore_claim(claim, true),
        _ => {
            eprintln!("usage: palisade-models [--explore CLAIM [--bug]]; claims: {CLAIMS}");
            return ExitCode::from(2);
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
