//! The frames a replica page's screencast publishes, and the frames owed to the session's
//! changes (a frame no change asked for was drawn by the page itself, and pays for itself).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tokio::sync::watch;

use super::Frame;

/// Frames owed for the session's changes, shared by the page and its screencast task. Two
/// changes close together may share one frame, so at most two are owed at a time: a page that
/// draws on its own between rare changes gets few frames for free.
#[derive(Debug, Clone, Default)]
pub(super) struct Owed(Arc<std::sync::atomic::AtomicU32>);

/// Frames owed at most.
const OWED_AT_MOST: u32 = 2;

impl Owed {
    /// The page is about to change: a frame is owed for it.
    pub(super) fn ask(&self) {
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some((n + 1).min(OWED_AT_MOST)));
    }

    /// A frame arrived: whether it was owed (and paid for by a change).
    pub(super) fn settle(&self) -> bool {
        self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
    }
}

/// Assumed age of a screencast frame at arrival when Chromium gives no swap time: longer than
/// its encoding takes, so a frame is never taken to show a change it may have missed.
pub(super) const SCREENCAST_DELAY_IF_UNKNOWN: Duration = Duration::from_millis(250);

/// The monotonic instant of a wall-clock time (seconds since the Unix epoch).
pub(super) fn instant_of_wall_clock(seconds: f64) -> std::time::Instant {
    let now_wall =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    let age = Duration::try_from_secs_f64((now_wall - seconds).max(0.0)).unwrap_or(SCREENCAST_DELAY_IF_UNKNOWN);
    std::time::Instant::now().checked_sub(age).unwrap_or_else(std::time::Instant::now)
}

/// Decodes a frame's PNG (base64, as Chromium sends it) off the async workers: a whole screen
/// takes milliseconds.
pub(super) async fn decode(base64_png: String) -> Option<image::RgbImage> {
    tokio::task::spawn_blocking(move || {
        let png = base64::engine::general_purpose::STANDARD.decode(base64_png).ok()?;
        image::load_from_memory_with_format(&png, image::ImageFormat::Png).ok().map(|p| p.into_rgb8())
    })
    .await
    .ok()
    .flatten()
}

/// Makes a picture the session's newest, unless a frame rendered later is already there:
/// Chromium encodes screencast frames on a pool of threads, so a big picture can arrive after a
/// small one drawn after it (an old page's 3.3 MB frame came 40 ms after the new page's
/// 350 KB one, and the agent saw the old page until the next change). Returns whether it
/// became the newest.
pub(super) fn publish(
    frames: &watch::Sender<Option<Frame>>,
    seq: &std::sync::atomic::AtomicU64,
    picture: Arc<image::RgbImage>,
    rendered: std::time::Instant,
) -> bool {
    if frames.borrow().as_ref().is_some_and(|newest| newest.rendered > rendered) {
        return false;
    }
    let seq = seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    frames.send_replace(Some(Frame { picture, seq, rendered, arrived: std::time::Instant::now() }));
    true
}

#[cfg(test)]
mod tests {
    use super::{decode, publish, Owed};
    use base64::Engine;
    use std::time::{Duration, Instant};

    #[test]
    fn a_frame_drawn_before_the_newest_never_replaces_it() {
        let (frames, _seen) = tokio::sync::watch::channel(None);
        let seq = std::sync::atomic::AtomicU64::new(0);
        let picture = |shade: u8| std::sync::Arc::new(image::RgbImage::from_pixel(4, 4, image::Rgb([shade; 3])));
        let drawn = Instant::now();
        // The new page's frame arrives first; the old page's, drawn 70 ms before it, after.
        assert!(publish(&frames, &seq, picture(1), drawn));
        assert!(!publish(&frames, &seq, picture(2), drawn - Duration::from_millis(70)));
        assert_eq!(frames.borrow().as_ref().unwrap().picture.get_pixel(0, 0).0, [1; 3]);
        // A frame drawn later still does.
        assert!(publish(&frames, &seq, picture(3), drawn + Duration::from_millis(30)));
        let newest = frames.borrow().clone().unwrap();
        assert_eq!((newest.picture.get_pixel(0, 0).0, newest.seq), ([3; 3], 2));
    }

    #[tokio::test]
    async fn garbage_from_chromium_is_no_picture() {
        assert!(decode("not base64!".into()).await.is_none());
        assert!(decode(base64::engine::general_purpose::STANDARD.encode(b"not a png")).await.is_none());
    }

    #[test]
    fn frames_are_owed_for_changes_two_at_most() {
        let owed = Owed::default();
        // A page drawing on its own owes nothing.
        assert!(!owed.settle());
        owed.ask();
        assert!(owed.settle());
        assert!(!owed.settle());
        // Many changes before any frame: two frames are owed, the third pays for itself.
        owed.ask();
        owed.ask();
        owed.ask();
        assert!(owed.settle() && owed.settle());
        assert!(!owed.settle());
    }
}
