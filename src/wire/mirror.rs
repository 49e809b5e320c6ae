//! The JavaScript clients mirror the wire's tags as bare strings; these tests read the shipped
//! files and fail when a message the server sends has no handler, or one it reads is never
//! sent: the copies cannot drift apart unnoticed.

use std::path::Path;

use serde::Serialize;

use super::*;

/// Every message the server sends the agent view. The match stops compiling when one is added,
/// and the list beside it is where the new one goes.
fn every_to_agent() -> Vec<ToAgent> {
    let text = String::new;
    let all = vec![
        ToAgent::Hello { agent: text(), name: text(), role: Role::Agent },
        ToAgent::TransferOffered { session: text(), from: text() },
        ToAgent::TransferredAway { to: text() },
        ToAgent::Watchers { count: 0 },
        ToAgent::Joined {
            session: text(),
            width: 0,
            height: 0,
            state: PublicState::Active,
            mode: Mode::Pointer,
            write_mode_allowed: false,
            origin: text(),
            watching: false,
        },
        ToAgent::ModeChanged { mode: Mode::Pointer },
        ToAgent::Viewport { width: 0, height: 0, partial: false, outline: None },
        ToAgent::CustomerPointer { x: 0.0, y: 0.0 },
        ToAgent::Paused,
        ToAgent::Resumed,
        ToAgent::PrivatePage { private: false },
        ToAgent::Control { x: 0.0, y: 0.0, control: Control::Select { multiple: false, options: vec![] } },
        ToAgent::PointerOver { hidden: None },
        ToAgent::ReplicaRestarting,
        ToAgent::ReplicaUnavailable,
        ToAgent::Refused { code: ErrorCode::PointerMode, message: text() },
        ToAgent::Ended { by: EndedBy::Agent },
        ToAgent::JoinFailed { code: ErrorCode::NoSuchSession, message: text() },
        ToAgent::Error { code: ErrorCode::Malformed, message: text() },
    ];
    for message in &all {
        match message {
            ToAgent::Hello { .. }
            | ToAgent::TransferOffered { .. }
            | ToAgent::TransferredAway { .. }
            | ToAgent::Watchers { .. }
            | ToAgent::Joined { .. }
            | ToAgent::ModeChanged { .. }
            | ToAgent::Viewport { .. }
            | ToAgent::CustomerPointer { .. }
            | ToAgent::Paused
            | ToAgent::Resumed
            | ToAgent::PrivatePage { .. }
            | ToAgent::Control { .. }
            | ToAgent::PointerOver { .. }
            | ToAgent::ReplicaRestarting
            | ToAgent::ReplicaUnavailable
            | ToAgent::Refused { .. }
            | ToAgent::Ended { .. }
            | ToAgent::JoinFailed { .. }
            | ToAgent::Error { .. } => {}
        }
    }
    all
}

/// Every message the server sends the snippet (the same rule as [`every_to_agent`]).
fn every_to_customer() -> Vec<ToCustomer> {
    let text = String::new;
    let all = vec![
        ToCustomer::Started {
            id: text(),
            token: text(),
            origins: vec![],
            state: PublicState::Waiting,
            mode: Mode::Pointer,
            rules: Rules::default(),
        },
        ToCustomer::Rules { rules: Rules::default() },
        ToCustomer::Snapshot,
        ToCustomer::AgentJoined { name: text() },
        ToCustomer::Transferred { name: text() },
        ToCustomer::Watchers { count: 0 },
        ToCustomer::Resumed,
        ToCustomer::Superseded,
        ToCustomer::AgentLeft,
        ToCustomer::AgentPointer { x: 0.0, y: 0.0 },
        ToCustomer::AgentClick { x: 0.0, y: 0.0 },
        ToCustomer::Ended { by: EndedBy::Agent },
        ToCustomer::Gone { code: ErrorCode::NoSuchSession, message: text() },
        ToCustomer::Error { code: ErrorCode::Malformed, message: text() },
        ToCustomer::WriteRequested,
        ToCustomer::RequestWithdrawn,
        ToCustomer::ModeChanged { mode: Mode::Pointer },
        ToCustomer::Act { action: PageAction::Back },
    ];
    for message in &all {
        match message {
            ToCustomer::Started { .. }
            | ToCustomer::Rules { .. }
            | ToCustomer::Snapshot
            | ToCustomer::AgentJoined { .. }
            | ToCustomer::Transferred { .. }
            | ToCustomer::Watchers { .. }
            | ToCustomer::Resumed
            | ToCustomer::Superseded
            | ToCustomer::AgentLeft
            | ToCustomer::AgentPointer { .. }
            | ToCustomer::AgentClick { .. }
            | ToCustomer::Ended { .. }
            | ToCustomer::Gone { .. }
            | ToCustomer::Error { .. }
            | ToCustomer::WriteRequested
            | ToCustomer::RequestWithdrawn
            | ToCustomer::ModeChanged { .. }
            | ToCustomer::Act { .. } => {}
        }
    }
    all
}

/// The `type` a message travels with.
fn tag(message: &impl Serialize) -> String {
    serde_json::to_value(message).unwrap()["type"].as_str().unwrap().to_string()
}

/// Every `.js` file in `web/` (or a folder of it), as shipped, with its name.
fn shipped(folder: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("web").join(folder);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "js"))
        .map(|path| (path.display().to_string(), std::fs::read_to_string(&path).unwrap()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scripts in {}", dir.display());
    files
}

/// Whether `js` handles messages tagged `tag`: a `case 'tag'` of a switch, or an entry of a
/// handler table keyed by tag (`tag(message) {`, `tag: (message) =>`, `'tag': function`). A
/// word table's `tag: 'Words'` is not a handler.
fn handles(js: &str, tag: &str) -> bool {
    let entry = format!(r#"(?m)case '{tag}'|^\s*'?{tag}'?\s*(\(|:\s*(\(|function|async|[a-z_]+\s*=>))"#);
    let entry = regex::Regex::new(&entry).unwrap();
    entry.is_match(js)
}

/// Whether `js` sends messages tagged `tag`.
fn sends(js: &str, tag: &str) -> bool {
    js.contains(&format!("type: '{tag}'"))
}

fn all_of(files: &[(String, String)]) -> String {
    files.iter().map(|(_, js)| js.as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_agent_view_handles_every_message_the_server_sends_it() {
    let agent = all_of(&shipped("agent"));
    let missing: Vec<String> = every_to_agent().iter().map(tag).filter(|t| !handles(&agent, t)).collect();
    assert!(missing.is_empty(), "web/agent/ has no handler for {missing:?}");
}

#[test]
fn the_snippet_handles_every_message_the_server_sends_it() {
    let snippet = all_of(&shipped(""));
    let missing: Vec<String> = every_to_customer().iter().map(tag).filter(|t| !handles(&snippet, t)).collect();
    assert!(missing.is_empty(), "the snippet (web/*.js) has no handler for {missing:?}");
}

/// The tags serde accepts for `T`, from its own refusal of an unknown one.
fn accepted_tags<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
    let refusal = serde_json::from_str::<T>(r#"{"type":"?"}"#).unwrap_err().to_string();
    let listed = refusal.split_once("expected one of").expect("serde lists the variants").1;
    listed.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn every_message_the_server_reads_is_one_its_clients_send() {
    let agent = all_of(&shipped("agent"));
    let snippet = all_of(&shipped(""));
    let from_agent = accepted_tags::<FromAgent>();
    let from_customer = accepted_tags::<FromCustomer>();
    assert!(from_agent.len() >= 5 && from_customer.len() >= 5, "{from_agent:?} {from_customer:?}");
    let unsent: Vec<&String> = from_agent.iter().filter(|t| !sends(&agent, t)).collect();
    assert!(unsent.is_empty(), "the agent view never sends {unsent:?}");
    let unsent: Vec<&String> = from_customer.iter().filter(|t| !sends(&snippet, t)).collect();
    assert!(unsent.is_empty(), "the snippet never sends {unsent:?}");
}
