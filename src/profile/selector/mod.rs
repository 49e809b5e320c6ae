//! Checks a profile's CSS selector the way the customer's browser will parse it
//! (`Element.matches`), so a typo stops the profile at load with a reason instead of silently
//! masking nothing in the customer's browser.
//!
//! The grammar is Servo's (the `selectors` crate, Selectors Level 4 with `:is()`, `:where()`,
//! `:has()` and `:nth-child(An+B of S)`); which pseudo-classes exist is Chromium's
//! ([`pseudo`]). It is stricter than a browser in two places where a browser would accept
//! something useless in a profile: pseudo-elements (they are not elements, so nothing could be
//! masked) and namespace prefixes (no namespaces are declared where the snippet matches).

mod engine;
mod pseudo;

use cssparser::{BasicParseErrorKind, ParseError, ParseErrorKind};
use selectors::parser::{ParseRelative, SelectorList, SelectorParseErrorKind};

pub use engine::Problem;

/// `Ok` when `selector` is a selector list an element can match; otherwise why not.
pub fn check(selector: &str) -> Result<(), String> {
    if let Some(what) = unclosed(selector) {
        return Err(what.to_string());
    }
    let mut parser = cssparser::Parser::new(selector);
    let parsed = SelectorList::parse(&engine::ProfileSelectors, &mut parser, ParseRelative::No)
        .and_then(|_| parser.expect_exhausted().map_err(ParseError::from));
    // cssparser's errors carry no position: where the parser stopped is where it went wrong.
    let stopped = parser.position().byte_index().min(selector.len());
    parsed.map(|_| ()).map_err(|e| explain(&e, selector, stopped))
}

/// What a selector leaves open at its end. A browser closes it silently (`[name='x]` matches
/// a name of `x]`); in a profile it is a typo that would mask nothing.
fn unclosed(selector: &str) -> Option<&'static str> {
    let (mut open, mut quote, mut chars) = (Vec::new(), None, selector.chars().peekable());
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '/') if chars.peek() == Some(&'*') => {
                chars.next();
                while let Some(c) = chars.next() {
                    if c == '*' && chars.peek() == Some(&'/') {
                        chars.next();
                        break;
                    }
                }
            }
            (None, '(' | '[') => open.push(c),
            (None, ')' | ']') => {
                open.pop();
            }
            _ => {}
        }
    }
    match (quote, open.last()) {
        (Some(_), _) => Some("unterminated string"),
        (None, Some('(')) => Some("unclosed parenthesis: expected )"),
        (None, Some(_)) => Some("unclosed attribute selector: expected ]"),
        (None, None) => None,
    }
}

/// Words for an admin: what is wrong, and where (the selector is one line in a profile).
fn explain(error: &ParseError<Problem>, selector: &str, stopped: usize) -> String {
    let character = selector.get(..stopped).map_or(stopped, |before| before.chars().count());
    let at = format!("at character {}", character.max(1));
    // An id that starts with a digit (or a doubled #) is a common slip; say so, not just "missing".
    if let Some(i) =
        selector.find('#').filter(|i| selector[i + 1..].starts_with(|c: char| c == '#' || c.is_ascii_digit()))
    {
        return format!(
            "an id after # must be a name (a leading digit is escaped, as #\\31 23) at character {}",
            i + 2
        );
    }
    match &error.kind {
        ParseErrorKind::Custom(Problem::Grammar(kind)) => grammar(kind, &at),
        ParseErrorKind::Custom(problem) => problem.to_string(),
        ParseErrorKind::Basic(BasicParseErrorKind::EndOfInput) if selector.trim().is_empty() => {
            "a selector is missing".into()
        }
        ParseErrorKind::Basic(BasicParseErrorKind::EndOfInput) => {
            "the selector ends too soon: a name is missing".into()
        }
        ParseErrorKind::Basic(_) => format!("unexpected text near {:?} ({at})", near(selector, stopped)),
    }
}

/// The dozen characters the parser read last before it stopped.
fn near(selector: &str, stopped: usize) -> String {
    let before: Vec<char> = selector.get(..stopped).unwrap_or(selector).chars().collect();
    before[before.len().saturating_sub(12)..].iter().collect::<String>().trim().to_string()
}

fn grammar(kind: &SelectorParseErrorKind, at: &str) -> String {
    use SelectorParseErrorKind as K;
    match kind {
        K::EmptySelector => format!("a selector is missing {at}"),
        K::DanglingCombinator => format!("a selector is missing after the combinator {at}"),
        K::ClassNeedsIdent => format!("expected a class name after '.' {at}"),
        K::ExpectedBarInAttr | K::UnexpectedTokenInAttributeSelector => {
            format!("expected ] or an operator (=, ~=, |=, ^=, $=, *=) in the attribute selector {at}")
        }
        K::BadValueInAttr => format!("an attribute value that is not a name must be quoted: quote it {at}"),
        K::NoQualifiedNameInAttributeSelector | K::InvalidQualNameInAttr => format!("expected an attribute name {at}"),
        K::ExpectedNamespace | K::ExplicitNamespaceUnexpectedToken => {
            format!("no namespaces are declared where profiles match: drop the namespace prefix {at}")
        }
        K::NoIdentForPseudo => format!("expected a pseudo-class name after ':' {at}"),
        K::PseudoElementExpectedIdent | K::PseudoElementExpectedColon => format!("{} ({at})", pseudo::PSEUDO_ELEMENTS),
        K::InvalidState => format!("this cannot stand here (a pseudo-element, or :has() inside :has()) {at}"),
        K::UnsupportedPseudoClassOrElement => format!("unknown pseudo-class {at}"),
        K::UnexpectedIdent => format!("unexpected name {at}"),
        K::NonCompoundSelector
        | K::NonPseudoElementAfterSlotted
        | K::InvalidPseudoElementAfterSlotted
        | K::InvalidPseudoElementInsideWhere => format!("this selector cannot stand here {at}"),
    }
}

#[cfg(test)]
mod tests;
