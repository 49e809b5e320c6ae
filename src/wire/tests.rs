//! Tests of the wire messages: parsing, refusals and tags as the clients expect them.
use super::*;

#[test]
fn customer_messages_parse() {
    assert_eq!(parse::<FromCustomer>(r#"{"type":"start"}"#), Ok(FromCustomer::Start));
    assert_eq!(
        parse::<FromCustomer>(r#"{"type":"page","href":"http://a/b","width":800,"height":600}"#),
        Ok(FromCustomer::Page { href: "http://a/b".into(), width: 800, height: 600, display: Display::default() })
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
