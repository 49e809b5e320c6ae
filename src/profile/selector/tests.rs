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
        "p:dir(rtl)",
        "[data-x='a\\'b']",
        "div:where(.a, .b) > :not(.c)",
    ] {
        assert_eq!(check(ok), Ok(()), "{ok}");
    }
}

#[test]
fn broken_selectors_say_why() {
    for (bad, why) in [
        ("input[name=", "unclosed attribute selector"),
        ("input[name=a b]", "unexpected text near"),
        ("##card", "an id after #"),
        ("#123", "an id after #"),
        (":is(.ssn, input:focuss)", "unknown pseudo-class :focuss"),
        (":where(input[name=a b])", "unexpected text"),
        (":is(p::before)", "pseudo-element"),
        (":has(:has(p))", "cannot stand here"),
        ("div >", "a selector is missing after the combinator"),
        ("a, ", "a selector is missing"),
        ("", "a selector is missing"),
        (".", "ends too soon"),
        ("p::before", "pseudo-elements"),
        ("p:after", ":after is not an element"),
        ("div::placeholder", "pseudo-elements"),
        (":not(p::before)", "pseudo-element"),
        ("input:bogus", "unknown pseudo-class :bogus"),
        ("input:bogus(1)", "unknown pseudo-class :bogus()"),
        ("li:nth-child(2x)", "(2x)"),
        ("div:not(", "unclosed parenthesis"),
        ("div:not(.a", "unclosed parenthesis"),
        ("[name='x]", "unterminated string"),
        ("[name=x", "expected ]"),
        ("svg|rect", "namespace"),
        ("a)", "unexpected text near \"a)\""),
        ("input[value=1.5]", "quote it"),
        (":dir(up)", "ltr or rtl"),
    ] {
        let e = check(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
}
