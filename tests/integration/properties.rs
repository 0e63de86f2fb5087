//! Property tests: random policies against a plain reference interpreter of
//! the layer rules' (ARCHITECTURE.md, Decision semantics) layer rules, monotonicity of deny, and no panics on any input.

use palisade::Policy;
use proptest::prelude::*;

use palisade_testkit::reference::*;

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
        proptest::collection::vec(spec(), 0..2),
        proptest::collection::vec(spec(), 0..3),
    )
        .prop_map(move |(profile, allow, also, ask, deny)| GenRules {
            profile,
            // allow and also_allow together are a compile error; keep one.
            also_allow: if allow.is_none() && profile.is_some() { also } else { Vec::new() },
            allow,
            ask,
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference_interpreter(p in policy()) {
        if let Some(policy) = compile(&p) {
            agrees_with_reference(&p, policy.engine());
        }
    }

    #[test]
    fn a_printed_policy_decides_as_its_source(p in policy()) {
        let Some(source) = compile(&p) else { return Ok(()) };
        let printed = palisade::unstable::to_dsl(source.ast(), source.warnings());
        let again = Policy::from_dsl("printed.pal", &printed).unwrap_or_else(|e| panic!("{printed}\n{e:?}"));
        all_requests(&p, |agent, tool, provider, main, subagent, owner| {
            let id = format!("a{agent}");
            let key = session(agent, main);
            let r = request(&id, tool, provider, &key, subagent, owner);
            assert_eq!(source.engine().decide(&r), again.engine().decide(&r), "{r:?}\n{printed}");
        });
    }

    /// Fail closed: leaving out the provider, the session or `owner` never
    /// allows what some value of that field would deny.
    #[test]
    fn a_field_left_out_never_allows_more_than_a_value_of_it(p in policy()) {
        let Some(policy) = compile(&p) else { return Ok(()) };
        let engine = policy.engine();
        all_requests(&p, |agent, tool, provider, main, subagent, owner| {
            let id = format!("a{agent}");
            let key = session(agent, main);
            let r = request(&id, tool, provider, &key, subagent, owner);
            let allowed = engine.decide(&r);
            let left_out = [
                r.with_provider(None),
                r.with_session(None),
                r.with_owner(palisade::ToolRequest::new(&id, tool).owner()),
            ];
            for without in left_out {
                assert!(allowed || !engine.decide(&without), "{without:?} allowed, {r:?} denied\n{}", render(&p));
            }
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

    #[test]
    fn printed_keys_read_back_as_themselves(keys in proptest::collection::vec("(//|/\\*|/)?[a/*:.\"\\\\ _-]{1,4}", 3)) {
        assert_keys_read_back(&keys);
    }
}

/// The printer writes plain keys bare; none may read back as something else.
/// Syntax only: the compiler's own checks on owner and provider keys are not
/// what this is about.
fn assert_keys_read_back(keys: &[String]) {
    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    let text = format!(
        "owners {}\ntools {{ provider {} {{ deny exec }} sender {} {{ deny read }} }}\nagent main {{ default }}\n",
        quoted[0], quoted[1], quoted[2]
    );
    let parse = |name: &str, text: &str| palisade::unstable::parse_dsl(std::sync::Arc::new(palisade::SourceFile::new(name, text)));
    let (original, _) = parse("keys.pal", &text).unwrap_or_else(|e| panic!("{text}\n{e:?}"));
    let printed = palisade::unstable::to_dsl(&original, &[]);
    let (again, _) = parse("printed.pal", &printed).unwrap_or_else(|e| panic!("{printed}\n{e:?}"));
    let values = |keys: &[palisade::unstable::ast::Spanned<String>]| keys.iter().map(|k| k.value.clone()).collect::<Vec<_>>();
    assert_eq!(values(&original.owners), values(&again.owners), "{printed}");
    let tools = |p: &palisade::unstable::ast::Policy| p.tools.as_ref().map(|t| (t.providers[0].key.value.clone(), t.senders[0].key.value.clone()));
    assert_eq!(tools(&original), tools(&again), "{printed}");
}

// Found by the `dsl_structured` fuzz target in CI: `owners "//o"` was printed
// as `owners //o`, a comment. A `/*` key could swallow the lines after it.
#[test]
fn keys_that_look_like_comments_are_printed_quoted() {
    assert_keys_read_back(&["//o".into(), "/*x".into(), "/".into()]);
    assert_keys_read_back(&["a//b".into(), "//".into(), "/*".into()]);
}

#[test]
fn a_file_name_with_a_newline_stays_in_its_comment() {
    let json = Policy::from_openclaw_json("x\nagent evil { default }\n.json", r#"{ "tools": { "deny": ["exec"] } }"#).unwrap();
    let printed = palisade::unstable::to_dsl(json.ast(), json.warnings());
    let again = Policy::from_dsl("printed.pal", &printed).unwrap_or_else(|e| panic!("{printed}\n{e:?}"));
    assert_eq!(again.engine().agent_ids().collect::<Vec<_>>(), json.engine().agent_ids().collect::<Vec<_>>(), "{printed}");
}
