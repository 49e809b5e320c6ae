//! Who may use the agent side: signed tokens, reading them off requests, and the directory of
//! signed-in agents that transfers look agents up in.

pub mod directory;
pub mod token;

use std::time::SystemTime;

use axum::http::HeaderMap;

pub use directory::Directory;
pub use token::{Claims, Role, Signer, TokenError};

/// The WebSocket subprotocol the agent view and the demo workspace speak. A browser's
/// WebSocket cannot set headers, so the token travels as a second offered protocol,
/// `cobrowse.token.TOKEN`, not in the URL, where reverse proxies' access logs would keep it.
pub const SUBPROTOCOL: &str = "cobrowse";
/// The prefix of the offered protocol that carries the token.
pub const TOKEN_PROTOCOL: &str = "cobrowse.token.";

/// The token a request carries: `Authorization: Bearer ...` (integrations), or an offered
/// WebSocket protocol `cobrowse.token.TOKEN` (browsers). Never the URL: the agent view keeps it
/// in its page's fragment, so it reaches no server log or referrer.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    header.or_else(|| {
        headers
            .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(|protocol| protocol.trim().strip_prefix(TOKEN_PROTOCOL).map(str::to_string))
    })
}

/// Checks a request's token against `signer`; `roles` are the roles that may pass.
pub fn authorize(signer: &Signer, headers: &HeaderMap, roles: &[Role]) -> Result<Claims, TokenError> {
    let token = bearer(headers).ok_or(TokenError::Missing)?;
    let claims = signer.verify(&token, SystemTime::now())?;
    if !roles.contains(&claims.role) {
        return Err(TokenError::WrongRole);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_header_or_an_offered_protocol_never_the_url() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert("sec-websocket-protocol", "cobrowse, cobrowse.token.abc.def".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc.def".into()));
        headers.insert("authorization", "Bearer xyz".parse().unwrap());
        assert_eq!(bearer(&headers), Some("xyz".into()), "the header wins");
        let mut offered = HeaderMap::new();
        offered.insert("sec-websocket-protocol", "cobrowse, tokens.abc".parse().unwrap());
        assert_eq!(bearer(&offered), None);
    }

    #[test]
    fn roles_are_checked() {
        let signer = Signer::new("k");
        let token = signer.issue("a", "A", Role::Agent, std::time::Duration::from_secs(60), SystemTime::now());
        let mut headers = HeaderMap::new();
        headers.insert("sec-websocket-protocol", format!("cobrowse, {TOKEN_PROTOCOL}{token}").parse().unwrap());
        assert!(authorize(&signer, &headers, &[Role::Agent, Role::Supervisor]).is_ok());
        assert_eq!(authorize(&signer, &headers, &[Role::Integration]), Err(TokenError::WrongRole));
        assert_eq!(authorize(&signer, &HeaderMap::new(), &[Role::Agent]), Err(TokenError::Missing));
    }
}
