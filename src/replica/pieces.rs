//! Big batches of events cut into pieces for the replica page, so no single DevTools message
//! is large.

/// Past this size, events travel to the page in pieces of it, each its own DevTools message:
/// one customer's megabytes then do not hold the connection every replica shares (a 20 MB
/// message raised another session's change-to-frame latency from 25 ms to 1.45 s).
pub const PIECE: usize = 256 * 1024;

/// `text` cut into pieces of about `size` bytes, on character boundaries.
pub fn pieces(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (piece, tail) = rest.split_at(end);
        out.push(piece);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rejoin_to_the_text_and_never_split_a_character() {
        let text = "[\"ab\u{e9}\u{1f600}cd\"]".repeat(3);
        for size in 1..8 {
            let cut = pieces(&text, size);
            assert_eq!(cut.concat(), text, "size {size}");
            assert!(cut.iter().all(|p| !p.is_empty() && p.len() < size + 4), "size {size}: {cut:?}");
        }
        assert!(pieces("", 4).is_empty());
        assert_eq!(pieces("[1,2]", PIECE), vec!["[1,2]"]);
    }
}
