//! Pseudo-classes: the names Chromium knows, their arguments (selector lists, An+B, languages,
//! directions), and the legacy pseudo-elements a profile must not name.

use super::Parser;

/// Pseudo-classes without arguments that Chromium knows.
const PSEUDO_CLASSES: &[&str] = &[
    "active",
    "any-link",
    "autofill",
    "buffering",
    "checked",
    "closed",
    "default",
    "defined",
    "disabled",
    "empty",
    "enabled",
    "first-child",
    "first-of-type",
    "focus",
    "focus-visible",
    "focus-within",
    "fullscreen",
    "hover",
    "in-range",
    "indeterminate",
    "invalid",
    "last-child",
    "last-of-type",
    "link",
    "modal",
    "muted",
    "only-child",
    "only-of-type",
    "open",
    "optional",
    "out-of-range",
    "paused",
    "picture-in-picture",
    "placeholder-shown",
    "playing",
    "popover-open",
    "read-only",
    "read-write",
    "required",
    "root",
    "scope",
    "seeking",
    "stalled",
    "target",
    "user-invalid",
    "user-valid",
    "valid",
    "visited",
    "volume-locked",
    "-webkit-any-link",
    "-webkit-autofill",
    "-webkit-full-screen",
];
/// Legacy pseudo-elements that may be written with one colon.
const LEGACY_PSEUDO_ELEMENTS: &[&str] = &["before", "after", "first-line", "first-letter"];

impl Parser {
    pub(super) fn pseudo_class(&mut self) -> Result<(), String> {
        self.i += 1;
        if !self.ident_starts() {
            return Err(format!("expected a pseudo-class name after : at character {}", self.i));
        }
        let name = self.ident()?.to_ascii_lowercase();
        if !self.eat('(') {
            if LEGACY_PSEUDO_ELEMENTS.contains(&name.as_str()) {
                return Err(format!(":{name} is a pseudo-element, not an element, so it cannot be masked, blocked or disabled; name the element"));
            }
            if !PSEUDO_CLASSES.contains(&name.as_str()) {
                return Err(format!("unknown pseudo-class :{name}"));
            }
            return Ok(());
        }
        self.ws();
        match name.as_str() {
            "not" | "is" | "where" => self.list(false)?,
            "has" => self.list(true)?,
            "nth-child" | "nth-last-child" => {
                self.an_plus_b()?;
                if self.peek().is_some_and(|c| c == 'o' || c == 'O') && self.ident()?.eq_ignore_ascii_case("of") {
                    self.ws();
                    self.list(false)?;
                }
            }
            "nth-of-type" | "nth-last-of-type" => self.an_plus_b()?,
            "lang" => loop {
                match self.peek() {
                    Some('"' | '\'') => self.string()?,
                    _ => {
                        self.ident()?;
                    }
                }
                self.ws();
                if !self.eat(',') {
                    break;
                }
                self.ws();
            },
            "dir" | "state" => {
                let value = self.ident()?;
                if name == "dir" && !["ltr", "rtl"].contains(&value.to_ascii_lowercase().as_str()) {
                    return Err(format!(":dir() takes ltr or rtl, not {value:?}"));
                }
            }
            _ => return Err(format!("unknown pseudo-class :{name}()")),
        }
        self.ws();
        self.expect(')', &format!(") to close :{name}("))
    }

    /// `odd`, `even`, `3`, `2n+1`, `-n + 3`, ... up to `)` or ` of `.
    fn an_plus_b(&mut self) -> Result<(), String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == ')' || (c.eq_ignore_ascii_case(&'o') && self.s[start..self.i].iter().any(|c| c.is_whitespace())) {
                break;
            }
            self.i += 1;
        }
        let text: String = self.s[start..self.i].iter().collect::<String>().trim().to_ascii_lowercase();
        if text == "odd" || text == "even" || valid_an_plus_b(&text) {
            Ok(())
        } else {
            Err(format!("{text:?} is not a valid An+B (such as 2n+1, odd or 3)"))
        }
    }
}

fn valid_an_plus_b(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let Some(n) = unsigned.find('n') else { return digits(unsigned) };
    let (a, rest) = (&unsigned[..n], unsigned[n + 1..].trim_start());
    if !(a.is_empty() || digits(a)) {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    match rest.strip_prefix(['+', '-']) {
        Some(b) => digits(b.trim_start()),
        None => false,
    }
}
