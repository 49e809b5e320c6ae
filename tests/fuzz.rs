//! Property-based fuzzing of everything that reads what clients and admins write: both
//! WebSocket decoders, the events validator, the profile parser and the selector checker. Each
//! gets random text and valid samples mutated byte by byte; none may panic, and each answers
//! either a value or an error that says what is wrong.
//!
//! `PROPTEST_CASES` sets the cases per property (256 by default); a long session:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz`.

use std::path::Path;

use cobrowse::profile::{selector, Profile};
use cobrowse::wire::{self, FromAgent, FromCustomer};
use proptest::prelude::*;

const CUSTOMER: &[&str] = &[
    r#"{"type":"start"}"#,
    r#"{"type":"resume","token":"abcdef0123456789"}"#,
    r#"{"type":"page","href":"https://shop.example/cart?x=1","width":1280,"height":800,"display":{"scrollbar":15,"pixel_ratio":2,"color_scheme":"dark"}}"#,
    r#"{"type":"viewport","width":390,"height":844}"#,
    r#"{"type":"pointer","x":12.5,"y":-3}"#,
    r#"{"type":"leaving","href":"https://elsewhere.example/"}"#,
    r#"{"type":"consent","allow":true}"#,
    r#"{"type":"refused","code":"disabled"}"#,
    r#"{"type":"end"}"#,
];

const AGENT: &[&str] = &[
    r#"{"type":"join","session":"123456789","interaction":"call-42"}"#,
    r#"{"type":"join","session":"123 456 789","watch":true}"#,
    r#"{"type":"pointer","x":1,"y":2}"#,
    r#"{"type":"click","x":100,"y":200}"#,
    r#"{"type":"request_write_mode"}"#,
    r#"{"type":"action","action":{"kind":"click","x":10,"y":20}}"#,
    r#"{"type":"action","action":{"kind":"text","text":"héllo wörld"}}"#,
    r#"{"type":"action","action":{"kind":"key","key":"Enter"}}"#,
    r#"{"type":"action","action":{"kind":"navigate","url":"https://shop.example/a"}}"#,
    r#"{"type":"action","action":{"kind":"choose","x":1,"y":2,"index":3}}"#,
    r#"{"type":"transfer","to":"a-2"}"#,
    r#"{"type":"view","whole":true}"#,
    r#"{"type":"end"}"#,
];

const EVENTS: &[&str] = &[
    r#"[{"type":4,"data":{"href":"https://shop.example/","width":800,"height":600},"timestamp":1}]"#,
    r#"[{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"p","attributes":{},"childNodes":[],"id":2}],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":2}]"#,
    r#"[{"type":3,"data":{"source":0,"adds":[],"removes":[{"parentId":1,"id":2}],"texts":[],"attributes":[]},"timestamp":3}]"#,
    "[]",
];

const PROFILE: &str = r##"[site]
origins = ["https://www.example-bank.com", "https://shop.example-bank.com"]
[write_mode]
enabled = true
disable_submit = true
disabled = ["a[href*='/close-account']", "button.close-account", "#transfer-form"]
forbidden_paths = ["^/close-account"]
[masking]
masked = ["input[autocomplete='cc-number']", ".iban", "[data-private]", "tr:nth-child(2n+1) > td"]
blocked = [".credit-score-widget", "iframe.third-party-chat"]
masked_pages = ["^/account/statements", "^/settings/(security|keys)/"]
"##;

const SELECTORS: &[&str] = &[
    "input[name=ssn]",
    "a.logout, button[type=submit i]",
    "#card > .number:not(.shown)",
    "ul li:nth-of-type(odd)",
    "[data-x~='a b'] ~ span + em",
    ":is(header, footer) :where(a[href^='https:'])",
];

/// Bytes that matter to the formats: JSON and TOML structure, quotes, escapes, selectors.
const INTERESTING: &[u8] = b"{}[]\":,\\\0\n=#'.>~+*()|^$?-_ aZ09\xff\xc3";

/// A sample with random edits: replace, insert or delete a byte at a position.
fn mutated(samples: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((0usize..3, any::<prop::sample::Index>(), any::<u8>(), any::<bool>()), 0..12);
    (prop::sample::select(samples), edits).prop_map(|(sample, edits)| {
        let mut bytes = sample.as_bytes().to_vec();
        for (kind, at, byte, interesting) in edits {
            let byte = if interesting { INTERESTING[byte as usize % INTERESTING.len()] } else { byte };
            match kind {
                0 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                1 => {
                    let i = at.index(bytes.len() + 1);
                    bytes.insert(i, byte);
                }
                _ if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        bytes
    })
}

/// Mutated samples, or plain random bytes.
fn inputs(samples: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![4 => mutated(samples), 1 => prop::collection::vec(any::<u8>(), 0..256)]
}

fn says_what(message: &str) {
    assert!(!message.trim().is_empty(), "an error without a message");
}

proptest! {
    #[test]
    fn the_customer_decoder_answers_every_message(bytes in inputs(CUSTOMER)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err((_, message)) = wire::parse::<FromCustomer>(&text) {
            says_what(&message);
        }
    }

    #[test]
    fn the_agent_decoder_answers_every_message(bytes in inputs(AGENT)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err((_, message)) = wire::parse::<FromAgent>(&text) {
            says_what(&message);
        }
    }

    #[test]
    fn the_events_validator_passes_only_json_arrays(bytes in inputs(EVENTS)) {
        match wire::validate_events(&bytes) {
            Ok(text) => {
                let value: serde_json::Value = serde_json::from_str(text).expect("what passes is JSON");
                prop_assert!(value.is_array());
            }
            Err((_, message)) => says_what(&message),
        }
    }

    #[test]
    fn the_profile_parser_names_file_and_problem(bytes in inputs(&[PROFILE])) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = Profile::parse(Path::new("bank.toml"), &text) {
            let message = e.to_string();
            prop_assert!(message.starts_with("bank.toml: "), "{}", message);
            says_what(&message["bank.toml: ".len()..]);
        }
    }

    #[test]
    fn the_selector_checker_answers_every_selector(bytes in inputs(SELECTORS)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(message) = selector::check(&text) {
            says_what(&message);
        }
    }
}

#[test]
fn the_samples_themselves_are_valid() {
    for sample in CUSTOMER {
        assert!(wire::parse::<FromCustomer>(sample).is_ok(), "{sample}");
    }
    for sample in AGENT {
        assert!(wire::parse::<FromAgent>(sample).is_ok(), "{sample}");
    }
    for sample in EVENTS {
        assert!(wire::validate_events(sample.as_bytes()).is_ok(), "{sample}");
    }
    Profile::parse(Path::new("bank.toml"), PROFILE).expect("the sample profile is valid");
    for sample in SELECTORS {
        assert_eq!(selector::check(sample), Ok(()), "{sample}");
    }
}
