//! Browser profiles (`browser-profiles/*.toml`): which origins a site covers and the rules that
//! apply there. The server picks a profile by the page's origin, never by anything the customer
//! sends.

mod parse;
mod pattern;
pub mod selector;
mod set;
pub mod store;

use std::path::PathBuf;

use regex::Regex;

use crate::wire::Rules;
pub use pattern::path_of;
pub use set::Profiles;
pub use store::ProfileStore;

/// One site's profile, checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The file it came from.
    pub file: PathBuf,
    pub site: Site,
    pub write_mode: WriteMode,
    pub masking: Masking,
    /// `masking.masked_pages`, compiled.
    masked_pages: Vec<Regex>,
    /// `write_mode.forbidden_paths`, compiled.
    forbidden_paths: Vec<Regex>,
    /// The line of each of `site.origins` in the file, for errors about them.
    origin_lines: Vec<usize>,
}

/// `[site]`: where co-browse runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Origins (`scheme://host[:port]`) whose pages may be co-browsed; elsewhere the session pauses.
    pub origins: Vec<String>,
}

/// `[write_mode]`: what the agent may do once the customer allows it.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteMode {
    /// Whether write mode may be requested at all.
    pub enabled: bool,
    /// Whether submit buttons are out of the agent's reach.
    pub disable_submit: bool,
    /// CSS selectors of elements the agent cannot click or type into.
    pub disabled: Vec<String>,
    /// Regular expressions on the path of addresses the agent may never navigate to, by any
    /// means (the Address field, a link, a form, history).
    pub forbidden_paths: Vec<String>,
}

/// `[masking]`: what the agent never sees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Masking {
    /// CSS selectors whose text and values are shown as asterisks.
    pub masked: Vec<String>,
    /// CSS selectors replaced by an empty placeholder of the same size.
    pub blocked: Vec<String>,
    /// Regular expressions on the path: the whole page is masked.
    pub masked_pages: Vec<String>,
}

/// A profile file that cannot be used; the message names the file, line and problem.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: line {line}: origin {origin} is already claimed by {other}")]
    DuplicateOrigin { file: String, line: usize, origin: String, other: String },
    #[error("{dir}: no profiles (*.toml) found")]
    Empty { dir: String },
}

/// The origin (`scheme://host[:port]`, lower case) of an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

impl Profile {
    /// The line of the file where `origin` is listed.
    fn line_of_origin(&self, origin: &str) -> usize {
        let at = self.site.origins.iter().position(|o| o == origin);
        at.and_then(|i| self.origin_lines.get(i).copied()).unwrap_or(1)
    }

    /// Whether the page at `url` is masked whole (`masked_pages` matches its path).
    pub fn masks_page(&self, url: &str) -> bool {
        let path = path_of(url);
        self.masked_pages.iter().any(|r| r.is_match(path))
    }

    /// Whether the agent may never navigate to `url` (`forbidden_paths` matches its path).
    pub fn forbids_path(&self, url: &str) -> bool {
        let path = path_of(url);
        self.forbidden_paths.iter().any(|r| r.is_match(path))
    }

    /// What the snippet and the replica must hide, as sent to them.
    pub fn rules(&self) -> Rules {
        Rules {
            masked: self.masking.masked.clone(),
            blocked: self.masking.blocked.clone(),
            masked_pages: self.masking.masked_pages.clone(),
            origins: self.site.origins.clone(),
            disabled: self.write_mode.disabled.clone(),
            disable_submit: self.write_mode.disable_submit,
            forbidden_paths: self.write_mode.forbidden_paths.clone(),
        }
    }

    /// Whether two versions of a profile say the same (the files may differ in comments).
    pub fn same_rules(&self, other: &Profile) -> bool {
        self.site == other.site && self.write_mode == other.write_mode && self.masking == other.masking
    }
}

#[cfg(test)]
mod tests;
