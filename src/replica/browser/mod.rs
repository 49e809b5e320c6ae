//! The Chromium that hosts every replica: one process, or with the headless shell one per core
//! (a shell draws one frame at a time for all its pages), each relaunched when it dies.

mod launch;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::target::{
    CloseTargetParams, CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams,
};
use tokio::sync::Mutex;

pub use super::context::{emulate_phone, ContextPage};
pub use super::devtools::ChromiumProcess;
use super::ReplicaError;
pub use launch::{
    chromium_flags, launch_chromium, launch_chromium_with, launch_headless_shell, Launched, HEADLESS_SHELL,
};

/// One Chromium process of the browser and the pages it hosts.
struct Process {
    running: Mutex<Option<Launched>>,
    /// Held while one of its pages draws a frame: the headless shell's GPU process takes one
    /// frame at a time from all its pages, and two at once crash it ("overlapping
    /// IssueExternalBeginFrame", seen with ten sessions).
    drawing: Arc<Mutex<()>>,
    /// Pages open in it, so that a new page goes to the least busy process.
    pages: AtomicUsize,
    profile_dir: PathBuf,
}

static NEXT_PROCESS: AtomicU64 = AtomicU64::new(0);

impl Process {
    fn new() -> Process {
        let n = NEXT_PROCESS.fetch_add(1, Ordering::SeqCst);
        Process {
            running: Mutex::new(None),
            drawing: Arc::new(Mutex::new(())),
            pages: AtomicUsize::new(0),
            profile_dir: super::leftovers::profile_dir(n),
        }
    }
}

/// Headless shells run side by side at most: each draws its pages' frames one at a time, so
/// one per core lets every core draw.
const MAX_SHELLS: usize = 8;

/// The shared Chromium. Opening a page locks one process briefly; pages then work on their own.
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
    processes: Vec<Process>,
}

/// Whether `program` names a file that exists: a path as it is, a bare name on `PATH`.
fn runnable(program: &std::path::Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A change's time in the node, at its 95th percentile, above which new sessions are refused:
/// the glass-to-glass budget of 250 ms less the customer's send and the agent's drawing.
pub const DEFAULT_LATENCY_BUDGET: Duration = Duration::from_millis(200);

impl ReplicaBrowser {
    /// A browser that launches on first use (or now, with [`ReplicaBrowser::start`]).
    pub fn new(chromium: PathBuf) -> ReplicaBrowser {
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
            processes: vec![Process::new()],
        }
    }

    /// Runs the headless shell at `shell` instead, when it is installed there (see
    /// [`HEADLESS_SHELL`]): each page then draws a frame only when its session has changed it,
    /// and only the damaged part is captured (`super::page::capture`). One shell runs per core.
    pub fn with_headless_shell(self, shell: Option<PathBuf>) -> ReplicaBrowser {
        let shell = shell.filter(|shell| shell.is_file());
        let count = match shell {
            // A shell draws one frame at a time; more shells than cores only add memory.
            Some(_) => std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_SHELLS),
            None => 1,
        };
        ReplicaBrowser { shell, processes: (0..count).map(|_| Process::new()).collect(), ..self }
    }

    /// Refuses new sessions while the node's changes take longer than `budget` at their 95th
    /// percentile (see [`super::admission`]).
    pub fn with_latency_budget(self, budget: Duration) -> ReplicaBrowser {
        ReplicaBrowser { admission: std::sync::Mutex::new(super::admission::Admission::new(budget)), ..self }
    }

    /// Whether a replica can run here at all: the headless shell or Chromium is installed. Asked
    /// at each new session, so installing Chromium needs no restart.
    pub fn installed(&self) -> bool {
        self.shell.is_some() || runnable(&self.chromium)
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
        let launches = self.processes.iter().map(|process| async move {
            let mut running = process.running.lock().await;
            self.ensure(process, &mut running).await.map(|_| ())
        });
        futures::future::join_all(launches).await.into_iter().collect()
    }

    async fn ensure<'a>(
        &self,
        process: &Process,
        running: &'a mut Option<Launched>,
    ) -> Result<&'a Launched, ReplicaError> {
        if running.as_ref().is_some_and(|r| !r.alive.load(Ordering::SeqCst)) {
            tracing::warn!("chromium died; relaunching");
            if let Some(old) = running.take() {
                old.process.kill();
            }
        }
        if running.is_none() {
            let started = std::time::Instant::now();
            let launched = match self.shell.as_deref() {
                Some(shell) => launch_headless_shell(shell, &process.profile_dir).await?,
                None => launch_chromium(&self.chromium, &process.profile_dir).await?,
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

    /// Opens a blank page in a new incognito context, in the process with the fewest pages
    /// (drawn on demand, in the headless shell).
    pub async fn open_page(&self) -> Result<ContextPage, ReplicaError> {
        let (slot, process) = self
            .processes
            .iter()
            .enumerate()
            .min_by_key(|(_, process)| process.pages.load(Ordering::SeqCst))
            .expect("a browser has one process at least");
        let mut running = process.running.lock().await;
        let Launched { browser, begin_frames, .. } = self.ensure(process, &mut running).await?;
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
            Ok(page) => {
                process.pages.fetch_add(1, Ordering::SeqCst);
                let drawing = process.drawing.clone();
                Ok(ContextPage { page, context, begin_frames: *begin_frames, drawing, process: slot })
            }
            Err(e) => {
                let _ = browser.execute(DisposeBrowserContextParams::new(context)).await;
                Err(cdp("Target.createTarget")(e))
            }
        }
    }

    /// Closes a page and frees its context (and with it the renderer process).
    pub async fn close_page(&self, page: ContextPage) {
        let Some(process) = self.processes.get(page.process) else { return };
        process.pages.fetch_sub(1, Ordering::SeqCst);
        let target = page.page.target_id().clone();
        let running = process.running.lock().await;
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

    /// Closes every Chromium process and waits for it to exit; their profile folders are removed.
    pub async fn shutdown(&self) {
        for process in &self.processes {
            if let Some(mut r) = process.running.lock().await.take() {
                let _ = tokio::time::timeout(Duration::from_secs(5), r.browser.close()).await;
                let _ = r.process.wait(Duration::from_secs(5)).await;
                // Whatever of its group is still there (a hung renderer) goes too.
                r.process.kill();
            }
            let _ = std::fs::remove_dir_all(&process.profile_dir);
        }
    }

    /// The first running Chromium process's id, for memory figures and fault tests.
    pub async fn pid(&self) -> Option<u32> {
        self.pids().await.into_iter().next()
    }

    /// The ids of every running Chromium process. One that died is left out: it is relaunched
    /// only when a page next opens in it, which may be never if its pages all moved elsewhere.
    pub async fn pids(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        for process in &self.processes {
            if let Some(r) = process.running.lock().await.as_ref().filter(|r| r.alive.load(Ordering::SeqCst)) {
                pids.push(r.process.id());
            }
        }
        pids
    }
}
