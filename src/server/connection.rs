//! What every client connection shares: the writer task (messages, the other side's pointer,
//! the customer's screen as bytes it is handed, keep-alive pings) and a reader that gives up
//! on a silent peer.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::session::ClientLink;
use crate::stream::screen::AgentScreen;
use crate::wire::{self, Outgoing, Point};

/// The writer pings this often, so a live peer always has something to answer.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A peer silent this long (not even a pong) is gone: a half-open connection.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// One client's connection, with its writer task running.
pub struct Connection<T> {
    /// What the client sends.
    pub stream: SplitStream<WebSocket>,
    /// The way to the writer, for the session and for the reader's own answers.
    pub link: ClientLink<T>,
    /// The customer's screen for a joined agent (a new one replaces the old).
    pub screen: mpsc::Sender<AgentScreen>,
    /// Messages passed on as they came (from the node that runs the session, over a relay).
    pub relayed: mpsc::Sender<Message>,
    /// Turns true when the writer has stopped.
    pub writer_done: watch::Receiver<bool>,
    /// The writer task.
    pub writer: tokio::task::JoinHandle<()>,
}

impl<T: Outgoing + Send + 'static> Connection<T> {
    /// Splits the socket and starts its writer.
    pub fn start(socket: WebSocket) -> Connection<T> {
        let (sink, stream) = socket.split();
        let (link, rx, pointer) = ClientLink::<T>::new();
        let (done_tx, writer_done) = watch::channel(false);
        let (screen, screens) = mpsc::channel(1);
        // A few messages in flight: a slow client backs the relay up to the owner, whose
        // writer keeps only the newest frame.
        let (relayed, relays) = mpsc::channel(4);
        let channels = Channels { messages: rx, pointer, screens, relays };
        let writer = tokio::spawn(write(sink, channels, link.hang_up.clone(), done_tx));
        Connection { stream, link, screen, relayed, writer_done, writer }
    }

    /// The next message from the peer, or `None` when it closed, went silent, or the writer
    /// finished (the session ended).
    pub async fn next(&mut self) -> Option<Message> {
        receive(&mut self.stream, &mut self.writer_done).await
    }

    /// Lets the writer send what is queued and close the socket.
    pub async fn finish(self) {
        drop(self.link);
        drop(self.relayed);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.writer).await;
    }
}

/// What a writer sends from.
struct Channels<T> {
    messages: mpsc::Receiver<T>,
    pointer: watch::Receiver<Option<Point>>,
    screens: mpsc::Receiver<AgentScreen>,
    relays: mpsc::Receiver<Message>,
}

/// Writes to one client until its queue closes or a final message (such as `ended`) went out,
/// then closes the socket. Sends `done` when it stops, so the reader stops too.
async fn write<T: Outgoing>(
    mut sink: SplitSink<WebSocket, Message>,
    channels: Channels<T>,
    hang_up: std::sync::Arc<tokio::sync::Notify>,
    done: watch::Sender<bool>,
) {
    let Channels { mut messages, mut pointer, mut screens, mut relays } = channels;
    let mut screen: Option<AgentScreen> = None;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let next_frame = async {
            match screen.as_mut() {
                Some(s) => s.changed().await,
                None => std::future::pending().await,
            }
        };
        let sent = tokio::select! {
            biased;
            () = hang_up.notified() => break,
            message = messages.recv() => match message {
                Some(message) => {
                    let last = message.is_final();
                    let sent = sink.send(Message::Text(wire::to_text(&message).into())).await;
                    if last {
                        break;
                    }
                    sent
                }
                None => {
                    // A relay's last messages (the session's end) go out before the socket closes.
                    while let Ok(message) = relays.try_recv() {
                        if sink.send(message).await.is_err() {
                            break;
                        }
                    }
                    break;
                }
            },
            Ok(()) = pointer.changed() => {
                let at = *pointer.borrow_and_update();
                match at {
                    Some(at) => sink.send(Message::Text(wire::to_text(&T::pointer(at)).into())).await,
                    None => Ok(()),
                }
            }
            Some(message) = relays.recv() => sink.send(message).await,
            Some(joined) = screens.recv() => {
                screen = Some(joined);
                Ok(())
            }
            alive = next_frame => {
                // Encoded here rather than in the branch above, so a message that comes first
                // never cancels an encoding half done.
                let bytes = match screen.as_mut() {
                    Some(s) if alive => s.next_bytes().await,
                    _ => {
                        screen = None;
                        None
                    }
                };
                match bytes {
                    Some(bytes) => sink.send(Message::Binary(bytes.into())).await,
                    None => Ok(()),
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
