//! The peer bench compares equal work: Palisade and the Cedar encoding of
//! the same layered policy decide every request of the stream alike.

use palisade::{Policy, ToolRequest};
use palisade_testkit::bench_policy;
use palisade_testkit::cedar::CedarPolicy;

fn agree(generated: usize, plugin_tools: usize) -> usize {
    let agents = bench_policy::agents(generated, plugin_tools);
    let policy = Policy::from_dsl("peers.pal", &bench_policy::palisade_policy(&agents, plugin_tools)).unwrap();
    let cedar = CedarPolicy::new(&agents);
    let stream = bench_policy::stream(&agents);
    let mut allowed = 0;
    for r in &stream {
        let session = r.session();
        let request =
            ToolRequest::new(&r.agent, r.tool).with_provider(r.provider).with_session(&session).with_subagent(r.subagent).with_owner(r.owner);
        let ours = policy.engine().decide(&request);
        let theirs = cedar.allows(&CedarPolicy::request(r));
        assert_eq!(ours, theirs, "{r:?}: palisade {ours}, cedar {theirs}\n{}", policy.engine().explain(&request).reason);
        allowed += usize::from(ours);
    }
    // Both answers occur: the stream is not trivially all-deny or all-allow.
    assert!(allowed > 0 && allowed < stream.len(), "{allowed} of {}", stream.len());
    stream.len()
}

#[test]
fn cedar_encoding_decides_like_palisade_on_the_whole_stream() {
    assert_eq!(agree(0, 0), 3 * 16 * 6 * 4, "the seed's three agents");
    assert_eq!(agree(50, 0), 53 * 16 * 6 * 4, "the seed's three and fifty generated agents");
}
