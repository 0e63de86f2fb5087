//! Claim 7, tool policy precedence, as a stateright model over the same
//! universe as `tla/ToolPolicy.tla`: every policy of three allow/deny layers
//! (global, agent, agent provider) over two tools. Each initial state is
//! compiled by the real compiler and decided by the real engine; the
//! properties are the spec's invariants. The bug variants switch the real
//! fold through `palisade::seams`.

use palisade::seams::{with_bug, Bug};
use palisade::{Policy, ToolRequest};
use stateright::{Model, Property};

pub const TOOLS: [&str; 2] = ["read", "exec"];
pub const LAYERS: usize = 3;

/// One layer: an optional non-empty allow set and a deny set, as bit masks
/// over `TOOLS`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct LayerSpec {
    pub allow: Option<u8>,
    pub deny: u8,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct State {
    pub layers: [LayerSpec; LAYERS],
    /// What the real engine allows (bit mask), or `None` when the compiler
    /// refused the policy (an allow list that leaves no callable tool).
    pub allowed: Option<u8>,
}

#[derive(Clone, Debug)]
pub struct ToolPolicyModel {
    pub bug: Bug,
}

fn names(mask: u8) -> Vec<&'static str> {
    TOOLS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, t)| *t).collect()
}

fn rules(layer: &LayerSpec) -> String {
    let mut out = String::new();
    if let Some(allow) = layer.allow {
        out += &format!(" allow {}", names(allow).join(", "));
    }
    if layer.deny != 0 {
        out += &format!(" deny {}", names(layer.deny).join(", "));
    }
    out
}

/// The policy text of a configuration: layer 1 global, 2 agent, 3 agent provider.
pub fn policy_text(layers: &[LayerSpec; LAYERS]) -> String {
    let [global, agent, provider] = layers;
    format!("tools {{{}}}\nagent a {{ sandbox off  tools {{{} provider \"openai\" {{{} }} }} }}\n", rules(global), rules(agent), rules(provider))
}

/// Compiles and decides with the real code.
pub fn decide(layers: &[LayerSpec; LAYERS]) -> Option<u8> {
    let policy = Policy::from_dsl("model.pal", &policy_text(layers)).ok()?;
    let engine = policy.engine();
    let mut allowed = 0u8;
    for (i, tool) in TOOLS.iter().enumerate() {
        let request = ToolRequest::new("a", tool).with_provider("openai");
        if engine.decide(&request) {
            allowed |= 1 << i;
        }
    }
    Some(allowed)
}

fn all_layers() -> Vec<LayerSpec> {
    let full = (1u8 << TOOLS.len()) - 1;
    let allows = std::iter::once(None).chain((1..=full).map(Some));
    allows.flat_map(|allow| (0..=full).map(move |deny| LayerSpec { allow, deny })).collect()
}

impl ToolPolicyModel {
    pub fn configurations() -> Vec<[LayerSpec; LAYERS]> {
        let layers = all_layers();
        let mut out = Vec::new();
        for a in &layers {
            for b in &layers {
                for c in &layers {
                    out.push([*a, *b, *c]);
                }
            }
        }
        out
    }
}

fn deny_wins(state: &State) -> bool {
    let allowed = state.allowed.unwrap_or(0);
    state.layers.iter().all(|l| allowed & l.deny == 0)
}

fn no_grant_back(state: &State) -> bool {
    let allowed = state.allowed.unwrap_or(0);
    state.layers.iter().all(|l| l.allow.is_none_or(|a| allowed & !a == 0))
}

impl Model for ToolPolicyModel {
    type State = State;
    type Action = ();

    fn init_states(&self) -> Vec<State> {
        with_bug(self.bug, || Self::configurations().into_iter().map(|layers| State { allowed: decide(&layers), layers }).collect())
    }

    crate::no_steps!();

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("DenyWins", |_, s: &State| deny_wins(s)), Property::always("NoGrantBack", |_, s: &State| no_grant_back(s))]
    }
}

/// The same claim at the level of the engine's fold (`palisade::unstable::fold::fold_word`,
/// the function the compiler folds every context with), over a larger
/// universe: every policy of `layers` layers over `tools` tools. No compile
/// per state, so it runs at the checker's own speed.
#[derive(Clone, Debug)]
pub struct FoldModel {
    pub bug: Bug,
    pub tools: u32,
    pub layers: usize,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct FoldState {
    pub layers: Vec<palisade::unstable::fold::LayerWord>,
    pub allowed: u64,
}

impl FoldModel {
    fn choices(&self) -> Vec<palisade::unstable::fold::LayerWord> {
        let full = (1u64 << self.tools) - 1;
        let allows = std::iter::once(None).chain((1..=full).map(Some));
        allows.flat_map(|allow| (0..=full).map(move |deny| palisade::unstable::fold::LayerWord { allow, ask: 0, deny })).collect()
    }
}

impl Model for FoldModel {
    type State = FoldState;
    type Action = ();

    fn init_states(&self) -> Vec<FoldState> {
        let choices = self.choices();
        let all = (1u64 << self.tools) - 1;
        let mut configs: Vec<Vec<palisade::unstable::fold::LayerWord>> = vec![Vec::new()];
        for _ in 0..self.layers {
            configs = configs.into_iter().flat_map(|c| choices.iter().map(move |l| [c.clone(), vec![*l]].concat())).collect();
        }
        with_bug(self.bug, || {
            configs.into_iter().map(|layers| FoldState { allowed: palisade::unstable::fold::fold_word(all, &layers), layers }).collect()
        })
    }

    fn actions(&self, _state: &FoldState, _actions: &mut Vec<()>) {}

    fn next_state(&self, _state: &FoldState, _action: ()) -> Option<FoldState> {
        None
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("DenyWins", |_, s: &FoldState| s.layers.iter().all(|l| s.allowed & l.deny == 0)),
            Property::always("NoGrantBack", |_, s: &FoldState| s.layers.iter().all(|l| l.allow.is_none_or(|a| s.allowed & !a == 0))),
        ]
    }
}
