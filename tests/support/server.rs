//! A test server: the co-browse server on a port-0 listener with the demo site, the same pages
//! on an origin no profile lists, the fixtures and the corpus, started from one builder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cobrowse::profile::ProfileStore;
use cobrowse::replica::ReplicaBrowser;
use cobrowse::server::AppState;
use cobrowse::session::Timings;
use tokio::net::TcpListener;

use super::browser::{chromium, headless_shell};
use super::tokens::TEST_SECRET;
use super::{bounded, corpus, fixtures};

/// The session timings most tests run with: nothing lapses during a test, and a customer's
/// page load has 2 s to come back.
pub fn timings() -> Timings {
    Timings {
        waiting_ttl: Duration::from_secs(600),
        grace: Duration::from_secs(120),
        reconnect_window: Duration::from_secs(2),
        write_request_ttl: Duration::from_secs(30),
    }
}

/// A folder of this test's own under the system's temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("cobrowse-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running co-browse server with its demo site and a site outside every profile.
pub struct TestServer {
    /// e.g. `http://127.0.0.1:40123`
    pub server: String,
    /// The demo site (listed in the profile).
    pub demo: String,
    /// The same demo pages on an origin no profile lists.
    pub outside: String,
    /// The pages of `tests/fixtures/` (listed in the profile).
    pub fixtures: String,
    /// The third-party pages of `tests/corpus/` (listed in the profile; see `support::corpus`).
    pub corpus: String,
    pub state: AppState,
    stop: tokio::sync::watch::Sender<bool>,
    /// The server's run loop, which ends after shutdown (sessions ended, audit trail flushed).
    run: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The profiles folder the server reads (and watches for edits).
    profiles: TempDir,
    /// The profile's `[site]` section.
    site: String,
}

type Configure<'a> = Box<dyn FnOnce(AppState) -> AppState + Send + 'a>;
type TuneReplica<'a> = Box<dyn FnOnce(ReplicaBrowser) -> ReplicaBrowser + Send + 'a>;

/// How a [`TestServer`] is to start; see [`TestServer::builder`] for what it is unless told.
#[must_use = "nothing starts until `.start().await`"]
pub struct TestServerBuilder<'a> {
    timings: Timings,
    /// What the demo, fixtures and corpus sites' profile has after its `[site]`.
    rules: String,
    /// The Chromium that hosts replicas.
    chromium: PathBuf,
    /// The headless shell run instead where installed (frames drawn on demand), as the
    /// server's default is; `None` keeps `chromium` and its screencast.
    shell: Option<PathBuf>,
    /// Whether that Chromium is launched before `start` returns (else with the first replica).
    launch_replica: bool,
    replica: TuneReplica<'a>,
    configure: Configure<'a>,
}

impl TestServer {
    /// A server to start with `.start().await`. Unless told otherwise it has [`timings()`], a
    /// profile of only its `[site]` (the demo, fixtures and corpus sites), the state
    /// `AppState::new` gives it (signed with [`TEST_SECRET`], the fixtures site a workspace),
    /// and the real Chromium for replicas, running before `start` returns.
    pub fn builder<'a>() -> TestServerBuilder<'a> {
        TestServerBuilder {
            timings: timings(),
            rules: String::new(),
            chromium: chromium(),
            shell: headless_shell(),
            launch_replica: true,
            replica: Box::new(|browser: ReplicaBrowser| browser),
            configure: Box::new(|state: AppState| state),
        }
    }

    /// Rewrites the profile, as an admin editing the file would: `[site]` as before, then
    /// `rules`. The server has read the edit when this returns (its watcher would within a
    /// second): taken, or refused with the last good profile kept; running sessions follow.
    pub fn edit_profile(&self, rules: &str) {
        std::fs::write(self.profiles.0.join("demo.toml"), format!("{}{rules}", self.site)).unwrap();
        let _ = self.state.profiles.reload();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.state.replicas.browser().shutdown().await;
    }

    /// Stops the server as SIGTERM would and waits until its run loop has finished (every
    /// session ended, the audit trail flushed); its clients must have closed.
    pub async fn stop_and_wait(self) {
        let _ = self.stop.send(true);
        let finished = bounded("server stops", self.run).await;
        assert!(matches!(finished, Ok(Ok(()))), "the server stopped with {finished:?}");
        self.state.replicas.browser().shutdown().await;
    }

    /// An HTTP/1.1 request to this server (with `bearer` as its token, if any): the status
    /// and the body.
    pub async fn http(&self, method: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.server.trim_start_matches("http://");
        let mut stream = bounded("connect", tokio::net::TcpStream::connect(addr)).await.unwrap();
        let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        bounded("answer", stream.read_to_string(&mut answer)).await.unwrap();
        let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }
}

impl<'a> TestServerBuilder<'a> {
    /// Session timings other than [`timings()`].
    pub fn timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// The sites' profile has `rules` after its `[site]` (as [`TestServer::edit_profile`]
    /// writes them later).
    pub fn profile(mut self, rules: &str) -> Self {
        self.rules = rules.to_string();
        self
    }

    /// The replicas' Chromium adjusted by `tune`, such as
    /// `.replica(|browser| browser.with_memory_budget(64))`.
    pub fn replica(mut self, tune: impl FnOnce(ReplicaBrowser) -> ReplicaBrowser + Send + 'a) -> Self {
        let before = self.replica;
        self.replica = Box::new(move |browser: ReplicaBrowser| tune(before(browser)));
        self
    }

    /// The replicas' Chromium is not launched at start, only when a session first needs it:
    /// for tests that start none, and so need no Chromium at all.
    pub fn replica_on_demand(mut self) -> Self {
        self.launch_replica = false;
        self
    }

    /// Replicas get a "Chromium" that exits at once (`/bin/false`): each session's replica
    /// fails, as on a machine whose Chromium is broken, and no Chromium ever runs.
    pub fn without_replica_chromium(mut self) -> Self {
        self.chromium = "/bin/false".into();
        self.shell = None;
        self.launch_replica = false;
        self
    }

    /// No Chromium is installed at all, as on a fresh machine: new sessions are refused.
    pub fn without_chromium_installed(mut self) -> Self {
        self.chromium = "/nonexistent/chromium".into();
        self.shell = None;
        self.launch_replica = false;
        self
    }

    /// Replicas run in Chromium with its screencast, as where the headless shell is not
    /// installed (`COBROWSE_HEADLESS_SHELL=off`).
    pub fn screencast(mut self) -> Self {
        self.shell = None;
        self
    }

    /// The server's state adjusted by `configure` (after any adjustment asked for before),
    /// such as `.configure(|state| state.with_max_sessions(1))`.
    pub fn configure(mut self, configure: impl FnOnce(AppState) -> AppState + Send + 'a) -> Self {
        let before = self.configure;
        self.configure = Box::new(move |state: AppState| configure(before(state)));
        self
    }

    pub async fn start(self) -> TestServer {
        let TestServerBuilder { timings, rules, chromium: replica_chromium, shell, launch_replica, replica, configure } =
            self;
        // RUST_LOG=cobrowse=debug shows the server's side of a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let demo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let outside = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fixtures = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fixtures_url = format!("http://{}", fixtures.local_addr().unwrap());
        let corpus = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let corpus_url = format!("http://{}", corpus.local_addr().unwrap());
        let server = format!("http://{}", listener.local_addr().unwrap());
        let demo_url = format!("http://{}", demo.local_addr().unwrap());
        let outside_url = format!("http://{}", outside.local_addr().unwrap());
        let profiles = TempDir::new("profiles");
        let site = format!("[site]\norigins = [\"{demo_url}\", \"{fixtures_url}\", \"{corpus_url}\"]\n");
        std::fs::write(profiles.0.join("demo.toml"), format!("{site}{rules}")).unwrap();
        let state = configure(
            AppState::new(
                ProfileStore::load(&profiles.0).unwrap(),
                Arc::new(replica(ReplicaBrowser::new(replica_chromium).with_headless_shell(shell))),
                timings,
            )
            .with_secret(TEST_SECRET)
            // The fixtures site (as 127.0.0.1; as localhost it is another origin) is a workspace.
            .with_workspace_origins(vec![fixtures_url.clone()]),
        );
        let (stop, rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let run = tokio::spawn(cobrowse::run(listener, stopped(), state.clone()));
        tokio::spawn(cobrowse::demo::serve(demo, server.clone(), stopped()));
        tokio::spawn(cobrowse::demo::serve(outside, server.clone(), stopped()));
        tokio::spawn(fixtures::serve(fixtures, server.clone(), outside_url.clone()));
        tokio::spawn(corpus::serve(corpus, server.clone()));
        let started = TestServer {
            server,
            demo: demo_url,
            outside: outside_url,
            fixtures: fixtures_url,
            corpus: corpus_url,
            state,
            stop,
            run,
            profiles,
            site,
        };
        if launch_replica {
            started.state.replicas.browser().start().await.expect("the replica Chromium starts");
        }
        started
    }
}
