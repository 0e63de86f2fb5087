//! Claim 1, gateway exposure, as a stateright model over the universe of
//! `tla/GatewayExposure.tla`: every listener (three TCP binds, a Unix socket
//! of the gateway's user alone or one other users may open), auth mode,
//! secret present or not, and presented credential. Each state is computed
//! by the real code: the policy compiler (the validator `palisade check`
//! runs), the secret loader and exposure check the gateway runs at start,
//! and the auth check it runs on every request.

use std::net::SocketAddr;
use std::path::PathBuf;

use palisade::seams::{with_bug, Bug};
use palisade::Policy;
use palisade_gateway::auth::{admits, load_secret};
use palisade_gateway::{check_exposure, Listen};
use stateright::{Model, Property};

/// The TCP binds as a policy writes them, then the two Unix sockets.
pub const BINDS: [&str; 5] = ["loopback", "lan", "10.0.0.5", "socket-own", "socket-shared"];

/// Listeners reachable only from the gateway's machine or its own user.
pub fn local(bind: usize) -> bool {
    matches!(BINDS.get(bind), Some(&"loopback" | &"socket-own"))
}
pub const AUTHS: [&str; 3] = ["none", "token", "password"];
pub const PRESENTED: [&str; 3] = ["", "wrong", "right-secret-0123456789-abcdefghij"];

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
        let _ = std::fs::write(&path, "right-secret-0123456789-abcdefghij\n");
    }
    path
}

/// Runs the real validator, start checks and auth check for one configuration.
pub fn run(bind: &str, auth: &str, secret: bool, presented: &str) -> (bool, bool) {
    let source = if auth == "none" { String::new() } else { format!(" from file \"{}\"", secret_file(secret).display()) };
    // A socket is given with `--listen unix:PATH`, over the policy's (loopback) bind.
    let (policy_bind, others): (&str, &[u32]) = match bind {
        "socket-own" => ("loopback", &[]),
        "socket-shared" => ("loopback", &[65534]),
        tcp => (tcp, &[]),
    };
    let text = format!("agent main {{}}\ngateway {{ bind \"{policy_bind}\"  auth {auth}{source} }}\n");
    let Ok(policy) = Policy::from_dsl("exposure.pal", &text) else { return (false, false) };
    let config = policy.gateway();
    let listen = if bind.starts_with("socket-") {
        Listen::Unix(std::env::temp_dir().join("palisade-exposure.sock"))
    } else {
        Listen::Tcp(SocketAddr::new(config.bind.ip(), config.port))
    };
    let Ok(loaded) = load_secret(&config.auth) else { return (false, false) };
    if check_exposure(config, &listen, others).is_err() {
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
                !s.succeeded || local(s.bind) || PRESENTED.get(s.presented) == Some(&"right-secret-0123456789-abcdefghij")
            }),
            Property::always("ValidatorRefusesUnsafe", |_, s: &State| !s.started || local(s.bind) || s.auth != 0),
        ]
    }
}
