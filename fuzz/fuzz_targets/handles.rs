//! Session handles and bearer credentials, as the gateway parses what a
//! client presents. A sealed handle, then whatever the fuzzer does to it:
//! it opens exactly when unchanged, in time and presented by its own
//! principal, and then yields exactly the claims it was sealed with. Any
//! presented token authenticates exactly when it is the minted one.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use palisade_gateway::handles::{Claims, Grounds, HandleKey};
use palisade_gateway::principals::{epoch, Credentials, Role};
use palisade_gateway::store::Store;

#[derive(Debug, Arbitrary)]
struct Case {
    key: [u8; 32],
    agent: String,
    session: String,
    sender: String,
    owner: bool,
    subagent: bool,
    /// The message's sender and roles, when the handle came from `/v1/ingress`.
    grounds: Option<(String, Vec<String>)>,
    parent_session: Option<String>,
    expires_ms: u32,
    now_ms: u32,
    principal: String,
    presenter: String,
    /// Overwrite one byte of the handle (index, value), or replace it whole.
    flip: Option<(u16, u8)>,
    replacement: Option<String>,
    token: String,
}

/// One store and one minted runtime token for the whole run.
fn minted() -> &'static (Store, Credentials, String) {
    static MINTED: OnceLock<(Store, Credentials, String)> = OnceLock::new();
    MINTED.get_or_init(|| {
        let store = Store::in_memory().expect("an in-memory store");
        let credentials = Credentials::load(&store, epoch(Some(&[9; 32])), 0).expect("credentials");
        let (_, token) = credentials.mint(&store, Role::Runtime, vec!["main".into()], None, 0, u64::MAX).expect("store").expect("room");
        (store, credentials, token)
    })
}

fuzz_target!(|case: Case| {
    let key = HandleKey::new(case.key);
    let claims = Claims {
        principal: case.principal.clone(),
        agent: case.agent,
        session: case.session,
        channel: "telegram".into(),
        account: None,
        sender: case.sender,
        owner: case.owner,
        chat: "direct".into(),
        chat_id: String::new(),
        subagent: case.subagent,
        expires_ms: u64::from(case.expires_ms),
        grounds: case.grounds.map(|(sender, roles)| Grounds {
            channel: "telegram".into(),
            account: None,
            chat: palisade::ChatKind::Direct,
            chat_id: None,
            sender,
            thread: None,
            topic: None,
            parent: None,
            guild: None,
            team: None,
            roles,
        }),
        parent_session: case.parent_session,
    };
    // Too long to seal is refused at minting, never sealed unopenable.
    let Some(sealed) = key.mint(&claims) else {
        assert!(serde_json::to_vec(&claims).map_or(0, |p| p.len()) * 2 > palisade_gateway::handles::HANDLE_CAP - 70);
        return;
    };
    let mut presented = case.replacement.clone().unwrap_or_else(|| sealed.clone());
    if let Some((at, byte)) = case.flip {
        let mut bytes = presented.clone().into_bytes();
        if let Some(b) = bytes.get_mut(usize::from(at)) {
            *b = byte;
        }
        presented = String::from_utf8(bytes).unwrap_or(presented);
    }
    let opened = key.open(&presented, &case.presenter, u64::from(case.now_ms));
    let valid = presented == sealed && case.presenter == case.principal && u64::from(case.now_ms) < u64::from(case.expires_ms);
    assert_eq!(opened.is_ok(), valid, "opened must mean sealed here, unchanged, in time, own principal: {presented:?} -> {opened:?}");
    if let Ok(opened) = opened {
        assert_eq!(opened, claims);
    }

    let (_, credentials, token) = minted();
    let principal = credentials.principal(&case.token, 1);
    assert_eq!(principal.is_some(), case.token == *token, "a token authenticated that was not minted: {:?}", case.token);
});
