//! Browser profiles (`browser-profiles/*.toml`): which origins a site covers and the rules that
//! apply there. The server picks a profile by the page's origin, never by anything the customer
//! sends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

/// One site's profile, as written in its file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The file it came from (set after loading).
    #[serde(skip)]
    pub file: PathBuf,
    pub site: Site,
    #[serde(default)]
    pub write_mode: WriteMode,
    #[serde(default)]
    pub masking: Masking,
}

/// `[site]`: where co-browse runs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Origins (`scheme://host[:port]`) whose pages may be co-browsed; elsewhere the session pauses.
    pub origins: Vec<String>,
}

/// `[write_mode]`: what the agent may do once the customer allows it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WriteMode {
    /// Whether write mode may be requested at all.
    pub enabled: bool,
    /// Whether submit buttons are out of the agent's reach.
    pub disable_submit: bool,
    /// CSS selectors of elements the agent cannot click or type into.
    pub disabled: Vec<String>,
}

impl Default for WriteMode {
    fn default() -> Self {
        WriteMode { enabled: true, disable_submit: true, disabled: Vec::new() }
    }
}

/// `[masking]`: what the agent never sees.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
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
    #[error("{file}: origin {origin} is already claimed by {other}")]
    DuplicateOrigin { file: String, origin: String, other: String },
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
    /// Parses one profile file's text.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let name = file.display().to_string();
        let mut profile: Profile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| format!("line {}: ", line_of(text, s.start))).unwrap_or_default();
            ProfileError::Invalid { file: name.clone(), message: format!("{line}{}", e.message()) }
        })?;
        profile.file = file.to_path_buf();
        for origin in &profile.site.origins {
            if origin_of(origin).as_deref() != Some(origin.as_str()) {
                let line =
                    text.find(origin.as_str()).map(|o| format!("line {}: ", line_of(text, o))).unwrap_or_default();
                return Err(ProfileError::Invalid {
                    file: name,
                    message: format!(
                        "{line}{origin:?} is not an origin (write it as scheme://host[:port], lower case, no path)"
                    ),
                });
            }
        }
        if profile.site.origins.is_empty() {
            return Err(ProfileError::Invalid { file: name, message: "[site] origins is empty".into() });
        }
        Ok(profile)
    }
}

/// Every loaded profile, indexed by origin.
#[derive(Debug, Default)]
pub struct Profiles {
    by_origin: HashMap<String, Arc<Profile>>,
}

impl Profiles {
    /// Loads every `*.toml` in `dir`; the first bad file stops the load.
    pub fn load(dir: &Path) -> Result<Profiles, ProfileError> {
        let read_err =
            |cause: std::io::Error| ProfileError::Read { file: dir.display().to_string(), cause: cause.to_string() };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ProfileError::Empty { dir: dir.display().to_string() });
        }
        let mut profiles = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| ProfileError::Read { file: file.display().to_string(), cause: e.to_string() })?;
            profiles.push(Profile::parse(&file, &text)?);
        }
        Profiles::from_profiles(profiles)
    }

    /// Indexes profiles by origin; an origin may belong to one profile only.
    pub fn from_profiles(profiles: Vec<Profile>) -> Result<Profiles, ProfileError> {
        let mut by_origin: HashMap<String, Arc<Profile>> = HashMap::new();
        for profile in profiles.into_iter().map(Arc::new) {
            for origin in &profile.site.origins {
                if let Some(other) = by_origin.get(origin) {
                    return Err(ProfileError::DuplicateOrigin {
                        file: profile.file.display().to_string(),
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
    fn an_origin_belongs_to_one_profile() {
        let a = Profile::parse(Path::new("a.toml"), "[site]\norigins = [\"https://x.example\"]").unwrap();
        let b = Profile::parse(Path::new("b.toml"), "[site]\norigins = [\"https://x.example\"]").unwrap();
        let e = Profiles::from_profiles(vec![a, b]).unwrap_err().to_string();
        assert_eq!(e, "b.toml: origin https://x.example is already claimed by a.toml");
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
        let profiles = Profiles::load(&dir).unwrap();
        assert!(profiles.for_origin("http://127.0.0.1:8081").is_some());
    }
}
