//! Launching one Chromium (or headless shell) with DevTools over a pipe (see
//! [`super::super::devtools`]) and polling its event loop until it exits.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::target::{CloseTargetParams, GetTargetsParams};
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Browser;
use futures::StreamExt;

use super::super::devtools::{self, ChromiumProcess};
use super::super::ReplicaError;

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
