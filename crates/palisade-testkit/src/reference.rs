//! Generated tool policies and a plain reference interpreter of the layer rules' (ARCHITECTURE.md, Decision semantics)
//! layer rules, written from the generated structure rather than from the
//! compiler. Shared by the property tests (`properties.rs`, proptest) and the
//! differential fuzz target (`fuzz/fuzz_targets/differential.rs`, arbitrary).

use palisade::{Policy, ToolOutcome, ToolRequest};

pub const TOOLS: &[&str] = &[
    "read",
    "write",
    "edit",
    "apply_patch",
    "exec",
    "process",
    "web_search",
    "web_fetch",
    "browser",
    "nodes",
    "cron",
    "gateway",
    "message",
    "image",
    "sessions_list",
    "sessions_send",
    "session_status",
    "memory_get",
    "agents_list",
];
pub const GROUPS: &[(&str, &[&str])] = &[
    ("fs", &["read", "write", "edit", "apply_patch"]),
    ("runtime", &["exec", "process"]),
    ("web", &["web_search", "web_fetch"]),
    ("automation", &["cron", "gateway"]),
];
pub const PATTERNS: &[&str] = &["web_*", "session*", "*_get", "*"];
pub const PROFILES: &[(&str, Option<&[&str]>)] = &[
    ("minimal", Some(&["session_status"])),
    (
        "coding",
        Some(&[
            "read",
            "write",
            "edit",
            "apply_patch",
            "exec",
            "process",
            "sessions_list",
            "sessions_history",
            "sessions_send",
            "sessions_spawn",
            "session_status",
            "memory_search",
            "memory_get",
            "image",
        ]),
    ),
    ("messaging", Some(&["message", "sessions_list", "sessions_history", "sessions_send", "session_status"])),
    ("full", None),
];
pub const PROVIDER_KEYS: &[&str] = &["openai", "openai/gpt-5", "anthropic"];
pub const REQUEST_PROVIDERS: &[Option<&str>] =
    &[None, Some("openai"), Some("openai/gpt-5"), Some("OpenAI/other"), Some("anthropic/x"), Some("google")];
pub const SANDBOX_ALLOW: &[&str] = &[
    "exec",
    "process",
    "read",
    "write",
    "edit",
    "apply_patch",
    "image",
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
];
pub const SANDBOX_DENY: &[&str] = &["browser", "canvas", "nodes", "cron", "gateway"];
pub const SUBAGENT_DENY: &[&str] = &[
    "sessions_list",
    "sessions_history",
    "sessions_send",
    "sessions_spawn",
    "session_status",
    "agents_list",
    "gateway",
    "cron",
    "memory_search",
    "memory_get",
];

#[derive(Debug, Clone)]
pub enum Spec {
    Tool(usize),
    Group(usize),
    Pattern(usize),
}

impl Spec {
    fn text(&self) -> String {
        match self {
            Spec::Tool(i) => TOOLS[*i].to_string(),
            Spec::Group(i) => format!("group:{}", GROUPS[*i].0),
            Spec::Pattern(i) => PATTERNS[*i].to_string(),
        }
    }
    fn matches(&self, tool: &str) -> bool {
        match self {
            Spec::Tool(i) => TOOLS[*i] == tool,
            Spec::Group(i) => GROUPS[*i].1.contains(&tool),
            Spec::Pattern(i) => glob(PATTERNS[*i], tool),
        }
    }
}

/// An independent glob: `*` anywhere, by recursion.
pub fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((head, tail)) => {
            s.starts_with(head) && (0..=s.len() - head.len()).any(|i| s.is_char_boundary(head.len() + i) && glob(tail, &s[head.len() + i..]))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GenRules {
    pub profile: Option<usize>,
    pub allow: Option<Vec<Spec>>,
    pub also_allow: Vec<Spec>,
    pub ask: Vec<Spec>,
    pub deny: Vec<Spec>,
}

#[derive(Debug, Clone, Default)]
pub struct GenScope {
    pub rules: GenRules,
    pub providers: Vec<(usize, GenRules)>,
    pub sandbox: Option<GenRules>,
    pub subagents: Option<GenRules>,
}

#[derive(Debug, Clone)]
pub struct GenAgent {
    pub mode: usize,
    pub workspace_ro: bool,
    pub scope: GenScope,
}

#[derive(Debug, Clone)]
pub struct GenPolicy {
    pub global: GenScope,
    pub agents: Vec<GenAgent>,
}

pub fn list(specs: &[Spec]) -> String {
    format!("[{}]", specs.iter().map(Spec::text).collect::<Vec<_>>().join(", "))
}

pub fn render_rules(r: &GenRules) -> String {
    let mut out = String::new();
    if let Some(p) = r.profile {
        out += &format!(" profile {}", PROFILES[p].0);
    }
    if let Some(a) = &r.allow {
        out += &format!(" allow {}", list(a));
    }
    if !r.also_allow.is_empty() {
        out += &format!(" also_allow {}", list(&r.also_allow));
    }
    if !r.ask.is_empty() {
        out += &format!(" ask {}", list(&r.ask));
    }
    if !r.deny.is_empty() {
        out += &format!(" deny {}", list(&r.deny));
    }
    out
}

pub fn render_scope(s: &GenScope) -> String {
    let mut out = format!("tools {{{}", render_rules(&s.rules));
    for (k, r) in &s.providers {
        out += &format!(" provider \"{}\" {{{} }}", PROVIDER_KEYS[*k], render_rules(r));
    }
    if let Some(sb) = &s.sandbox {
        out += &format!(" sandbox {{{} }}", render_rules(sb));
    }
    if let Some(sa) = &s.subagents {
        out += &format!(" subagents {{{} }}", render_rules(sa));
    }
    out + " }"
}

pub fn render(p: &GenPolicy) -> String {
    let mut out = render_scope(&p.global) + "\n";
    for (i, a) in p.agents.iter().enumerate() {
        let mode = ["off", "non-main", "all"][a.mode];
        let ws = if a.workspace_ro { "ro" } else { "rw" };
        out += &format!("agent a{i} {{ sandbox {mode} workspace {ws} {} }}\n", render_scope(&a.scope));
    }
    out
}

pub fn compile(p: &GenPolicy) -> Option<Policy> {
    match Policy::from_dsl("gen.pal", &render(p)) {
        Ok(policy) => Some(policy),
        // Random allow lists may leave an agent nothing: a real diagnostic,
        // and the only error a generated policy may have.
        Err(e) => {
            assert!(
                e.errors().all(|d| d.code == "palisade::no-callable-tool"),
                "{}\n{:#?}",
                render(p),
                e.errors().map(|d| d.short()).collect::<Vec<_>>()
            );
            None
        }
    }
}

pub struct RefLayer {
    pub allow: Option<Vec<String>>,
    pub ask: Vec<String>,
    pub deny: Vec<String>,
}

pub fn expand(specs: &[Spec]) -> Vec<String> {
    let mut all: Vec<&str> = TOOLS.to_vec();
    all.extend(PROFILES.iter().filter_map(|(_, m)| *m).flatten());
    all.extend(SANDBOX_ALLOW);
    all.sort_unstable();
    all.dedup();
    all.into_iter().filter(|t| specs.iter().any(|s| s.matches(t))).map(String::from).collect()
}

pub fn entry<'a>(scope: &'a GenScope, provider: Option<&str>) -> Option<&'a GenRules> {
    let p = provider?.to_lowercase();
    let find = |key: &str| scope.providers.iter().find(|(k, _)| PROVIDER_KEYS[*k] == key).map(|(_, r)| r);
    find(&p).or_else(|| find(p.split('/').next().unwrap_or("")))
}

pub fn profile_layer(agent: Option<&GenRules>, global: Option<&GenRules>) -> Option<RefLayer> {
    let (profile, also) = match agent.and_then(|a| a.profile) {
        Some(p) => (Some(p), agent.map(|a| a.also_allow.clone()).unwrap_or_default()),
        // An agent's own also_allow (never written empty here) replaces the global one.
        None => {
            let own = agent.map(|a| a.also_allow.clone()).filter(|also| !also.is_empty());
            (global.and_then(|g| g.profile), own.or_else(|| global.map(|g| g.also_allow.clone())).unwrap_or_default())
        }
    };
    let members = PROFILES[profile?].1?;
    let mut allow: Vec<String> = members.iter().map(|s| s.to_string()).collect();
    allow.extend(expand(&also));
    Some(RefLayer { allow: Some(allow), ask: Vec::new(), deny: Vec::new() })
}

pub fn rules_layer(r: Option<&GenRules>) -> Option<RefLayer> {
    let r = r?;
    Some(RefLayer { allow: r.allow.as_ref().map(|a| expand(a)), ask: expand(&r.ask), deny: expand(&r.deny) })
}

/// ARCHITECTURE.md's Decision semantics, written plainly from the generated structure.
pub fn reference_layers(p: &GenPolicy, agent: usize, provider: Option<&str>, main_session: bool, subagent: bool, owner: bool) -> Vec<RefLayer> {
    let a = &p.agents[agent];
    let mut layers = Vec::new();
    layers.extend(profile_layer(Some(&a.scope.rules), Some(&p.global.rules)));
    layers.extend(profile_layer(entry(&a.scope, provider), entry(&p.global, provider)));
    layers.extend(rules_layer(Some(&p.global.rules)));
    layers.extend(rules_layer(entry(&p.global, provider)));
    layers.extend(rules_layer(Some(&a.scope.rules)));
    layers.extend(rules_layer(entry(&a.scope, provider)));
    let sandboxed = match a.mode {
        0 => false,
        1 => subagent || !main_session,
        _ => true,
    };
    if sandboxed {
        // Field by field: the agent's list, else the global one, else the default.
        let field = |f: fn(&GenRules) -> Option<Vec<Spec>>| {
            a.scope.sandbox.as_ref().and_then(f).or_else(|| p.global.sandbox.as_ref().and_then(f)).map(|l| expand(&l))
        };
        let allow = field(|r| r.allow.clone()).unwrap_or_else(|| SANDBOX_ALLOW.iter().map(|s| s.to_string()).collect());
        let deny = field(|r| Some(r.deny.clone()).filter(|d| !d.is_empty())).unwrap_or_else(|| SANDBOX_DENY.iter().map(|s| s.to_string()).collect());
        let ask = field(|r| Some(r.ask.clone()).filter(|d| !d.is_empty())).unwrap_or_default();
        layers.push(RefLayer { allow: Some(allow), ask, deny });
        if a.workspace_ro {
            layers.push(RefLayer { allow: None, ask: Vec::new(), deny: vec!["write".into(), "edit".into(), "apply_patch".into()] });
        }
    }
    if subagent {
        layers.push(RefLayer { allow: None, ask: Vec::new(), deny: SUBAGENT_DENY.iter().map(|s| s.to_string()).collect() });
        layers.extend(rules_layer(p.global.subagents.as_ref()));
        layers.extend(rules_layer(a.scope.subagents.as_ref()));
    }
    if !owner {
        layers.push(RefLayer { allow: None, ask: Vec::new(), deny: vec!["cron".into(), "gateway".into()] });
    }
    layers
}

/// The reference outcome: `deny` when some layer does not admit the tool,
/// else `ask` when some layer asks for it, else `allow`. A request without a
/// provider is decided as strictly as any provider the policy could name
/// (and as none).
pub fn reference_outcome(p: &GenPolicy, agent: usize, tool: &str, provider: Option<&str>, main: bool, subagent: bool, owner: bool) -> ToolOutcome {
    let one = |provider: Option<&str>| {
        let layers = reference_layers(p, agent, provider, main, subagent, owner);
        if !layers.iter().all(|l| passes(l, tool)) {
            ToolOutcome::Deny
        } else if layers.iter().any(|l| l.ask.iter().any(|x| x == tool)) {
            ToolOutcome::Ask
        } else {
            ToolOutcome::Allow
        }
    };
    match provider {
        Some(_) => one(provider),
        None => PROVIDER_KEYS.iter().map(|k| one(Some(k))).fold(one(None), std::cmp::max),
    }
}

/// Whether the reference outcome is `allow`.
pub fn reference_allows(p: &GenPolicy, agent: usize, tool: &str, provider: Option<&str>, main: bool, subagent: bool, owner: bool) -> bool {
    reference_outcome(p, agent, tool, provider, main, subagent, owner) == ToolOutcome::Allow
}

/// A layer admits a tool no deny entry names when it has no allow list, or
/// its allow list or its ask list names the tool.
pub fn passes(layer: &RefLayer, tool: &str) -> bool {
    let named = |list: &[String]| list.iter().any(|x| x == tool);
    !named(&layer.deny) && layer.allow.as_ref().is_none_or(|a| named(a) || named(&layer.ask))
}

pub fn request<'a>(agent: &'a str, tool: &'a str, provider: Option<&'a str>, session: &'a str, subagent: bool, owner: bool) -> ToolRequest<'a> {
    ToolRequest::new(agent, tool).with_provider(provider).with_session(session).with_subagent(subagent).with_owner(owner)
}

pub fn all_requests(p: &GenPolicy, mut check: impl FnMut(usize, &str, Option<&str>, bool, bool, bool)) {
    for agent in 0..p.agents.len() {
        for tool in TOOLS {
            for provider in REQUEST_PROVIDERS {
                for main in [true, false] {
                    for (subagent, owner) in [(false, true), (true, true), (false, false)] {
                        check(agent, tool, *provider, main, subagent, owner);
                    }
                }
            }
        }
    }
}

pub fn session(agent: usize, main: bool) -> String {
    if main {
        format!("agent:a{agent}:main")
    } else {
        format!("agent:a{agent}:telegram:direct:someone")
    }
}

/// Every request of the policy's universe: the engine's decision and its
/// explanation both equal the reference interpreter's answer.
pub fn agrees_with_reference(p: &GenPolicy, engine: &palisade::Engine) {
    all_requests(p, |agent, tool, provider, main, subagent, owner| {
        let id = format!("a{agent}");
        let key = session(agent, main);
        let want = reference_outcome(p, agent, tool, provider, main, subagent, owner);
        let r = request(&id, tool, provider, &key, subagent, owner);
        assert_eq!(engine.decide_outcome(&r), want, "{}\n{r:?}", render(p));
        assert_eq!(engine.decide(&r), want == ToolOutcome::Allow, "{}\n{r:?}", render(p));
        let explained = engine.explain(&r);
        assert_eq!((explained.outcome, explained.allowed), (want, want == ToolOutcome::Allow), "{}\n{r:?}", render(p));
    });
}
