//! How tiles are encoded: exact where text is, JPEG only where a photograph stays close,
//! palettes wherever they fit.

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

/// PNG colour type from the header: 3 indexed (a palette), 2 RGB.
fn png_colour_type(bytes: &[u8]) -> u8 {
    bytes[25]
}

/// Colours `0..count` of a ramp, each a distinct colour, two pixels wide along a row so that
/// they repeat as flat graphics do (not a photograph).
fn many_colours(w: u32, h: u32, offset: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let i = offset + (y * w + x) / 2;
        image::Rgb([(i % 256) as u8, (i / 256 % 256) as u8, 200])
    })
}

#[test]
fn a_patterned_row_keeps_its_palette_beside_a_column_of_many_colours() {
    // A page row: a four-grey texture (period 100 px, as TodoMVC's background) with text over
    // it across 256 px, then 64 px of an icon strip of thousands of colours, then more texture.
    let texture = |x: u32, y: u32| image::Rgb([223 + ((x % 100 * 7 + y * 3) % 4) as u8 * 5; 3]);
    let mut frame =
        RgbImage::from_fn(
            384,
            64,
            |x, y| {
                if (x / 3 + y / 5) % 7 == 0 {
                    image::Rgb([40, 40, 40])
                } else {
                    texture(x, y)
                }
            },
        );
    image::imageops::replace(&mut frame, &many_colours(64, 64, 0), 256, 0);
    let encoded = encode(&frame, (0, 0, 384, 64), false).unwrap();
    let tiles: Vec<(Rect, u8)> = encoded.iter().map(|e| (e.rect, png_colour_type(&e.bytes))).collect();
    assert_eq!(tiles, [((0, 0, 256, 64), 3), ((256, 0, 64, 64), 2), ((320, 0, 64, 64), 3)], "palettes beside RGB");
    for e in &encoded {
        assert_eq!(decoded(e), crop(&frame, e.rect), "every tile exact");
    }
    // Smaller than the row as one RGB PNG, which is how it went before.
    let total: usize = encoded.iter().map(|e| e.bytes.len()).sum();
    let mut rgb = Vec::new();
    PngEncoder::new_with_quality(&mut rgb, CompressionType::Level(3), FilterType::Adaptive)
        .write_image(frame.as_raw(), 384, 64, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert!(total < rgb.len() * 3 / 4, "{total} bytes against {} as one RGB PNG", rgb.len());
}

#[test]
fn columns_share_a_palette_only_while_their_colours_fit_one() {
    // Two columns of 200 colours each, different ones: 400 together, so two palettes.
    let mut frame = many_colours(128, 64, 0);
    let ramp =
        |offset| RgbImage::from_fn(64, 64, move |x, y| image::Rgb([((offset + (y * 64 + x) / 21) % 256) as u8, 7, 9]));
    image::imageops::replace(&mut frame, &ramp(0), 0, 0);
    image::imageops::replace(
        &mut frame,
        &RgbImage::from_fn(64, 64, |x, y| image::Rgb([3, ((y * 64 + x) / 21 % 256) as u8, 9])),
        64,
        0,
    );
    let encoded = encode(&frame, (0, 0, 128, 64), true).unwrap();
    let tiles: Vec<(Rect, u8)> = encoded.iter().map(|e| (e.rect, png_colour_type(&e.bytes))).collect();
    assert_eq!(tiles, [((0, 0, 64, 64), 3), ((64, 0, 64, 64), 3)]);
    for e in &encoded {
        assert_eq!(decoded(e), crop(&frame, e.rect));
    }
}

#[test]
fn a_photograph_goes_at_the_lowest_quality_that_keeps_it_close() {
    let part = photo(128, 64);
    let chosen = jpeg_if_close(&part).expect("a soft photograph passes");
    let lowest = JPEG_QUALITIES.iter().find_map(|&q| jpeg_at(&part, q)).unwrap();
    assert_eq!(chosen, lowest, "the search finds what trying each quality in turn finds");
}
