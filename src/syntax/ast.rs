//! The owned AST. Both front ends (the DSL and OpenClaw JSON) lower into it;
//! `compile` reads only this. Every node that a diagnostic or an explanation
//! may point at carries a [`Span`] into [`Policy::source`].

use std::sync::Arc;

use crate::source::{SourceFile, Span};

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
}

/// A rules block: `tools { ... }` and every nested block.
#[derive(Debug, Clone)]
pub struct Rules {
    pub kind: RulesKind,
    pub span: Span,
    pub profile: Option<Spanned<String>>,
    pub allow: Option<ToolList>,
    pub also_allow: Option<ToolList>,
    pub deny: Option<ToolList>,
    pub providers: Vec<Keyed>,
    pub sandbox: Option<Box<Rules>>,
    pub subagents: Option<Box<Rules>>,
    pub senders: Vec<Keyed>,
}

impl Rules {
    pub fn new(kind: RulesKind, span: Span) -> Self {
        Rules {
            kind,
            span,
            profile: None,
            allow: None,
            also_allow: None,
            deny: None,
            providers: Vec::new(),
            sandbox: None,
            subagents: None,
            senders: Vec::new(),
        }
    }
}

/// A rules block under a key: a provider (`openai`, `openai/gpt-5`) or a sender.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub key: Spanned<String>,
    pub rules: Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    Off,
    NonMain,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxScope {
    Session,
    Agent,
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WorkspaceAccess {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "ro")]
    ReadOnly,
    #[serde(rename = "rw")]
    ReadWrite,
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
    pub allow: bool,
    pub tool: ToolRef,
    pub agent: Spanned<String>,
    pub provider: Option<String>,
    pub session: Option<String>,
    pub sender: Option<String>,
    pub subagent: bool,
    pub non_owner: bool,
    pub span: Span,
}
