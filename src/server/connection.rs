//! What every client connection shares: the writer task (messages, the other side's pointer,
//! frames, keep-alive pings) and a reader that gives up on a silent peer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::metrics::Metrics;
use crate::replica::Frame;
use crate::session::ClientLink;
use crate::stream::tiles::TileEncoder;
use crate::wire::{self, Outgoing, Point};

/// The writer pings this often, so a live peer always has something to answer.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A peer silent this long (not even a pong) is gone: a half-open connection.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// Where a joined agent's frames come from (none for customers, none before joining).
pub type FrameSource = watch::Receiver<Option<watch::Receiver<Option<Frame>>>>;

/// One client's connection, with its writer task running.
pub struct Connection<T> {
    /// What the client sends.
    pub stream: SplitStream<WebSocket>,
    /// The way to the writer, for the session and for the reader's own answers.
    pub link: ClientLink<T>,
    /// Where frames come from, once there are any.
    pub frames: watch::Sender<Option<watch::Receiver<Option<Frame>>>>,
    /// Turns true when the writer has stopped.
    pub writer_done: watch::Receiver<bool>,
    /// The writer task.
    pub writer: tokio::task::JoinHandle<()>,
}

impl<T: Outgoing + Send + 'static> Connection<T> {
    /// Splits the socket and starts its writer.
    pub fn start(socket: WebSocket) -> Connection<T> {
        Connection::spawn(socket, None)
    }

    /// The same, counting the frames sent in `metrics`.
    pub fn start_metered(socket: WebSocket, metrics: Arc<Metrics>) -> Connection<T> {
        Connection::spawn(socket, Some(metrics))
    }

    fn spawn(socket: WebSocket, metrics: Option<Arc<Metrics>>) -> Connection<T> {
        let (sink, stream) = socket.split();
        let (link, rx, pointer) = ClientLink::<T>::new();
        let (done_tx, writer_done) = watch::channel(false);
        let (frames, frame_source) = watch::channel(None);
        let writer = tokio::spawn(write(sink, rx, pointer, frame_source, done_tx, metrics));
        Connection { stream, link, frames, writer_done, writer }
    }

    /// The next message from the peer, or `None` when it closed, went silent, or the writer
    /// finished (the session ended).
    pub async fn next(&mut self) -> Option<Message> {
        receive(&mut self.stream, &mut self.writer_done).await
    }

    /// Lets the writer send what is queued and close the socket.
    pub async fn finish(self) {
        drop(self.link);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.writer).await;
    }
}

/// Writes to one client until its queue closes or a final message (such as `ended`) went out,
/// then closes the socket. Sends `done` when it stops, so the reader stops too.
async fn write<T: Outgoing>(
    mut sink: SplitSink<WebSocket, Message>,
    mut messages: mpsc::Receiver<T>,
    mut pointer: watch::Receiver<Option<Point>>,
    mut frame_source: FrameSource,
    done: watch::Sender<bool>,
    metrics: Option<Arc<Metrics>>,
) {
    let mut frames: Option<watch::Receiver<Option<Frame>>> = None;
    // When frames were first asked for (the join), until the first one goes out.
    let mut joined: Option<Instant> = None;
    // What this client's screen shows, so only what changed since is sent.
    let mut tiles = TileEncoder::default();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let next_frame = async {
            match frames.as_mut() {
                Some(f) => f.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        let sent = tokio::select! {
            biased;
            message = messages.recv() => match message {
                Some(message) => {
                    let last = message.is_final();
                    let sent = sink.send(Message::Text(wire::to_text(&message).into())).await;
                    if last {
                        break;
                    }
                    sent
                }
                None => break,
            },
            Ok(()) = pointer.changed() => {
                let at = *pointer.borrow_and_update();
                match at {
                    Some(at) => sink.send(Message::Text(wire::to_text(&T::pointer(at)).into())).await,
                    None => Ok(()),
                }
            }
            Ok(()) = frame_source.changed() => {
                frames = frame_source.borrow_and_update().clone();
                joined = frames.as_ref().map(|_| Instant::now());
                tiles = TileEncoder::default();
                if let Some(f) = frames.as_mut() {
                    f.mark_changed();
                }
                Ok(())
            }
            alive = next_frame => {
                let frame = if alive { frames.as_mut().and_then(|f| f.borrow_and_update().clone()) } else {
                    frames = None;
                    None
                };
                let delta = match frame {
                    Some(frame) => {
                        let started = std::time::Instant::now();
                        let waited = frame.arrived.elapsed();
                        let (encoder, delta) = std::mem::take(&mut tiles).encode_off_thread(frame.png).await;
                        tracing::trace!(waited = waited.as_micros() as u64, encode = started.elapsed().as_micros() as u64, "frame encoded");
                        if let Some(m) = &metrics {
                            m.frame_encode.observe(started.elapsed());
                        }
                        tiles = encoder;
                        delta
                    }
                    None => Ok(None),
                };
                match delta {
                    Ok(Some(delta)) => {
                        if let Some(m) = &metrics {
                            m.frames_sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            m.bytes_sent.fetch_add(delta.len() as u64, std::sync::atomic::Ordering::Relaxed);
                            if let Some(at) = joined.take() {
                                m.join_to_first_frame.observe(at.elapsed());
                            }
                        }
                        sink.send(Message::Binary(delta.into())).await
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a frame could not be encoded; skipped");
                        Ok(())
                    }
                    Ok(None) => Ok(()),
                }
            }
            _ = ping.tick() => sink.send(Message::Ping(Default::default())).await,
        };
        if sent.is_err() {
            break;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    let _ = done.send(true);
}

/// The next message from the peer, or `None` when it closed, went silent, or the writer
/// finished (the session ended).
async fn receive(stream: &mut SplitStream<WebSocket>, writer_done: &mut watch::Receiver<bool>) -> Option<Message> {
    tokio::select! {
        received = tokio::time::timeout(IDLE_LIMIT, stream.next()) => match received {
            Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => None,
            Ok(Some(Ok(message))) => Some(message),
            Err(_) => {
                tracing::info!("closing a connection silent for {} s", IDLE_LIMIT.as_secs());
                None
            }
        },
        _ = writer_done.wait_for(|done| *done) => None,
    }
}
