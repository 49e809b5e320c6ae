//! `masked_pages` and `forbidden_paths` patterns: regular expressions on a page's path. The server matches them with
//! the `regex` crate and the customer's browser with JavaScript's `RegExp`, so a pattern is
//! accepted only in the syntax both read the same way.

use regex::Regex;

/// Constructs one engine has and the other lacks or reads differently.
const NOT_PORTABLE: &[(&str, &str)] = &[
    ("(?=", "look-ahead is not supported"),
    ("(?!", "look-ahead is not supported"),
    ("(?<=", "look-behind is not supported"),
    ("(?<!", "look-behind is not supported"),
    ("\\A", "\\A is not supported; use ^"),
    ("\\z", "\\z is not supported; use $"),
    ("\\Z", "\\Z is not supported; use $"),
    ("[[:", "POSIX classes such as [[:alpha:]] are not supported"),
    ("\\p", "Unicode classes (\\p{..}) are not supported"),
    ("\\P", "Unicode classes (\\P{..}) are not supported"),
    ("\\Q", "\\Q..\\E quoting is not supported"),
    ("(?P<", "(?P<name>..) groups are not supported; write (?<name>..)"),
];

/// Compiles a path pattern, or says why it cannot be used.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    for (construct, why) in NOT_PORTABLE {
        if pattern.contains(construct) {
            return Err((*why).to_string());
        }
    }
    // Inline flags such as (?i) mean nothing to JavaScript; groups (?: and named ones are fine.
    for (at, _) in pattern.match_indices("(?") {
        let escaped = pattern[..at].chars().rev().take_while(|c| *c == '\\').count() % 2 == 1;
        if !escaped && !matches!(pattern[at + 2..].chars().next(), Some(':' | '<')) {
            return Err("inline flags such as (?i) are not supported".to_string());
        }
    }
    Regex::new(pattern).map_err(|e| match e {
        regex::Error::Syntax(text) => {
            // The crate's message draws the pattern with a caret; its last line says what is wrong.
            let reason = text.lines().rev().find(|l| l.starts_with("error:")).unwrap_or(&text);
            reason.trim_start_matches("error:").trim().to_string()
        }
        other => other.to_string(),
    })
}

/// The path of an absolute URL (`/` when it has none), which path patterns match.
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    match rest.find('/') {
        Some(at) => &rest[at..],
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_patterns_compile_and_match_paths() {
        let account = compile("^/account/").unwrap();
        assert!(account.is_match(path_of("https://bank.example/account/statements?x=1")));
        assert!(!account.is_match(path_of("https://bank.example/help#/account/")));
        assert!(compile(r"^/(orders|returns)/\d+$").unwrap().is_match("/orders/42"));
        assert!(compile("(?:a|b)").is_ok());
        assert!(compile("(?<id>[0-9]+)").is_ok());
        assert!(compile("(?P<id>[0-9]+)").unwrap_err().contains("(?<name>..)"));
    }

    #[test]
    fn broken_or_unportable_patterns_say_why() {
        assert!(compile("^/account/(").unwrap_err().contains("unclosed group"));
        assert!(compile("[z-a]").unwrap_err().contains("invalid"));
        assert!(compile("^/(?=x)").unwrap_err().contains("look-ahead"));
        assert!(compile("(?i)^/Account").unwrap_err().contains("inline flags"));
        assert!(compile("(?:a)(?i)b").unwrap_err().contains("inline flags"));
        assert!(compile(r"^/a\(?b").is_ok());
        assert!(compile(r"\p{Greek}").unwrap_err().contains("Unicode classes"));
    }

    #[test]
    fn paths() {
        assert_eq!(path_of("http://127.0.0.1:8081"), "/");
        assert_eq!(path_of("http://127.0.0.1:8081/a/b.html?q#f"), "/a/b.html");
        assert_eq!(path_of("https://x.example?q=/a"), "/");
    }
}
