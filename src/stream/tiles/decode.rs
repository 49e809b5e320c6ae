//! The agent's side of the frame messages: rebuilding its picture from each one, as
//! `web/agent/frames.js` and `screen.js` draw them on the canvas.
//!
//! This is the one Rust reading of the format [`super::TileEncoder`] writes (see the layout at
//! the top of [`super`]): the stream's tests check the encoder against it, and the benchmark's
//! simulated agent reads its probe off the picture it rebuilds. A malformed message is an
//! error, never a panic, and leaves the picture as it was: the message is read and checked
//! whole, its tiles decoded, before anything is drawn.

use image::RgbaImage;

use super::{KEEP_NONE, KEPT, KIND_COPY_TILES, KIND_RECALL_TILES, KIND_TILES};
use crate::stream::grid::Rect;
use crate::stream::scroll::{self, RowMove};

/// Why a frame message could not be drawn (the picture is then as it was).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("frame message of {0} bytes ends early")]
    Truncated(usize),
    #[error("unknown frame message kind {0}")]
    UnknownKind(u8),
    #[error("{0} bytes after the end of the frame message")]
    Trailing(usize),
    #[error("no slot {0} for a kept picture")]
    NoSuchSlot(u8),
    #[error("a recall from slot {0}, which holds no picture")]
    EmptySlot(u8),
    #[error("{what} at ({x}, {y}) of {w}x{h} is outside the {width}x{height} picture")]
    Outside { what: &'static str, x: u32, y: u32, w: u32, h: u32, width: u32, height: u32 },
    #[error("a move of {rows} rows from {from} to {to} is outside the picture's {height} rows")]
    MoveOutside { from: u32, to: u32, rows: u32, height: u32 },
    #[error("unknown tile format {0}")]
    UnknownFormat(u8),
    #[error("tile picture cannot be read: {0}")]
    Png(String),
    #[error("tile of {w}x{h} holds a PNG of {width}x{height}")]
    TileSize { w: u32, h: u32, width: u32, height: u32 },
}

/// What one agent's screen shows, and the pictures it kept, rebuilt message by message. Empty
/// (0x0) until the first message.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TileDecoder {
    picture: RgbaImage,
    kept: [Option<RgbaImage>; KEPT],
}

/// A message read and checked, its tiles decoded: drawing it cannot fail.
struct Frame {
    width: u32,
    height: u32,
    keep: Option<usize>,
    recalls: Vec<(usize, Rect)>,
    moves: Vec<RowMove>,
    tiles: Vec<(u32, u32, RgbaImage)>,
}

impl TileDecoder {
    /// Draws one frame message into the picture; on an error nothing is drawn.
    pub fn apply(&mut self, message: &[u8]) -> Result<(), DecodeError> {
        let frame = self.read(message)?;
        self.draw(frame);
        Ok(())
    }

    /// The agent's picture now.
    pub fn picture(&self) -> &RgbaImage {
        &self.picture
    }

    /// The picture's width in pixels (0 before the first message).
    pub fn width(&self) -> u32 {
        self.picture.width()
    }

    /// The picture's height in pixels (0 before the first message).
    pub fn height(&self) -> u32 {
        self.picture.height()
    }

    /// The picture kept in `slot`, if any.
    pub fn kept(&self, slot: usize) -> Option<&RgbaImage> {
        self.kept.get(slot)?.as_ref()
    }

    /// `message` read and checked against this decoder's pictures.
    fn read(&self, message: &[u8]) -> Result<Frame, DecodeError> {
        let mut r = Reader { data: message, at: 0 };
        let kind = r.u8()?;
        if ![KIND_TILES, KIND_COPY_TILES, KIND_RECALL_TILES].contains(&kind) {
            return Err(DecodeError::UnknownKind(kind));
        }
        let width = r.u16()?;
        let height = r.u16()?;
        let mut frame = Frame { width, height, keep: None, recalls: Vec::new(), moves: Vec::new(), tiles: Vec::new() };
        if kind == KIND_RECALL_TILES {
            let keep = r.u8()?;
            if keep != KEEP_NONE {
                if keep as usize >= KEPT {
                    return Err(DecodeError::NoSuchSlot(keep));
                }
                frame.keep = Some(keep as usize);
            }
            for _ in 0..r.u16()? {
                let slot = r.u8()?;
                let rect = r.rect()?;
                // The picture is kept before the recalls: one from that slot reads it as it is.
                let from = if frame.keep == Some(slot as usize) {
                    Some(&self.picture)
                } else {
                    self.kept.get(slot as usize).ok_or(DecodeError::NoSuchSlot(slot))?.as_ref()
                };
                let from = from.ok_or(DecodeError::EmptySlot(slot))?;
                inside("recall", rect, (width, height))?;
                inside("recall", rect, from.dimensions())?;
                frame.recalls.push((slot as usize, rect));
            }
        }
        if kind == KIND_COPY_TILES {
            for _ in 0..r.u16()? {
                let from = r.u16()?;
                let to = r.u16()?;
                let rows = r.u16()?;
                // Values are u16, so the sum cannot overflow.
                if from.max(to) + rows > height {
                    return Err(DecodeError::MoveOutside { from, to, rows, height });
                }
                frame.moves.push(RowMove { from, to, rows });
            }
        }
        for _ in 0..r.u16()? {
            let rect = r.rect()?;
            let format = r.u8()?;
            let format = match super::codec::Format::from_byte(format) {
                Some(super::codec::Format::Png) => image::ImageFormat::Png,
                Some(super::codec::Format::Jpeg) => image::ImageFormat::Jpeg,
                None => return Err(DecodeError::UnknownFormat(format)),
            };
            let length = r.u32()? as usize;
            let bytes = r.bytes(length)?;
            inside("tile", rect, (width, height))?;
            let tile = image::load_from_memory_with_format(bytes, format)
                .map_err(|e| DecodeError::Png(e.to_string()))?
                .into_rgba8();
            let (w, h) = (rect.2, rect.3);
            if tile.dimensions() != (w, h) {
                return Err(DecodeError::TileSize { w, h, width: tile.width(), height: tile.height() });
            }
            frame.tiles.push((rect.0, rect.1, tile));
        }
        if r.at != message.len() {
            return Err(DecodeError::Trailing(message.len() - r.at));
        }
        Ok(frame)
    }

    /// Draws a checked message, in the agent view's order: keep, recalls, then (at the new
    /// size) row moves and tiles.
    fn draw(&mut self, frame: Frame) {
        if let Some(slot) = frame.keep {
            self.kept[slot] = Some(self.picture.clone());
        }
        for (slot, (x, y, w, h)) in frame.recalls {
            if let Some(from) = &self.kept[slot] {
                let part = image::imageops::crop_imm(from, x, y, w, h).to_image();
                image::imageops::replace(&mut self.picture, &part, x as i64, y as i64);
            }
        }
        // A picture of another size starts blank, as the canvas does when resized (recalls,
        // drawn on the picture before, go with it; the encoder only recalls at one size).
        if self.picture.dimensions() != (frame.width, frame.height) {
            self.picture = RgbaImage::new(frame.width, frame.height);
        }
        scroll::apply(&mut self.picture, &frame.moves);
        for (x, y, tile) in frame.tiles {
            image::imageops::replace(&mut self.picture, &tile, x as i64, y as i64);
        }
    }
}

/// Whether `rect` lies within a picture of `size`.
fn inside(what: &'static str, rect: Rect, size: (u32, u32)) -> Result<(), DecodeError> {
    let ((x, y, w, h), (width, height)) = (rect, size);
    // Values come from u16 fields, so the sums cannot overflow.
    if x + w <= width && y + h <= height {
        Ok(())
    } else {
        Err(DecodeError::Outside { what, x, y, w, h, width, height })
    }
}

/// Reads big-endian fields off a message, failing at its end instead of panicking.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let data: &'a [u8] = self.data;
        let part = data.get(self.at..self.at.saturating_add(n)).ok_or(DecodeError::Truncated(data.len()))?;
        self.at += n;
        Ok(part)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u32, DecodeError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as u32)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `u16 x, u16 y, u16 w, u16 h`.
    fn rect(&mut self) -> Result<Rect, DecodeError> {
        let x = self.u16()?;
        let y = self.u16()?;
        let w = self.u16()?;
        let h = self.u16()?;
        Ok((x, y, w, h))
    }
}
