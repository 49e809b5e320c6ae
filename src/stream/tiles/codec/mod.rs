//! How a rectangle of a frame goes to the agent: lossless PNG wherever text or flat graphics
//! are, as a palette where the rectangle, or a run of its 64-pixel columns, has 256 colours
//! or fewer (page text anti-aliased on one background usually has: about half the bytes of
//! RGB), and JPEG only where the rectangle is a photograph that JPEG keeps within a few
//! levels of nearly every pixel. Each 64-pixel column of the rectangle is judged on its own,
//! so text beside a photo stays lossless while the photo does not.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

use super::colours::{colours_in, colours_over, ColourSet};
use super::TileError;
use crate::stream::grid::{Rect, TILE};

/// How a tile's bytes are encoded (the byte before its length on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png = 0,
    Jpeg = 1,
}

impl Format {
    pub fn from_byte(byte: u8) -> Option<Format> {
        match byte {
            0 => Some(Format::Png),
            1 => Some(Format::Jpeg),
            _ => None,
        }
    }
}

/// One encoded rectangle.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub rect: Rect,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// JPEG qualities a photograph may go at, lowest first; it goes at the lowest that keeps it
/// close. A soft photograph passes at 88 to 90, one of fine detail (a grid of solar panels)
/// at 95, still a third of its PNG; the rest of a blog post's header picture at 98. None of
/// the third-party visit's passed below 88. Steps of one or two levels rather than 90, 95
/// and 98 alone: the visit's photographs took 517 KB against 590.
const JPEG_QUALITIES: [u8; 8] = [88, 90, 92, 94, 95, 96, 97, 98];
/// A column with more colours than this may be a photograph (text and flat graphics rarely
/// have this many, anti-aliasing included)...
const PHOTO_COLOURS: usize = 256;
/// ...if fewer than this share of its pixels repeat the one to their left: text, rules and
/// flat fills repeat along their rows, a photograph's grain does not.
const PHOTO_REPEATS: f64 = 0.3;
/// JPEG is kept only when at most this share of pixels moved more than [`CLOSE`] levels in a
/// channel (text edges in JPEG move far more, photographs far less): what the agent sees
/// stays within the fidelity the product promises (99% of pixels) where a photograph fills
/// the whole screen.
const FAR_SHARE: f64 = 0.01;
const CLOSE: u8 = 8;
/// ...and no pixel moved more than this.
const FARTHEST: u8 = 48;

/// Encodes `rect` of `frame`: photographic runs of columns as JPEG (unless `exact`),
/// everything else as PNG.
pub fn encode(frame: &RgbImage, rect: Rect, exact: bool) -> Result<Vec<Encoded>, TileError> {
    let (x0, y, w, h) = rect;
    // Columns on the tile grid, so a column is the same pixels in every frame.
    let mut columns: Vec<(u32, u32, bool)> = Vec::new();
    let mut x = x0;
    while x < x0 + w {
        let end = ((x / TILE + 1) * TILE).min(x0 + w);
        let column = (x, y, end - x, h);
        let photo = !exact && colours_over(frame, column, PHOTO_COLOURS) && repeats(frame, column) < PHOTO_REPEATS;
        columns.push((x, end - x, photo));
        x = end;
    }
    let mut out = Vec::new();
    let photos: Vec<bool> = columns.iter().map(|c| c.2).collect();
    for (i, j) in runs(&photos) {
        let run = (columns[i].0, y, columns[j].0 + columns[j].1 - columns[i].0, h);
        if columns[i].2 {
            photographs(frame, &columns[i..=j], (y, h), &mut out)?;
        } else {
            lossless_in_columns(frame, run, &mut out)?;
        }
    }
    Ok(out)
}

/// A run of photographic `columns` (x, width) between rows `y` and `y + h`: one JPEG when it
/// stays close; otherwise each column judged alone, so that what no JPEG keeps close laid
/// over a photograph (fine detail beside a header picture) keeps only its own columns
/// lossless, and the columns that pass go together again as one JPEG.
fn photographs(
    frame: &RgbImage,
    columns: &[(u32, u32, bool)],
    (y, h): (u32, u32),
    out: &mut Vec<Encoded>,
) -> Result<(), TileError> {
    let span = |from: &(u32, u32, bool), to: &(u32, u32, bool)| (from.0, y, to.0 + to.1 - from.0, h);
    let run = span(&columns[0], &columns[columns.len() - 1]);
    let part = crop(frame, run);
    if let Some(bytes) = jpeg_if_close(&part) {
        out.push(Encoded { rect: run, format: Format::Jpeg, bytes });
        return Ok(());
    }
    if columns.len() == 1 {
        out.push(Encoded { rect: run, format: Format::Png, bytes: lossless(&part)? });
        return Ok(());
    }
    let close: Vec<bool> = columns.iter().map(|c| jpeg_if_close(&crop(frame, span(c, c))).is_some()).collect();
    for (i, j) in runs(&close) {
        let rect = span(&columns[i], &columns[j]);
        let part = crop(frame, rect);
        match close[i].then(|| jpeg_if_close(&part)).flatten() {
            Some(bytes) => out.push(Encoded { rect, format: Format::Jpeg, bytes }),
            None => out.push(Encoded { rect, format: Format::Png, bytes: lossless(&part)? }),
        }
    }
    Ok(())
}

/// `rect` of `frame` losslessly, in as few PNGs as keep a palette wherever one fits: one
/// when the whole rectangle has 256 colours or fewer; otherwise runs of tile-grid columns
/// whose colours fit one palette together, and the columns of too many colours as RGB. A row
/// across a page is often mostly a palette's worth (a patterned background, text) beside a
/// few columns of many colours (an avatar, a coloured link): as RGB whole it cost 2 bits a
/// pixel on the third-party visit.
fn lossless_in_columns(frame: &RgbImage, rect: Rect, out: &mut Vec<Encoded>) -> Result<(), TileError> {
    let (x0, y, w, h) = rect;
    if let Some(bytes) = palette_png(&crop(frame, rect))? {
        out.push(Encoded { rect, format: Format::Png, bytes });
        return Ok(());
    }
    // Runs of columns: where each starts, its width, and its colours when they fit a palette.
    let mut groups: Vec<(u32, u32, Option<ColourSet>)> = Vec::new();
    let mut x = x0;
    while x < x0 + w {
        let end = ((x / TILE + 1) * TILE).min(x0 + w);
        let mut colours = ColourSet::default();
        let column = (!colours_in(frame, (x, y, end - x, h), &mut colours, PHOTO_COLOURS)).then_some(colours);
        // A column joins the run before it when both fit a palette, together too, or neither.
        let joins = match (groups.last_mut(), column.as_ref()) {
            (Some((_, _, Some(run))), Some(column)) => run.absorb(column, PHOTO_COLOURS),
            (Some((_, _, None)), None) => true,
            _ => false,
        };
        match groups.last_mut() {
            Some((_, width, _)) if joins => *width += end - x,
            _ => groups.push((x, end - x, column)),
        }
        x = end;
    }
    for (x, width, palette) in groups {
        let part = crop(frame, (x, y, width, h));
        // A run whose colours fit goes as a palette; the others skip trying one.
        let bytes = if palette.is_some() { lossless(&part)? } else { rgb_png(&part)? };
        out.push(Encoded { rect: (x, y, width, h), format: Format::Png, bytes });
    }
    Ok(())
}

/// Runs of equal `flags`: first and last index of each, in order.
fn runs(flags: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < flags.len() {
        let mut j = i;
        while j + 1 < flags.len() && flags[j + 1] == flags[i] {
            j += 1;
        }
        out.push((i, j));
        i = j + 1;
    }
    out
}

fn crop(frame: &RgbImage, (x, y, w, h): Rect) -> RgbImage {
    image::imageops::crop_imm(frame, x, y, w, h).to_image()
}

/// The share of `rect`'s pixels that repeat the pixel to their left.
fn repeats(frame: &RgbImage, (x, y, w, h): Rect) -> f64 {
    let mut same = 0usize;
    for row in y..y + h {
        for column in x + 1..x + w {
            same += usize::from(frame.get_pixel(column, row) == frame.get_pixel(column - 1, row));
        }
    }
    same as f64 / ((w.saturating_sub(1)) * h).max(1) as f64
}

/// `part` as JPEG at the lowest quality that keeps every pixel but a few close to what it was.
fn jpeg_if_close(part: &RgbImage) -> Option<Vec<u8>> {
    // A binary search of the ladder, three tries: a part that passes at one quality passes at
    // the higher ones too, as a rule (on the third-party visit the search and trying every
    // quality in turn chose the same bytes).
    let (mut low, mut high, mut passed) = (0, JPEG_QUALITIES.len(), None);
    while low < high {
        let mid = (low + high) / 2;
        match jpeg_at(part, JPEG_QUALITIES[mid]) {
            Some(bytes) => {
                passed = Some(bytes);
                high = mid;
            }
            None => low = mid + 1,
        }
    }
    passed
}

fn jpeg_at(part: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    // Every colour sample kept (no chroma subsampling: at 4:2:0 hardly any photograph stayed
    // close) and Huffman tables fitted to the picture: 2% fewer bytes on the third-party visit
    // than the standard tables at the same quality.
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
    encoder.set_optimized_huffman_tables(true);
    let (width, height) = (u16::try_from(part.width()).ok()?, u16::try_from(part.height()).ok()?);
    encoder.encode(part.as_raw(), width, height, jpeg_encoder::ColorType::Rgb).ok()?;
    let back = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).ok()?.into_rgb8();
    if back.dimensions() != part.dimensions() {
        return None;
    }
    let (mut far, mut farthest) = (0usize, 0u8);
    for (a, b) in part.as_raw().chunks_exact(3).zip(back.as_raw().chunks_exact(3)) {
        let moved = (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap_or(0);
        farthest = farthest.max(moved);
        far += usize::from(moved > CLOSE);
    }
    let pixels = (part.width() * part.height()).max(1) as f64;
    (far as f64 / pixels <= FAR_SHARE && farthest <= FARTHEST).then_some(bytes)
}

/// Lossless PNG: a palette when `part` has 256 colours or fewer, else RGB with adaptive
/// filtering at a light deflate level.
pub fn lossless(part: &RgbImage) -> Result<Vec<u8>, TileError> {
    match palette_png(part)? {
        Some(bytes) => Ok(bytes),
        None => rgb_png(part),
    }
}

/// `part` as an RGB PNG.
fn rgb_png(part: &RgbImage) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(3), FilterType::Adaptive)
        .write_image(part.as_raw(), part.width(), part.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| TileError::Encode(e.to_string()))?;
    Ok(out)
}

/// `part` as an indexed PNG, or `None` when it has more than 256 colours.
fn palette_png(part: &RgbImage) -> Result<Option<Vec<u8>>, TileError> {
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut index_of = std::collections::HashMap::<[u8; 3], u8>::new();
    let mut indices = Vec::with_capacity((part.width() * part.height()) as usize);
    let mut last: Option<([u8; 3], u8)> = None;
    for pixel in part.pixels() {
        // Runs of one colour are the common case: no lookup for them.
        let index = match last {
            Some((colour, index)) if colour == pixel.0 => index,
            _ => {
                let index = match index_of.get(&pixel.0) {
                    Some(&i) => i,
                    None if palette.len() == 256 => return Ok(None),
                    None => {
                        palette.push(pixel.0);
                        let i = (palette.len() - 1) as u8;
                        index_of.insert(pixel.0, i);
                        i
                    }
                };
                last = Some((pixel.0, index));
                index
            }
        };
        indices.push(index);
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, part.width(), part.height());
    encoder.set_color(::png::ColorType::Indexed);
    encoder.set_depth(::png::BitDepth::Eight);
    encoder.set_palette(palette.concat());
    encoder.set_compression(::png::Compression::Balanced);
    encoder.set_filter(::png::Filter::NoFilter);
    let failed = |e: ::png::EncodingError| TileError::Encode(e.to_string());
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&indices).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests;
