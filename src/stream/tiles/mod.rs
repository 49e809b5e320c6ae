//! Frame deltas for one agent: only the tiles that changed since the last frame this agent
//! received, each encoded by [`codec`] (lossless PNG where text is, JPEG for photographs).
//!
//! When the page scrolled, most of the new frame is the old one moved: the message then starts
//! with row moves the agent makes itself (see [`super::scroll`]), and tiles repair the rest.
//! When the page changed (another page, a dialog closed), the agent keeps the picture it had,
//! and tiles that come back from one of the last few kept pictures are copied from it instead
//! of sent again: going back to a page costs little.
//!
//! Message layout (binary WebSocket message, big-endian), mirrored in `web/agent/frames.js`:
//! `u8 kind, u16 width, u16 height`; kind 2 continues with `u16 moves` and per move
//! `u16 from_y, u16 to_y, u16 rows`; kind 3 with `u8 keep` (the slot to keep the picture shown
//! so far in, before anything is drawn; 255 for none), `u16 recalls` and per recall
//! `u8 slot, u16 x, u16 y, u16 w, u16 h` (copied from that kept picture, same place); every
//! kind ends with `u16 tiles` and per tile `u16 x, u16 y, u16 w, u16 h, u8 format (0 PNG, 1
//! JPEG), u32 length, length bytes of the picture`. [`TileDecoder`] reads it back in Rust, for
//! tests and the benchmark.

use image::RgbImage;

use super::grid::{Grid, Rect};
use super::scroll::{self, RowMove};

pub mod codec;
mod colours;
mod decode;

pub use super::grid::TILE;
pub use decode::{DecodeError, TileDecoder};

/// Kind byte of a tiles message.
pub const KIND_TILES: u8 = 1;
/// Kind byte of a message that first moves rows (a scroll), then draws tiles.
pub const KIND_COPY_TILES: u8 = 2;
/// Kind byte of a message that keeps the picture, copies tiles back from kept ones, then draws
/// tiles.
pub const KIND_RECALL_TILES: u8 = 3;
/// Pictures the agent keeps for tiles to come back from: a visit's last few pages (a canvas of
/// the customer's screen each in the agent's browser, 4 MB at 1280×800).
pub const KEPT: usize = 6;
/// `keep` byte when nothing is kept.
pub const KEEP_NONE: u8 = 255;
/// Beyond this share of changed tiles the page changed: the picture is kept, and what is not
/// recalled goes whole.
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

/// Remembers what one agent's screen shows, and the pictures it kept.
#[derive(Default)]
pub struct TileEncoder {
    /// Every tile lossless, photographs too (the stream's tests compare pictures exactly).
    lossless: bool,
    /// The agent's screen now.
    last: Option<Grid>,
    /// The kept pictures, by slot.
    kept: [Option<Grid>; KEPT],
    /// The slot the next kept picture goes in.
    next_slot: usize,
}

/// One rectangle of a frame, encoded.
type Tile = codec::Encoded;

/// How the agent gets from its picture to the new one, besides tiles.
#[derive(Default)]
struct Steps {
    moves: Vec<RowMove>,
    /// `Some` for a kind 3 message: the slot the picture is kept in, if any.
    keep: Option<u8>,
    recalls: Vec<(u8, Rect)>,
}

impl TileEncoder {
    /// An encoder that sends every tile lossless, photographs too.
    pub fn lossless() -> TileEncoder {
        TileEncoder { lossless: true, ..TileEncoder::default() }
    }

    /// [`TileEncoder::encode_picture`] of a PNG.
    pub fn encode(&mut self, png: &[u8]) -> Result<Option<Vec<u8>>, TileError> {
        // Chromium's frames are opaque RGB: decoded as such, with no alpha to add and drop.
        let frame = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .map_err(|e| TileError::Decode(e.to_string()))?
            .into_rgb8();
        self.encode_picture(&frame)
    }

    /// The message that brings this agent from the last frame it got to `frame`, or `None`
    /// when nothing changed.
    pub fn encode_picture(&mut self, frame: &RgbImage) -> Result<Option<Vec<u8>>, TileError> {
        let (width, height) = frame.dimensions();
        if width > u16::MAX as u32 || height > u16::MAX as u32 {
            return Err(TileError::TooLarge(width, height));
        }
        let grid = Grid::of_rgb(frame);
        // Chromium's own PNGs compress poorly (a page with a textured background came as 816 KB
        // where ours are 250 KB): a whole frame is encoded again, a band of tile rows at a time.
        let lossless = self.lossless;
        let whole = || bands(frame, &grid, None, grid.all_tiles(), lossless);
        let mut steps = Steps::default();
        let tiles = match self.last.take() {
            Some(last) if last.dimensions() == grid.dimensions() => {
                let mut changed = grid.changed_tiles(&last);
                if changed.is_empty() {
                    self.last = Some(grid);
                    return Ok(None);
                }
                let total = grid.tile_count() as f64;
                // What the agent will have under the tiles: its picture, or that picture scrolled.
                let mut under = None;
                if changed.len() as f64 > total * SCROLL_CHECK_SHARE {
                    if let Some((moves, predicted, after)) =
                        scrolled(&last, &grid).filter(|(_, _, after)| after.len() < changed.len())
                    {
                        steps.moves = moves;
                        under = Some(predicted);
                        changed = after;
                    }
                }
                if changed.len() as f64 > total * WHOLE_FRAME_SHARE {
                    // Another page: no moves; the picture the agent has is kept as it is.
                    steps.moves.clear();
                    let mut changed = grid.changed_tiles(&last);
                    let slot = self.keep(last);
                    steps.keep = Some(slot);
                    steps.recalls = self.recalls(&grid, &mut changed, slot);
                    if steps.recalls.is_empty() {
                        whole()?
                    } else {
                        bands(frame, &grid, self.kept[slot as usize].as_ref(), changed, lossless)?
                    }
                } else {
                    bands(frame, &grid, Some(under.as_ref().unwrap_or(&last)), changed, lossless)?
                }
            }
            _ => whole()?,
        };
        let message = write_message(width, height, &steps, &tiles);
        self.last = Some(grid);
        Ok(Some(message))
    }

    /// Keeps the agent's picture in the next slot; returns the slot.
    fn keep(&mut self, picture: Grid) -> u8 {
        let slot = self.next_slot;
        self.kept[slot] = Some(picture);
        self.next_slot = (slot + 1) % KEPT;
        slot as u8
    }

    /// Takes out of `changed` the tiles an earlier kept picture (not the one just kept: that is
    /// the picture the new one replaces) has at the same place, as recalls from it.
    fn recalls(&self, grid: &Grid, changed: &mut Vec<Rect>, just_kept: u8) -> Vec<(u8, Rect)> {
        let mut recalls: Vec<(u8, Rect)> = Vec::new();
        changed.retain(|&tile| {
            let found = (0..KEPT)
                .filter(|&slot| slot as u8 != just_kept)
                .find(|&slot| self.kept[slot].as_ref().is_some_and(|kept| grid.same_tile(kept, tile)));
            match found {
                Some(slot) => {
                    recalls.push((slot as u8, tile));
                    false
                }
                None => true,
            }
        });
        // Runs of recalled tiles from one slot go as one rectangle.
        let mut merged: Vec<(u8, Rect)> = Vec::new();
        for slot in 0..KEPT as u8 {
            let tiles = recalls.iter().filter(|(s, _)| *s == slot).map(|(_, r)| *r).collect();
            merged.extend(merge(tiles).into_iter().map(|r| (slot, r)));
        }
        merged
    }
}

impl TileEncoder {
    /// [`TileEncoder::encode`] on a blocking thread (decoding and diffing take milliseconds,
    /// too long for an async worker). If that thread fails, the encoder comes back empty, so
    /// the next frame goes whole.
    pub async fn encode_off_thread(
        mut self,
        picture: std::sync::Arc<RgbImage>,
    ) -> (TileEncoder, Result<Option<Vec<u8>>, TileError>) {
        match tokio::task::spawn_blocking(move || {
            let delta = self.encode_picture(&picture);
            (self, delta)
        })
        .await
        {
            Ok(done) => done,
            Err(e) => (TileEncoder::default(), Err(TileError::Encode(e.to_string()))),
        }
    }
}

/// The changed tiles as merged bands of `frame`, each trimmed to the rows that differ from
/// `before` (what the agent will have under them), and encoded.
fn bands(
    frame: &RgbImage,
    grid: &Grid,
    before: Option<&Grid>,
    changed: Vec<Rect>,
    lossless: bool,
) -> Result<Vec<Tile>, TileError> {
    let mut tiles = Vec::new();
    for rect in merge(changed) {
        let rect = before.map_or(rect, |before| grid.trim_rows(before, rect));
        // A tall band goes a tile row at a time: each row is judged (palette, photograph) alone.
        let (x, y, w, h) = rect;
        let mut top = y;
        while top < y + h {
            let bottom = ((top / TILE + 1) * TILE).min(y + h);
            tiles.extend(codec::encode(frame, (x, top, w, bottom - top), lossless)?);
            top = bottom;
        }
    }
    Ok(tiles)
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

/// The row moves of a scroll from `last` to `frame`, what the agent's picture is after them,
/// and the tiles still different.
fn scrolled(last: &Grid, frame: &Grid) -> Option<(Vec<RowMove>, Grid, Vec<Rect>)> {
    let moves = scroll::detect(&last.row_halves(), &frame.row_halves());
    if moves.is_empty() {
        return None;
    }
    let mut predicted = last.clone();
    predicted.apply(&moves);
    let after = frame.changed_tiles(&predicted);
    Some((moves, predicted, after))
}

fn write_message(width: u32, height: u32, steps: &Steps, tiles: &[Tile]) -> Vec<u8> {
    let size =
        10 + steps.moves.len() * 6 + steps.recalls.len() * 9 + tiles.iter().map(|t| 13 + t.bytes.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    let be16 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&(v as u16).to_be_bytes());
    out.push(match (&steps.keep, steps.moves.is_empty()) {
        (Some(_), _) => KIND_RECALL_TILES,
        (None, false) => KIND_COPY_TILES,
        (None, true) => KIND_TILES,
    });
    be16(&mut out, width);
    be16(&mut out, height);
    if let Some(keep) = steps.keep {
        out.push(keep);
        be16(&mut out, steps.recalls.len() as u32);
        for &(slot, (x, y, w, h)) in &steps.recalls {
            out.push(slot);
            for v in [x, y, w, h] {
                be16(&mut out, v);
            }
        }
    } else if !steps.moves.is_empty() {
        be16(&mut out, steps.moves.len() as u32);
        for m in &steps.moves {
            for v in [m.from, m.to, m.rows] {
                be16(&mut out, v);
            }
        }
    }
    be16(&mut out, tiles.len() as u32);
    for t in tiles {
        let (x, y, w, h) = t.rect;
        for v in [x, y, w, h] {
            be16(&mut out, v);
        }
        out.push(t.format as u8);
        out.extend_from_slice(&(t.bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&t.bytes);
    }
    out
}

#[cfg(test)]
mod tests;
