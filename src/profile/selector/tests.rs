//! Tests of the CSS selector check: what sites write passes, typos say why.
use super::check;

#[test]
fn selectors_sites_use_are_accepted() {
    for ok in [
        "input[name=ssn]",
        "#card-number",
        ".private, .balance > span",
        "a.logout",
        "input[autocomplete='cc-number' i]",
        "[data-private]",
        "form#pay input:not([type=hidden])",
        "td:nth-child(2n + 1)",
        "li:nth-child(odd of .row)",
        "section:has(> h2.secret)",
        "div ~ p + span",
        "*",
        "x-card\\:number",
        "input[type=\"password\"]",
        ":is(h1, h2).title",
        "select:focus-within",
        "p:lang(de, \"en\")",
        "button[type=submit]:enabled",
        "/* card */ #cc",
    ] {
        assert_eq!(check(ok), Ok(()), "{ok}");
    }
}

#[test]
fn broken_selectors_say_why() {
    for (bad, why) in [
        ("input[name=", "unclosed attribute selector"),
        ("input[name=a b]", "expected ]"),
        ("##card", "an id after #"),
        ("#123", "an id after #"),
        ("div >", "a selector is missing"),
        ("a, ", "a selector is missing"),
        ("", "a selector is missing"),
        (".", "class name"),
        ("p::before", "pseudo-elements"),
        ("p:after", "pseudo-element"),
        ("input:bogus", "unknown pseudo-class :bogus"),
        ("li:nth-child(2x)", "not a valid An+B"),
        ("div:not(", "a selector is missing"),
        ("div:not(.a", "expected ) to close :not("),
        ("[name='x]", "unterminated string"),
        ("svg|rect", "namespace"),
        ("a)", "unexpected ')'"),
        ("input[value=1.5]", "quote it"),
    ] {
        let e = check(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
}
