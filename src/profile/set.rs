//! Every loaded profile, indexed by origin, and the folder they are read from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Profile, ProfileError};

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
pub(super) type ProfileText = (PathBuf, Result<String, ProfileError>);

/// Every `*.toml` file in `dir` (not its subfolders), sorted, with its text.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<ProfileText>, ProfileError> {
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
