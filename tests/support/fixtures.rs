//! The fixtures site: the pages of `tests/fixtures/`, with the addresses of the test server
//! and of a site outside every profile filled in, and every path asked of it noted.

use std::path::PathBuf;

use tokio::net::TcpListener;

/// Every path asked of a fixtures site of this test binary, in order (a replica's requests too).
pub static FIXTURE_REQUESTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Serves `tests/fixtures/` under `/fixtures/`, with `{{COBROWSE}}` replaced by the server and
/// `{{OUTSIDE}}` by a site no profile lists.
pub(super) async fn serve(listener: TcpListener, cobrowse: String, outside: String) {
    use axum::http::{header, StatusCode, Uri};
    use axum::response::IntoResponse;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let (dir, cobrowse, outside) = (dir.clone(), cobrowse.clone(), outside.clone());
        FIXTURE_REQUESTS.lock().unwrap().push(uri.path().to_string());
        async move {
            let name = uri.path().trim_start_matches("/fixtures/");
            if name.contains("..") || name.contains('/') {
                return StatusCode::NOT_FOUND.into_response();
            }
            let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let kind = match name.rsplit('.').next() {
                Some("css") => "text/css",
                Some("svg") => "image/svg+xml",
                Some("js") => "text/javascript",
                _ => "text/html; charset=utf-8",
            };
            let text = text.replace("{{COBROWSE}}", &cobrowse).replace("{{OUTSIDE}}", &outside);
            ([(header::CONTENT_TYPE, kind)], text).into_response()
        }
    });
    let _ = axum::serve(listener, app).await;
}
