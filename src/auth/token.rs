//! Signed tokens: a JWT (HS256, by `jsonwebtoken`) over who the bearer is, what they may do and
//! until when, signed with `COBROWSE_SECRET`. An identity provider that shares the secret can
//! mint them too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Longest agent id or display name a token may carry.
const MAX_NAME: usize = 128;
/// Most sites one token may name.
const MAX_SITES: usize = 64;
/// Longest token accepted; anything longer is not read at all.
pub const MAX_TOKEN: usize = 4096;

/// What a token lets its bearer do: defined with the wire messages that carry it, so the wire
/// module needs nothing of this one.
pub use crate::wire::Role;

/// The bearer of a valid token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The agent's id in the contact center (JWT `sub`).
    pub sub: String,
    /// The name the customer is shown.
    pub name: String,
    /// Expiry, seconds since the Unix epoch (JWT `exp`).
    pub exp: u64,
    #[serde(default)]
    pub role: Role,
    /// The sites this agent serves, by profile name (the file's name without `.toml`) or
    /// origin; absent: every site. For outsourcers serving several companies from one server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<String>>,
}

impl Claims {
    /// Whether the bearer may serve a session on the site of profile `name` with `origins`.
    pub fn serves(&self, name: &str, origins: &[String]) -> bool {
        match &self.sites {
            None => true,
            Some(sites) => sites.iter().any(|site| site == name || origins.contains(site)),
        }
    }
}

/// Whether `given` is `expected`, in a time that does not depend on where they differ.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter().zip(b.iter()).fold(0u8, |differ, (x, y)| differ | (x ^ y)) == 0
}

/// Why a token was not accepted. Clients only ever hear "401"; the reason is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no token")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with another algorithm than HS256")]
    Algorithm,
    #[error("the token's signature does not match")]
    Forged,
    #[error("the token expired")]
    Expired,
    #[error("the token's agent id, name or sites are empty or too long")]
    BadClaims,
    #[error("the token's role may not do this")]
    WrongRole,
}

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(secret: &str) -> Signer {
        Signer { secret: secret.as_bytes().to_vec() }
    }

    /// A fresh random secret, for a server started without one.
    pub fn generate_secret() -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the system has a random source");
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A token for `agent` named `name`, valid for `ttl` from `now`, for every site.
    pub fn issue(&self, agent: &str, name: &str, role: Role, ttl: Duration, now: SystemTime) -> String {
        let claims = Claims { sub: agent.into(), name: name.into(), exp: unix(now) + ttl.as_secs(), role, sites: None };
        self.sign(&claims)
    }

    /// A token for `agent` that serves only `sites` (see [`Claims::sites`]).
    pub fn issue_for_sites(
        &self,
        agent: &str,
        name: &str,
        role: Role,
        ttl: Duration,
        now: SystemTime,
        sites: Vec<String>,
    ) -> String {
        let exp = unix(now) + ttl.as_secs();
        self.sign(&Claims { sub: agent.into(), name: name.into(), exp, role, sites: Some(sites) })
    }

    fn sign(&self, claims: &Claims) -> String {
        let key = EncodingKey::from_secret(&self.secret);
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).expect("HS256 signs any claims")
    }

    /// The claims of `token` if it is well formed, signed with this secret and not expired at
    /// `now`.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<Claims, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        if token.len() > MAX_TOKEN {
            return Err(TokenError::Malformed);
        }
        // HS256 only: a token naming another algorithm (or "none") is refused before its
        // signature is looked at. Expiry is judged against `now` below, with no leeway, and
        // an audience, if any, is the identity provider's business.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        let key = DecodingKey::from_secret(&self.secret);
        let claims = match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                return Err(match e.kind() {
                    ErrorKind::InvalidSignature => TokenError::Forged,
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm,
                    _ => TokenError::Malformed,
                })
            }
        };
        if claims.exp <= unix(now) {
            return Err(TokenError::Expired);
        }
        let bad = |s: &str| s.trim().is_empty() || s.len() > MAX_NAME || s.chars().any(char::is_control);
        let bad_sites =
            claims.sites.as_ref().is_some_and(|sites| sites.len() > MAX_SITES || sites.iter().any(|s| bad(s)));
        if bad(&claims.sub) || bad(&claims.name) || bad_sites {
            return Err(TokenError::BadClaims);
        }
        Ok(claims)
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// One base64url part of a hand-made token.
    fn part<T: Serialize>(value: &T) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn a_token_may_name_the_sites_its_agent_serves() {
        let now = SystemTime::now();
        let signer = Signer::new("s3cret");
        let all = signer.verify(&signer.issue("a", "A", Role::Agent, HOUR, now), now).unwrap();
        assert!(all.sites.is_none() && all.serves("bank", &[]), "no claim: every site");
        let sites = vec!["bank".to_string(), "https://shop.example".to_string()];
        let some = signer.verify(&signer.issue_for_sites("a", "A", Role::Agent, HOUR, now, sites), now).unwrap();
        assert!(some.serves("bank", &["https://www.bank.example".into()]), "by profile name");
        assert!(some.serves("shop", &["https://shop.example".into()]), "by origin");
        assert!(!some.serves("insurer", &["https://insurer.example".into()]));
        let too_many = (0..65).map(|i| format!("site-{i}")).collect();
        let token = signer.issue_for_sites("a", "A", Role::Agent, HOUR, now, too_many);
        assert_eq!(signer.verify(&token, now), Err(TokenError::BadClaims));
    }

    #[test]
    fn a_token_it_issued_is_accepted_until_it_expires() {
        let signer = Signer::new("s3cret");
        let now = SystemTime::now();
        let token = signer.issue("a-17", "Alice Agent", Role::Agent, HOUR, now);
        let claims = signer.verify(&token, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.name.as_str(), claims.role), ("a-17", "Alice Agent", Role::Agent));
        assert_eq!(signer.verify(&token, now + HOUR + Duration::from_secs(1)), Err(TokenError::Expired));
    }

    #[test]
    fn forged_altered_and_foreign_tokens_are_refused() {
        let now = SystemTime::now();
        let token = Signer::new("s3cret").issue("a-17", "Alice", Role::Agent, HOUR, now);
        assert_eq!(Signer::new("other").verify(&token, now), Err(TokenError::Forged));
        // A supervisor role written into the payload without the secret.
        let parts: Vec<&str> = token.split('.').collect();
        let claims = Claims {
            sub: "a-17".into(),
            name: "Alice".into(),
            exp: unix(now) + 3600,
            role: Role::Supervisor,
            sites: None,
        };
        let altered = format!("{}.{}.{}", parts[0], part(&claims), parts[2]);
        assert_eq!(Signer::new("s3cret").verify(&altered, now), Err(TokenError::Forged));
        // Another algorithm, even one keyed with the same secret, or none at all.
        let hs512 = Header::new(Algorithm::HS512);
        let other = jsonwebtoken::encode(&hs512, &claims, &EncodingKey::from_secret(b"s3cret")).unwrap();
        assert_eq!(Signer::new("s3cret").verify(&other, now), Err(TokenError::Algorithm));
        let none = format!("{}.{}.", part(&serde_json::json!({"alg": "none", "typ": "JWT"})), parts[1]);
        assert!(Signer::new("s3cret").verify(&none, now).is_err());
        for junk in ["", "abc", "a.b", "a.b.c.d", "!!.??.**"] {
            assert!(Signer::new("s3cret").verify(junk, now).is_err(), "{junk:?}");
        }
        assert_eq!(Signer::new("s3cret").verify("  ", now), Err(TokenError::Missing));
    }

    #[test]
    fn empty_names_are_refused() {
        let signer = Signer::new("k");
        let now = SystemTime::now();
        assert_eq!(signer.verify(&signer.issue("", "A", Role::Agent, HOUR, now), now), Err(TokenError::BadClaims));
        assert_eq!(signer.verify(&signer.issue("a", "\n", Role::Agent, HOUR, now), now), Err(TokenError::BadClaims));
    }
}
