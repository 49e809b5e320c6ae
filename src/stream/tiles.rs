//! Frame deltas for one agent: only the 64×64 tiles that changed since the last frame this
//! agent received, each a small lossless PNG.
//!
//! When the page scrolled, most of the new frame is the old one moved: the message then starts
//! with row moves the agent makes itself (see [`super::scroll`]), and tiles repair the rest.
//!
//! Message layout (binary WebSocket message, big-endian), mirrored in `web/agent/agent.js`:
//! `u8 kind, u16 width, u16 height`; kind 2 continues with `u16 moves` and per move
//! `u16 from_y, u16 to_y, u16 rows`; both kinds end with `u16 tiles` and per tile
//! `u16 x, u16 y, u16 w, u16 h, u32 length, length bytes of PNG`.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbaImage};

use super::scroll::{self, RowMove};

/// Tile edge in pixels.
pub const TILE: u32 = 64;
/// Kind byte of a tiles message.
pub const KIND_TILES: u8 = 1;
/// Kind byte of a message that first moves rows (a scroll), then draws tiles.
pub const KIND_COPY_TILES: u8 = 2;
/// Beyond this share of changed tiles, the whole frame goes as it came (no re-encoding).
const WHOLE_FRAME_SHARE: f64 = 0.5;
/// Beyond this share of changed tiles, the frame is checked for a scroll.
const SCROLL_CHECK_SHARE: f64 = 0.2;

/// What an encoder could not do.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("frame is not a PNG: {0}")]
    Decode(String),
    #[error("frame of {0}x{1} pixels is too large")]
    TooLarge(u32, u32),
    #[error("tile could not be encoded: {0}")]
    Encode(String),
}

/// Remembers the last frame one agent was sent.
#[derive(Default)]
pub struct TileEncoder {
    last: Option<RgbaImage>,
}

/// One rectangle of a frame and its PNG bytes.
struct Tile<'a> {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    png: std::borrow::Cow<'a, [u8]>,
}

impl TileEncoder {
    /// The message that brings this agent from the last frame it got to `png`, or `None` when
    /// nothing changed.
    pub fn encode(&mut self, png: &[u8]) -> Result<Option<Vec<u8>>, TileError> {
        let frame = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .map_err(|e| TileError::Decode(e.to_string()))?
            .into_rgba8();
        let (width, height) = frame.dimensions();
        if width > u16::MAX as u32 || height > u16::MAX as u32 {
            return Err(TileError::TooLarge(width, height));
        }
        let whole =
            |png: &[u8]| vec![Tile { x: 0, y: 0, w: width, h: height, png: std::borrow::Cow::Owned(png.to_vec()) }];
        let mut moves = Vec::new();
        let tiles = match &self.last {
            Some(last) if last.dimensions() == frame.dimensions() => {
                let mut changed = changed_tiles(last, &frame);
                let total = width.div_ceil(TILE) * height.div_ceil(TILE);
                if changed.is_empty() {
                    self.last = Some(frame);
                    return Ok(None);
                }
                if changed.len() as f64 > total as f64 * SCROLL_CHECK_SHARE {
                    if let Some((found, after)) =
                        scrolled(last, &frame).filter(|(_, after)| after.len() < changed.len())
                    {
                        moves = found;
                        changed = after;
                    }
                }
                if changed.len() as f64 > total as f64 * WHOLE_FRAME_SHARE {
                    moves.clear();
                    whole(png)
                } else {
                    merge(changed)
                        .into_iter()
                        .map(|(x, y, w, h)| {
                            let part = image::imageops::crop_imm(&frame, x, y, w, h).to_image();
                            Ok(Tile { x, y, w, h, png: std::borrow::Cow::Owned(encode_png(&part)?) })
                        })
                        .collect::<Result<Vec<_>, TileError>>()?
                }
            }
            _ => whole(png),
        };
        let message = write_message(width, height, &moves, &tiles);
        self.last = Some(frame);
        Ok(Some(message))
    }
}

impl TileEncoder {
    /// [`TileEncoder::encode`] on a blocking thread (decoding and diffing take milliseconds,
    /// too long for an async worker). If that thread fails, the encoder comes back empty, so
    /// the next frame goes whole.
    pub async fn encode_off_thread(mut self, png: bytes::Bytes) -> (TileEncoder, Result<Option<Vec<u8>>, TileError>) {
        match tokio::task::spawn_blocking(move || {
            let delta = self.encode(&png);
            (self, delta)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => (TileEncoder::default(), Err(TileError::Encode(e.to_string()))),
        }
    }
}

/// Joins changed tiles into larger rectangles (runs along a row, then runs of rows of the same
/// span): one PNG compresses a band of text far better than its tiles one by one.
fn merge(tiles: Vec<Rect>) -> Vec<Rect> {
    let mut runs: Vec<Rect> = Vec::new();
    for (x, y, w, h) in tiles {
        match runs.last_mut() {
            Some(run) if run.1 == y && run.0 + run.2 == x => run.2 += w,
            _ => runs.push((x, y, w, h)),
        }
    }
    let mut merged: Vec<Rect> = Vec::new();
    for (x, y, w, h) in runs {
        match merged.iter_mut().find(|m| m.0 == x && m.2 == w && m.1 + m.3 == y) {
            Some(m) => m.3 += h,
            None => merged.push((x, y, w, h)),
        }
    }
    merged
}

/// A rectangle of a frame: x, y, width, height.
type Rect = (u32, u32, u32, u32);

/// Rectangles of the tiles that differ between two frames of one size.
fn changed_tiles(a: &RgbaImage, b: &RgbaImage) -> Vec<Rect> {
    let (width, height) = a.dimensions();
    let stride = width as usize * 4;
    let (a, b) = (a.as_raw(), b.as_raw());
    let mut changed = Vec::new();
    for ty in (0..height).step_by(TILE as usize) {
        let h = TILE.min(height - ty);
        for tx in (0..width).step_by(TILE as usize) {
            let w = TILE.min(width - tx);
            let differs = (ty..ty + h).any(|y| {
                let start = y as usize * stride + tx as usize * 4;
                let end = start + w as usize * 4;
                a[start..end] != b[start..end]
            });
            if differs {
                changed.push((tx, ty, w, h));
            }
        }
    }
    changed
}

/// A light deflate level with adaptive filtering: on page text, about a third of the bytes of
/// the fastest setting, for a few milliseconds per band of rows.
fn encode_png(image: &RgbaImage) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(3), FilterType::Adaptive)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        .map_err(|e| TileError::Encode(e.to_string()))?;
    Ok(out)
}

/// The row moves of a scroll from `last` to `frame`, and the tiles still different after them.
fn scrolled(last: &RgbaImage, frame: &RgbaImage) -> Option<(Vec<RowMove>, Vec<Rect>)> {
    let moves = scroll::detect(last, frame);
    if moves.is_empty() {
        return None;
    }
    let mut predicted = last.clone();
    scroll::apply(&mut predicted, &moves);
    Some((moves, changed_tiles(&predicted, frame)))
}

fn write_message(width: u32, height: u32, moves: &[RowMove], tiles: &[Tile<'_>]) -> Vec<u8> {
    let size = 9 + moves.len() * 6 + tiles.iter().map(|t| 12 + t.png.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.push(if moves.is_empty() { KIND_TILES } else { KIND_COPY_TILES });
    for v in [width as u16, height as u16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    if !moves.is_empty() {
        out.extend_from_slice(&(moves.len() as u16).to_be_bytes());
        for m in moves {
            for v in [m.from as u16, m.to as u16, m.rows as u16] {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
    out.extend_from_slice(&(tiles.len() as u16).to_be_bytes());
    for t in tiles {
        for v in [t.x as u16, t.y as u16, t.w as u16, t.h as u16] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&(t.png.len() as u32).to_be_bytes());
        out.extend_from_slice(&t.png);
    }
    out
}

#[cfg(test)]
#[path = "tiles_tests.rs"]
mod tests;
