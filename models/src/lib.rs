//! Palisade's formal models: each security claim as TLA+ specs in `tla/`
//! (a positive spec that holds, negative specs that must fail) and as a
//! stateright model here whose states are computed by the real engine.
//! `verify` runs both and says whether every result is the expected one.

/// The step methods of a model whose states are all initial: a universe
/// checked state by state, with no transitions (`type Action = ()`).
#[macro_export]
macro_rules! no_steps {
    () => {
        fn actions(&self, _state: &Self::State, _actions: &mut Vec<()>) {}

        fn next_state(&self, _state: &Self::State, _action: ()) -> Option<Self::State> {
            None
        }
    };
}

pub mod credential_roles;
pub mod exec_commands;
pub mod exposure;
pub mod fail_closed;
pub mod fail_closed_ingress;
pub mod handle_grounds;
pub mod hot_reload;
pub mod identity_links;
pub mod ingress;
pub mod nodes;
pub mod pairing_cap;
pub mod pairing_ttl;
pub mod path_rules;
pub mod routing;
pub mod routing_precedence;
pub mod sandbox_scope;
pub mod session_handles;
pub mod tool_policy;
pub mod verify;
