//! `cobrowse check-profiles [DIR]` as an admin runs it: each kind of bad file is named with its
//! line and problem, and the server refuses to start with it.

use std::path::{Path, PathBuf};
use std::process::Command;

const GOOD: &str = "[site]\norigins = [\"https://shop.example\"]\n";

fn folder(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cobrowse-check-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// Runs `cobrowse check-profiles DIR`: (succeeded, stdout, stderr).
fn check(dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cobrowse")).arg("check-profiles").arg(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn each_kind_of_bad_profile_is_named_with_its_line_and_problem() {
    let cases: &[(&str, &str, &str)] = &[
        ("toml-syntax", "[site\norigins = []\n", "shop.toml: line 1: "),
        ("unknown-field", "[site]\norigins = [\"https://shop.example\"]\n[masking]\nmaskd = [\"#card\"]\n", "shop.toml: line 4: unknown field `maskd`"),
        (
            "css-selector",
            "[site]\norigins = [\"https://shop.example\"]\n[masking]\nmasked = [\n  \"#card\",\n  \"input[name=iban\",\n]\n",
            "shop.toml: line 6: masked selector \"input[name=iban\" is not a valid CSS selector: unclosed attribute selector",
        ),
        (
            "disabled-selector",
            "[site]\norigins = [\"https://shop.example\"]\n[write_mode]\ndisabled = [\"a.logout::after\"]\n",
            "shop.toml: line 4: disabled selector \"a.logout::after\" is not a valid CSS selector: pseudo-elements",
        ),
        (
            "regex",
            "[site]\norigins = [\"https://shop.example\"]\n[masking]\nmasked_pages = [\"^/account/(\"]\n",
            "shop.toml: line 4: masked_pages pattern \"^/account/(\" is not a valid regular expression: unclosed group",
        ),
        (
            "origin",
            "[site]\norigins = [\"https://shop.example/checkout\"]\n",
            "shop.toml: line 2: \"https://shop.example/checkout\" is not an origin",
        ),
    ];
    for (tag, text, message) in cases {
        let dir = folder(tag, &[("shop.toml", text)]);
        let (ok, _, stderr) = check(&dir);
        assert!(!ok, "{tag}: check-profiles accepted a bad file");
        let expected = format!("{}/{message}", dir.display());
        assert!(stderr.contains(&expected), "{tag}: expected {expected:?} in:\n{stderr}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn an_origin_claimed_by_two_profiles_names_both_and_every_problem_is_listed() {
    let dir = folder(
        "twice",
        &[
            ("a.toml", GOOD),
            ("b.toml", GOOD),
            ("c.toml", "[site]\norigins = [\"https://c.example\"]\n[masking]\nblocked = [\"#\"]\n"),
        ],
    );
    let (ok, _, stderr) = check(&dir);
    assert!(!ok);
    let d = dir.display();
    assert!(
        stderr.contains(&format!("{d}/b.toml: line 2: origin https://shop.example is already claimed by {d}/a.toml")),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{d}/c.toml: line 4: blocked selector \"#\"")), "{stderr}");
    assert!(stderr.contains("2 problem(s)"), "{stderr}");

    // The server will not start with them either, and says which file and line.
    let out = Command::new(env!("CARGO_BIN_EXE_cobrowse"))
        .env("COBROWSE_PROFILES", &dir)
        .env("COBROWSE_LISTEN", "127.0.0.1:0")
        .env("COBROWSE_DEMO_LISTEN", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("bad browser profile") && stderr.contains(&format!("{d}/")), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_shipped_profiles_and_the_example_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser-profiles");
    for dir in [root.clone(), root.join("examples")] {
        let (ok, stdout, stderr) = check(&dir);
        assert!(ok, "{}: {stderr}", dir.display());
        assert!(stdout.contains("all valid"), "{stdout}");
    }
    let empty = folder("empty", &[]);
    let (ok, _, stderr) = check(&empty);
    assert!(!ok && stderr.contains("no profiles (*.toml) found"), "{stderr}");
    let _ = std::fs::remove_dir_all(&empty);
}
