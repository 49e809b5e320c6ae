//! A simulated agent for the benchmark: joins over `/ws/agent` like the agent view, rebuilds
//! every frame from the tile deltas exactly as the view draws them (with the stream's own
//! [`TileDecoder`]), and reads the probe's sequence number out of the pixels.

use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use image::{Rgba, RgbaImage};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::wall_ms;
use crate::stream::tiles::TileDecoder;

/// Sequence-number bits in the probe strip (see `probe.js`).
const PROBE_BITS: u32 = 20;
/// Edge of one probe cell in pixels.
const PROBE_CELL: u32 = 6;

/// One frame the agent received.
#[derive(Debug, Clone)]
pub struct FrameSeen {
    /// Wall-clock milliseconds when the frame was drawn into the agent's picture.
    pub at: f64,
    /// The probe's number in that picture, if the probe was visible.
    pub seq: Option<u32>,
}

/// Everything one simulated agent saw.
#[derive(Debug, Default)]
pub struct AgentLog {
    /// Milliseconds from sending `join` to drawing the first frame.
    pub join_to_first_frame: Option<f64>,
    /// Every frame, in order.
    pub frames: Vec<FrameSeen>,
    /// Every message's arrival (wall-clock ms) and size, frames and text alike.
    pub messages: Vec<(f64, usize)>,
    /// Why the connection ended early, if it did.
    pub failure: Option<String>,
    /// The agent's mode as the server last said (`pointer` or `write`).
    pub mode: String,
}

/// A running simulated agent.
pub struct AgentClient {
    stop: watch::Sender<bool>,
    outgoing: tokio::sync::mpsc::Sender<String>,
    log: Arc<Mutex<AgentLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl AgentClient {
    /// Connects to `server` (`http://host:port`) signed in with `token` and joins `session`.
    pub async fn join(server: &str, token: &str, session: &str) -> Result<AgentClient, String> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/ws/agent", server.replacen("http", "ws", 1));
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        let bearer = format!("Bearer {token}").parse().map_err(|_| "the token is not a header value".to_string())?;
        request.headers_mut().insert("authorization", bearer);
        let (socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
        let (stop, stopped) = watch::channel(false);
        let log = Arc::new(Mutex::new(AgentLog::default()));
        let (outgoing, queued) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(receive(socket, session.to_string(), stopped, queued, log.clone()));
        Ok(AgentClient { stop, outgoing, log, task })
    }

    /// Sends a message as the agent view would (such as an action in write mode).
    pub async fn send(&self, message: serde_json::Value) -> Result<(), String> {
        self.outgoing.send(message.to_string()).await.map_err(|_| "the agent's connection is closed".to_string())
    }

    /// What this agent saw so far.
    pub fn log(&self) -> std::sync::MutexGuard<'_, AgentLog> {
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits up to `limit` for the first frame.
    pub async fn first_frame(&self, limit: std::time::Duration) -> Result<f64, String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            {
                let log = self.log();
                if let Some(ms) = log.join_to_first_frame {
                    return Ok(ms);
                }
                if let Some(failure) = &log.failure {
                    return Err(failure.clone());
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err("no frame arrived".into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Leaves and returns what this agent saw.
    pub async fn finish(self) -> AgentLog {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let mut log = self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut *log)
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn receive(
    mut socket: Socket,
    session: String,
    mut stop: watch::Receiver<bool>,
    mut queued: tokio::sync::mpsc::Receiver<String>,
    shared: Arc<Mutex<AgentLog>>,
) {
    let log = |f: &mut dyn FnMut(&mut AgentLog)| f(&mut shared.lock().unwrap_or_else(|p| p.into_inner()));
    let join = serde_json::json!({ "type": "join", "session": session }).to_string();
    let joined_at = wall_ms();
    if let Err(e) = socket.send(Message::Text(join.into())).await {
        log(&mut |l| l.failure = Some(e.to_string()));
        return;
    }
    let mut screen = TileDecoder::default();
    loop {
        let event = tokio::select! {
            m = socket.next() => Ok(m),
            Some(out) = queued.recv() => Err(Some(out)),
            _ = stop.wait_for(|s| *s) => Err(None),
        };
        let message = match event {
            Ok(m) => m,
            Err(Some(out)) => {
                if let Err(e) = socket.send(Message::Text(out.into())).await {
                    log(&mut |l| l.failure = Some(e.to_string()));
                    break;
                }
                continue;
            }
            Err(None) => break,
        };
        let message = match message {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                log(&mut |l| l.failure = Some(e.to_string()));
                break;
            }
            None => {
                log(&mut |l| l.failure = Some("the server closed the connection".into()));
                break;
            }
        };
        let arrived = wall_ms();
        match message {
            Message::Binary(data) => {
                if let Err(e) = screen.apply(&data) {
                    log(&mut |l| l.failure = Some(e.to_string()));
                    break;
                }
                let at = wall_ms();
                let seq = probe_seq(screen.picture());
                log(&mut |l| {
                    l.messages.push((arrived, data.len()));
                    l.join_to_first_frame.get_or_insert(at - joined_at);
                    l.frames.push(FrameSeen { at, seq });
                });
            }
            Message::Text(text) => {
                log(&mut |l| l.messages.push((arrived, text.len())));
                if let Ok(message) = serde_json::from_str::<serde_json::Value>(&text) {
                    if message["type"] == "mode_changed" {
                        let mode = message["mode"].as_str().unwrap_or("pointer").to_string();
                        log(&mut |l| l.mode = mode.clone());
                    }
                }
                if text.contains("\"join_failed\"") || text.contains("\"ended\"") {
                    log(&mut |l| l.failure = Some(text.to_string()));
                    break;
                }
            }
            _ => {}
        }
    }
    let _ = socket.close(None).await;
}

/// The probe's number, if its red and blue end cells are where they belong.
fn probe_seq(picture: &RgbaImage) -> Option<u32> {
    let (width, height) = picture.dimensions();
    let is = |Rgba([r, g, b, _]): Rgba<u8>, want: [bool; 3]| [r > 200, g > 200, b > 200] == want;
    if width < PROBE_CELL * (PROBE_BITS + 2) || height < PROBE_CELL {
        return None;
    }
    // A customer at pixel ratio 2 is seen in device pixels, so the cells are twice as wide:
    // the red start cell's width says how wide each one is.
    let red =
        (0..width.min(PROBE_CELL * 4)).take_while(|&x| is(*picture.get_pixel(x, 1), [true, false, false])).count();
    let size = (red as u32).max(PROBE_CELL);
    if width < size * (PROBE_BITS + 2) || height < size {
        return None;
    }
    let cell = |i: u32| *picture.get_pixel(i * size + size / 2, size / 2);
    if !is(cell(0), [true, false, false]) || !is(cell(PROBE_BITS + 1), [false, false, true]) {
        return None;
    }
    Some((0..PROBE_BITS).filter(|&i| cell(1 + i).0[0] < 128).fold(0, |n, i| n | (1 << i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe strip as a customer's page draws it, `scale` device pixels to a CSS pixel.
    fn strip(seq: u32, scale: u32) -> RgbaImage {
        let size = PROBE_CELL * scale;
        let mut picture = RgbaImage::from_pixel(400, 100, Rgba([250, 250, 250, 255]));
        for i in 0..PROBE_BITS + 2 {
            let colour = match i {
                0 => Rgba([255, 0, 0, 255]),
                i if i == PROBE_BITS + 1 => Rgba([0, 0, 255, 255]),
                i if (seq >> (i - 1)) & 1 == 1 => Rgba([0, 0, 0, 255]),
                _ => Rgba([255, 255, 255, 255]),
            };
            for x in i * size..(i + 1) * size {
                for y in 0..size {
                    picture.put_pixel(x, y, colour);
                }
            }
        }
        picture
    }

    #[test]
    fn the_probe_number_reads_at_either_pixel_ratio() {
        for (seq, scale) in [(0, 1), (1, 1), (0x9_5a5a, 1), (0xf_ffff, 1), (0, 2), (0x9_5a5a, 2), (777, 2)] {
            assert_eq!(probe_seq(&strip(seq, scale)), Some(seq), "{seq:#x} at {scale}x");
        }
    }

    #[test]
    fn a_picture_without_the_probe_reads_as_none() {
        assert_eq!(probe_seq(&RgbaImage::from_pixel(400, 100, Rgba([255, 0, 0, 255]))), None, "all red");
        assert_eq!(probe_seq(&RgbaImage::from_pixel(400, 100, Rgba([255, 255, 255, 255]))), None, "blank");
        assert_eq!(probe_seq(&RgbaImage::new(20, 4)), None, "too small");
    }
}
