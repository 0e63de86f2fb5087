//! The compiled decision engine. Knows only the compiled form: no AST, no
//! text. Every decision context (agent, provider class, sender class,
//! sandboxed, subagent, owner) owns one bitset over the interned tools, so a
//! decision is one name lookup plus one bit test. Explanations re-walk the
//! layers, off the fast path.

pub(crate) mod args;
pub(crate) mod exec;
mod explain;
#[doc(hidden)]
pub mod fold;
pub(crate) mod ingress;
pub(crate) mod mention;
pub(crate) mod paths;
mod request;
pub(crate) mod route;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::source::Location;
use crate::vocab::{SandboxMode, SandboxScope, ToolOutcome, WorkspaceAccess};

pub(crate) use args::ArgKind;
pub use explain::{Explanation, LayerTrace, Outcome, SegmentTrace};
pub use ingress::{Inbound, IngressDecision, IngressOutcome};
pub use request::{Arg, Args, OptionalText, RequestError, ToolRequest};
pub use route::{main_session_key, subagent_session_key, MatchedBy, Route, RouteError, Tier};

pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
pub(crate) type Set<K> = HashSet<K, foldhash::fast::FixedState>;

/// Channel -> escaped group id (or `*`) -> group class.
pub(crate) type GroupIndex = Map<Box<str>, Map<Box<str>, u32>>;

/// A context's tools, as `Engine::tool_lists` sorts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolLists<'e> {
    /// Callable without asking, in id order, the tool under command rules aside.
    pub allowed: Vec<&'e str>,
    /// Callable with a person's approval, the tool under command rules aside.
    pub ask: Vec<&'e str>,
    /// The tool whose outcome is its command's (`exec` under command rules),
    /// with the most its tool lists alone give it.
    pub by_command: Option<(&'e str, ToolOutcome)>,
}

/// A tool name interned at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToolId(pub(crate) u32);

impl ToolId {
    /// The id as an index into `Engine::tool_names`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A resolved decision context: where its bitset starts plus the keys the
/// slow paths need. Cheap to copy; resolve once per session, decide many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    offset: usize,
    pub(crate) agent: u32,
    pub(crate) provider: u32,
    pub(crate) sender: u32,
    /// The channel group whose tool policy applies (0: none).
    pub(crate) group: u32,
    pub(crate) flags: u8,
}

pub(crate) const SANDBOXED: u8 = 1;
pub(crate) const SUBAGENT: u8 = 2;
pub(crate) const OWNER: u8 = 4;
pub(crate) const FLAG_COMBINATIONS: usize = 8;

impl Context {
    /// Tool calls in this context run in the agent's sandbox.
    pub fn sandboxed(&self) -> bool {
        self.flags & SANDBOXED != 0
    }
    /// The caller is a sub-agent.
    pub fn subagent(&self) -> bool {
        self.flags & SUBAGENT != 0
    }
    /// The sender is an owner.
    pub fn owner(&self) -> bool {
        self.flags & OWNER != 0
    }
}

/// How a rule entry matches a normalised tool name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    Exact(Arc<str>),
    Glob(Box<str>),
}

impl Matcher {
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Matcher::Exact(exact) => **exact == *name,
            Matcher::Glob(pattern) => crate::builtins::glob_match(pattern, name),
        }
    }
}

/// One entry of an allow or deny list, with what was written and where.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub matcher: Matcher,
    pub written: Arc<str>,
    pub at: Option<Location>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub entries: Vec<Entry>,
    pub at: Option<Location>,
}

impl RuleSet {
    pub(crate) fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.matcher.matches(name))
    }
}

/// Which of the layers of ARCHITECTURE.md's Decision semantics a layer is; the order of the variants is
/// the order of evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerKind {
    /// The agent's profile (or the global one it inherits).
    Profile,
    /// The profile of a provider entry.
    ProviderProfile,
    /// The global tools block.
    Global,
    /// A provider entry of the global tools block.
    GlobalProvider,
    /// The agent's tools block.
    Agent,
    /// A provider entry of the agent's tools block.
    AgentProvider,
    /// The sandbox tool policy, in sandboxed sessions.
    Sandbox,
    /// A read-only workspace takes the writing tools away.
    SandboxWorkspace,
    /// What sub-agents never get.
    SubagentFixed,
    /// A sub-agent policy.
    Subagent,
    /// A sender entry.
    Sender,
    /// A channel group's tool policy.
    Group,
    /// Owner-only tools, for senders who are not owners.
    OwnerOnly,
    /// The built-in protected paths, which no rule can lift.
    ProtectedPaths,
}

impl LayerKind {
    /// The kind as the JSON wire format spells it, e.g. `agent_provider`.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Profile => "profile",
            LayerKind::ProviderProfile => "provider_profile",
            LayerKind::Global => "global",
            LayerKind::GlobalProvider => "global_provider",
            LayerKind::Agent => "agent",
            LayerKind::AgentProvider => "agent_provider",
            LayerKind::Sandbox => "sandbox",
            LayerKind::SandboxWorkspace => "sandbox_workspace",
            LayerKind::SubagentFixed => "subagent_fixed",
            LayerKind::Subagent => "subagent",
            LayerKind::Sender => "sender",
            LayerKind::Group => "group",
            LayerKind::OwnerOnly => "owner_only",
            LayerKind::ProtectedPaths => "protected_paths",
        }
    }
}

/// One allow/ask/deny layer: a tool passes when no deny entry matches it and
/// the allow list is absent or it or the ask list matches it; it asks when
/// the ask list matches it.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub kind: LayerKind,
    /// "agent family", "global provider openai", "default sandbox policy".
    pub name: String,
    pub allow: Option<RuleSet>,
    pub ask: RuleSet,
    pub deny: RuleSet,
    /// Why a deny hit blocks, when the generic "denied by NAME deny list" says too little.
    pub deny_reason: Option<String>,
    /// Interned tools its allow list names (`None`: no allow list).
    pub allow_bits: Option<Vec<u64>>,
    /// Interned tools its ask list names.
    pub ask_bits: Vec<u64>,
    /// Interned tools its deny list names.
    pub deny_bits: Vec<u64>,
    /// The block's argument rules, at most one block of each kind, in
    /// `ArgKind` order.
    pub args: Vec<args::ArgBlock>,
}

impl Layer {
    /// This layer restricted to word `w` of the interned tools, as it decides
    /// calls by tool alone: a call that leaves out what an argument block
    /// reads (an `exec` call without a command) is decided as strictly as
    /// any value of it, the block's `left_out`.
    pub(crate) fn word(&self, w: usize) -> fold::LayerWord {
        let mut word = self.tool_word(w);
        for block in &self.args {
            let at = |bits: &[u64]| bits.get(w).copied().unwrap_or(0);
            word.deny |= at(&block.left_out.deny);
            // Asked only where admitted: an ask entry would also admit.
            word.ask |= at(&block.left_out.ask) & word.admits();
        }
        word
    }

    /// The block of `kind`, if the layer has one.
    pub(crate) fn block(&self, kind: ArgKind) -> Option<&args::ArgBlock> {
        self.args.iter().find(|b| b.kind() == kind)
    }

    /// This layer's tool lists alone, restricted to word `w`.
    pub(crate) fn tool_word(&self, w: usize) -> fold::LayerWord {
        let at = |bits: &[u64]| bits.get(w).copied().unwrap_or(0);
        fold::LayerWord { allow: self.allow_bits.as_deref().map(at), ask: at(&self.ask_bits), deny: at(&self.deny_bits) }
    }

    /// This layer's outcome for a call of `tool` whose arguments read as
    /// `readings`: its tool lists, then each of its blocks that reads the tool.
    pub(crate) fn call_outcome(&self, tool: ToolId, readings: &args::Readings<'_>) -> ToolOutcome {
        let listed = self.tool_outcome(tool);
        if listed == ToolOutcome::Deny {
            return listed;
        }
        self.args.iter().filter(|b| b.reads(tool.index())).map(|b| b.decide(tool.index(), readings)).fold(listed, ToolOutcome::max)
    }

    /// This layer's tool lists' outcome for an interned tool.
    pub(crate) fn tool_outcome(&self, tool: ToolId) -> ToolOutcome {
        let word = self.tool_word(tool.index() >> 6);
        let bit = 1u64 << (tool.0 & 63);
        if word.admits() & bit == 0 {
            ToolOutcome::Deny
        } else if word.ask & bit != 0 {
            ToolOutcome::Ask
        } else {
            ToolOutcome::Allow
        }
    }

    /// Pattern evaluation, for names that were not interned and for explanations.
    pub(crate) fn passes(&self, name: &str) -> bool {
        self.deny.find(name).is_none() && self.allow.as_ref().is_none_or(|a| a.find(name).is_some() || self.ask.find(name).is_some())
    }

    /// Whether this layer asks for `name` (pattern evaluation).
    pub(crate) fn asks(&self, name: &str) -> bool {
        self.ask.find(name).is_some()
    }
}

pub(crate) type LayerId = u32;

/// The resolved sandbox settings of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Which sessions run sandboxed.
    pub mode: SandboxMode,
    /// How many sessions share a container.
    pub scope: SandboxScope,
    /// How the container sees the workspace.
    pub workspace: WorkspaceAccess,
    /// Container settings.
    pub docker: DockerConfig,
}

/// Container hardening; every field defaults to the hardened choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerConfig {
    /// The image containers run.
    pub image: String,
    /// Container name prefix; names are the prefix, a slug and a hash.
    pub prefix: String,
    /// Docker network; `none` by default.
    pub network: String,
    /// Mount the root filesystem read-only.
    pub read_only_root: bool,
    /// Capabilities dropped (`ALL` by default).
    pub cap_drop: Vec<String>,
    /// Set `no-new-privileges`.
    pub no_new_privileges: bool,
    /// Run an init process as PID 1.
    pub init: bool,
    /// Memory limit in bytes.
    pub memory_bytes: u64,
    /// Process limit.
    pub pids: u64,
    /// Millionths of a CPU.
    pub cpus_micro: u64,
    /// `uid:gid` the container runs as; never root.
    pub user: String,
    /// Host paths bound in, `host:container[:ro]`; refused paths are rejected at compile time.
    pub binds: Vec<String>,
}

impl Default for DockerConfig {
    fn default() -> Self {
        DockerConfig {
            image: "palisade-sandbox:latest".into(),
            prefix: "palisade-sbx-".into(),
            network: "none".into(),
            read_only_root: true,
            cap_drop: vec!["ALL".into()],
            no_new_privileges: true,
            init: true,
            memory_bytes: 512 * 1024 * 1024,
            pids: 256,
            cpus_micro: 1_000_000,
            user: "65534:65534".into(),
            binds: Vec::new(),
        }
    }
}

/// Per-agent compiled data.
#[derive(Debug, Clone)]
pub(crate) struct AgentEntry {
    pub id: String,
    pub name: Option<String>,
    pub main_key: String,
    pub sandbox: SandboxConfig,
    pub profile: Option<LayerId>,
    /// Indexed by provider class.
    pub provider_profile: Vec<Option<LayerId>>,
    pub rules: Option<LayerId>,
    pub provider_rules: Vec<Option<LayerId>>,
    pub sandbox_tools: LayerId,
    pub workspace_ro: Option<LayerId>,
    pub subagent: Option<LayerId>,
    /// Indexed by sender class.
    pub sender: Vec<Option<LayerId>>,
}

/// Layers that do not belong to one agent.
#[derive(Debug, Clone)]
pub(crate) struct GlobalLayers {
    pub rules: Option<LayerId>,
    pub provider_rules: Vec<Option<LayerId>>,
    pub subagent_fixed: LayerId,
    pub subagent: Option<LayerId>,
    pub sender: Vec<Option<LayerId>>,
    /// Indexed by group class.
    pub group: Vec<Option<LayerId>>,
    pub owner_only: LayerId,
    /// The built-in protected paths: every context's last layer.
    pub protected_paths: LayerId,
}

/// The compiled policy. Immutable, `Send + Sync`, no reference counts.
/// Built only by `Engine::new` from the compiler's `Parts`; its fields
/// are private to this module tree, so nothing else can change a decision
/// after the contexts are folded.
#[derive(Debug, Clone)]
pub struct Engine {
    file: Arc<str>,
    tool_names: Vec<Arc<str>>,
    tool_index: Map<Box<str>, ToolId>,
    words: usize,
    agents: Vec<AgentEntry>,
    agent_index: Map<Box<str>, u32>,
    default_agent: u32,
    provider_index: Map<Box<str>, u32>,
    provider_names: Vec<String>,
    sender_index: Map<Box<str>, u32>,
    sender_names: Vec<String>,
    /// Group classes: channel -> escaped group id (or `*`) -> class.
    group_index: GroupIndex,
    group_names: Vec<String>,
    owners: Set<Box<str>>,
    layers: Vec<Layer>,
    global: GlobalLayers,
    /// Per context, the interned tools it allows (no layer asks for them).
    contexts: Bitsets,
    /// Per context, the interned tools it asks for; empty when no layer of
    /// the policy asks for anything, so such policies pay nothing for `ask`.
    asks: Bitsets,
    /// The kinds of argument block the policy has, each with the interned
    /// tools it reads: a call of any other tool is decided by its bits.
    arg_kinds: Vec<(ArgKind, Vec<u64>)>,
    ingress: ingress::Ingress,
    router: route::Router,
}

/// What the compiler hands the engine: interned tools, layers and classes,
/// before the decision contexts are folded.
#[derive(Debug)]
pub(crate) struct Parts {
    pub file: Arc<str>,
    /// Interned tools; a tool's id is its index.
    pub tool_names: Vec<Arc<str>>,
    pub agents: Vec<AgentEntry>,
    pub default_agent: u32,
    pub provider_names: Vec<String>,
    pub sender_names: Vec<String>,
    pub group_index: GroupIndex,
    pub group_names: Vec<String>,
    pub owners: Set<Box<str>>,
    pub layers: Vec<Layer>,
    pub global: GlobalLayers,
    pub ingress: ingress::Ingress,
    pub router: route::Router,
}

/// Bitsets of interned tools, `words` per context, contexts in `context_at` order.
type Bitsets = Box<[u64]>;

/// A policy whose context table would need more bitset words than this is
/// refused rather than folded into something that exhausts memory.
const MAX_CONTEXT_WORDS: usize = 1 << 26;

/// The policy needs more decision contexts than an engine holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooManyContexts {
    pub agents: usize,
    pub providers: usize,
    pub senders: usize,
    pub groups: usize,
}

/// An agent whose main session leaves it no callable tool, and the allow
/// list that emptied the set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoCallableTool<'e> {
    pub agent: &'e str,
    pub layer: &'e Layer,
}

impl Engine {
    /// Folds every decision context of `parts` into its bitset.
    pub(crate) fn new(parts: Parts) -> Result<Engine, TooManyContexts> {
        let Parts {
            file,
            tool_names,
            agents,
            default_agent,
            provider_names,
            sender_names,
            group_index,
            group_names,
            owners,
            layers,
            global,
            ingress,
            router,
        } = parts;
        let words = tool_names.len().div_ceil(64).max(1);
        let mut tool_index: Map<Box<str>, ToolId> = Map::default();
        for (id, name) in tool_names.iter().enumerate() {
            tool_index.insert(Box::from(&**name), ToolId(id as u32));
        }
        for (alias, canonical) in crate::builtins::ALIASES {
            if let Some(id) = tool_index.get(*canonical).copied() {
                tool_index.insert((*alias).into(), id);
            }
        }
        let mut arg_kinds: Vec<(ArgKind, Vec<u64>)> = Vec::new();
        for block in layers.iter().flat_map(|l| &l.args) {
            if !arg_kinds.iter().any(|(kind, _)| *kind == block.kind()) {
                arg_kinds.push((block.kind(), block.tool_bits.clone()));
            }
        }
        arg_kinds.sort_unstable_by_key(|(kind, _)| *kind);
        let index_of = |names: &[String]| names.iter().enumerate().map(|(i, n)| (n.clone().into_boxed_str(), i as u32 + 1)).collect();
        let mut engine = Engine {
            file,
            tool_index,
            words,
            agent_index: agents.iter().enumerate().map(|(i, a)| (a.id.clone().into_boxed_str(), i as u32)).collect(),
            agents,
            default_agent,
            provider_index: index_of(&provider_names),
            provider_names,
            sender_index: index_of(&sender_names),
            sender_names,
            group_index,
            group_names,
            owners,
            layers,
            global,
            contexts: Box::new([]),
            asks: Box::new([]),
            arg_kinds,
            ingress,
            router,
            tool_names,
        };
        (engine.contexts, engine.asks) = engine.fold_contexts()?;
        Ok(engine)
    }

    /// Two bitsets per context (agent x provider x sender x group x flags),
    /// each the fold of the layers that apply to it: the tools it allows and
    /// the tools it asks for (the second empty when no layer asks).
    fn fold_contexts(&self) -> Result<(Bitsets, Bitsets), TooManyContexts> {
        let (providers, senders, groups) = self.class_counts();
        let too_many = || TooManyContexts { agents: self.agents.len(), providers, senders, groups };
        let total = self
            .agents
            .len()
            .checked_mul(providers)
            .and_then(|t| t.checked_mul(senders))
            .and_then(|t| t.checked_mul(groups))
            .and_then(|t| t.checked_mul(FLAG_COMBINATIONS))
            .and_then(|t| t.checked_mul(self.words))
            .filter(|t| *t <= MAX_CONTEXT_WORDS)
            .ok_or_else(too_many)?;
        let all = self.all_tools();
        let any_ask = self.layers.iter().any(|l| l.ask_bits.iter().any(|w| *w != 0) || l.args.iter().any(args::ArgBlock::asks));
        let mut contexts = Vec::with_capacity(total);
        let mut asks = Vec::with_capacity(if any_ask { total } else { 0 });
        let mut layer_words = Vec::new();
        for agent in 0..self.agents.len() as u32 {
            for provider in 0..providers as u32 {
                for sender in 0..senders as u32 {
                    for group in 0..groups as u32 {
                        for flags in 0..FLAG_COMBINATIONS as u8 {
                            let context = self.context_at(agent, provider, sender, group, flags);
                            for (w, all) in all.iter().enumerate() {
                                layer_words.clear();
                                layer_words.extend(self.layers_of(context).map(|l| l.word(w)));
                                let admitted = fold::fold_word(*all, &layer_words);
                                let asked = fold::fold_ask(&layer_words);
                                contexts.push(admitted & !asked);
                                if any_ask {
                                    asks.push(admitted & asked);
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok((contexts.into_boxed_slice(), asks.into_boxed_slice()))
    }

    /// Every interned tool's bit set, word by word.
    fn all_tools(&self) -> Vec<u64> {
        let n = self.tool_names.len();
        let mut all = vec![if n == 0 { 0 } else { u64::MAX }; self.words];
        if let Some(last) = all.last_mut() {
            if !n.is_multiple_of(64) {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        all
    }

    /// The agents whose main session (owner, sandboxed when the agent always
    /// is) allows no tool, each with the allow list that emptied its set. A
    /// set emptied by deny lists alone is the operator's plain intent and is
    /// not reported.
    pub(crate) fn agents_without_tools(&self) -> Vec<NoCallableTool<'_>> {
        let mut found = Vec::new();
        for (index, agent) in self.agents.iter().enumerate() {
            let sandboxed = if agent.sandbox.mode == SandboxMode::All { SANDBOXED } else { 0 };
            let context = self.context_at(index as u32, 0, 0, 0, OWNER | sandboxed);
            // Tool lists only: `exec` under command rules is callable with a command.
            let mut bits = self.all_tools();
            for layer in self.layers_of(context) {
                for (w, b) in bits.iter_mut().enumerate() {
                    *b = fold::fold_word(*b, &[layer.tool_word(w)]);
                }
            }
            if bits.iter().any(|word| *word != 0) {
                continue;
            }
            // Replay the fold to find the layer that emptied the set.
            let mut bits = self.all_tools();
            for layer in self.layers_of(context) {
                for (w, b) in bits.iter_mut().enumerate() {
                    *b = fold::fold_word(*b, &[layer.tool_word(w)]);
                }
                if bits.iter().any(|word| *word != 0) {
                    continue;
                }
                if layer.allow.is_some() {
                    found.push(NoCallableTool { agent: &agent.id, layer });
                }
                break;
            }
        }
        found
    }

    /// The container name prefixes of the agents that can run sandboxed.
    pub fn sandbox_prefixes(&self) -> Vec<String> {
        let mut prefixes: Vec<String> =
            self.agents.iter().filter(|a| a.sandbox.mode != SandboxMode::Off).map(|a| a.sandbox.docker.prefix.clone()).collect();
        prefixes.sort();
        prefixes.dedup();
        prefixes
    }

    /// May this inbound message reach an agent? Allocates nothing.
    pub fn gate(&self, inbound: &Inbound<'_>) -> IngressDecision<'_> {
        self.ingress.gate(inbound)
    }

    /// The file the policy came from, as explanations cite it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Every interned tool name, in id order.
    pub fn tool_names(&self) -> &[Arc<str>] {
        &self.tool_names
    }

    /// The name of an interned tool.
    pub fn tool_name(&self, id: ToolId) -> Option<&str> {
        self.tool_names.get(id.index()).map(|n| &**n)
    }

    /// Agent ids in definition order.
    pub fn agent_ids(&self) -> impl Iterator<Item = &str> {
        self.agents.iter().map(|a| a.id.as_str())
    }

    /// The agent marked default, else the first.
    pub fn default_agent(&self) -> &str {
        self.agents.get(self.default_agent as usize).map_or("", |a| a.id.as_str())
    }

    /// The display name an agent was given, if any.
    pub fn agent_display_name(&self, agent: &str) -> Option<&str> {
        let index = request::with_lowercase(agent.trim(), |a| self.agent_index.get(a).copied())?;
        self.agents.get(index as usize)?.name.as_deref()
    }

    /// The resolved sandbox settings of an agent.
    pub fn sandbox(&self, agent: &str) -> Option<&SandboxConfig> {
        let index = request::with_lowercase(agent.trim(), |a| self.agent_index.get(a).copied())?;
        self.agents.get(index as usize).map(|a| &a.sandbox)
    }

    /// Interned id of a tool name (trimmed, case-folded, aliases applied).
    #[inline]
    pub fn tool_id(&self, name: &str) -> Option<ToolId> {
        request::with_lowercase(name.trim(), |lower| self.tool_index.get(lower).copied())
    }

    /// A context's outcome for every interned tool, by `ToolId::index`: the
    /// decision row a binding hands across once, so that its language decides
    /// an interned tool by indexing it. `None` (an agent the policy lacks) is
    /// denied everything.
    pub fn outcome_row(&self, context: Option<Context>) -> Vec<ToolOutcome> {
        let ids = (0..self.tool_names.len() as u32).map(ToolId);
        ids.map(|id| context.map_or(ToolOutcome::Deny, |c| self.outcome(c, id))).collect()
    }

    /// The fast path: one bit test.
    #[inline]
    pub fn allows(&self, context: Context, tool: ToolId) -> bool {
        bit(&self.contexts, context, tool)
    }

    /// Decides a tool given by name in a resolved context. A name that was not
    /// interned (a plugin tool the policy never named) is matched against the
    /// layers' wildcard patterns.
    #[inline]
    pub fn allows_name(&self, context: Context, tool: &str) -> bool {
        match self.tool_id(tool) {
            Some(id) => self.allows(context, id),
            None => self.outcome_uninterned(context, &crate::builtins::normalize_tool(tool)) == ToolOutcome::Allow,
        }
    }

    /// The outcome of a tool in a resolved context: `allow`, `ask` or `deny`.
    #[inline]
    pub fn outcome(&self, context: Context, tool: ToolId) -> ToolOutcome {
        if self.allows(context, tool) {
            return ToolOutcome::Allow;
        }
        if bit(&self.asks, context, tool) {
            ToolOutcome::Ask
        } else {
            ToolOutcome::Deny
        }
    }

    /// The outcome of a tool given by name in a resolved context; a name that
    /// was not interned is matched against the layers' patterns.
    #[inline]
    pub fn outcome_name(&self, context: Context, tool: &str) -> ToolOutcome {
        match self.tool_id(tool) {
            Some(id) => self.outcome(context, id),
            None => self.outcome_uninterned(context, &crate::builtins::normalize_tool(tool)),
        }
    }

    #[cold]
    fn outcome_uninterned(&self, context: Context, normalized: &str) -> ToolOutcome {
        if normalized.is_empty() || !self.layers_of(context).all(|layer| layer.passes(normalized)) {
            ToolOutcome::Deny
        } else if self.layers_of(context).any(|layer| layer.asks(normalized)) {
            ToolOutcome::Ask
        } else {
            ToolOutcome::Allow
        }
    }

    /// Decides one request end to end: `true` only for `allow`. Unknown
    /// agents and malformed requests are denied (fail closed).
    #[inline]
    pub fn decide(&self, request: &ToolRequest<'_>) -> bool {
        if !request.args().is_none() {
            return self.decide_outcome(request) == ToolOutcome::Allow;
        }
        match self.context(request) {
            Ok(context) => self.allows_name(context, request.tool()),
            Err(_) => false,
        }
    }

    /// The outcome of one request end to end: `allow`, `ask` or `deny`.
    /// Unknown agents and malformed requests are denied (fail closed).
    #[inline]
    pub fn decide_outcome(&self, request: &ToolRequest<'_>) -> ToolOutcome {
        match self.context(request) {
            Ok(context) => {
                let mut readings = args::Readings::default();
                match self.read_args(request, &mut readings) {
                    Some(tool) => self.call_outcome(context, tool, &readings),
                    None => self.outcome_name(context, request.tool()),
                }
            }
            Err(_) => ToolOutcome::Deny,
        }
    }

    /// Reads into `readings` what the policy's argument blocks read of a
    /// request, and gives its tool: `None` when no block reads its tool or
    /// it gives nothing they read, so that its bits decide it (each block's
    /// `left_out` folded in). The readings stay in the caller's frame.
    pub(crate) fn read_args<'r>(&self, request: &ToolRequest<'r>, readings: &mut args::Readings<'r>) -> Option<ToolId> {
        if self.arg_kinds.is_empty() {
            return None;
        }
        let args = request.args();
        if args.is_none() {
            return None;
        }
        let tool = self.tool_id(request.tool())?;
        let (word, bit) = (tool.index() >> 6, 1u64 << (tool.0 & 63));
        let name = self.tool_name(tool)?;
        let mut given = false;
        for (kind, tools) in &self.arg_kinds {
            if tools.get(word).is_some_and(|w| w & bit != 0) {
                given |= readings.read(*kind, name, &args);
            }
        }
        given.then_some(tool)
    }

    /// The outcome of a call of `tool` whose arguments read as `readings`:
    /// the strictest over the layers' tool lists and their argument blocks.
    pub(crate) fn call_outcome(&self, context: Context, tool: ToolId, readings: &args::Readings<'_>) -> ToolOutcome {
        self.layers_of(context).map(|layer| layer.call_outcome(tool, readings)).max().unwrap_or(ToolOutcome::Allow)
    }

    /// The tool whose outcome in a context depends on its command (`exec`,
    /// when its tool lists admit it and some exec block applies), with the
    /// outcome the tool lists alone give it. Without a command it is decided
    /// as an opaque command, so `effective_tools` may leave it out although
    /// the allowed commands run.
    pub fn command_tool(&self, context: Context) -> Option<(&str, ToolOutcome)> {
        let exec = self.tool_id(crate::builtins::EXEC_TOOL)?;
        let ruled = self.layers_of(context).any(|layer| layer.block(ArgKind::Exec).is_some());
        let listed = self.layers_of(context).map(|layer| layer.tool_outcome(exec)).max().unwrap_or(ToolOutcome::Allow);
        (ruled && listed != ToolOutcome::Deny).then(|| (self.tool_name(exec).unwrap_or(crate::builtins::EXEC_TOOL), listed))
    }

    /// The outcome of an `exec` call running `command` in a context: the
    /// strictest over the layers' tool lists and their exec blocks.
    pub fn command_outcome(&self, context: Context, command: &str) -> ToolOutcome {
        let request = ToolRequest::new("", crate::builtins::EXEC_TOOL).with_command(command);
        let mut readings = args::Readings::default();
        match self.read_args(&request, &mut readings) {
            Some(tool) => self.call_outcome(context, tool, &readings),
            None => self.outcome_name(context, crate::builtins::EXEC_TOOL),
        }
    }

    /// The tools an agent may call in a context without asking, in id order
    /// (interned tools only).
    pub fn effective_tools(&self, context: Context) -> Vec<&str> {
        self.tools_with(context, ToolOutcome::Allow)
    }

    /// The tools a call in a context needs a person's approval for, in id order.
    pub fn ask_tools(&self, context: Context) -> Vec<&str> {
        self.tools_with(context, ToolOutcome::Ask)
    }

    /// The tools of a context as every front end lists them (`palisade
    /// tools`, the bindings): the tool under command rules, if any, apart
    /// from the allowed and the approval lists, since its outcome is its
    /// command's.
    pub fn tool_lists(&self, context: Context) -> ToolLists<'_> {
        let by_command = self.command_tool(context);
        let other = |name: &&str| by_command.is_none_or(|(tool, _)| tool != *name);
        ToolLists {
            allowed: self.effective_tools(context).into_iter().filter(other).collect(),
            ask: self.ask_tools(context).into_iter().filter(other).collect(),
            by_command,
        }
    }

    fn tools_with(&self, context: Context, outcome: ToolOutcome) -> Vec<&str> {
        let ids = (0..self.tool_names.len() as u32).map(ToolId);
        ids.filter(|id| self.outcome(context, *id) == outcome).filter_map(|id| self.tool_name(id)).collect()
    }

    /// The layers that apply in a context, in evaluation order.
    pub(crate) fn layers_of(&self, context: Context) -> impl Iterator<Item = &Layer> {
        // A class past the named ones is a request that left the field out:
        // every entry of that kind applies (as strict as any value of it).
        let range = |class: u32, any: usize, named: usize, first: usize| {
            let class = class as usize;
            if class == any && any != 0 {
                first..=named
            } else {
                class..=class
            }
        };
        let classes = ClassRanges {
            providers: range(context.provider, self.any_provider_class(), self.provider_names.len(), 1),
            // Sender class 0 is the `*` entry, which applies to a left-out sender too.
            senders: range(context.sender, self.any_sender_class(), self.sender_names.len(), 0),
            groups: range(context.group, self.any_group_class(), self.group_names.len(), 1),
        };
        layer_ids(&self.global, self.agents.get(context.agent as usize), context, classes).filter_map(|id| self.layers.get(id as usize))
    }

    /// The class of a request that left a field out: one past the `named`
    /// ones; 0 when the policy names none (then there is nothing to be strict
    /// about).
    fn any_class(named: usize) -> usize {
        if named == 0 {
            0
        } else {
            named + 1
        }
    }

    /// The provider class of a request that names no provider.
    pub(crate) fn any_provider_class(&self) -> usize {
        Self::any_class(self.provider_names.len())
    }

    /// The sender class of a request that names no sender.
    pub(crate) fn any_sender_class(&self) -> usize {
        Self::any_class(self.sender_names.len())
    }

    /// The group class of a request that names no session (it could be any group's).
    pub(crate) fn any_group_class(&self) -> usize {
        Self::any_class(self.group_names.len())
    }

    /// Class counts: none (0), each named one, and "any" when there are named ones.
    pub(crate) fn class_counts(&self) -> (usize, usize, usize) {
        (self.any_provider_class() + 1, self.any_sender_class() + 1, self.any_group_class() + 1)
    }

    pub(crate) fn context_at(&self, agent: u32, provider: u32, sender: u32, group: u32, flags: u8) -> Context {
        let (providers, senders, groups) = self.class_counts();
        let index = (((agent as usize * providers + provider as usize) * senders + sender as usize) * groups + group as usize) * FLAG_COMBINATIONS
            + flags as usize;
        Context { offset: index * self.words, agent, provider, sender, group, flags }
    }
}

/// The bit of `tool` in a context's bitset (`false` past the table: deny).
#[inline(always)]
fn bit(table: &[u64], context: Context, tool: ToolId) -> bool {
    let word = context.offset + (tool.0 as usize >> 6);
    table.get(word).is_some_and(|w| (w >> (tool.0 & 63)) & 1 == 1)
}

/// The provider, sender and group classes whose entries apply to a context:
/// one class each, or every one of a kind for a request that left it out.
#[derive(Debug, Clone)]
pub(crate) struct ClassRanges {
    pub providers: std::ops::RangeInclusive<usize>,
    pub senders: std::ops::RangeInclusive<usize>,
    pub groups: std::ops::RangeInclusive<usize>,
}

/// The layer ids of a context in evaluation order; shared by the compiler's
/// fold and by explanations, so both see the same layers.
pub(crate) fn layer_ids<'a>(
    global: &'a GlobalLayers,
    agent: Option<&'a AgentEntry>,
    context: Context,
    classes: ClassRanges,
) -> impl Iterator<Item = LayerId> + 'a {
    agent.into_iter().flat_map(move |agent| {
        let when = |cond: bool, id: Option<LayerId>| if cond { id } else { None };
        let of = |range: &std::ops::RangeInclusive<usize>, slots: &'a [Option<LayerId>]| {
            range.clone().filter_map(move |p| slots.get(p).copied().flatten())
        };
        let p = &classes.providers;
        agent
            .profile
            .into_iter()
            .chain(of(p, &agent.provider_profile))
            .chain(global.rules)
            .chain(of(p, &global.provider_rules))
            .chain(agent.rules)
            .chain(of(p, &agent.provider_rules))
            .chain(
                [
                    when(context.sandboxed(), Some(agent.sandbox_tools)),
                    when(context.sandboxed(), agent.workspace_ro),
                    when(context.subagent(), Some(global.subagent_fixed)),
                    when(context.subagent(), global.subagent),
                    when(context.subagent(), agent.subagent),
                ]
                .into_iter()
                .flatten(),
            )
            .chain(of(&classes.senders, &global.sender))
            .chain(of(&classes.senders, &agent.sender))
            .chain(of(&classes.groups, &global.group))
            .chain([when(!context.owner(), Some(global.owner_only))].into_iter().flatten())
            .chain([global.protected_paths])
    })
}
