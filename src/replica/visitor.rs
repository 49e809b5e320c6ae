//! A page driven as a person at it would be, for the benchmark's customers and agents: keys
//! typed and a wheel turned through Chromium's input (trusted events, as from a keyboard and a
//! mouse), a script added to every document before its own, and the screen captured the way
//! a screen-sharing tool would (a JPEG screencast: the benchmark's naive anchor).

use std::time::Duration;

use base64::Engine;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, EventScreencastFrame, ScreencastFrameAckParams, StartScreencastFormat,
    StartScreencastParams, StopScreencastParams,
};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::browser::ContextPage;
use super::ReplicaError;

/// One picture of a screencast: its bytes as Chromium encoded them, and when it was drawn
/// (wall-clock milliseconds since the Unix epoch).
#[derive(Debug, Clone)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub drawn_ms: f64,
}

/// A running screencast; dropping it (or [`Screencast::stop`]) ends it.
pub struct Screencast {
    pub pictures: mpsc::Receiver<Picture>,
    task: tokio::task::JoinHandle<()>,
    page: chromiumoxide::Page,
}

impl Screencast {
    /// Stops the screencast.
    pub async fn stop(self) {
        self.task.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.page.execute(StopScreencastParams::default())).await;
    }
}

fn cdp(what: &'static str) -> impl Fn(chromiumoxide::error::CdpError) -> ReplicaError {
    move |e| ReplicaError::Cdp { what, cause: e.to_string() }
}

/// A key as Chromium's input takes it: what it types, its key and code names, and its legacy
/// key code (what apps that read `keyCode` see).
fn key_params(kind: DispatchKeyEventType, key: char) -> DispatchKeyEventParams {
    let (name, code, key_code, text) = match key {
        '\n' => ("Enter".to_string(), "Enter".to_string(), 13, Some("\r".to_string())),
        '\u{8}' => ("Backspace".to_string(), "Backspace".to_string(), 8, None),
        c => {
            let upper = c.to_ascii_uppercase();
            let code = match c {
                'a'..='z' | 'A'..='Z' => format!("Key{upper}"),
                '0'..='9' => format!("Digit{c}"),
                ' ' => "Space".to_string(),
                _ => String::new(),
            };
            let key_code = if c.is_ascii_alphanumeric() || c == ' ' { upper as i64 } else { 0 };
            (c.to_string(), code, key_code, Some(c.to_string()))
        }
    };
    let down = kind == DispatchKeyEventType::KeyDown;
    let mut params = DispatchKeyEventParams::new(kind);
    params.key = Some(name);
    params.code = Some(code);
    params.windows_virtual_key_code = Some(key_code);
    params.native_virtual_key_code = Some(key_code);
    if down {
        params.text = text.clone();
        params.unmodified_text = text;
    }
    params
}

impl ContextPage {
    /// Runs `script` in every document this page loads from now on, before the page's own.
    pub async fn add_script_on_load(&self, script: &str) -> Result<(), ReplicaError> {
        let params = AddScriptToEvaluateOnNewDocumentParams::new(script);
        self.page.execute(params).await.map(|_| ()).map_err(cdp("Page.addScriptToEvaluateOnNewDocument"))
    }

    /// Types one key as a keyboard would (`'\n'` is Enter, `'\u{8}'` Backspace): keydown with
    /// its text (so keypress, beforeinput and input follow), then keyup.
    pub async fn press(&self, key: char) -> Result<(), ReplicaError> {
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            self.page.execute(key_params(kind, key)).await.map_err(cdp("Input.dispatchKeyEvent"))?;
        }
        Ok(())
    }

    /// Turns the mouse wheel by `dy` CSS pixels with the pointer at (`x`, `y`).
    pub async fn wheel(&self, x: f64, y: f64, dy: f64) -> Result<(), ReplicaError> {
        let mut params = DispatchMouseEventParams::new(DispatchMouseEventType::MouseWheel, x, y);
        params.delta_x = Some(0.0);
        params.delta_y = Some(dy);
        self.page.execute(params).await.map(|_| ()).map_err(cdp("Input.dispatchMouseEvent"))
    }

    /// Starts a JPEG screencast of every frame the page draws, each acknowledged at once, as a
    /// screen-sharing stream would send them. Pictures that the reader does not take in time
    /// are dropped, never queued without bound.
    pub async fn screencast_jpeg(&self, quality: u8) -> Result<Screencast, ReplicaError> {
        let mut frames =
            self.page.event_listener::<EventScreencastFrame>().await.map_err(cdp("Page.screencastFrame"))?;
        let params = StartScreencastParams::builder()
            .format(StartScreencastFormat::Jpeg)
            .quality(quality as i64)
            .every_nth_frame(1)
            .build();
        self.page.execute(params).await.map_err(cdp("Page.startScreencast"))?;
        let (tx, pictures) = mpsc::channel(8);
        let page = self.page.clone();
        let task = tokio::spawn(async move {
            while let Some(frame) = frames.next().await {
                let _ = page.execute(ScreencastFrameAckParams::new(frame.session_id)).await;
                let drawn_ms = frame
                    .metadata
                    .timestamp
                    .as_ref()
                    .map_or_else(crate::reporting::stages::now_ms, |t| *t.inner() * 1000.0);
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(AsRef::<str>::as_ref(&frame.data))
                else {
                    continue;
                };
                let _ = tx.try_send(Picture { bytes, drawn_ms });
            }
        });
        Ok(Screencast { pictures, task, page: self.page.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_what_apps_read() {
        let enter = key_params(DispatchKeyEventType::KeyDown, '\n');
        assert_eq!(
            (enter.key.as_deref(), enter.windows_virtual_key_code, enter.text.as_deref()),
            (Some("Enter"), Some(13), Some("\r"))
        );
        let a = key_params(DispatchKeyEventType::KeyDown, 'a');
        assert_eq!(
            (a.code.as_deref(), a.windows_virtual_key_code, a.text.as_deref()),
            (Some("KeyA"), Some(65), Some("a"))
        );
        let up = key_params(DispatchKeyEventType::KeyUp, 'a');
        assert_eq!(up.text, None, "a keyup types nothing");
        let comma = key_params(DispatchKeyEventType::KeyDown, ',');
        assert_eq!((comma.windows_virtual_key_code, comma.text.as_deref()), (Some(0), Some(",")));
    }
}
