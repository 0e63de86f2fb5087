//! Every cap on hostile input, fed an input at the cap (accepted) and one
//! just over it (refused with a clear error, never a panic).

use palisade::unstable::limits::{MAX_NESTING, MAX_POLICY_BYTES};
use palisade::Policy;

fn nested(depth: usize) -> String {
    // `tools { sandbox { sandbox { ... } } }`: blocks inside blocks.
    format!("tools {{ {} deny exec {} }}", "sandbox { ".repeat(depth - 1), "} ".repeat(depth - 1))
}

fn codes(result: Result<Policy, palisade::PolicyError>) -> Vec<&'static str> {
    match result {
        Ok(_) => Vec::new(),
        Err(e) => e.errors().map(|d| d.code.as_str()).collect(),
    }
}

#[test]
fn dsl_nesting_just_over_the_cap_is_refused() {
    // At the cap the text reaches the grammar (nested sandbox blocks are a
    // lowering error, but not a too-deep one).
    assert!(!codes(Policy::from_dsl("at.pal", &nested(MAX_NESTING))).contains(&"palisade::too-deep"));
    let over = Policy::from_dsl("over.pal", &nested(MAX_NESTING + 1)).unwrap_err();
    let d = over.errors().next().unwrap();
    assert_eq!(d.code, "palisade::too-deep");
    assert_eq!(d.message, format!("blocks nested deeper than {MAX_NESTING} levels"));
    assert_eq!((d.location.line, d.location.col), (1, 1 + nested(MAX_NESTING + 1).rfind('{').unwrap() as u32));
}

#[test]
fn dsl_and_json_size_just_over_the_cap_is_refused() {
    // A comment pads the text to exactly the cap, then one byte more.
    let policy = "agent main { tools { allow read } }\n";
    let at = format!("{policy}//{}", "x".repeat(MAX_POLICY_BYTES - policy.len() - 2));
    assert_eq!(at.len(), MAX_POLICY_BYTES);
    assert!(Policy::from_dsl("at.pal", &at).is_ok());
    let over = format!("{at}x");
    let e = Policy::from_dsl("over.pal", &over).unwrap_err();
    let d = e.errors().next().unwrap();
    assert_eq!(d.code, "palisade::too-large");
    assert!(d.message.contains(&format!("{} bytes is over the {MAX_POLICY_BYTES}-byte limit", MAX_POLICY_BYTES + 1)), "{}", d.message);

    let json = r#"{"tools": {"allow": ["read"]}}"#;
    let at = format!("{json}{}", " ".repeat(MAX_POLICY_BYTES - json.len()));
    assert!(Policy::from_openclaw_json("at.json", &at).is_ok());
    let e = Policy::from_openclaw_json("over.json", &format!("{at} ")).unwrap_err();
    assert!(e.errors().next().unwrap().message.contains("over the"), "{e:?}");
}

#[test]
fn json_nesting_just_over_the_cap_is_refused() {
    // The reader allows 128 levels below the top-level value.
    let deep = |levels: usize| format!("{{\"x\": {}1{}}}", "[".repeat(levels), "]".repeat(levels));
    let at = Policy::from_openclaw_json("at.json", &deep(127));
    assert!(at.as_ref().err().is_none_or(|e| e.errors().all(|d| !d.message.contains("nesting"))), "{at:?}");
    let over = Policy::from_openclaw_json("over.json", &deep(128)).unwrap_err();
    assert!(over.errors().next().unwrap().message.contains("nesting deeper than 128 levels"), "{over:?}");
}

#[test]
fn decide_requests_just_over_the_line_cap_are_refused() {
    let max = palisade::wire::MAX_LINE;
    let request = |len: usize| {
        let shell = r#"{"kind":"tool","agent":"main","tool":"exec","session":""}"#;
        format!(r#"{{"kind":"tool","agent":"main","tool":"exec","session":"{}"}}"#, "s".repeat(len - shell.len()))
    };
    assert_eq!(request(max).len(), max);
    assert!(palisade::wire::parse(&request(max)).is_ok());
    let e = palisade::wire::parse(&request(max + 1)).unwrap_err();
    assert_eq!(e, format!("request of {} bytes is over the {max}-byte limit", max + 1));
}
