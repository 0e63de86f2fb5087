//! The owned AST. Both front ends (the DSL and OpenClaw JSON) lower into it;
//! `compile` reads only this. Every node that a diagnostic or an explanation
//! may point at carries a [`Span`] into [`Policy::source`].

use std::sync::Arc;

use crate::source::{SourceFile, Span};
use crate::vocab::ByOutcome;
pub use crate::vocab::{
    AuthMode, ChatKind, DmPolicy, DmScope, GroupPolicy, Named, PathOp, SandboxMode, SandboxScope, SessionScope, ToolOutcome, WorkspaceAccess,
};

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// A whole policy, as written.
#[derive(Debug, Clone)]
pub struct Policy {
    pub source: Arc<SourceFile>,
    pub groups: Vec<GroupDef>,
    pub plugin_tools: Vec<ToolRef>,
    pub owners: Vec<Spanned<String>>,
    pub tools: Option<Rules>,
    pub sandbox_defaults: Option<SandboxSettings>,
    pub agents: Vec<Agent>,
    pub channels: Vec<Channel>,
    pub sessions: Option<Sessions>,
    pub bindings: Vec<Binding>,
    pub gateway: Option<GatewaySettings>,
    pub tests: Vec<TestCase>,
}

impl Policy {
    pub fn empty(source: Arc<SourceFile>) -> Self {
        Policy {
            source,
            groups: Vec::new(),
            plugin_tools: Vec::new(),
            owners: Vec::new(),
            tools: None,
            sandbox_defaults: None,
            agents: Vec::new(),
            channels: Vec::new(),
            sessions: None,
            bindings: Vec::new(),
            gateway: None,
            tests: Vec::new(),
        }
    }
}

/// `group research = [web_search, web_fetch, read]`
#[derive(Debug, Clone)]
pub struct GroupDef {
    pub name: Spanned<String>,
    pub members: Vec<ToolRef>,
}

/// One entry of a tool list, as written: `exec`, `web_*`, `group:fs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRef {
    pub text: String,
    pub span: Span,
}

/// A list of tool references with the span of the whole statement.
#[derive(Debug, Clone)]
pub struct ToolList {
    pub entries: Vec<ToolRef>,
    pub span: Span,
}

/// Which kind of rules block this is; decides which statements it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesKind {
    /// `tools { }` at top level or in an agent.
    Scope,
    /// `provider "openai/gpt-5" { }`
    Provider,
    /// `sandbox { }` inside a tools block.
    Sandbox,
    /// `subagents { }` inside a tools block.
    Subagents,
    /// `sender "telegram:123" { }`
    Sender,
    /// `group "-100" tools { }` in a channel.
    Group,
}

/// A rules block: `tools { ... }` and every nested block.
#[derive(Debug, Clone)]
pub struct Rules {
    pub kind: RulesKind,
    pub span: Span,
    pub profile: Option<Spanned<String>>,
    /// The `allow`, `ask` and `deny` lists; an asked tool is admitted, asking.
    pub lists: ByOutcome<Option<ToolList>>,
    pub also_allow: Option<ToolList>,
    pub providers: Vec<Keyed>,
    pub sandbox: Option<Box<Rules>>,
    pub subagents: Option<Box<Rules>>,
    pub senders: Vec<Keyed>,
    /// Command rules for `exec` calls in this block's scope.
    pub exec: Option<ExecBlock>,
    /// Path rules for file calls in this block's scope.
    pub paths: Option<PathsBlock>,
}

/// `paths { allow read "src/**"  deny read, write "**/.env"  on_miss ask }`:
/// path rules, one layer where the enclosing rules block applies.
#[derive(Debug, Clone)]
pub struct PathsBlock {
    pub span: Span,
    pub rules: ByOutcome<Vec<PathRule>>,
    pub on_miss: Option<Spanned<ToolOutcome>>,
}

/// One path pattern of a `paths` rule and the operations it covers.
#[derive(Debug, Clone)]
pub struct PathRule {
    /// The operations as written; empty: every operation.
    pub ops: Vec<Spanned<PathOp>>,
    pub pattern: Spanned<String>,
}

/// `exec { allow "git status"  deny "rm -rf *"  on_miss ask }`: command
/// rules, one layer where the enclosing rules block applies.
#[derive(Debug, Clone)]
pub struct ExecBlock {
    pub span: Span,
    /// Patterns as written (DSL escapes removed, shell quoting kept).
    pub patterns: ByOutcome<Vec<Spanned<String>>>,
    pub on_miss: Option<Spanned<ToolOutcome>>,
    /// `Ask` or `Deny`; the lowering refuses `allow`.
    pub on_opaque: Option<Spanned<ToolOutcome>>,
    pub trusted_dirs: Option<Vec<Spanned<String>>>,
}

impl ExecBlock {
    pub fn new(span: Span) -> Self {
        ExecBlock { span, patterns: ByOutcome::default(), on_miss: None, on_opaque: None, trusted_dirs: None }
    }
}

impl Rules {
    pub fn new(kind: RulesKind, span: Span) -> Self {
        Rules {
            kind,
            span,
            profile: None,
            lists: ByOutcome::default(),
            also_allow: None,
            providers: Vec::new(),
            sandbox: None,
            subagents: None,
            senders: Vec::new(),
            exec: None,
            paths: None,
        }
    }
}

/// A rules block under a key: a provider (`openai`, `openai/gpt-5`) or a sender.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub key: Spanned<String>,
    pub rules: Rules,
}

/// `sandbox defaults { }` or an agent's `sandbox ...`: every field optional,
/// so that an agent inherits what it does not say.
#[derive(Debug, Clone, Default)]
pub struct SandboxSettings {
    pub span: Span,
    pub mode: Option<Spanned<SandboxMode>>,
    pub scope: Option<Spanned<SandboxScope>>,
    pub workspace: Option<Spanned<WorkspaceAccess>>,
    pub docker: Vec<DockerSetting>,
}

/// One Docker knob, as written; validated by `compile`.
#[derive(Debug, Clone)]
pub struct DockerSetting {
    pub key: Spanned<String>,
    pub values: Vec<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub id: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub default: Option<Span>,
    pub sandbox: Option<SandboxSettings>,
    pub tools: Option<Rules>,
    pub span: Span,
}

/// `test "name" { deny tool exec for family }`
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: Spanned<String>,
    pub expectations: Vec<Expectation>,
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub outcome: ToolOutcome,
    pub tool: ToolRef,
    pub agent: Spanned<String>,
    pub provider: Option<String>,
    pub session: Option<String>,
    pub sender: Option<String>,
    pub subagent: bool,
    pub non_owner: bool,
    /// `command "git status"`: the command an `exec` call runs.
    pub command: Option<String>,
    /// `path "src/main.rs"`: the path a file call names.
    pub path: Option<String>,
    pub span: Span,
}

/// `channel telegram { ... }` / `channels.telegram`.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: Spanned<String>,
    pub span: Span,
    pub dm: Option<Spanned<DmPolicy>>,
    pub allow_from: Option<KeyList>,
    pub group_policy: Option<Spanned<GroupPolicy>>,
    pub group_allow_from: Option<KeyList>,
    pub groups: Vec<GroupEntry>,
    /// `guild "123" { group ... }`: groups scoped by guild (Discord).
    pub guilds: Vec<GuildEntry>,
    pub mention_patterns: Vec<Spanned<String>>,
    pub text_commands: Option<Spanned<bool>>,
    pub command_allow_from: Option<KeyList>,
}

impl Channel {
    pub fn new(name: Spanned<String>, span: Span) -> Self {
        Channel {
            name,
            span,
            dm: None,
            allow_from: None,
            group_policy: None,
            group_allow_from: None,
            groups: Vec::new(),
            guilds: Vec::new(),
            mention_patterns: Vec::new(),
            text_commands: None,
            command_allow_from: None,
        }
    }
}

/// A list of sender or peer ids with the span of the whole statement.
#[derive(Debug, Clone)]
pub struct KeyList {
    pub entries: Vec<Spanned<String>>,
    pub span: Span,
}

/// `group "-100" require_mention` / `groups."-100": { requireMention }`.
#[derive(Debug, Clone)]
pub struct GroupEntry {
    pub id: Spanned<String>,
    pub require_mention: Option<Spanned<bool>>,
    /// `allow_from`: this group's own sender list, in place of the channel's.
    pub allow_from: Option<KeyList>,
    /// `roles`: members with one of these roles are admitted too (the
    /// group's own list then binds even without `allow_from`).
    pub roles: Option<KeyList>,
    /// `disabled`: nothing from this group gets in.
    pub disabled: Option<Span>,
    pub tools: Option<Rules>,
    pub span: Span,
}

impl GroupEntry {
    /// An entry for group `id` that says nothing yet.
    pub fn new(id: Spanned<String>, span: Span) -> Self {
        GroupEntry { id, require_mention: None, allow_from: None, roles: None, disabled: None, tools: None, span }
    }
}

/// `guild "123" roles "r" { group "456" }` / `guilds."123": { roles, channels }`.
/// The guild's own settings (`tools` aside) are the defaults of its groups;
/// a guild that lists no group stands for all of its groups.
#[derive(Debug, Clone)]
pub struct GuildEntry {
    pub settings: GroupEntry,
    pub groups: Vec<GroupEntry>,
}

/// `sessions { dm_scope per_channel_peer  link alice = telegram:111 }`.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    pub span: Span,
    pub dm_scope: Option<Spanned<DmScope>>,
    pub scope: Option<Spanned<SessionScope>>,
    pub links: Vec<IdentityLink>,
}

/// `link alice = telegram:111, discord:222`
#[derive(Debug, Clone)]
pub struct IdentityLink {
    pub canonical: Spanned<String>,
    pub peers: Vec<Spanned<String>>,
}

/// One entry of `route { }` / `bindings[]`: every field it names must match.
#[derive(Debug, Clone)]
pub struct Binding {
    pub agent: Spanned<String>,
    pub channel: Spanned<String>,
    /// None: the default account; `*`: any account.
    pub account: Option<Spanned<String>>,
    /// The peer kind and id; the id may be `*`.
    pub peer: Option<(ChatKind, Spanned<String>)>,
    pub guild: Option<Spanned<String>>,
    pub team: Option<Spanned<String>>,
    pub roles: Vec<Spanned<String>>,
    pub span: Span,
}

/// `gateway { bind ...  auth ...  rate_limit ... }` / OpenClaw's `gateway`.
#[derive(Debug, Clone, Default)]
pub struct GatewaySettings {
    pub span: Span,
    /// `loopback`, `lan`, or an address.
    pub bind: Option<Spanned<String>>,
    pub port: Option<Spanned<String>>,
    pub auth: Option<AuthSettings>,
    pub rate_limit: Option<RateLimitSettings>,
    /// `pairing ttl 1h max_pending 3`
    pub pairing_ttl: Option<Spanned<String>>,
    pub pairing_cap: Option<Spanned<String>>,
    /// `device_skew 2m`
    pub device_skew: Option<Spanned<String>>,
}

/// Where the gateway secret comes from; never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(Spanned<String>),
    File(Spanned<String>),
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub mode: Spanned<AuthMode>,
    pub source: Option<SecretSource>,
    pub span: Span,
}

/// `rate_limit 10 per 1m lockout 5m`: durations as written, checked by `compile`.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub attempts: Spanned<String>,
    pub window: Spanned<String>,
    pub lockout: Option<Spanned<String>>,
    pub span: Span,
}
