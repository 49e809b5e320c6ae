//! The security headers of the pages the server serves: the agent view may be framed only by
//! the server and the configured workspaces (an agent in write mode must not be clickjacked
//! by another site), and each page runs its own scripts and no others.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::assets;

/// The agent view's content policy, with the origins that may frame it.
pub fn agent_policy(workspace_origins: &[String]) -> String {
    let ancestors: Vec<&str> = std::iter::once("'self'").chain(workspace_origins.iter().map(String::as_str)).collect();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {}",
        ancestors.join(" ")
    )
}

/// A page's policy that allows its own inline `<script>` and `<style>` blocks by their hashes
/// (the demo workspace is one self-contained file) and frames only from this server.
pub fn inline_page_policy(html: &str) -> String {
    let hashes = |tag: &str| {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut found = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(&open) {
            let body = &rest[start + open.len()..];
            let Some(end) = body.find(&close) else { break };
            let digest = Sha256::digest(&body.as_bytes()[..end]);
            found.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
            rest = &body[end..];
        }
        found.join(" ")
    };
    format!(
        "default-src 'self'; script-src {}; style-src {}; connect-src 'self'; frame-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes("script"),
        hashes("style")
    )
}

/// `html` with `policy` and the headers every page gets.
pub fn secured(policy: String, html: &'static str) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::REFERRER_POLICY, "no-referrer".to_string()),
        ],
        Html(html),
    )
        .into_response()
}

/// `GET /agent/`.
pub async fn agent_view(State(state): State<AppState>) -> Response {
    secured(agent_policy(&state.workspace_origins), assets::AGENT_HTML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_server_and_configured_workspaces_may_frame_the_agent_view() {
        let policy = agent_policy(&[]);
        assert!(policy.ends_with("frame-ancestors 'self'"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        let policy = agent_policy(&["https://crm.example.com".to_string(), "http://127.0.0.1:9000".to_string()]);
        assert!(policy.ends_with("frame-ancestors 'self' https://crm.example.com http://127.0.0.1:9000"), "{policy}");
    }

    #[test]
    fn an_inline_page_runs_only_its_own_blocks() {
        let html = "<style>b{}</style><script>go()</script><p>x</p><script>more()</script>";
        let policy = inline_page_policy(html);
        let hash = |s: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()));
        assert!(
            policy.contains(&format!("script-src 'sha256-{}' 'sha256-{}';", hash("go()"), hash("more()"))),
            "{policy}"
        );
        assert!(policy.contains(&format!("style-src 'sha256-{}';", hash("b{}"))), "{policy}");
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
    }
}
