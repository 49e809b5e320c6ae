//! The live set of profiles: loaded strictly at start, then re-read whenever a file in the
//! folder changes, so an admin's edit reaches new and running sessions without a restart. A bad
//! edit keeps that file's last good version and says why in the log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::set::read_dir;
use super::{Profile, ProfileError, Profiles};

/// How often the folder is looked at for edits.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// Profiles by origin, kept current with their folder.
#[derive(Debug)]
pub struct ProfileStore {
    /// The folder the profiles come from.
    dir: PathBuf,
    /// The newest good set; running sessions watch it.
    current: watch::Sender<Arc<Profiles>>,
    /// Each file's text as last read, and the last good profile it gave. Only the reload
    /// touches it; the lock keeps two reloads from interleaving.
    files: Mutex<HashMap<PathBuf, FileState>>,
}

#[derive(Debug)]
struct FileState {
    /// The text as last read (or the read error), to notice the next edit.
    text: Result<String, String>,
    /// The newest version of this file that was valid.
    good: Option<Profile>,
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// No file changed.
    Unchanged,
    /// The set changed and sessions were told.
    Applied,
    /// Something changed but nothing could be applied (every problem is logged).
    Refused,
}

impl ProfileStore {
    /// Loads every profile in `dir`; any bad file stops the load (start-up must not go on
    /// with a profile silently missing).
    pub fn load(dir: &Path) -> Result<ProfileStore, ProfileError> {
        let mut files = HashMap::new();
        let mut profiles = Vec::new();
        let listing = read_dir(dir)?;
        if listing.is_empty() {
            return Err(ProfileError::Empty { dir: dir.display().to_string() });
        }
        for (file, text) in listing {
            let text = text?;
            let profile = Profile::parse(&file, &text)?;
            profiles.push(profile.clone());
            files.insert(file, FileState { text: Ok(text), good: Some(profile) });
        }
        let profiles = Profiles::from_profiles(profiles)?;
        Ok(ProfileStore {
            dir: dir.to_path_buf(),
            current: watch::Sender::new(Arc::new(profiles)),
            files: Mutex::new(files),
        })
    }

    /// The newest good profiles.
    pub fn current(&self) -> Arc<Profiles> {
        self.current.borrow().clone()
    }

    /// The profile covering `origin` now.
    pub fn for_origin(&self, origin: &str) -> Option<Arc<Profile>> {
        self.current.borrow().for_origin(origin)
    }

    /// Tells about every newer set of profiles.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Profiles>> {
        self.current.subscribe()
    }

    /// Re-reads the folder. Each changed file is parsed again: a valid one replaces its old
    /// version, a bad one keeps its last good version; a removed file's profile goes. A set
    /// whose origins clash is not applied at all.
    pub fn reload(&self) -> Reloaded {
        let listing = match read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(e) => {
                tracing::warn!(error = %e, "profiles folder unreadable; keeping the profiles in use");
                return Reloaded::Refused;
            }
        };
        let mut files = self.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = HashMap::new();
        let mut changed = false;
        for (file, text) in listing {
            let text = text.map_err(|e| e.to_string());
            let old = files.remove(&file);
            if let Some(old) = old.as_ref().filter(|old| old.text == text) {
                next.insert(file, FileState { text, good: old.good.clone() });
                continue;
            }
            changed = true;
            let last_good = old.and_then(|old| old.good);
            let parsed = match &text {
                Ok(text) => Profile::parse(&file, text),
                Err(cause) => Err(ProfileError::Read { file: file.display().to_string(), cause: cause.clone() }),
            };
            let good = match parsed {
                Ok(profile) => {
                    tracing::info!(file = %file.display(), "profile loaded");
                    Some(profile)
                }
                Err(e) if last_good.is_some() => {
                    tracing::warn!(error = %e, "profile edit refused; the last good version stays in use");
                    last_good
                }
                Err(e) => {
                    tracing::warn!(error = %e, "new profile refused");
                    None
                }
            };
            next.insert(file, FileState { text, good });
        }
        for file in files.keys() {
            changed = true;
            tracing::info!(file = %file.display(), "profile removed; its sites are no longer co-browsed");
        }
        *files = next;
        if !changed {
            return Reloaded::Unchanged;
        }
        let mut good: Vec<Profile> = files.values().filter_map(|f| f.good.clone()).collect();
        good.sort_by(|a, b| a.file.cmp(&b.file));
        match Profiles::from_profiles(good) {
            Ok(profiles) => {
                self.current.send_replace(Arc::new(profiles));
                Reloaded::Applied
            }
            Err(e) => {
                tracing::warn!(error = %e, "profiles not reloaded; the last good set stays in use");
                Reloaded::Refused
            }
        }
    }

    /// Looks for edits every `every`, for as long as the server runs.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = self.clone();
            // File reads block; keep them off the runtime's workers.
            if tokio::task::spawn_blocking(move || store.reload()).await.is_err() {
                tracing::error!("profile reload panicked; trying again later");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cobrowse-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const SHOP: &str = "[site]\norigins = [\"https://shop.example\"]\n";

    #[test]
    fn edits_apply_and_bad_edits_keep_the_last_good_version() {
        let dir = folder("edits");
        std::fs::write(dir.join("shop.toml"), SHOP).unwrap();
        let store = ProfileStore::load(&dir).unwrap();
        let masked = |store: &ProfileStore| store.for_origin("https://shop.example").unwrap().masking.masked.clone();
        assert_eq!(store.reload(), Reloaded::Unchanged);

        std::fs::write(dir.join("shop.toml"), format!("{SHOP}[masking]\nmasked = [\"#card\"]\n")).unwrap();
        assert_eq!(store.reload(), Reloaded::Applied);
        assert_eq!(masked(&store), vec!["#card"]);

        // A typo: the card stays masked.
        std::fs::write(dir.join("shop.toml"), format!("{SHOP}[masking]\nmasked = [\"#card[\"]\n")).unwrap();
        assert_eq!(store.reload(), Reloaded::Applied);
        assert_eq!(masked(&store), vec!["#card"]);

        // A second file claiming the same origin is refused as a whole.
        std::fs::write(dir.join("copy.toml"), SHOP).unwrap();
        assert_eq!(store.reload(), Reloaded::Refused);
        assert_eq!(masked(&store), vec!["#card"]);
        std::fs::remove_file(dir.join("copy.toml")).unwrap();

        // Removing the file takes its sites away.
        std::fs::remove_file(dir.join("shop.toml")).unwrap();
        assert_eq!(store.reload(), Reloaded::Applied);
        assert!(store.for_origin("https://shop.example").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn start_up_refuses_any_bad_file() {
        let dir = folder("startup");
        std::fs::write(dir.join("a.toml"), SHOP).unwrap();
        std::fs::write(dir.join("b.toml"), "[site]\norigins = [\"https://b.example\"]\n[masking]\nmasked = [\"a[\"]\n")
            .unwrap();
        let e = ProfileStore::load(&dir).unwrap_err().to_string();
        assert!(e.contains("b.toml: line 4: masked selector \"a[\" is not a valid CSS selector"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
