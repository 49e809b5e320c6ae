//! What a first run on a machine without Chromium says: one line with the command that fixes it.

use std::path::Path;

/// The Debian packages the replicas need, in the form `apt-get install` takes.
pub const DEBIAN_PACKAGES: &str =
    "chromium chromium-headless-shell fonts-dejavu-core fonts-liberation2 fonts-noto-core fonts-noto-color-emoji";

/// The line printed at start when `chromium` (and the headless shell) are not installed.
pub fn missing_chromium(chromium: &Path) -> String {
    format!(
        "cobrowse: Chromium is not installed ({} not found), so no co-browse session can start and \
         customers are told it is unavailable; install it with `sudo apt-get install {DEBIAN_PACKAGES}` \
         (Debian, Ubuntu) or set COBROWSE_CHROMIUM to a Chromium binary",
        chromium.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_chromium_line_says_how_to_install_it() {
        let line = missing_chromium(Path::new("/usr/bin/chromium"));
        assert!(!line.contains('\n'), "one line: {line}");
        assert!(line.contains("apt-get install chromium") && line.contains("COBROWSE_CHROMIUM"), "{line}");
        assert!(line.contains("/usr/bin/chromium"), "{line}");
    }

    /// The line and the README's first command install the same packages.
    #[test]
    fn the_install_script_installs_what_the_line_names() {
        let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/install-debian-packages"));
        let script = script.expect("scripts/install-debian-packages");
        let listed = script.lines().find(|l| l.starts_with("packages=(")).expect("the package list");
        for package in DEBIAN_PACKAGES.split_whitespace() {
            assert!(listed.split(['(', ')', ' ']).any(|p| p == package), "{package} not in: {listed}");
        }
    }
}
