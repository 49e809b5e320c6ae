//! The demo company site ("Brightwater Energy") served beside the co-browse server, on its own
//! origin, with the snippet on every page, so a newcomer can try co-browse at once.

use std::future::Future;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

const LAYOUT: &str = include_str!("../demo/layout.html");
const PAGES: &[(&str, &str, &str)] = &[
    ("/", "Home", include_str!("../demo/home.html")),
    ("/guide.html", "Energy guide", include_str!("../demo/guide.html")),
    ("/switch.html", "Switch tariff", include_str!("../demo/switch.html")),
    ("/switch-done.html", "Thank you", include_str!("../demo/done.html")),
    ("/prices.html", "Live prices", include_str!("../demo/prices.html")),
    ("/usage.html", "Your energy use", include_str!("../demo/usage.html")),
    ("/account/statements.html", "Your statements", include_str!("../demo/statements.html")),
    ("/chat.html", "Chat with us", include_str!("../demo/chat.html")),
];
const PARTNER: &str = include_str!("../demo/partner.html");

/// Where the snippet is served from, e.g. `http://127.0.0.1:8080`.
#[derive(Clone)]
struct Demo {
    cobrowse: String,
}

/// The demo site's routes; pages load the snippet from `cobrowse_base`.
pub fn router(cobrowse_base: String) -> Router {
    Router::new()
        .route(
            "/site.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../demo/site.css")) }),
        )
        .route(
            "/site.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../demo/site.js"))
            }),
        )
        .route(
            "/chat.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../demo/chat.js"))
            }),
        )
        .route("/partner.html", get(partner))
        .fallback(get(page))
        .with_state(Demo { cobrowse: cobrowse_base.trim_end_matches('/').to_string() })
}

/// The same server under its other loopback name is another origin, one no profile lists:
/// the "outside" site a customer can wander off to.
fn other_host(headers: &HeaderMap) -> String {
    // The host goes into the page's links: anything but a host name or address with a port is
    // someone's markup, not a host, and is not written into the page.
    let is_host = |h: &&str| {
        !h.is_empty() && h.len() <= 255 && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(is_host).unwrap_or("127.0.0.1");
    match host.strip_prefix("127.0.0.1") {
        Some(port) => format!("localhost{port}"),
        None => match host.strip_prefix("localhost") {
            Some(port) => format!("127.0.0.1{port}"),
            None => host.to_string(),
        },
    }
}

async fn page(State(demo): State<Demo>, headers: HeaderMap, uri: Uri) -> Response {
    let Some((_, title, main)) = PAGES.iter().find(|(path, _, _)| *path == uri.path()) else {
        return (StatusCode::NOT_FOUND, Html("<h1>Page not found</h1><p><a href=\"/\">Home</a></p>")).into_response();
    };
    let partner = format!("http://{}/partner.html", other_host(&headers));
    Html(
        LAYOUT
            .replace("{{TITLE}}", title)
            .replace("{{COBROWSE}}", &demo.cobrowse)
            .replace("{{PARTNER}}", &partner)
            .replace("{{MAIN}}", main),
    )
    .into_response()
}

async fn partner(headers: HeaderMap) -> Html<String> {
    Html(PARTNER.replace("{{BACK}}", &format!("http://{}/", other_host(&headers))))
}

/// Serves the demo site until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    cobrowse_base: String,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(cobrowse_base)).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_site_is_the_other_loopback_name_and_never_markup() {
        let table = [
            (Some("127.0.0.1:8081"), "localhost:8081"),
            (Some("localhost:8081"), "127.0.0.1:8081"),
            (Some("shop.example"), "shop.example"),
            (Some("[::1]:8081"), "[::1]:8081"),
            // A forged Host header never reaches the page.
            (Some("x\"><script>alert(1)</script>"), "localhost"),
            (Some("a b"), "localhost"),
            (Some(""), "localhost"),
            (None, "localhost"),
        ];
        for (host, other) in table {
            let mut headers = HeaderMap::new();
            if let Some(host) = host {
                headers.insert(header::HOST, host.parse().unwrap());
            }
            assert_eq!(other_host(&headers), other, "Host {host:?}");
        }
    }
}
