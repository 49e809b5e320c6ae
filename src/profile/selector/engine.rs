//! The `selectors` crate's view of a profile selector: names kept as plain strings (nothing is
//! matched on the server, only parsed), Chromium's pseudo-classes, no pseudo-elements and no
//! namespaces.

use std::fmt;

use cssparser::{ParseError, ToCss};
use selectors::parser::{NonTSPseudoClass, PseudoElement, SelectorImpl, SelectorParseErrorKind};

use super::pseudo;

/// Why a selector is refused: the grammar's reasons, and ours with the name at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("{0:?}")]
    Grammar(SelectorParseErrorKind),
    #[error("unknown pseudo-class :{0}")]
    UnknownPseudoClass(String),
    #[error("{why}: :{name} is not an element; name the element", why = pseudo::PSEUDO_ELEMENTS, name = .0)]
    PseudoElement(String),
    #[error(":dir() takes ltr or rtl, not {0:?}")]
    Direction(String),
}

impl From<SelectorParseErrorKind> for Problem {
    fn from(kind: SelectorParseErrorKind) -> Problem {
        Problem::Grammar(kind)
    }
}

/// The parser's settings: Selectors Level 4 as Chromium ships it.
pub struct ProfileSelectors;

/// The types a parsed selector is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile;

/// A name or value in a selector; nothing is matched here, so no atoms or hashes are needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name(String);

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name(text.to_string())
    }
}

impl ToCss for Name {
    fn to_css<W: fmt::Write>(&self, dest: &mut W) -> fmt::Result {
        cssparser::serialize_identifier(&self.0, dest)
    }
}

impl precomputed_hash::PrecomputedHash for Name {
    fn precomputed_hash(&self) -> u32 {
        // Used only to filter matching with a Bloom filter, which a check never does.
        self.0.bytes().fold(0u32, |hash, b| hash.wrapping_mul(31).wrapping_add(b as u32))
    }
}

/// A pseudo-class Chromium knows (its name, lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudoClass(String);

impl ToCss for PseudoClass {
    fn to_css<W: fmt::Write>(&self, dest: &mut W) -> fmt::Result {
        dest.write_char(':')?;
        dest.write_str(&self.0)
    }
}

impl NonTSPseudoClass for PseudoClass {
    fn is_active_or_hover(&self) -> bool {
        matches!(self.0.as_str(), "active" | "hover")
    }

    fn is_user_action_state(&self) -> bool {
        matches!(self.0.as_str(), "active" | "hover" | "focus")
    }
}

/// Never built: every pseudo-element is refused while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoPseudoElement {}

impl ToCss for NoPseudoElement {
    fn to_css<W: fmt::Write>(&self, _dest: &mut W) -> fmt::Result {
        match *self {}
    }
}

impl PseudoElement for NoPseudoElement {}

impl SelectorImpl for Profile {
    type ExtraMatchingData<'a> = std::marker::PhantomData<&'a ()>;
    type AttrValue = Name;
    type Identifier = Name;
    type LocalName = Name;
    type NamespaceUrl = Name;
    type NamespacePrefix = Name;
    type BorrowedLocalName = Name;
    type BorrowedNamespaceUrl = Name;
    type NonTSPseudoClass = PseudoClass;
    type PseudoElement = NoPseudoElement;
}

type Failure = ParseError<Problem>;

impl<'i> selectors::Parser<'i> for ProfileSelectors {
    type Impl = Profile;
    type Error = Problem;

    fn parse_nth_child_of(&self) -> bool {
        true
    }

    fn parse_is_and_where(&self) -> bool {
        true
    }

    fn parse_has(&self) -> bool {
        true
    }

    /// A browser drops what it cannot read inside `:is()` and `:where()`; in a profile that
    /// hides a typo (`:is(.ssn, input:focuss)`), so it is refused like anywhere else.
    fn allow_forgiving_selectors(&self) -> bool {
        false
    }

    fn parse_non_ts_pseudo_class(&self, name: &str) -> Result<PseudoClass, Failure> {
        let name = name.to_ascii_lowercase();
        match pseudo::PSEUDO_CLASSES.contains(&name.as_str()) {
            true => Ok(PseudoClass(name)),
            false => Err(ParseError::custom(Problem::UnknownPseudoClass(name))),
        }
    }

    fn parse_non_ts_functional_pseudo_class(
        &self,
        name: &str,
        arguments: &mut cssparser::Parser<'i>,
        _after_part: bool,
    ) -> Result<PseudoClass, Failure> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            // Languages: names or strings, comma-separated.
            "lang" => {
                arguments.parse_comma_separated(|language| {
                    language.expect_ident_or_string().map(|_| ()).map_err(ParseError::<Problem>::from)
                })?;
            }
            "dir" => {
                let direction = arguments.expect_ident()?.to_ascii_lowercase();
                if direction != "ltr" && direction != "rtl" {
                    return Err(ParseError::custom(Problem::Direction(direction)));
                }
            }
            "state" => {
                arguments.expect_ident()?;
            }
            _ => return Err(ParseError::custom(Problem::UnknownPseudoClass(format!("{name}()")))),
        }
        Ok(PseudoClass(name))
    }

    fn parse_pseudo_element(&self, name: &str) -> Result<NoPseudoElement, Failure> {
        Err(ParseError::custom(Problem::PseudoElement(name.to_ascii_lowercase())))
    }

    fn parse_functional_pseudo_element(
        &self,
        name: &str,
        _arguments: &mut cssparser::Parser<'i>,
    ) -> Result<NoPseudoElement, Failure> {
        Err(ParseError::custom(Problem::PseudoElement(format!("{}()", name.to_ascii_lowercase()))))
    }
}
