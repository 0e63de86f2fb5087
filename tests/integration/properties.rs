//! Property tests: random policies against a plain reference interpreter of
//! BRIEF §2's layer rules, monotonicity of deny, and no panics on any input.

use palisade::{Policy, ToolRequest};
use proptest::prelude::*;

const TOOLS: &[&str] = &[
    "read", "write", "edit", "apply_patch", "exec", "process", "web_search", "web_fetch", "browser", "nodes", "cron",
    "gateway", "message", "image", "sessions_list", "sessions_send", "session_status", "memory_get", "agents_list",
];
const GROUPS: &[(&str, &[&str])] = &[
    ("fs", &["read", "write", "edit", "apply_patch"]),
    ("runtime", &["exec", "process"]),
    ("web", &["web_search", "web_fetch"]),
    ("automation", &["cron", "gateway"]),
];
const PATTERNS: &[&str] = &["web_*", "session*", "*_get", "*"];
const PROFILES: &[(&str, Option<&[&str]>)] = &[
    ("minimal", Some(&["session_status"])),
    (
        "coding",
        Some(&[
            "read", "write", "edit", "apply_patch", "exec", "process", "sessions_list", "sessions_history",
            "sessions_send", "sessions_spawn", "session_status", "memory_search", "memory_get", "image",
        ]),
    ),
    ("messaging", Some(&["message", "sessions_list", "sessions_history", "sessions_send", "session_status"])),
    ("full", None),
];
const PROVIDER_KEYS: &[&str] = &["openai", "openai/gpt-5", "anthropic"];
const REQUEST_PROVIDERS: &[Option<&str>] =
    &[None, Some("openai"), Some("openai/gpt-5"), Some("OpenAI/other"), Some("anthropic/x"), Some("google")];
const SANDBOX_ALLOW: &[&str] = &[
    "exec", "process", "read", "write", "edit", "apply_patch", "image", "sessions_list", "sessions_history",
    "sessions_send", "sessions_spawn", "session_status",
];
const SANDBOX_DENY: &[&str] = &["browser", "canvas", "nodes", "cron", "gateway"];
const SUBAGENT_DENY: &[&str] = &[
    "sessions_list", "sessions_history", "sessions_send", "sessions_spawn", "session_status", "agents_list",
    "gateway", "cron", "memory_search", "memory_get",
];

#[derive(Debug, Clone)]
enum Spec {
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
fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((head, tail)) => {
            s.starts_with(head) && (0..=s.len() - head.len()).any(|i| s.is_char_boundary(head.len() + i) && glob(tail, &s[head.len() + i..]))
        }
    }
}

#[derive(Debug, Clone, Default)]
struct GenRules {
    profile: Option<usize>,
    allow: Option<Vec<Spec>>,
    also_allow: Vec<Spec>,
    deny: Vec<Spec>,
}

#[derive(Debug, Clone, Default)]
struct GenScope {
    rules: GenRules,
    providers: Vec<(usize, GenRules)>,
    sandbox: Option<GenRules>,
    subagents: Option<GenRules>,
}

#[derive(Debug, Clone)]
struct GenAgent {
    mode: usize,
    workspace_ro: bool,
    scope: GenScope,
}

#[derive(Debug, Clone)]
struct GenPolicy {
    global: GenScope,
    agents: Vec<GenAgent>,
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        6 => (0..TOOLS.len()).prop_map(Spec::Tool),
        2 => (0..GROUPS.len()).prop_map(Spec::Group),
        1 => (0..PATTERNS.len()).prop_map(Spec::Pattern),
    ]
}

fn rules(with_profile: bool) -> impl Strategy<Value = GenRules> {
    (
        proptest::option::weighted(if with_profile { 0.4 } else { 0.001 }, 0..PROFILES.len()).prop_map(move |p| p.filter(|_| with_profile)),
        proptest::option::weighted(0.35, proptest::collection::vec(spec(), 1..5)),
        proptest::collection::vec(spec(), 0..3),
        proptest::collection::vec(spec(), 0..3),
    )
        .prop_map(move |(profile, allow, also, deny)| GenRules {
            profile,
            // allow and also_allow together are a compile error; keep one.
            also_allow: if allow.is_none() && profile.is_some() { also } else { Vec::new() },
            allow,
            deny,
        })
}

fn scope() -> impl Strategy<Value = GenScope> {
    (
        rules(true),
        proptest::collection::vec((0..PROVIDER_KEYS.len(), rules(true)), 0..3),
        proptest::option::weighted(0.3, rules(false)),
        proptest::option::weighted(0.3, rules(false)),
    )
        .prop_map(|(rules, mut providers, sandbox, subagents)| {
            providers.sort_by_key(|(k, _)| *k);
            providers.dedup_by_key(|(k, _)| *k);
            GenScope { rules, providers, sandbox, subagents }
        })
}

fn policy() -> impl Strategy<Value = GenPolicy> {
    (scope(), proptest::collection::vec((0..3usize, any::<bool>(), scope()), 1..4)).prop_map(|(global, agents)| GenPolicy {
        global,
        agents: agents.into_iter().map(|(mode, workspace_ro, scope)| GenAgent { mode, workspace_ro, scope }).collect(),
    })
}

fn list(specs: &[Spec]) -> String {
    format!("[{}]", specs.iter().map(Spec::text).collect::<Vec<_>>().join(", "))
}

fn render_rules(r: &GenRules) -> String {
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
    if !r.deny.is_empty() {
        out += &format!(" deny {}", list(&r.deny));
    }
    out
}

fn render_scope(s: &GenScope) -> String {
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

fn render(p: &GenPolicy) -> String {
    let mut out = render_scope(&p.global) + "\n";
    for (i, a) in p.agents.iter().enumerate() {
        let mode = ["off", "non-main", "all"][a.mode];
        let ws = if a.workspace_ro { "ro" } else { "rw" };
        out += &format!("agent a{i} {{ sandbox {mode} workspace {ws} {} }}\n", render_scope(&a.scope));
    }
    out
}

fn compile(p: &GenPolicy) -> Option<Policy> {
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

struct RefLayer {
    allow: Option<Vec<String>>,
    deny: Vec<String>,
}

fn expand(specs: &[Spec]) -> Vec<String> {
    let mut all: Vec<&str> = TOOLS.to_vec();
    all.extend(PROFILES.iter().filter_map(|(_, m)| *m).flatten());
    all.extend(SANDBOX_ALLOW);
    all.sort_unstable();
    all.dedup();
    all.into_iter().filter(|t| specs.iter().any(|s| s.matches(t))).map(String::from).collect()
}

fn entry<'a>(scope: &'a GenScope, provider: Option<&str>) -> Option<&'a GenRules> {
    let p = provider?.to_lowercase();
    let find = |key: &str| scope.providers.iter().find(|(k, _)| PROVIDER_KEYS[*k] == key).map(|(_, r)| r);
    find(&p).or_else(|| find(p.split('/').next().unwrap_or("")))
}

fn profile_layer(agent: Option<&GenRules>, global: Option<&GenRules>) -> Option<RefLayer> {
    let (profile, also) = match agent.and_then(|a| a.profile) {
        Some(p) => (Some(p), agent.map(|a| a.also_allow.clone()).unwrap_or_default()),
        None => {
            let mut also = global.map(|g| g.also_allow.clone()).unwrap_or_default();
            also.extend(agent.map(|a| a.also_allow.clone()).unwrap_or_default());
            (global.and_then(|g| g.profile), also)
        }
    };
    let members = PROFILES[profile?].1?;
    let mut allow: Vec<String> = members.iter().map(|s| s.to_string()).collect();
    allow.extend(expand(&also));
    Some(RefLayer { allow: Some(allow), deny: Vec::new() })
}

fn rules_layer(r: Option<&GenRules>) -> Option<RefLayer> {
    let r = r?;
    Some(RefLayer { allow: r.allow.as_ref().map(|a| expand(a)), deny: expand(&r.deny) })
}

/// BRIEF §2, written plainly from the generated structure.
fn reference_layers(p: &GenPolicy, agent: usize, provider: Option<&str>, main_session: bool, subagent: bool, owner: bool) -> Vec<RefLayer> {
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
        let deny = field(|r| Some(r.deny.clone()).filter(|d| !d.is_empty()))
            .unwrap_or_else(|| SANDBOX_DENY.iter().map(|s| s.to_string()).collect());
        layers.push(RefLayer { allow: Some(allow), deny });
        if a.workspace_ro {
            layers.push(RefLayer { allow: None, deny: vec!["write".into(), "edit".into(), "apply_patch".into()] });
        }
    }
    if subagent {
        layers.push(RefLayer { allow: None, deny: SUBAGENT_DENY.iter().map(|s| s.to_string()).collect() });
        layers.extend(rules_layer(p.global.subagents.as_ref()));
        layers.extend(rules_layer(a.scope.subagents.as_ref()));
    }
    if !owner {
        layers.push(RefLayer { allow: None, deny: vec!["cron".into(), "gateway".into()] });
    }
    layers
}

fn passes(layer: &RefLayer, tool: &str) -> bool {
    !layer.deny.iter().any(|d| d == tool) && layer.allow.as_ref().is_none_or(|a| a.iter().any(|x| x == tool))
}

fn request<'a>(agent: &'a str, tool: &'a str, provider: Option<&'a str>, session: &'a str, subagent: bool, owner: bool) -> ToolRequest<'a> {
    ToolRequest { agent, tool, provider, session: Some(session), subagent, owner, sender: None }
}

fn all_requests(p: &GenPolicy, mut check: impl FnMut(usize, &str, Option<&str>, bool, bool, bool)) {
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

fn session(agent: usize, main: bool) -> String {
    if main {
        format!("agent:a{agent}:main")
    } else {
        format!("agent:a{agent}:telegram:direct:someone")
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference_interpreter(p in policy()) {
        let Some(policy) = compile(&p) else { return Ok(()) };
        let engine = policy.engine();
        all_requests(&p, |agent, tool, provider, main, subagent, owner| {
            let id = format!("a{agent}");
            let key = session(agent, main);
            let want = reference_layers(&p, agent, provider, main, subagent, owner).iter().all(|l| passes(l, tool));
            let r = request(&id, tool, provider, &key, subagent, owner);
            assert_eq!(engine.decide(&r), want, "{}\n{r:?}", render(&p));
            assert_eq!(engine.explain(&r).allowed, want, "{}\n{r:?}", render(&p));
        });
    }

    #[test]
    fn a_tool_in_an_active_deny_list_is_never_allowed(p in policy()) {
        let Some(policy) = compile(&p) else { return Ok(()) };
        all_requests(&p, |agent, tool, provider, main, subagent, owner| {
            let denied = reference_layers(&p, agent, provider, main, subagent, owner).iter().any(|l| l.deny.iter().any(|d| d == tool));
            if denied {
                let id = format!("a{agent}");
                let key = session(agent, main);
                assert!(!policy.engine().decide(&request(&id, tool, provider, &key, subagent, owner)), "{}", render(&p));
            }
        });
    }

    #[test]
    fn adding_a_deny_or_a_layer_never_turns_deny_into_allow(
        p in policy(),
        extra in spec(),
        target in 0..4usize,
        agent_pick in 0..3usize,
    ) {
        let Some(before) = compile(&p) else { return Ok(()) };
        let mut q = p.clone();
        let a = agent_pick % q.agents.len();
        match target {
            0 => q.global.rules.deny.push(extra.clone()),
            1 => q.agents[a].scope.rules.deny.push(extra.clone()),
            // A whole new layer where there was none.
            2 => if q.global.subagents.is_none() {
                q.global.subagents = Some(GenRules { allow: Some(vec![extra.clone()]), ..GenRules::default() });
            } else {
                q.global.rules.deny.push(extra.clone());
            },
            _ => if q.agents[a].scope.rules.allow.is_none() && q.agents[a].scope.rules.also_allow.is_empty() {
                q.agents[a].scope.rules.allow = Some(vec![extra.clone()]);
            } else {
                q.agents[a].scope.rules.deny.push(extra.clone());
            },
        }
        let Some(after) = compile(&q) else { return Ok(()) };
        all_requests(&p, |agent, tool, provider, main, subagent, owner| {
            let id = format!("a{agent}");
            let key = session(agent, main);
            let r = request(&id, tool, provider, &key, subagent, owner);
            if !before.engine().decide(&r) {
                assert!(!after.engine().decide(&r), "{}\n->\n{}\n{r:?}", render(&p), render(&q));
            }
        });
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Policy::from_dsl("fuzz.pal", &text);
        let _ = Policy::from_openclaw_json("fuzz.json", &text);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(prop_oneof![
        Just("agent"), Just("tools"), Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just("allow"),
        Just("deny"), Just("also_allow"), Just("profile"), Just("coding"), Just("provider"), Just("\"openai\""),
        Just("sandbox"), Just("defaults"), Just("all"), Just("scope"), Just("session"), Just("workspace"), Just("ro"),
        Just("docker"), Just("network"), Just("host"), Just("memory"), Just("1g"), Just("bind"), Just("\"/etc:/e\""),
        Just("group"), Just("="), Just("group:fs"), Just("exec"), Just("web_*"), Just("*"), Just("test"),
        Just("\"t\""), Just("tool"), Just("for"), Just("main"), Just("subagents"), Just("sender"), Just("owners"),
        Just("plugin_tools"), Just("default"), Just("//"), Just("/*"), Just("\n"), Just("\"\\q\""), Just("off"),
    ], 0..60)) {
        let text = tokens.join(" ");
        let _ = Policy::from_dsl("soup.pal", &text);
    }

    #[test]
    fn json_soup_never_panics(tokens in proptest::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\"tools\""), Just("\"agents\""),
        Just("\"list\""), Just("\"entries\""), Just("\"allow\""), Just("\"deny\""), Just("\"exec\""), Just("\"id\""),
        Just("\"sandbox\""), Just("\"mode\""), Just("\"all\""), Just("\"docker\""), Just("\"binds\""), Just("1"),
        Just("true"), Just("null"), Just("\"byProvider\""), Just("\"profile\""), Just("\"coding\""), Just("//"),
    ], 0..80)) {
        let text = tokens.join(" ");
        let _ = Policy::from_openclaw_json("soup.json", &text);
    }
}
