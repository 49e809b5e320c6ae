//! The compatibility corpus: third-party pages and apps nobody on this project wrote, installed
//! from npm at pinned versions (`tests/corpus/package.json` and its lock file), and served on an
//! origin of their own with the snippet added the way a tag manager adds it. The compatibility
//! tests and `cobrowse bench` visit it; the server itself never does.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tokio::net::TcpListener;

/// The folder `npm ci` installs the corpus into.
fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Installs the corpus once per test run (`npm ci`, no install scripts), unless the lock file's
/// install is already there. Panics with what to do when npm is missing or the install fails.
pub fn ensure_installed() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let root = corpus_root();
        let marker = root.join("node_modules/.package-lock.json");
        let lock = root.join("package-lock.json");
        let fresh = |m: &Path| {
            let (Ok(m), Ok(l)) = (std::fs::metadata(m), std::fs::metadata(&lock)) else { return false };
            matches!((m.modified(), l.modified()), (Ok(m), Ok(l)) if m >= l)
        };
        if !fresh(&marker) {
            let status = std::process::Command::new("npm")
                .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&root)
                .status()
                .unwrap_or_else(|e| panic!("the corpus needs npm (Node.js) to install: {e}"));
            assert!(status.success(), "`npm ci` in {} failed: {status}", root.display());
        }
        root.join("node_modules")
    })
}

/// Where a page asks for a file the package keeps elsewhere: the simple-datatables demos expect
/// the built library beside them, as on the project's site; the TodoMVC jQuery example ships
/// without its Bower packages, and Handlebars' npm package keeps its build in `dist/`.
const ALIASES: &[(&str, &str)] = &[
    ("simple-datatables/docs/demos/dist/", "simple-datatables/dist/"),
    ("todomvc/examples/jquery/bower_components/handlebars/handlebars.js", "handlebars/dist/handlebars.js"),
];

/// The file for a request path, inside the installed packages. A TodoMVC example that expects
/// its Bower packages beside it gets the npm packages of the same names.
fn resolve(modules: &Path, path: &str) -> Option<PathBuf> {
    let mut path = path.trim_start_matches('/').to_string();
    if path.split('/').any(|part| part == ".." || part.starts_with('.')) {
        return None;
    }
    for (from, to) in ALIASES {
        if let Some(rest) = path.strip_prefix(from) {
            path = format!("{to}{rest}");
        }
    }
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    let direct = modules.join(&path);
    if direct.is_file() {
        return Some(direct);
    }
    if direct.is_dir() {
        return Some(direct.join("index.html")).filter(|p| p.is_file());
    }
    let (_, bower) = path.split_once("/bower_components/")?;
    let npm = modules.join(bower);
    npm.is_file().then_some(npm)
}

/// Rewrites a page's references to packages on a public CDN (`https://HOST/npm/NAME@VERSION/PATH`)
/// to the installed package, and adds the snippet before `</head>`.
fn prepare_html(html: &str, modules: &Path, cobrowse: &str) -> String {
    static CDN: OnceLock<regex::Regex> = OnceLock::new();
    let cdn = CDN.get_or_init(|| {
        regex::Regex::new(
            r#"https?://[A-Za-z0-9.-]+/npm/((?:@[A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+)@[A-Za-z0-9.^~-]+(/[^"'\s)]*)?"#,
        )
        .unwrap()
    });
    let html = cdn.replace_all(html, |c: &regex::Captures| {
        let name = &c[1];
        let package = modules.join(name);
        if !package.is_dir() {
            return c[0].to_string();
        }
        let path = match c.get(2) {
            Some(p) => p.as_str().to_string(),
            None => {
                // A bare package address means its browser build, as the CDN serves it.
                let manifest: serde_json::Value = std::fs::read_to_string(package.join("package.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let main = ["jsdelivr", "unpkg", "browser", "main"]
                    .iter()
                    .find_map(|k| manifest.get(*k).and_then(|v| v.as_str()))
                    .unwrap_or("index.js");
                format!("/{}", main.trim_start_matches("./"))
            }
        };
        format!("/{name}{path}")
    });
    // highlight.js's CDN build, published on npm as @highlightjs/cdn-assets.
    static HLJS: OnceLock<regex::Regex> = OnceLock::new();
    let hljs = HLJS.get_or_init(|| {
        regex::Regex::new(r#"https?://[A-Za-z0-9.-]+/gh/highlightjs/cdn-release@[A-Za-z0-9.]+/build/"#).unwrap()
    });
    let html = hljs.replace_all(&html, "/@highlightjs/cdn-assets/");
    let tag = format!("<script src=\"{cobrowse}/cobrowse.js\" defer></script>");
    let lower = html.to_ascii_lowercase();
    match lower.find("</head>").or_else(|| lower.find("<body")) {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]),
        None => format!("{tag}{html}"),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" | "mjs" | "jsx" => "text/javascript",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "eot" => "application/vnd.ms-fontobject",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves the installed corpus: `/PACKAGE/PATH` is that file of the package.
pub async fn serve(listener: TcpListener, cobrowse: String) {
    use axum::http::{header, StatusCode, Uri};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let cobrowse = cobrowse.clone();
        async move {
            let modules = corpus_root().join("node_modules");
            let Some(file) = resolve(&modules, uri.path()) else { return StatusCode::NOT_FOUND.into_response() };
            let kind = content_type(&file);
            let Ok(bytes) = tokio::fs::read(&file).await else { return StatusCode::NOT_FOUND.into_response() };
            if kind.starts_with("text/html") {
                let html = prepare_html(&String::from_utf8_lossy(&bytes), &modules, &cobrowse);
                return ([(header::CONTENT_TYPE, kind)], html).into_response();
            }
            ([(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
    });
    let _ = axum::serve(listener, app).await;
}

/// One page of the corpus: where it is, and a text field on it for the typing check.
#[derive(Debug, Clone, Copy)]
pub struct CorpusPage {
    /// `/PACKAGE/PATH`.
    pub path: &'static str,
    /// What it is, for reports.
    pub what: &'static str,
    /// JavaScript for a text field the customer types into, if the page has one.
    pub field: Option<&'static str>,
}

const TODO_FIELD: Option<&str> = Some("document.querySelector('#new-todo, .new-todo')");

/// The pages, by package (versions in `tests/corpus/package.json`).
pub const PAGES: &[CorpusPage] = &[
    CorpusPage { path: "/todomvc/examples/react/index.html", what: "TodoMVC, React", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/vue/index.html", what: "TodoMVC, Vue", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/jquery/index.html", what: "TodoMVC, jQuery", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/backbone/index.html", what: "TodoMVC, Backbone", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/angularjs/index.html", what: "TodoMVC, AngularJS", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/knockoutjs/index.html", what: "TodoMVC, Knockout", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/mithril/index.html", what: "TodoMVC, Mithril", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/emberjs/index.html", what: "TodoMVC, Ember", field: TODO_FIELD },
    CorpusPage { path: "/todomvc/examples/vanillajs/index.html", what: "TodoMVC, plain JavaScript", field: TODO_FIELD },
    CorpusPage {
        path: "/startbootstrap-sb-admin-2/index.html",
        what: "SB Admin 2 dashboard (Chart.js charts)",
        field: Some("document.querySelector('input.bg-light')"),
    },
    CorpusPage {
        path: "/startbootstrap-sb-admin-2/charts.html",
        what: "SB Admin 2 charts (three Chart.js charts)",
        field: Some("document.querySelector('input.bg-light')"),
    },
    CorpusPage {
        path: "/startbootstrap-sb-admin-2/tables.html",
        what: "SB Admin 2 data table (DataTables)",
        field: Some("document.querySelector('#dataTable_filter input')"),
    },
    CorpusPage {
        path: "/startbootstrap-sb-admin-2/cards.html",
        what: "SB Admin 2 cards",
        field: Some("document.querySelector('input.bg-light')"),
    },
    CorpusPage {
        path: "/startbootstrap-sb-admin-2/login.html",
        what: "SB Admin 2 sign-in form",
        field: Some("document.getElementById('exampleInputEmail')"),
    },
    CorpusPage { path: "/flot/examples/basic-usage/index.html", what: "Flot line chart (canvas)", field: None },
    CorpusPage { path: "/flot/examples/series-pie/index.html", what: "Flot pie charts (canvas)", field: None },
    CorpusPage {
        path: "/jquery-ui/demos/datepicker/default.html",
        what: "jQuery UI date picker (RequireJS)",
        field: Some("document.getElementById('datepicker')"),
    },
    CorpusPage {
        path: "/jquery-ui/demos/autocomplete/default.html",
        what: "jQuery UI autocomplete",
        field: Some("document.getElementById('tags')"),
    },
    CorpusPage { path: "/jquery-ui/demos/selectmenu/default.html", what: "jQuery UI select menus", field: None },
    CorpusPage {
        path: "/jquery-ui/demos/checkboxradio/default.html",
        what: "jQuery UI checkboxes and radios",
        field: None,
    },
    CorpusPage {
        path: "/vanillajs-datepicker/demo/index.html",
        what: "Vanilla JS Datepicker demo (Bulma)",
        field: Some("document.querySelector('input.date')"),
    },
    CorpusPage {
        path: "/simple-datatables/docs/demos/1-simple/index.html",
        what: "simple-datatables demo",
        field: Some("document.querySelector('.datatable-input')"),
    },
    CorpusPage {
        path: "/ionicons/dist/cheatsheet.html",
        what: "Ionicons cheatsheet (shadow DOM web components)",
        field: None,
    },
    CorpusPage {
        path: "/startbootstrap-agency/dist/index.html",
        what: "Agency landing page (Bootstrap 5)",
        field: Some("document.getElementById('name')"),
    },
    CorpusPage { path: "/html5-boilerplate/dist/index.html", what: "HTML5 Boilerplate", field: None },
];
