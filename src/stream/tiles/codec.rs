//! How a rectangle of a frame goes to the agent: lossless PNG wherever text or flat graphics
//! are, as a palette where the rectangle has 256 colours or fewer (page text anti-aliased on
//! one background usually has: about half the bytes of RGB), and JPEG only where the
//! rectangle is a photograph that JPEG keeps within a few levels of nearly every pixel. Each
//! 64-pixel column of the rectangle is judged on its own, so text beside a photo stays
//! lossless while the photo does not.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

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

/// JPEG qualities tried on a photograph, lowest first: a soft photograph passes at 90, one
/// of fine detail (a grid of solar panels) at 95, still a third of its PNG; the rest of a
/// blog post's header picture at 98 (measured: every photographic tile of the third-party
/// visit that failed at 95 passed at 98, which took the visit from 0.344 to 0.324 Mbit/s).
const JPEG_QUALITIES: [u8; 3] = [90, 95, 98];
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
            out.push(Encoded { rect: run, format: Format::Png, bytes: lossless(&crop(frame, run))? });
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

/// Whether `rect` has more than `limit` colours.
fn colours_over(frame: &RgbImage, (x, y, w, h): Rect, limit: usize) -> bool {
    let mut seen = ColourSet::default();
    for row in y..y + h {
        for column in x..x + w {
            if seen.insert(frame.get_pixel(column, row).0) > limit {
                return true;
            }
        }
    }
    false
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

/// A small set of colours, enough to count to a few hundred quickly.
struct ColourSet {
    slots: Vec<u32>,
    count: usize,
}

impl Default for ColourSet {
    fn default() -> ColourSet {
        ColourSet { slots: vec![u32::MAX; 1024], count: 0 }
    }
}

impl ColourSet {
    /// Adds a colour; returns how many there are.
    fn insert(&mut self, [r, g, b]: [u8; 3]) -> usize {
        let key = u32::from_be_bytes([0, r, g, b]);
        let mask = self.slots.len() - 1;
        let mut at = (key.wrapping_mul(0x9e37_79b1) >> 22) as usize & mask;
        loop {
            match self.slots[at] {
                u32::MAX => {
                    self.slots[at] = key;
                    self.count += 1;
                    return self.count;
                }
                k if k == key => return self.count,
                _ => at = (at + 1) & mask,
            }
        }
    }
}

/// `part` as JPEG at the lowest quality that keeps every pixel but a few close to what it was.
fn jpeg_if_close(part: &RgbImage) -> Option<Vec<u8>> {
    JPEG_QUALITIES.iter().find_map(|&quality| jpeg_at(part, quality))
}

fn jpeg_at(part: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .write_image(part.as_raw(), part.width(), part.height(), image::ExtendedColorType::Rgb8)
        .ok()?;
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
    if let Some(bytes) = palette_png(part)? {
        return Ok(bytes);
    }
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
mod tests {
    use super::*;

    /// Black text-like strokes on white: few colours.
    fn text(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            if (x / 3 + y / 5) % 4 == 0 {
                image::Rgb([20, 20, 20])
            } else {
                image::Rgb([250, 250, 250])
            }
        })
    }

    /// A smooth photograph-like gradient with faint grain: thousands of colours.
    fn photo(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let grain = ((x * 7 + y * 13) % 3) as u8;
            image::Rgb([40 + (x / 2) as u8 + grain, 30 + y as u8 + grain, 90 + ((x + y) / 3) as u8])
        })
    }

    fn decoded(e: &Encoded) -> RgbImage {
        let format = if e.format == Format::Jpeg { image::ImageFormat::Jpeg } else { image::ImageFormat::Png };
        image::load_from_memory_with_format(&e.bytes, format).unwrap().into_rgb8()
    }

    #[test]
    fn text_stays_lossless_as_a_palette() {
        let frame = text(200, 64);
        let encoded = encode(&frame, (0, 0, 200, 64), false).unwrap();
        assert_eq!(encoded.len(), 1);
        assert_eq!(encoded[0].format, Format::Png);
        assert_eq!(decoded(&encoded[0]), frame, "lossless");
        let rgb = {
            let mut out = Vec::new();
            PngEncoder::new_with_quality(&mut out, CompressionType::Level(3), FilterType::Adaptive)
                .write_image(frame.as_raw(), 200, 64, image::ExtendedColorType::Rgb8)
                .unwrap();
            out
        };
        assert!(encoded[0].bytes.len() < rgb.len(), "palette {} against RGB {}", encoded[0].bytes.len(), rgb.len());
    }

    #[test]
    fn a_photograph_goes_as_jpeg_and_text_beside_it_stays_lossless() {
        // Columns 0-127 photo, 128-255 text.
        let mut frame = photo(256, 64);
        image::imageops::replace(&mut frame, &text(128, 64), 128, 0);
        let encoded = encode(&frame, (0, 0, 256, 64), false).unwrap();
        let formats: Vec<(Rect, Format)> = encoded.iter().map(|e| (e.rect, e.format)).collect();
        assert_eq!(formats, [((0, 0, 128, 64), Format::Jpeg), ((128, 0, 128, 64), Format::Png)]);
        assert_eq!(decoded(&encoded[1]), crop(&frame, (128, 0, 128, 64)), "the text is exact");
        let photo_back = decoded(&encoded[0]);
        let close = photo_back
            .pixels()
            .zip(crop(&frame, (0, 0, 128, 64)).pixels())
            .filter(|(a, b)| (0..3).all(|i| a.0[i].abs_diff(b.0[i]) <= CLOSE))
            .count();
        assert!(close as f64 / (128.0 * 64.0) >= 0.99, "{close}");
        // Kept lossless when asked.
        assert!(encode(&frame, (0, 0, 256, 64), true).unwrap().iter().all(|e| e.format == Format::Png));
    }

    #[test]
    fn text_over_a_photograph_keeps_only_its_own_columns_lossless() {
        // A header picture 256 wide with a title over columns 128-191 only, drawn in pixels of
        // black and white at random: noise that no JPEG keeps close, even at 98.
        let mut frame = photo(256, 64);
        for (x, y, pixel) in frame.enumerate_pixels_mut() {
            if (128..192).contains(&x) {
                let bit = ((x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 13) & 1;
                *pixel = image::Rgb([255 * bit as u8; 3]);
            }
        }
        let encoded = encode(&frame, (0, 0, 256, 64), false).unwrap();
        let formats: Vec<(Rect, Format)> = encoded.iter().map(|e| (e.rect, e.format)).collect();
        assert_eq!(
            formats,
            [((0, 0, 128, 64), Format::Jpeg), ((128, 0, 64, 64), Format::Png), ((192, 0, 64, 64), Format::Jpeg)]
        );
        assert_eq!(decoded(&encoded[1]), crop(&frame, (128, 0, 64, 64)), "the title is exact");
    }

    #[test]
    fn text_of_many_colours_on_a_flat_background_stays_lossless() {
        // Strokes in a gradient of colours (hundreds of them) on white: the white repeats
        // along every row, as a page's background does around its text.
        let frame = RgbImage::from_fn(64, 64, |x, y| {
            if x % 6 < 2 {
                image::Rgb([(y * 4) as u8, (x * 4) as u8, 128])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        let encoded = encode(&frame, (0, 0, 64, 64), false).unwrap();
        assert_eq!(encoded[0].format, Format::Png);
        assert_eq!(decoded(&encoded[0]), frame);
    }

    #[test]
    fn columns_follow_the_tile_grid() {
        // A rectangle starting mid-tile is cut at the grid's columns.
        let frame = text(300, 10);
        let mut photo_part = photo(100, 10);
        photo_part.put_pixel(0, 0, image::Rgb([1, 2, 3]));
        let mut frame2 = frame.clone();
        image::imageops::replace(&mut frame2, &photo_part, 128, 0);
        let encoded = encode(&frame2, (100, 0, 150, 10), false).unwrap();
        let rects: Vec<Rect> = encoded.iter().map(|e| e.rect).collect();
        assert_eq!(rects.iter().map(|r| r.2).sum::<u32>(), 150);
        assert!(rects.iter().all(|r| r.0 == 100 || r.0 % TILE == 0), "{rects:?}");
    }
}
