//! Chromium's DevTools protocol over a pipe (`--remote-debugging-pipe`, file descriptors 3 and
//! 4), so no port exists that another local process could use to list, read or drive the
//! replicas. chromiumoxide speaks WebSocket, so a bridge serves it exactly one connection, on a
//! path holding a random secret, and stops listening as soon as that connection is made.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// How long chromiumoxide has to take the bridge's one connection.
const CONNECT_WITHIN: Duration = Duration::from_secs(20);
/// Lines of Chromium's own error output kept for a launch failure's message.
const KEPT_LINES: usize = 6;

/// A running Chromium, the leader of its own process group (its renderers, GPU and utility
/// processes are in the group too). It dies with the server: the kernel kills it when the
/// thread that started it ends, and that thread lives until Chromium exits.
pub struct ChromiumProcess {
    pid: i32,
    exited: watch::Receiver<bool>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl ChromiumProcess {
    pub fn id(&self) -> u32 {
        self.pid as u32
    }

    /// Whether the browser process has exited.
    pub fn has_exited(&self) -> bool {
        *self.exited.borrow()
    }

    /// Chromium's last lines of error output (why a launch failed).
    pub fn last_errors(&self) -> String {
        self.errors.lock().map(|lines| lines.join(" | ")).unwrap_or_default()
    }

    /// Kills the browser and every process of its group.
    pub fn kill(&self) {
        // SAFETY: kill(2) with a negative pid signals the process group this launch created;
        // it touches no memory of ours.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
    }

    /// Resolves when the browser process has exited.
    pub fn on_exit(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut exited = self.exited.clone();
        async move {
            let _ = exited.wait_for(|gone| *gone).await;
        }
    }

    /// Waits at most `limit` for the browser process to exit; whether it did.
    pub async fn wait(&self, limit: Duration) -> bool {
        let mut exited = self.exited.clone();
        tokio::time::timeout(limit, exited.wait_for(|gone| *gone)).await.is_ok_and(|r| r.is_ok())
    }
}

impl Drop for ChromiumProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `chromium` with `args` (and `--remote-debugging-pipe`); returns the process and the
/// one-time WebSocket address chromiumoxide connects to.
pub async fn launch(chromium: &Path, args: &[String]) -> io::Result<(ChromiumProcess, String)> {
    // Ours: commands to Chromium and its answers. Chromium's ends are dup'ed to 3 and 4.
    let (command_reader, command_writer) = io::pipe()?;
    let (answer_reader, answer_writer) = io::pipe()?;
    let (theirs_in, theirs_out): (OwnedFd, OwnedFd) = (command_reader.into(), answer_writer.into());
    let (fd_in, fd_out) = (theirs_in.as_raw_fd(), theirs_out.as_raw_fd());
    let mut command = Command::new(chromium);
    command.args(args).arg("--remote-debugging-pipe").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (fcntl, dup2, prctl, setpgid) on plain integers.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(move || {
            // Out of the way of 3 and 4 first, so neither dup2 closes the other end.
            let high_in = libc::fcntl(fd_in, libc::F_DUPFD, 10);
            let high_out = libc::fcntl(fd_out, libc::F_DUPFD, 10);
            if high_in < 0 || high_out < 0 || libc::dup2(high_in, 3) < 0 || libc::dup2(high_out, 4) < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 || libc::setpgid(0, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (started_tx, started_rx) = oneshot::channel();
    let (exited_tx, exited_rx) = watch::channel(false);
    let errors = Arc::new(Mutex::new(Vec::new()));
    let kept = errors.clone();
    // The thread that forks is the "parent" the death signal watches, so it must outlive
    // Chromium: it waits for it (and so also reaps it).
    std::thread::Builder::new().name("chromium".into()).spawn(move || {
        let spawned = command.spawn();
        drop((theirs_in, theirs_out));
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = started_tx.send(Err(e));
                return;
            }
        };
        let _ = started_tx.send(Ok(child.id() as i32));
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || keep_errors(stderr, &kept));
        }
        let _ = child.wait();
        let _ = exited_tx.send(true);
    })?;
    let pid = started_rx.await.map_err(|_| io::Error::other("the launcher thread ended"))??;
    let process = ChromiumProcess { pid, exited: exited_rx, errors };
    let to_chromium = pipe::Sender::from_owned_fd(OwnedFd::from(command_writer))?;
    let from_chromium = pipe::Receiver::from_owned_fd(OwnedFd::from(answer_reader))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| io::Error::other(e.to_string()))?;
    let path = format!("/devtools/browser/{}", secret.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let url = format!("ws://{}{path}", listener.local_addr()?);
    tokio::spawn(bridge(listener, path, to_chromium, from_chromium));
    Ok((process, url))
}

/// Logs Chromium's error output and keeps its last lines.
fn keep_errors(stderr: std::process::ChildStderr, kept: &Mutex<Vec<String>>) {
    use std::io::BufRead;
    for line in io::BufReader::new(stderr).lines().map_while(Result::ok) {
        tracing::debug!(target: "cobrowse::chromium", "{line}");
        if let Ok(mut lines) = kept.lock() {
            if lines.len() == KEPT_LINES {
                lines.remove(0);
            }
            lines.push(line);
        }
    }
}

/// Serves one WebSocket connection on `path`, then carries its messages to Chromium's pipe and
/// Chromium's (NUL-terminated) messages back, until either side ends.
async fn bridge(
    listener: tokio::net::TcpListener,
    path: String,
    to_chromium: pipe::Sender,
    from_chromium: pipe::Receiver,
) {
    let config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
    let accepted = tokio::time::timeout(CONNECT_WITHIN, async {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            // Answers go out as soon as they are written, not held for an acknowledgement.
            let _ = stream.set_nodelay(true);
            let fd = stream.as_raw_fd();
            // The shape tungstenite's handshake callback must have.
            #[allow(clippy::result_large_err)]
            let only_ours = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
                if request.uri().path() == path {
                    return Ok(response);
                }
                let mut refusal = ErrorResponse::new(None);
                *refusal.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::NOT_FOUND;
                Err(refusal)
            };
            match tokio_tungstenite::accept_hdr_async_with_config(stream, only_ours, Some(config)).await {
                Ok(socket) => return (socket, fd),
                Err(e) => tracing::warn!(error = %e, "refused a connection to the replicas' DevTools bridge"),
            }
        }
    })
    .await;
    drop(listener);
    let Ok((socket, fd)) = accepted else {
        tracing::warn!("chromiumoxide never connected to the DevTools bridge");
        return;
    };
    let (mut to_server, mut from_server) = socket.split();
    let mut to_chromium = to_chromium;
    let commands = async {
        while let Some(Ok(message)) = from_server.next().await {
            quick_ack(fd);
            let bytes = match message {
                Message::Text(text) => text.as_bytes().to_vec(),
                Message::Binary(bytes) => bytes.to_vec(),
                Message::Close(_) => break,
                _ => continue,
            };
            if to_chromium.write_all(&bytes).await.is_err() || to_chromium.write_all(&[0]).await.is_err() {
                break;
            }
        }
    };
    let answers = async {
        let mut reader = BufReader::with_capacity(1 << 16, from_chromium);
        let mut message = Vec::new();
        loop {
            message.clear();
            match reader.read_until(0, &mut message).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if message.last() == Some(&0) {
                message.pop();
            }
            let Ok(text) = String::from_utf8(std::mem::take(&mut message)) else { continue };
            if to_server.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
        // Chromium is gone: say so, as its own endpoint would.
        let _ = to_server.send(Message::Close(None)).await;
    };
    tokio::select! {
        _ = commands => {}
        _ = answers => {}
    }
}

/// Acknowledges what the socket `fd` receives at once (Linux clears this after each read, so it
/// is set again after every message). chromiumoxide's client writes small commands back to
/// back (a capture, then the frame that draws it) and holds each behind the acknowledgement of
/// the one before (Nagle's algorithm), which a receiver delays by up to 40 ms: each frame
/// drawn for a capture took 40 ms instead of 1.
fn quick_ack(fd: std::os::fd::RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt(2) on the bridge's own connected socket, which lives as long as the
    // connection this is called for; the option value is a c_int on the stack.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
