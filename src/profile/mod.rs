//! Browser profiles (`browser-profiles/*.toml`): which origins a site covers and the rules that
//! apply there. The server picks a profile by the page's origin, never by anything the customer
//! sends.

mod pattern;
pub mod selector;
pub mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::wire::Rules;
pub use pattern::path_of;
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

/// The file as written: every value keeps its place, so errors can name the line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    site: SiteFile,
    #[serde(default)]
    write_mode: WriteModeFile,
    #[serde(default)]
    masking: MaskingFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    origins: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WriteModeFile {
    enabled: bool,
    disable_submit: bool,
    disabled: Vec<Spanned<String>>,
    forbidden_paths: Vec<Spanned<String>>,
}

impl Default for WriteModeFile {
    fn default() -> Self {
        WriteModeFile { enabled: true, disable_submit: true, disabled: Vec::new(), forbidden_paths: Vec::new() }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MaskingFile {
    masked: Vec<Spanned<String>>,
    blocked: Vec<Spanned<String>>,
    masked_pages: Vec<Spanned<String>>,
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

/// 1-based line of a byte offset, for error messages.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Profile {
    /// Parses and checks one profile file's text.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let name = file.display().to_string();
        let invalid = |span: std::ops::Range<usize>, message: String| ProfileError::Invalid {
            file: name.clone(),
            message: format!("line {}: {message}", line_of(text, span.start)),
        };
        let raw: ProfileFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| format!("line {}: ", line_of(text, s.start))).unwrap_or_default();
            ProfileError::Invalid { file: name.clone(), message: format!("{line}{}", e.message().trim_end()) }
        })?;
        if raw.site.origins.get_ref().is_empty() {
            return Err(invalid(raw.site.origins.span(), "[site] origins is empty: list the site's origins".into()));
        }
        for origin in raw.site.origins.get_ref() {
            let o = origin.get_ref();
            if origin_of(o).as_deref() != Some(o.as_str()) {
                return Err(invalid(
                    origin.span(),
                    format!("{o:?} is not an origin (write it as scheme://host[:port], lower case, no path)"),
                ));
            }
        }
        let selectors = |field: &str, list: &[Spanned<String>]| -> Result<Vec<String>, ProfileError> {
            list.iter()
                .map(|s| match selector::check(s.get_ref()) {
                    Ok(()) => Ok(s.get_ref().trim().to_string()),
                    Err(why) => Err(invalid(
                        s.span(),
                        format!("{field} selector {:?} is not a valid CSS selector: {why}", s.get_ref()),
                    )),
                })
                .collect()
        };
        let masked = selectors("masked", &raw.masking.masked)?;
        let blocked = selectors("blocked", &raw.masking.blocked)?;
        let disabled = selectors("disabled", &raw.write_mode.disabled)?;
        let patterns = |field: &str, list: &[Spanned<String>]| -> Result<Vec<Regex>, ProfileError> {
            list.iter()
                .map(|p| {
                    pattern::compile(p.get_ref()).map_err(|why| {
                        let message =
                            format!("{field} pattern {:?} is not a valid regular expression: {why}", p.get_ref());
                        invalid(p.span(), message)
                    })
                })
                .collect()
        };
        let masked_pages = patterns("masked_pages", &raw.masking.masked_pages)?;
        let forbidden_paths = patterns("forbidden_paths", &raw.write_mode.forbidden_paths)?;
        let origin_lines = raw.site.origins.get_ref().iter().map(|o| line_of(text, o.span().start)).collect();
        Ok(Profile {
            file: file.to_path_buf(),
            origin_lines,
            site: Site { origins: raw.site.origins.into_inner().into_iter().map(Spanned::into_inner).collect() },
            write_mode: WriteMode {
                enabled: raw.write_mode.enabled,
                disable_submit: raw.write_mode.disable_submit,
                disabled,
                forbidden_paths: raw.write_mode.forbidden_paths.into_iter().map(Spanned::into_inner).collect(),
            },
            masking: Masking {
                masked,
                blocked,
                masked_pages: raw.masking.masked_pages.into_iter().map(Spanned::into_inner).collect(),
            },
            masked_pages,
            forbidden_paths,
        })
    }

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

/// Every loaded profile, indexed by origin.
#[derive(Debug, Default)]
pub struct Profiles {
    by_origin: HashMap<String, Arc<Profile>>,
}

impl Profiles {
    /// Checks every `*.toml` in `dir` and reports every problem, not only the first: what
    /// `cobrowse check-profiles` prints. Returns how many profiles are valid.
    pub fn check(dir: &Path) -> Result<usize, Vec<ProfileError>> {
        let files = read_dir(dir).map_err(|e| vec![e])?;
        if files.is_empty() {
            return Err(vec![ProfileError::Empty { dir: dir.display().to_string() }]);
        }
        let mut problems = Vec::new();
        let mut good = Vec::new();
        for (file, text) in files {
            match text.and_then(|text| Profile::parse(&file, &text)) {
                Ok(profile) => good.push(profile),
                Err(e) => problems.push(e),
            }
        }
        let count = good.len();
        // Origins clash between files: check them pairwise, so each clash is named.
        let mut claimed: HashMap<&str, &Profile> = HashMap::new();
        for profile in &good {
            for origin in &profile.site.origins {
                if let Some(other) = claimed.insert(origin, profile) {
                    if !std::ptr::eq(other, profile) {
                        problems.push(ProfileError::DuplicateOrigin {
                            file: profile.file.display().to_string(),
                            line: profile.line_of_origin(origin),
                            origin: origin.clone(),
                            other: other.file.display().to_string(),
                        });
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(count)
        } else {
            Err(problems)
        }
    }

    /// Indexes profiles by origin; an origin may belong to one profile only.
    pub fn from_profiles(profiles: Vec<Profile>) -> Result<Profiles, ProfileError> {
        let mut by_origin: HashMap<String, Arc<Profile>> = HashMap::new();
        for profile in profiles.into_iter().map(Arc::new) {
            for origin in &profile.site.origins {
                if let Some(other) = by_origin.get(origin) {
                    return Err(ProfileError::DuplicateOrigin {
                        file: profile.file.display().to_string(),
                        line: profile.line_of_origin(origin),
                        origin: origin.clone(),
                        other: other.file.display().to_string(),
                    });
                }
                by_origin.insert(origin.clone(), profile.clone());
            }
        }
        Ok(Profiles { by_origin })
    }

    /// The profile covering `origin` (as sent by the browser in the `Origin` header).
    pub fn for_origin(&self, origin: &str) -> Option<Arc<Profile>> {
        self.by_origin.get(&origin.to_ascii_lowercase()).cloned()
    }
}

/// A profile file and its text, or why it could not be read.
type ProfileText = (PathBuf, Result<String, ProfileError>);

/// Every `*.toml` file in `dir` (not its subfolders), sorted, with its text.
fn read_dir(dir: &Path) -> Result<Vec<ProfileText>, ProfileError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ProfileError::Read { file: dir.display().to_string(), cause: e.to_string() })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| ProfileError::Read { file: file.display().to_string(), cause: e.to_string() });
            (file, text)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile, ProfileError> {
        Profile::parse(Path::new("shop.toml"), text)
    }

    #[test]
    fn a_full_profile_loads_with_defaults() {
        let p = parse("[site]\norigins = [\"https://shop.example.com\"]\n").unwrap();
        assert!(p.write_mode.enabled && p.write_mode.disable_submit);
        assert!(p.masking.masked.is_empty());
        let p = parse("[site]\norigins = [\"http://127.0.0.1:8081\"]\n[write_mode]\nenabled = false\n[masking]\nmasked = [\"#card\"]\n").unwrap();
        assert!(!p.write_mode.enabled);
        assert_eq!(p.masking.masked, vec!["#card"]);
    }

    #[test]
    fn bad_files_name_file_line_and_problem() {
        let e = parse("[site]\norigins = [\"https://a.example\"]\n[masking]\nmaskd = []\n").unwrap_err().to_string();
        assert!(e.starts_with("shop.toml: line 4") && e.contains("maskd"), "{e}");
        let e = parse("[site]\norigins = [\"https://a.example/shop\"]\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("not an origin"), "{e}");
        let e = parse("[site\n").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn forbidden_paths_match_the_path_and_bad_ones_name_their_line() {
        let p = parse("[site]\norigins = [\"https://a.example\"]\n[write_mode]\nforbidden_paths = [\"^/close\"]\n")
            .unwrap();
        assert!(p.forbids_path("https://a.example/close-account?x=1"));
        assert!(!p.forbids_path("https://a.example/help/close"), "anchored at the path's start");
        assert!(!p.forbids_path("https://a.example/?next=/close"), "the query is not the path");
        assert_eq!(p.rules().forbidden_paths, vec!["^/close".to_string()]);
        let e = parse("[site]\norigins = [\"https://a.example\"]\n[write_mode]\nforbidden_paths = [\"(?i)/x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("shop.toml: line 4: forbidden_paths pattern") && e.contains("inline flags"), "{e}");
    }

    #[test]
    fn an_origin_belongs_to_one_profile() {
        let a = Profile::parse(Path::new("a.toml"), "[site]\norigins = [\"https://x.example\"]").unwrap();
        let b = Profile::parse(Path::new("b.toml"), "[site]\norigins = [\"https://x.example\"]").unwrap();
        let e = Profiles::from_profiles(vec![a, b]).unwrap_err().to_string();
        assert_eq!(e, "b.toml: line 2: origin https://x.example is already claimed by a.toml");
    }

    #[test]
    fn lookup_by_origin() {
        let a = Profile::parse(Path::new("a.toml"), "[site]\norigins = [\"https://x.example\"]").unwrap();
        let profiles = Profiles::from_profiles(vec![a]).unwrap();
        assert!(profiles.for_origin("https://x.example").is_some());
        assert!(profiles.for_origin("https://X.example").is_some());
        assert!(profiles.for_origin("http://x.example").is_none());
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:8081/form.html?x#y").as_deref(), Some("http://127.0.0.1:8081"));
        assert_eq!(origin_of("https://Shop.Example.com").as_deref(), Some("https://shop.example.com"));
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("http://user@evil.example/"), None);
        assert_eq!(origin_of("file:///etc/passwd"), None);
    }

    #[test]
    fn the_shipped_profiles_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser-profiles");
        let profiles = ProfileStore::load(&dir).unwrap();
        assert!(profiles.for_origin("http://127.0.0.1:8081").is_some());
        assert_eq!(Profiles::check(&dir.join("examples")).map_err(|e| e[0].to_string()), Ok(1));
    }
}
