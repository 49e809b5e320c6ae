//! Who may use the agent side: signed tokens, reading them off requests, and the directory of
//! signed-in agents that transfers look agents up in.

pub mod directory;
pub mod token;

use std::time::SystemTime;

use axum::http::HeaderMap;

pub use directory::Directory;
pub use token::{Claims, Role, Signer, TokenError};

/// The token a request carries: `Authorization: Bearer ...`, or a `token` query parameter (a
/// browser's WebSocket cannot set headers). The agent view keeps it in the URL's fragment, so
/// it never reaches a server log or a referrer.
pub fn bearer(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    header.or_else(|| {
        query?.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == "token").then(|| value.to_string())
        })
    })
}

/// Checks a request's token against `signer`; `roles` are the roles that may pass.
pub fn authorize(
    signer: &Signer,
    headers: &HeaderMap,
    query: Option<&str>,
    roles: &[Role],
) -> Result<Claims, TokenError> {
    let token = bearer(headers, query).ok_or(TokenError::Missing)?;
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
    fn the_token_comes_from_the_header_or_the_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers, Some("a=1&token=abc")), Some("abc".into()));
        assert_eq!(bearer(&headers, Some("tokens=abc")), None);
        headers.insert("authorization", "Bearer xyz".parse().unwrap());
        assert_eq!(bearer(&headers, Some("token=abc")), Some("xyz".into()));
    }

    #[test]
    fn roles_are_checked() {
        let signer = Signer::new("k");
        let token = signer.issue("a", "A", Role::Agent, std::time::Duration::from_secs(60), SystemTime::now());
        let query = format!("token={token}");
        let headers = HeaderMap::new();
        assert!(authorize(&signer, &headers, Some(&query), &[Role::Agent, Role::Supervisor]).is_ok());
        assert_eq!(authorize(&signer, &headers, Some(&query), &[Role::Integration]), Err(TokenError::WrongRole));
        assert_eq!(authorize(&signer, &headers, None, &[Role::Agent]), Err(TokenError::Missing));
    }
}
