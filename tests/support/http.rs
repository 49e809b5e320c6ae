//! The receiving end of a plain HTTP/1.1 request, for tests that play a contact center's
//! webhook receiver (over TCP or TLS).

use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads one request from `stream`: its head (request line and headers) and its body, as long
/// as `Content-Length` says, or whatever came before the peer stopped sending.
pub async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> (String, String) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = header(head, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            if body.len() >= length || n == 0 {
                return (head.to_string(), body.to_string());
            }
        }
        if n == 0 {
            return (text, String::new());
        }
    }
}

/// The value of header `name` in a request's head; names are case-insensitive (HTTP/1 clients
/// commonly send them in lower case).
pub fn header(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)))
        .map(|(_, value)| value.trim().to_string())
}
