//! Session IDs (9 digits, read out over the phone) and resume tokens, both from the OS CSPRNG.

/// Nine random decimal digits, leading zeros allowed.
pub fn new_session_id() -> String {
    // Rejection sampling keeps every ID equally likely: 4_000_000_000 is a multiple of 10^9.
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>());
        if n < 4_000_000_000 {
            return format!("{:09}", n % 1_000_000_000);
        }
    }
}

/// A 128-bit secret, hex encoded, that lets the customer's tab resume its session.
pub fn new_token() -> String {
    random_bytes::<16>().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` has the form of a session ID.
pub fn is_session_id(text: &str) -> bool {
    text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_nine_digits_and_vary() {
        let ids: std::collections::HashSet<String> = (0..200).map(|_| new_session_id()).collect();
        assert!(ids.iter().all(|id| is_session_id(id)), "{ids:?}");
        assert!(ids.len() > 190, "IDs repeat too often: {}", ids.len());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn id_shape() {
        assert!(is_session_id("012345678"));
        assert!(!is_session_id("12345678"));
        assert!(!is_session_id("12345678a"));
        assert!(!is_session_id("１２３４５６７８９"));
    }
}
