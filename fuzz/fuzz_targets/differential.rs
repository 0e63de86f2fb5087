//! Differential: a generated tool policy, compiled, against the plain
//! reference interpreter of the layer rules that the property tests use
//! (`palisade_testkit::reference`), on every request of its universe.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

use palisade_testkit::reference::*;

fn spec(u: &mut Unstructured<'_>) -> Result<Spec> {
    Ok(match u.int_in_range(0..=8u8)? {
        0..=5 => Spec::Tool(u.choose_index(TOOLS.len())?),
        6 | 7 => Spec::Group(u.choose_index(GROUPS.len())?),
        _ => Spec::Pattern(u.choose_index(PATTERNS.len())?),
    })
}

fn specs(u: &mut Unstructured<'_>, min: usize, max: usize) -> Result<Vec<Spec>> {
    let n = u.int_in_range(min..=max)?;
    (0..n).map(|_| spec(u)).collect()
}

fn rules(u: &mut Unstructured<'_>, with_profile: bool) -> Result<GenRules> {
    let profile = if with_profile && u.ratio(2, 5)? { Some(u.choose_index(PROFILES.len())?) } else { None };
    let allow = if u.ratio(1, 3)? { Some(specs(u, 1, 4)?) } else { None };
    let also = specs(u, 0, 2)?;
    let ask = specs(u, 0, 1)?;
    let deny = specs(u, 0, 2)?;
    // allow and also_allow together are a compile error; keep one.
    let also_allow = if allow.is_none() && profile.is_some() { also } else { Vec::new() };
    Ok(GenRules { profile, allow, also_allow, ask, deny })
}

fn scope(u: &mut Unstructured<'_>) -> Result<GenScope> {
    let rules_ = rules(u, true)?;
    let mut providers = Vec::new();
    for _ in 0..u.int_in_range(0..=2u8)? {
        providers.push((u.choose_index(PROVIDER_KEYS.len())?, rules(u, true)?));
    }
    providers.sort_by_key(|(k, _)| *k);
    providers.dedup_by_key(|(k, _)| *k);
    let sandbox = if u.ratio(3, 10)? { Some(rules(u, false)?) } else { None };
    let subagents = if u.ratio(3, 10)? { Some(rules(u, false)?) } else { None };
    Ok(GenScope { rules: rules_, providers, sandbox, subagents })
}

fn policy(u: &mut Unstructured<'_>) -> Result<GenPolicy> {
    let global = scope(u)?;
    let mut agents = Vec::new();
    for _ in 0..u.int_in_range(1..=3u8)? {
        agents.push(GenAgent { mode: u.choose_index(3)?, workspace_ro: u.arbitrary()?, scope: scope(u)? });
    }
    Ok(GenPolicy { global, agents })
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = policy(&mut Unstructured::new(data)) else { return };
    if let Some(compiled) = compile(&p) {
        agrees_with_reference(&p, compiled.engine());
    }
});
