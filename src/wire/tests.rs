//! Tests of the wire messages: parsing, refusals and tags as the clients expect them.
use super::*;

#[test]
fn customer_messages_parse() {
    assert_eq!(parse::<FromCustomer>(r#"{"type":"start"}"#), Ok(FromCustomer::Start));
    assert_eq!(
        parse::<FromCustomer>(r#"{"type":"page","href":"http://a/b","width":800,"height":600}"#),
        Ok(FromCustomer::Page {
            href: "http://a/b".into(),
            width: 800,
            height: 600,
            display: Display::default(),
            visual: None
        })
    );
}

#[test]
fn agent_actions_parse() {
    let m = parse::<FromAgent>(r#"{"type":"action","action":{"kind":"click","x":1,"y":2}}"#).unwrap();
    assert_eq!(m, FromAgent::Action { action: AgentAction::Click { x: 1.0, y: 2.0 } });
}

#[test]
fn bad_messages_say_why() {
    assert_eq!(parse::<FromAgent>("not json").unwrap_err().0, ErrorCode::Malformed);
    assert_eq!(parse::<FromAgent>(r#"{"type":"fly"}"#).unwrap_err().0, ErrorCode::Malformed);
    assert_eq!(parse::<FromAgent>(r#"{"type":"pointer","x":1,"y":2,"z":3}"#).unwrap_err().0, ErrorCode::Malformed);
    assert_eq!(parse::<FromAgent>(r#"{"type":"pointer","x":"left","y":2}"#).unwrap_err().0, ErrorCode::Malformed);
    let big = format!(r#"{{"type":"join","session":"{}"}}"#, "1".repeat(MAX_CONTROL_MESSAGE));
    assert_eq!(parse::<FromAgent>(&big).unwrap_err().0, ErrorCode::TooLarge);
}

#[test]
fn events_must_be_a_json_array() {
    assert!(validate_events(br#"[{"type":2,"data":{}}]"#).is_ok());
    assert!(validate_events(b"[1,2]; alert(1)").is_err());
    assert!(validate_events(br#"{"type":2}"#).is_err());
    assert!(validate_events(&[0xff, 0xfe]).is_err());
}

#[test]
fn messages_serialise_with_snake_case_tags() {
    assert_eq!(to_text(&ToCustomer::AgentClick { x: 1.0, y: 2.5 }), r#"{"type":"agent_click","x":1.0,"y":2.5}"#);
    assert_eq!(to_text(&ToAgent::Ended { by: EndedBy::Customer }), r#"{"type":"ended","by":"customer"}"#);
}

#[test]
fn joins_bind_an_interaction_and_may_ask_to_watch() {
    assert_eq!(
        parse::<FromAgent>(r#"{"type":"join","session":"123456789"}"#),
        Ok(FromAgent::Join { session: "123456789".into(), interaction: None, watch: false })
    );
    assert_eq!(
        parse::<FromAgent>(r#"{"type":"join","session":"123456789","interaction":"i-7","watch":true}"#),
        Ok(FromAgent::Join { session: "123456789".into(), interaction: Some("i-7".into()), watch: true })
    );
    assert_eq!(parse::<FromAgent>(r#"{"type":"transfer"}"#).unwrap_err().0, ErrorCode::Malformed);
}

/// Every action the snippet may be asked to perform, and every one the agent view sends.
fn page_actions() -> Vec<PageAction> {
    let (id, x, y) = (1, 2.0, 3.0);
    vec![
        PageAction::Click { id, x, y },
        PageAction::DoubleClick { id, x, y },
        PageAction::Text { text: "a".into() },
        PageAction::Compose { text: "é".into() },
        PageAction::Paste { text: "a".into() },
        PageAction::Key { key: "Enter".into() },
        PageAction::Scroll { id, x, y, dx: 0.0, dy: 1.0 },
        PageAction::Choose { id, x, y, index: 1 },
        PageAction::SetValue { id, x, y, value: "2024-05-01".into() },
        PageAction::Navigate { url: "http://a/".into() },
        PageAction::Back,
        PageAction::Forward,
        PageAction::Reload,
    ]
}

// A new kind of action must be added to `page_actions` (and so to the JavaScript) too.
#[allow(dead_code)]
fn every_page_action_is_listed(action: PageAction) {
    match action {
        PageAction::Click { .. }
        | PageAction::DoubleClick { .. }
        | PageAction::Text { .. }
        | PageAction::Compose { .. }
        | PageAction::Paste { .. }
        | PageAction::Key { .. }
        | PageAction::Scroll { .. }
        | PageAction::Choose { .. }
        | PageAction::SetValue { .. }
        | PageAction::Navigate { .. }
        | PageAction::Back
        | PageAction::Forward
        | PageAction::Reload => {}
    }
}

#[test]
fn the_snippet_performs_every_action_and_the_agent_view_sends_each() {
    let snippet = include_str!("../../web/actions.js");
    let agent = [include_str!("../../web/agent/input.js"), include_str!("../../web/agent/toolbar.js")].concat();
    for action in page_actions() {
        let value = serde_json::to_value(&action).unwrap();
        let kind = value["kind"].as_str().unwrap();
        assert!(snippet.contains(&format!("case '{kind}'")), "web/actions.js does not perform {kind}");
        // The agent's own actions carry the same kinds, and the agent view sends every one.
        let mut sent = value.clone();
        sent.as_object_mut().unwrap().remove("id");
        assert!(serde_json::from_value::<AgentAction>(sent).is_ok(), "{kind} is not an agent action");
        assert!(agent.contains(&format!("kind: '{kind}'")), "the agent view never sends {kind}");
    }
}

/// Every error code. The match stops compiling when a code is added, and the list beside it
/// is where the new one goes.
fn every_error_code() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
        NoSuchSession,
        SessionEnded,
        AgentPresent,
        Malformed,
        TooLarge,
        Unexpected,
        PointerMode,
        WriteModeUnavailable,
        WrongOrigin,
        RequestPending,
        WriteModeDenied,
        RequestLapsed,
        CustomerAway,
        Disabled,
        Submit,
        Masked,
        OutsideSite,
        NoTarget,
        TooFast,
        FileInput,
        Dialog,
        TooManyAttempts,
        ServerBusy,
        Unavailable,
        TooManySessions,
        Transferring,
        UnknownAgent,
        NotAllowed,
    ];
    for code in &all {
        match code {
            NoSuchSession | SessionEnded | AgentPresent | Malformed | TooLarge | Unexpected | PointerMode
            | WriteModeUnavailable | WrongOrigin | RequestPending | WriteModeDenied | RequestLapsed | CustomerAway
            | Disabled | Submit | Masked | OutsideSite | NoTarget | TooFast | FileInput | Dialog | TooManyAttempts
            | ServerBusy | Unavailable | TooManySessions | Transferring | UnknownAgent | NotAllowed => {}
        }
    }
    all
}

#[test]
fn the_agent_view_explains_every_error_code_in_english_and_german() {
    let texts = include_str!("../../web/agent/text.js");
    // Each language's `codes: { ... }` table.
    let tables: Vec<&str> =
        texts.split("codes: {").skip(1).map(|rest| rest.split_once('}').map_or(rest, |(table, _)| table)).collect();
    assert_eq!(tables.len(), 2, "web/agent/text.js has a codes table per language");
    for code in every_error_code() {
        let name = serde_json::to_value(code).unwrap();
        let key = format!(" {}: '", name.as_str().unwrap());
        for table in &tables {
            assert!(table.contains(&key), "a codes table of web/agent/text.js lacks{key}…'");
        }
    }
}

#[test]
fn the_whole_page_view_is_asked_for_and_outlined_as_the_agent_view_reads_it() {
    assert_eq!(parse::<FromAgent>(r#"{"type":"view","whole":true}"#), Ok(FromAgent::View { whole: true }));
    assert_eq!(parse::<FromAgent>(r#"{"type":"view"}"#).unwrap_err().0, ErrorCode::Malformed);
    let seen = ToAgent::Viewport { width: 390, height: 844, partial: true, outline: Some([39.8, 119.4, 77.6, 168.0]) };
    assert_eq!(
        to_text(&seen),
        r#"{"type":"viewport","width":390,"height":844,"partial":true,"outline":[39.8,119.4,77.6,168.0]}"#
    );
    let desktop = ToAgent::Viewport { width: 1000, height: 700, partial: false, outline: None };
    assert_eq!(to_text(&desktop), r#"{"type":"viewport","width":1000,"height":700,"partial":false}"#);
    // The agent view sends it and reads both fields.
    let agent = [include_str!("../../web/agent/zoom.js"), include_str!("../../web/agent/messages.js")].concat();
    for mirrored in ["type: 'view', whole", "message.partial", "message.outline"] {
        assert!(agent.contains(mirrored), "the agent view has no {mirrored}");
    }
}
