//! Claim 8, sandbox scope isolation, as a stateright model mirroring
//! `tla/SandboxScope.tla`: for every scope and every assignment of three
//! session keys to two agents, the gateway's real `placement` (and so its
//! real `container_name`) says where each session runs.

use std::path::{Path, PathBuf};

use palisade::seams::{with_bug, Bug};
use palisade::{DockerConfig, SandboxConfig};
use palisade::{SandboxMode, SandboxScope, WorkspaceAccess};
use palisade_gateway::sandbox::placement;
use stateright::{Model, Property};

/// Two keys that slug alike, and a third.
pub const KEYS: [&str; 3] = ["agent:a:telegram:direct:x-y", "agent:a:telegram:direct:x:y", "agent:a:discord:direct:1"];
pub const AGENTS: [&str; 2] = ["a", "b"];
pub const SCOPES: [SandboxScope; 3] = [SandboxScope::Session, SandboxScope::Agent, SandboxScope::Shared];

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub scope: usize,
    pub owner: [usize; 3],
    pub containers: [String; 3],
    /// `None`: the container's private tmpfs.
    pub workspaces: [Option<PathBuf>; 3],
}

#[derive(Clone, Debug)]
pub struct SandboxScopeModel {
    pub bug: Bug,
}

pub fn config(scope: SandboxScope) -> SandboxConfig {
    SandboxConfig { mode: SandboxMode::All, scope, workspace: WorkspaceAccess::None, docker: DockerConfig::default() }
}

impl Model for SandboxScopeModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || {
            let mut states = Vec::new();
            for (scope, s) in SCOPES.iter().enumerate() {
                let config = config(*s);
                for n in 0..8usize {
                    let owner = [n & 1, (n >> 1) & 1, (n >> 2) & 1];
                    let place = |i: usize| {
                        let agent = owner.get(i).and_then(|o| AGENTS.get(*o)).copied().unwrap_or("a");
                        placement(&config, Path::new("/state"), agent, KEYS.get(i).copied().unwrap_or(""))
                    };
                    let [p0, p1, p2] = [place(0), place(1), place(2)];
                    states.push(State {
                        scope,
                        owner,
                        containers: [p0.container, p1.container, p2.container],
                        workspaces: [p0.workspace, p1.workspace, p2.workspace],
                    });
                }
            }
            states
        })
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("SessionsIsolated", |_, s: &State| {
            s.scope != 0
                || (0..3).all(|i| {
                    // A private tmpfs is the container's own: distinct containers, distinct scratch.
                    let workspace_apart = |j: usize| s.workspaces.get(i) != s.workspaces.get(j) || s.workspaces.get(i).is_some_and(Option::is_none);
                    (0..3).all(|j| i == j || (s.containers.get(i) != s.containers.get(j) && workspace_apart(j)))
                })
        })]
    }
}
