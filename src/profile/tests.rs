//! Tests of profiles: loading, defaults, errors that name their line, lookup by origin.

use std::path::Path;

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
    let p =
        parse("[site]\norigins = [\"https://a.example\"]\n[write_mode]\nforbidden_paths = [\"^/close\"]\n").unwrap();
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
