//! `palisade gateway`: the HTTP API, decisions and sandboxes.

use std::io::Write;

use palisade::Policy;

use super::Failure;

/// A `--prune-idle` style duration.
pub(super) fn duration(text: &str) -> Result<std::time::Duration, String> {
    palisade::unstable::settings::parse_duration(text).ok_or_else(|| format!("`{text}` is not a duration (30s, 5m, 1h, 1d)"))
}

/// The async runtime the gateway and Docker commands run on.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
}

pub(super) fn run(policy: &Policy, options: palisade_gateway::GatewayOptions) -> Result<(), Failure> {
    let rt = runtime()?;
    rt.block_on(palisade_gateway::serve(policy.clone(), options, |addr| {
        outln!("palisade gateway listening on {addr}");
    }))
    .map_err(|e| Failure::rendered(&e))
}
