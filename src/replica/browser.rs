//! Launches the one Chromium that hosts every replica (DevTools over a pipe, see
//! [`super::devtools`]), keeps its event loop polled, and relaunches it when it dies.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams, GetTargetsParams,
};
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Browser;
use futures::StreamExt;
use tokio::sync::Mutex;

pub use super::context::{emulate_phone, ContextPage};
use super::devtools;
pub use super::devtools::ChromiumProcess;
use super::ReplicaError;

/// Flags for a headless Chromium that does not phone home, keeps scrollbars (customers have
/// them, so the layout width must match), and opens no extra windows per context. The sandbox
/// is decided by [`launch_chromium_with`].
pub fn chromium_flags() -> Vec<&'static str> {
    vec![
        "headless=new",
        "disable-gpu",
        "disable-quic",
        "no-first-run",
        "no-default-browser-check",
        "disable-background-networking",
        "disable-component-update",
        "disable-sync",
        "disable-extensions",
        "disable-default-apps",
        "disable-dev-shm-usage",
        "disable-hang-monitor",
        "disable-popup-blocking",
        "disable-prompt-on-repost",
        "disable-breakpad",
        "disable-client-side-phishing-detection",
        "disable-renderer-backgrounding",
        "disable-background-timer-throttling",
        "disable-backgrounding-occluded-windows",
        "metrics-recording-only",
        "mute-audio",
        "password-store=basic",
        "use-mock-keychain",
        "disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI,Translate,MediaRouter,OptimizationHints",
    ]
}

/// Launches a Chromium with [`chromium_flags`] and its own fresh profile folder, and polls its
/// event loop until it exits. Returns the browser, its process and a flag that turns false when
/// it is gone.
pub async fn launch_chromium(chromium: &Path, profile_dir: &Path) -> Result<Launched, ReplicaError> {
    launch_chromium_with(chromium, profile_dir, &[]).await
}

/// Launches the headless shell at `shell` with its pages under begin-frame control.
pub async fn launch_headless_shell(shell: &Path, profile_dir: &Path) -> Result<Launched, ReplicaError> {
    let mut launched = launch_chromium_with(shell, profile_dir, &BEGIN_FRAME_FLAGS).await?;
    launched.begin_frames = true;
    Ok(launched)
}

/// A running Chromium: the browser to drive, its process, whether it is still there, and
/// whether its pages draw a frame only when asked (the headless shell's begin-frame control).
pub struct Launched {
    pub browser: Browser,
    pub process: ChromiumProcess,
    pub alive: Arc<AtomicBool>,
    pub begin_frames: bool,
}

/// Debian's headless shell (package `chromium-headless-shell`): the one build whose pages can
/// be drawn a frame at a time, on demand, with only their damaged part captured.
pub const HEADLESS_SHELL: &str = "/usr/lib/chromium/chromium-headless-shell";

/// Flags that put the headless shell's pages under begin-frame control: a page draws when the
/// server asks it to (`HeadlessExperimental.beginFrame`), with every compositor stage run first.
const BEGIN_FRAME_FLAGS: [&str; 2] = ["enable-begin-frame-control", "run-all-compositor-stages-before-draw"];

/// Whether Chromium's sandbox can be on: never for root (Chromium refuses to start so), and
/// not where an earlier launch found the platform lacks what it needs (user namespaces; a
/// container's seccomp profile may forbid them). Each is warned about once.
static SANDBOX_UNAVAILABLE: AtomicBool = AtomicBool::new(false);
static WARNED_NO_SANDBOX: AtomicBool = AtomicBool::new(false);

fn sandbox_possible() -> bool {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    !root && !SANDBOX_UNAVAILABLE.load(Ordering::SeqCst)
}

fn warn_no_sandbox(why: &str) {
    if !WARNED_NO_SANDBOX.swap(true, Ordering::SeqCst) {
        tracing::warn!("Chromium runs without its sandbox ({why}); a replica page that broke out of its renderer would run as this user");
    }
}

/// [`launch_chromium`] with `extra` flags besides [`chromium_flags`] (tests and the benchmark
/// play customers whose browsers differ: overlay scrollbars, another pixel ratio, dark mode).
pub async fn launch_chromium_with(
    chromium: &Path,
    profile_dir: &Path,
    extra: &[&str],
) -> Result<Launched, ReplicaError> {
    if sandbox_possible() {
        match launch_once(chromium, profile_dir, extra, true).await {
            Ok(launched) => return Ok(launched),
            Err(e) => {
                tracing::info!(error = %e, "Chromium does not start with its sandbox here; trying without");
                SANDBOX_UNAVAILABLE.store(true, Ordering::SeqCst);
                warn_no_sandbox("this platform does not allow it: no unprivileged user namespaces");
            }
        }
    } else if unsafe { libc::geteuid() } == 0 {
        warn_no_sandbox("the server runs as root; run it as another user to have the sandbox");
    }
    launch_once(chromium, profile_dir, extra, false).await
}

async fn launch_once(
    chromium: &Path,
    profile_dir: &Path,
    extra: &[&str],
    sandbox: bool,
) -> Result<Launched, ReplicaError> {
    let failed = |cause: String| ReplicaError::Launch { path: chromium.display().to_string(), cause };
    let _ = std::fs::remove_dir_all(profile_dir);
    std::fs::create_dir_all(profile_dir).map_err(|e| failed(e.to_string()))?;
    // The headless shell is headless by nature and knows no `--headless=new`.
    let shell = extra.contains(&BEGIN_FRAME_FLAGS[0]);
    let mut args: Vec<String> = chromium_flags()
        .into_iter()
        .filter(|flag| !(shell && flag.starts_with("headless")))
        .chain(extra.iter().copied())
        .map(|flag| format!("--{flag}"))
        .collect();
    if !sandbox {
        args.push("--no-sandbox".into());
    }
    args.push(format!("--user-data-dir={}", profile_dir.display()));
    args.push("about:blank".into());
    let (process, url) = devtools::launch(chromium, &args).await.map_err(|e| failed(e.to_string()))?;
    let config = HandlerConfig { viewport: None, request_timeout: Duration::from_secs(10), ..HandlerConfig::default() };
    let connected = tokio::time::timeout(Duration::from_secs(20), Browser::connect_with_config(url, config)).await;
    let (browser, mut handler) = match connected {
        Ok(Ok(connected)) => connected,
        Ok(Err(e)) => return Err(failed(format!("{e}; {}", process.last_errors()))),
        Err(_) => return Err(failed(format!("no answer within 20 s; {}", process.last_errors()))),
    };
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    let exited = process.on_exit();
    tokio::spawn(async move {
        // Chromium speaks a newer protocol than chromiumoxide knows, so some events fail to
        // parse; those are harmless and stopping here would kill every page.
        let events = async {
            while let Some(item) = handler.next().await {
                if let Err(e) = item {
                    tracing::debug!(error = %e, "chromium event loop");
                }
            }
        };
        // The loop does not end when Chromium does; its process exiting ends it, and dropping
        // the handler fails every command still waiting for an answer at once.
        tokio::select! {
            _ = events => {}
            _ = exited => {}
        }
        flag.store(false, Ordering::SeqCst);
        // Expected at shutdown; after a crash, the next page to open relaunches it (and says so).
        tracing::info!("chromium exited");
    });
    // The first answer proves Chromium runs (a sandbox it cannot set up ends it at once).
    let targets = tokio::time::timeout(Duration::from_secs(10), browser.execute(GetTargetsParams::default())).await;
    let targets = match targets {
        Ok(Ok(targets)) => targets,
        _ => {
            process.kill();
            let _ = process.wait(Duration::from_secs(2)).await;
            return Err(failed(format!("it exited at once: {}", process.last_errors())));
        }
    };
    // Headless Chromium opens a default tab that costs memory and nothing else.
    for t in targets.result.target_infos.iter().filter(|t| t.r#type == "page") {
        let _ = browser.execute(CloseTargetParams::new(t.target_id.clone())).await;
    }
    Ok(Launched { browser, process, alive, begin_frames: false })
}

type Running = Launched;

/// The shared Chromium. Opening a page locks it briefly; pages then work on their own.
pub struct ReplicaBrowser {
    /// The frame budget every page of this browser shares.
    pub pacer: Arc<super::pacer::FramePacer>,
    /// Device pixels per CSS pixel at most in frames (see [`super::emulation::Geometry`]).
    pub frame_ratio: f64,
    /// Bytes of heap one replica page may hold (see [`super::memory`]).
    pub memory_budget: u64,
    /// The headless shell to run instead of `chromium`, where it is installed.
    shell: Option<PathBuf>,
    /// Whether the node keeps its sessions within the latency budget (see [`super::admission`]).
    pub admission: std::sync::Mutex<super::admission::Admission>,
    chromium: PathBuf,
    profile_dir: PathBuf,
    running: Mutex<Option<Running>>,
}

static NEXT_BROWSER: AtomicU64 = AtomicU64::new(0);

/// A change's time in the node, at its 95th percentile, above which new sessions are refused:
/// the glass-to-glass budget of 250 ms less the customer's send and the agent's drawing.
pub const DEFAULT_LATENCY_BUDGET: Duration = Duration::from_millis(200);

impl ReplicaBrowser {
    /// A browser that launches on first use (or now, with [`ReplicaBrowser::start`]).
    pub fn new(chromium: PathBuf) -> ReplicaBrowser {
        let n = NEXT_BROWSER.fetch_add(1, Ordering::SeqCst);
        let profile_dir = super::leftovers::profile_dir(n);
        let pacer = Arc::new(super::pacer::FramePacer::for_this_machine());
        let frame_ratio = super::emulation::MAX_ZOOM;
        let memory_budget = super::memory::DEFAULT_BUDGET;
        let admission = std::sync::Mutex::new(super::admission::Admission::new(DEFAULT_LATENCY_BUDGET));
        ReplicaBrowser {
            pacer,
            frame_ratio,
            memory_budget,
            admission,
            shell: None,
            chromium,
            profile_dir,
            running: Mutex::new(None),
        }
    }

    /// Runs the headless shell at `shell` instead, when it is installed there (see
    /// [`HEADLESS_SHELL`]): each page then draws a frame only when its session has changed it,
    /// and only the damaged part is captured (`super::page::capture`).
    pub fn with_headless_shell(self, shell: Option<PathBuf>) -> ReplicaBrowser {
        ReplicaBrowser { shell, ..self }
    }

    /// Refuses new sessions while the node's changes take longer than `budget` at their 95th
    /// percentile (see [`super::admission`]).
    pub fn with_latency_budget(self, budget: Duration) -> ReplicaBrowser {
        ReplicaBrowser { admission: std::sync::Mutex::new(super::admission::Admission::new(budget)), ..self }
    }

    /// Whether the node takes another session now.
    pub fn admits(&self) -> bool {
        self.admission.lock().unwrap_or_else(|p| p.into_inner()).admits(std::time::Instant::now())
    }

    /// A change took `took` from reaching its replica to its frame arriving from Chromium.
    pub fn change_took(&self, took: Duration) {
        self.admission.lock().unwrap_or_else(|p| p.into_inner()).observe(std::time::Instant::now(), took);
    }

    /// Lets one replica page hold `megabytes` of heap at most (see [`super::memory`]).
    pub fn with_memory_budget(self, megabytes: u64) -> ReplicaBrowser {
        ReplicaBrowser { memory_budget: megabytes.saturating_mul(1 << 20), ..self }
    }

    /// Frames at most `ratio` device pixels per CSS pixel (clamped to 1 to [`super::emulation::MAX_ZOOM`]).
    pub fn with_frame_ratio(self, ratio: f64) -> ReplicaBrowser {
        ReplicaBrowser { frame_ratio: ratio.clamp(1.0, super::emulation::MAX_ZOOM), ..self }
    }

    /// Launches Chromium now, so the first session does not wait for it.
    pub async fn start(&self) -> Result<(), ReplicaError> {
        let mut running = self.running.lock().await;
        self.ensure(&mut running).await.map(|_| ())
    }

    async fn ensure<'a>(&self, running: &'a mut Option<Running>) -> Result<&'a Running, ReplicaError> {
        if running.as_ref().is_some_and(|r| !r.alive.load(Ordering::SeqCst)) {
            tracing::warn!("chromium died; relaunching");
            if let Some(old) = running.take() {
                old.process.kill();
            }
        }
        if running.is_none() {
            let started = std::time::Instant::now();
            let launched = match self.shell.as_deref().filter(|shell| shell.is_file()) {
                Some(shell) => launch_headless_shell(shell, &self.profile_dir).await?,
                None => launch_chromium(&self.chromium, &self.profile_dir).await?,
            };
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                begin_frames = launched.begin_frames,
                "chromium launched"
            );
            *running = Some(launched);
        }
        Ok(running.as_ref().expect("set above"))
    }

    /// Opens a blank page in a new incognito context (drawn on demand, in the headless shell).
    pub async fn open_page(&self) -> Result<ContextPage, ReplicaError> {
        let mut running = self.running.lock().await;
        let Running { browser, begin_frames, .. } = self.ensure(&mut running).await?;
        let cdp = |what| move |e: chromiumoxide::error::CdpError| ReplicaError::Cdp { what, cause: e.to_string() };
        let context = browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(cdp("Target.createBrowserContext"))?;
        let mut params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| ReplicaError::Cdp { what: "Target.createTarget", cause: e })?;
        params.enable_begin_frame_control = begin_frames.then_some(true);
        match browser.new_page(params).await {
            Ok(page) => Ok(ContextPage { page, context, begin_frames: *begin_frames }),
            Err(e) => {
                let _ = browser.execute(DisposeBrowserContextParams::new(context)).await;
                Err(cdp("Target.createTarget")(e))
            }
        }
    }

    /// Closes a page and frees its context (and with it the renderer process).
    pub async fn close_page(&self, page: ContextPage) {
        let target = page.page.target_id().clone();
        let running = self.running.lock().await;
        if let Some(r) = running.as_ref().filter(|r| r.alive.load(Ordering::SeqCst)) {
            let close = async {
                let _ = r.browser.execute(CloseTargetParams::new(target)).await;
                let _ = r.browser.execute(DisposeBrowserContextParams::new(page.context)).await;
            };
            if tokio::time::timeout(Duration::from_secs(5), close).await.is_err() {
                tracing::warn!("closing a replica page timed out");
            }
        }
    }

    /// Closes Chromium and waits for it to exit; its profile folder is removed.
    pub async fn shutdown(&self) {
        if let Some(mut r) = self.running.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.close()).await;
            let _ = r.process.wait(Duration::from_secs(5)).await;
            // Whatever of its group is still there (a hung renderer) goes too.
            r.process.kill();
        }
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }

    /// The Chromium process id, for memory figures and fault tests.
    pub async fn pid(&self) -> Option<u32> {
        self.running.lock().await.as_ref().map(|r| r.process.id())
    }
}
