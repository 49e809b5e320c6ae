//! What a person does in a tab with mouse, finger and keyboard: real (trusted) input, as
//! DevTools dispatches it, at viewport coordinates or on the element a script names.

use chromiumoxide::cdp::browser_protocol::input::{
    DispatchMouseEventParams, DispatchMouseEventType, InsertTextParams, MouseButton,
};

use super::{bounded, Tab};

/// `Input.dispatchTouchEvent` lifting every finger: chromiumoxide leaves out an empty list of
/// touch points, which Chromium requires (and refuses as invalid parameters without).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TouchEnd {
    r#type: &'static str,
    touch_points: Vec<()>,
}

impl Default for TouchEnd {
    fn default() -> Self {
        TouchEnd { r#type: "touchEnd", touch_points: Vec::new() }
    }
}

impl chromiumoxide::types::Method for TouchEnd {
    fn identifier(&self) -> chromiumoxide::types::MethodId {
        "Input.dispatchTouchEvent".into()
    }
}

impl chromiumoxide::types::Command for TouchEnd {
    type Response = chromiumoxide::cdp::browser_protocol::input::DispatchTouchEventReturns;
}

impl Tab {
    /// A real (trusted) mouse click at viewport coordinates.
    pub async fn click(&self, x: f64, y: f64) {
        for kind in [
            DispatchMouseEventType::MouseMoved,
            DispatchMouseEventType::MousePressed,
            DispatchMouseEventType::MouseReleased,
        ] {
            let mut e = DispatchMouseEventParams::new(kind.clone(), x, y);
            if kind != DispatchMouseEventType::MouseMoved {
                e.button = Some(MouseButton::Left);
                e.click_count = Some(1);
            }
            bounded("mouse", self.page.execute(e)).await.unwrap();
        }
    }

    /// Turns the mouse wheel at a point.
    pub async fn wheel(&self, x: f64, y: f64, delta_y: f64) {
        let mut e = DispatchMouseEventParams::new(DispatchMouseEventType::MouseWheel, x, y);
        e.delta_x = Some(0.0);
        e.delta_y = Some(delta_y);
        bounded("wheel", self.page.execute(e)).await.unwrap();
    }

    /// A finger on a touch screen: down at (x, y), moved by `dy` upwards in steps (the page
    /// scrolls down by about as much), lifted. Points as for [`Tab::click`].
    pub async fn swipe(&self, x: f64, y: f64, dy: f64) {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchTouchEventParams, DispatchTouchEventType, TouchPoint,
        };
        const STEPS: u32 = 8;
        let touch = |kind: DispatchTouchEventType, points: Vec<TouchPoint>| DispatchTouchEventParams::new(kind, points);
        bounded(
            "touch start",
            self.page.execute(touch(DispatchTouchEventType::TouchStart, vec![TouchPoint::new(x, y)])),
        )
        .await
        .unwrap();
        for i in 1..=STEPS {
            let at = TouchPoint::new(x, y - dy * f64::from(i) / f64::from(STEPS));
            bounded("touch move", self.page.execute(touch(DispatchTouchEventType::TouchMove, vec![at]))).await.unwrap();
        }
        bounded("touch end", self.page.execute(TouchEnd::default())).await.unwrap();
    }

    /// A finger's tap at (x, y) on a touch screen.
    pub async fn tap(&self, x: f64, y: f64) {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchTouchEventParams, DispatchTouchEventType, TouchPoint,
        };
        let start = DispatchTouchEventParams::new(DispatchTouchEventType::TouchStart, vec![TouchPoint::new(x, y)]);
        bounded("touch start", self.page.execute(start)).await.unwrap();
        bounded("touch end", self.page.execute(TouchEnd::default())).await.unwrap();
    }

    /// Taps the centre of the element `js` evaluates to, where the screen shows it.
    pub async fn tap_element(&self, js: &str) {
        let rect = self.wait_for(&format!("element {js}"), &format!("(() => {{ const e = {js}; if (!e) return null; e.scrollIntoView({{ block: 'nearest', inline: 'nearest', behavior: 'instant' }}); const r = e.getBoundingClientRect(); const v = visualViewport; return r.width ? [r.x + r.width / 2 - v.offsetLeft, r.y + r.height / 2 - v.offsetTop] : null; }})()")).await;
        self.tap(rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap()).await;
    }

    pub async fn move_mouse(&self, x: f64, y: f64) {
        bounded("mouse", self.page.execute(DispatchMouseEventParams::new(DispatchMouseEventType::MouseMoved, x, y)))
            .await
            .unwrap();
    }

    /// Clicks the centre of the element `js` evaluates to, where the screen shows it. DevTools
    /// takes the point in the page's CSS pixels from the visible region's corner (measured on a
    /// pinch-zoomed phone), which a zoomed phone has moved within the page's viewport.
    pub async fn click_element(&self, js: &str) {
        let rect = self.wait_for(&format!("element {js}"), &format!("(() => {{ const e = {js}; if (!e) return null; e.scrollIntoView({{ block: 'nearest', inline: 'nearest', behavior: 'instant' }}); const r = e.getBoundingClientRect(); const v = visualViewport; return r.width ? [r.x + r.width / 2 - v.offsetLeft, r.y + r.height / 2 - v.offsetTop] : null; }})()")).await;
        self.click(rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap()).await;
    }

    /// Types text into the focused element, as an input method would.
    pub async fn type_text(&self, text: &str) {
        bounded("insert text", self.page.execute(InsertTextParams::new(text))).await.unwrap();
    }

    /// Presses keys as a person on a keyboard does: each character a keydown with its text and
    /// a keyup (what a page's key handlers see, unlike `type_text`).
    pub async fn press_keys(&self, text: &str) {
        use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
        for ch in text.chars() {
            let mut down = DispatchKeyEventParams::new(DispatchKeyEventType::KeyDown);
            down.key = Some(ch.to_string());
            down.text = Some(ch.to_string());
            bounded("key down", self.page.execute(down)).await.unwrap();
            let mut up = DispatchKeyEventParams::new(DispatchKeyEventType::KeyUp);
            up.key = Some(ch.to_string());
            bounded("key up", self.page.execute(up)).await.unwrap();
        }
    }

    /// Presses one named key (Enter, Tab, Backspace, ...).
    pub async fn press_key(&self, key: &str) {
        use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let down = kind == DispatchKeyEventType::KeyDown;
            let mut event = DispatchKeyEventParams::new(kind);
            event.key = Some(key.to_string());
            event.code = Some(key.to_string());
            // Enter carries its text, so a form field's Enter submits the form as a person's does.
            if key == "Enter" && down {
                event.text = Some("\r".to_string());
            }
            event.windows_virtual_key_code = match key {
                "Enter" => Some(13),
                "Backspace" => Some(8),
                "Tab" => Some(9),
                _ => None,
            };
            bounded("key", self.page.execute(event)).await.unwrap();
        }
    }
}
