//! Checks a profile's CSS selector the way the customer's browser will parse it
//! (`Element.matches`), so a typo stops the profile at load with a reason instead of silently
//! masking nothing in the customer's browser.
//!
//! It follows Selectors Level 4 as Chromium implements it, and is stricter in two places where
//! a browser would accept something useless in a profile: pseudo-elements (they are not
//! elements, so nothing could be masked) and namespace prefixes (no namespaces are declared
//! where the snippet matches).

mod pseudo;

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

#[cfg(test)]
mod tests;
