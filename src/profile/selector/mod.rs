//! Checks a profile's CSS selector the way the customer's browser will parse it
//! (`Element.matches`), so a typo stops the profile at load with a reason instead of silently
//! masking nothing in the customer's browser.
//!
//! It follows Selectors Level 4 as Chromium implements it, and is stricter in two places where
//! a browser would accept something useless in a profile: pseudo-elements (they are not
//! elements, so nothing could be masked) and namespace prefixes (no namespaces are declared
//! where the snippet matches).

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

/// `Ok` when `selector` is a selector list an element can match; otherwise why not.
pub fn check(selector: &str) -> Result<(), String> {
    let mut p = Parser { s: selector.chars().collect(), i: 0 };
    p.list(false)?;
    match p.peek() {
        None => Ok(()),
        Some(c) => Err(p.unexpected(c)),
    }
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.s.get(self.i + ahead).copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += 1;
        c
    }
    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.i += 1;
        }
        found
    }
    fn unexpected(&self, c: char) -> String {
        format!("unexpected {c:?} at character {}", self.i + 1)
    }
    fn expect(&mut self, c: char, what: &str) -> Result<(), String> {
        match self.peek() {
            Some(found) if found == c => {
                self.i += 1;
                Ok(())
            }
            Some(found) => Err(format!("expected {what}, found {found:?} at character {}", self.i + 1)),
            None => Err(format!("expected {what}, but the selector ends")),
        }
    }

    /// Skips whitespace and comments; says whether there was any.
    fn ws(&mut self) -> bool {
        let start = self.i;
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\n' | '\r' | '\x0c') => self.i += 1,
                Some('/') if self.peek_at(1) == Some('*') => {
                    self.i += 2;
                    while self.peek().is_some() && !(self.peek() == Some('*') && self.peek_at(1) == Some('/')) {
                        self.i += 1;
                    }
                    self.i += 2;
                }
                _ => return self.i > start,
            }
        }
    }

    /// A comma-separated list of complex selectors (relative ones inside `:has()`).
    fn list(&mut self, relative: bool) -> Result<(), String> {
        loop {
            self.ws();
            self.complex(relative)?;
            self.ws();
            if !self.eat(',') {
                return Ok(());
            }
        }
    }

    fn complex(&mut self, relative: bool) -> Result<(), String> {
        if relative && matches!(self.peek(), Some('>' | '+' | '~')) {
            self.i += 1;
            self.ws();
        }
        self.compound()?;
        loop {
            let spaced = self.ws();
            match self.peek() {
                Some('>' | '+' | '~') => {
                    self.i += 1;
                    self.ws();
                    self.compound()?;
                }
                Some(c) if spaced && c != ',' && c != ')' => self.compound()?,
                _ => return Ok(()),
            }
        }
    }

    /// A type or `*`, then ids, classes, attributes and pseudo-classes, with nothing between.
    fn compound(&mut self) -> Result<(), String> {
        let mut parts = 0;
        if self.eat('*') {
            parts += 1;
        } else if self.ident_starts() {
            self.ident()?;
            parts += 1;
        }
        if self.peek() == Some('|') && self.peek_at(1) != Some('=') {
            return Err("namespace prefixes (ns|name) are not supported; name the element alone".into());
        }
        loop {
            match self.peek() {
                Some('#') => {
                    self.i += 1;
                    if !self.ident_starts() {
                        return Err(format!(
                            "an id after # must be a name (not start with a digit), at character {}",
                            self.i + 1
                        ));
                    }
                    self.ident()?;
                }
                Some('.') => {
                    self.i += 1;
                    if !self.ident_starts() {
                        return Err(format!("a class name must follow the dot at character {}", self.i));
                    }
                    self.ident()?;
                }
                Some('[') => self.attribute()?,
                Some(':') if self.peek_at(1) == Some(':') => {
                    return Err("pseudo-elements (::name) are not elements, so they cannot be masked, blocked or disabled; name the element".into());
                }
                Some(':') => self.pseudo_class()?,
                _ => break,
            }
            parts += 1;
        }
        if parts > 0 {
            return Ok(());
        }
        match self.peek() {
            Some(c) => Err(self.unexpected(c)),
            None => Err("a selector is missing (empty, or a trailing comma or combinator)".into()),
        }
    }

    fn attribute(&mut self) -> Result<(), String> {
        self.i += 1;
        self.ws();
        if !self.ident_starts() {
            return Err(format!("expected an attribute name at character {}", self.i + 1));
        }
        self.ident()?;
        self.ws();
        if self.eat(']') {
            return Ok(());
        }
        match (self.peek(), self.peek_at(1)) {
            (Some('='), _) => self.i += 1,
            (Some('~' | '|' | '^' | '$' | '*'), Some('=')) => self.i += 2,
            (Some(c), _) => {
                return Err(format!("expected ] or an operator such as = in an attribute selector, found {c:?}"))
            }
            (None, _) => return Err("unclosed attribute selector: [ without ]".into()),
        }
        self.ws();
        match self.peek() {
            Some('"' | '\'') => self.string()?,
            _ if self.ident_starts() => {
                self.ident()?;
            }
            Some(c) => {
                return Err(format!("an attribute value must be a name or a quoted string, found {c:?} (quote it)"))
            }
            None => return Err("unclosed attribute selector: [ without ]".into()),
        }
        self.ws();
        if matches!(self.peek(), Some('i' | 'I' | 's' | 'S')) {
            self.i += 1;
            self.ws();
        }
        if self.peek().is_none() {
            return Err("unclosed attribute selector: [ without ]".into());
        }
        self.expect(']', "] to close the attribute selector")
    }

    fn pseudo_class(&mut self) -> Result<(), String> {
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

    fn ident_starts(&self) -> bool {
        let start =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() || c == '\\');
        match self.peek() {
            Some('-') => self.peek_at(1) == Some('-') || start(self.peek_at(1)),
            c => start(c),
        }
    }

    /// An identifier (escapes decoded as far as needed to know where it ends).
    fn ident(&mut self) -> Result<String, String> {
        if !self.ident_starts() {
            return match self.peek() {
                Some(c) => Err(self.unexpected(c)),
                None => Err("a name is missing at the end".into()),
            };
        }
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.i += 1;
                match self.bump() {
                    None | Some('\n') => return Err("a backslash must escape something".into()),
                    Some(h) if h.is_ascii_hexdigit() => {
                        let mut n = 1;
                        while n < 6 && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                            self.i += 1;
                            n += 1;
                        }
                        self.eat(' ');
                        out.push('\u{fffd}');
                    }
                    Some(other) => out.push(other),
                }
            } else if c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() {
                self.i += 1;
                out.push(c);
            } else {
                break;
            }
        }
        Ok(out)
    }

    fn string(&mut self) -> Result<(), String> {
        let quote = self.bump();
        loop {
            match self.bump() {
                None | Some('\n') => return Err("unterminated string in the selector".into()),
                Some('\\') => {
                    self.i += 1;
                }
                c if c == quote => return Ok(()),
                Some(_) => {}
            }
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

#[cfg(test)]
mod tests;
