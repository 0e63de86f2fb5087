//! Claim 1, gateway exposure, as a stateright model over the universe of
//! `tla/GatewayExposure.tla`: every bind, auth mode, secret present or not,
//! and presented credential. Each state is computed by the real code: the
//! policy compiler (the validator `palisade check` runs), the secret loader
//! and exposure check the gateway runs at start, and the auth check it runs
//! on every request.

use std::net::SocketAddr;
use std::path::PathBuf;

use palisade::seams::{with_bug, Bug};
use palisade::Policy;
use palisade_gateway::auth::{admits, load_secret};
use palisade_gateway::check_exposure;
use stateright::{Model, Property};

pub const BINDS: [&str; 3] = ["loopback", "lan", "10.0.0.5"];
pub const AUTHS: [&str; 3] = ["none", "token", "password"];
pub const PRESENTED: [&str; 3] = ["", "wrong", "right-secret"];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub bind: usize,
    pub auth: usize,
    pub secret: bool,
    pub presented: usize,
    pub started: bool,
    pub succeeded: bool,
}

#[derive(Clone, Debug)]
pub struct ExposureModel {
    pub bug: Bug,
}

fn secret_file(present: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-exposure-{}", std::process::id()));
    let path = dir.join(if present { "secret" } else { "missing" });
    if present && std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(&path, "right-secret\n");
    }
    path
}

/// Runs the real validator, start checks and auth check for one configuration.
pub fn run(bind: &str, auth: &str, secret: bool, presented: &str) -> (bool, bool) {
    let source = if auth == "none" { String::new() } else { format!(" from file \"{}\"", secret_file(secret).display()) };
    let text = format!("agent main {{}}\ngateway {{ bind \"{bind}\"  auth {auth}{source} }}\n");
    let Ok(policy) = Policy::from_dsl("exposure.pal", &text) else { return (false, false) };
    let config = policy.gateway();
    let addr = SocketAddr::new(config.bind.ip(), config.port);
    let Ok(loaded) = load_secret(&config.auth) else { return (false, false) };
    if check_exposure(config, &palisade_gateway::Listen::Tcp(addr), &[]).is_err() {
        return (false, false);
    }
    (true, admits(loaded.as_ref(), presented))
}

impl Model for ExposureModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for (bind, b) in BINDS.iter().enumerate() {
                for (auth, a) in AUTHS.iter().enumerate() {
                    for secret in [false, true] {
                        for (presented, p) in PRESENTED.iter().enumerate() {
                            let (started, succeeded) = run(b, a, secret, p);
                            states.push(State { bind, auth, secret, presented, started, succeeded });
                        }
                    }
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("NoUnauthenticatedExposure", |_, s: &State| {
                !(s.succeeded && s.bind != 0) || PRESENTED.get(s.presented) == Some(&"right-secret")
            }),
            Property::always("ValidatorRefusesUnsafe", |_, s: &State| !s.started || s.bind == 0 || s.auth != 0),
        ]
    }
}
