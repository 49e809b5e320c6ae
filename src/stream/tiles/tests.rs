//! Tile deltas: decoding the messages the way the agent view does must rebuild every frame.

use super::*;
use image::{Rgba, RgbaImage};

fn tile_count(message: &[u8]) -> u16 {
    assert_eq!(message[0], KIND_TILES);
    u16::from_be_bytes([message[5], message[6]])
}

fn png(image: &RgbaImage) -> Vec<u8> {
    encode_png(&image::DynamicImage::ImageRgba8(image.clone()).into_rgb8()).unwrap()
}

/// What the agent view holds: its picture and the pictures it kept.
#[derive(Default)]
struct Screen {
    picture: Option<RgbaImage>,
    kept: [Option<RgbaImage>; KEPT],
}

/// Applies a tiles message to `screen`, as `web/agent/frames.js` and `screen.js` do.
fn apply(screen: &mut Screen, message: &[u8]) {
    let be16 = |i: usize| u16::from_be_bytes([message[i], message[i + 1]]) as u32;
    assert!([KIND_TILES, KIND_COPY_TILES, KIND_RECALL_TILES].contains(&message[0]));
    let (width, height) = (be16(1), be16(3));
    let mut at = 5;
    if message[0] == KIND_RECALL_TILES {
        let keep = message[at];
        if keep != KEEP_NONE {
            screen.kept[keep as usize] = screen.picture.clone();
        }
        let count = be16(at + 1) as usize;
        at += 3;
        let canvas = screen.picture.get_or_insert_with(|| RgbaImage::new(width, height));
        for _ in 0..count {
            let slot = message[at] as usize;
            let (x, y, w, h) = (be16(at + 1), be16(at + 3), be16(at + 5), be16(at + 7));
            let kept = screen.kept[slot].as_ref().expect("a recall from a kept picture");
            let part = image::imageops::crop_imm(kept, x, y, w, h).to_image();
            image::imageops::replace(canvas, &part, x as i64, y as i64);
            at += 9;
        }
    }
    let canvas = screen.picture.get_or_insert_with(|| RgbaImage::new(width, height));
    if canvas.dimensions() != (width, height) {
        *canvas = RgbaImage::new(width, height);
    }
    if message[0] == KIND_COPY_TILES {
        let moves: Vec<RowMove> = (0..be16(at) as usize)
            .map(|i| RowMove { from: be16(at + 2 + i * 6), to: be16(at + 4 + i * 6), rows: be16(at + 6 + i * 6) })
            .collect();
        scroll::apply(canvas, &moves);
        at += 2 + moves.len() * 6;
    }
    let count = be16(at);
    at += 2;
    for _ in 0..count {
        let (x, y, w, h) = (be16(at), be16(at + 2), be16(at + 4), be16(at + 6));
        let len = u32::from_be_bytes(message[at + 8..at + 12].try_into().unwrap()) as usize;
        let tile = image::load_from_memory(&message[at + 12..at + 12 + len]).unwrap().into_rgba8();
        assert_eq!(tile.dimensions(), (w, h));
        image::imageops::replace(canvas, &tile, x as i64, y as i64);
        at += 12 + len;
    }
    assert_eq!(at, message.len());
}

fn page(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7 * 30) as u8, 255]))
}

#[test]
fn the_first_frame_goes_whole_and_rebuilds_exactly() {
    let frame = page(200, 130);
    let mut encoder = TileEncoder::default();
    let message = encoder.encode(&png(&frame)).unwrap().unwrap();
    let mut canvas = Screen::default();
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture.unwrap(), frame);
}

#[test]
fn a_small_change_sends_only_its_tile() {
    let first = page(800, 600);
    let mut second = first.clone();
    for x in 50..90 {
        second.put_pixel(x, 10, Rgba([0, 0, 0, 255]));
    }
    let mut encoder = TileEncoder::default();
    let mut canvas = Screen::default();
    apply(&mut canvas, &encoder.encode(&png(&first)).unwrap().unwrap());
    let delta = encoder.encode(&png(&second)).unwrap().unwrap();
    assert_eq!(tile_count(&delta), 1, "the change spans two tiles, sent as one rectangle");
    let be16 = |i: usize| u16::from_be_bytes([delta[i], delta[i + 1]]);
    assert_eq!((be16(7), be16(9), be16(11), be16(13)), (0, 10, 128, 1), "x, y, w, h: the one changed row");
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture.unwrap(), second);
}

#[test]
fn nothing_changed_sends_nothing_and_edges_are_partial_tiles() {
    let frame = page(130, 70);
    let mut encoder = TileEncoder::default();
    let mut canvas = Screen::default();
    apply(&mut canvas, &encoder.encode(&png(&frame)).unwrap().unwrap());
    assert!(encoder.encode(&png(&frame)).unwrap().is_none());
    let mut edge = frame.clone();
    edge.put_pixel(129, 69, Rgba([1, 2, 3, 255]));
    let delta = encoder.encode(&png(&edge)).unwrap().unwrap();
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture.unwrap(), edge);
}

#[test]
fn a_resize_or_a_big_change_sends_the_whole_frame() {
    let mut encoder = TileEncoder::default();
    let mut canvas = Screen::default();
    apply(&mut canvas, &encoder.encode(&png(&page(300, 200))).unwrap().unwrap());
    let resized = page(320, 240);
    let message = encoder.encode(&png(&resized)).unwrap().unwrap();
    assert_eq!(tile_count(&message), 1);
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture.as_ref().unwrap(), &resized);
    let inverted = RgbaImage::from_fn(320, 240, |x, y| {
        let p = resized.get_pixel(x, y);
        Rgba([255 - p[0], 255 - p[1], 255 - p[2], 255])
    });
    let message = encoder.encode(&png(&inverted)).unwrap().unwrap();
    assert_eq!(message[0], KIND_RECALL_TILES, "another page: the old one is kept");
    assert_eq!(&message[5..8], &[0, 0, 0], "kept in slot 0, nothing to recall");
    assert_eq!(u16::from_be_bytes([message[8], message[9]]), 1, "whole frame");
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture.unwrap(), inverted);
}

#[test]
fn garbage_is_an_error() {
    assert!(matches!(TileEncoder::default().encode(b"not a png"), Err(TileError::Decode(_))));
}

/// A long page of distinct lines under a fixed header, seen scrolled down by `offset` pixels.
fn scrolled_page(offset: u32) -> RgbaImage {
    RgbaImage::from_fn(640, 480, |x, y| {
        if y < 48 {
            return Rgba([20, 69, 47, 255]);
        }
        let line = y + offset;
        let ink = line % 20 > 5 && (line * 7 + x * 13) % 89 < 9;
        if ink {
            Rgba([35, 48, 59, 255])
        } else {
            Rgba([247, 245, 240, 255])
        }
    })
}

#[test]
fn a_scroll_sends_row_moves_and_only_the_uncovered_tiles() {
    let mut encoder = TileEncoder::default();
    let mut canvas = Screen::default();
    apply(&mut canvas, &encoder.encode(&png(&scrolled_page(0))).unwrap().unwrap());
    let next = scrolled_page(100);
    let delta = encoder.encode(&png(&next)).unwrap().unwrap();
    assert_eq!(delta[0], KIND_COPY_TILES);
    let whole = png(&next).len();
    assert!(delta.len() < whole / 3, "scroll delta of {} bytes, whole frame {whole}", delta.len());
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture.as_ref().unwrap(), &next);
    // And back up.
    let back = scrolled_page(30);
    apply(&mut canvas, &encoder.encode(&png(&back)).unwrap().unwrap());
    assert_eq!(canvas.picture.unwrap(), back);
}

#[test]
fn changed_tiles_merge_into_bands() {
    let t = |x, y| (x * TILE, y * TILE, TILE, TILE);
    // A run of three in one row, the same run in the next row, and a lone tile.
    let merged = super::merge(vec![t(0, 0), t(1, 0), t(2, 0), t(5, 0), t(0, 1), t(1, 1), t(2, 1), t(4, 2)]);
    assert_eq!(merged, vec![(0, 0, 3 * TILE, 2 * TILE), (5 * TILE, 0, TILE, TILE), (4 * TILE, 2 * TILE, TILE, TILE)]);
}

/// A page unlike `page`: its own pattern everywhere, and a banner in the top rows.
fn other_page(width: u32, height: u32, banner: u8) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        if y < 40 {
            Rgba([banner, 90, 200, 255])
        } else {
            Rgba([((x * 3 + y) % 253) as u8, ((x + y * 5) % 239) as u8, 77, 255])
        }
    })
}

#[test]
fn going_back_to_a_page_recalls_its_tiles_instead_of_sending_them() {
    let (home, other) = (page(640, 320), other_page(640, 320, 10));
    let mut encoder = TileEncoder::default();
    let mut screen = Screen::default();
    apply(&mut screen, &encoder.encode(&png(&home)).unwrap().unwrap());
    // Off to another page: the home page is kept, the new one comes whole.
    let away = encoder.encode(&png(&other)).unwrap().unwrap();
    apply(&mut screen, &away);
    assert_eq!(screen.picture.as_ref().unwrap(), &other);
    // Back home, with one corner changed: every other tile comes back from the kept picture.
    let mut back = home.clone();
    for x in 0..10 {
        back.put_pixel(x, 0, Rgba([255, 0, 0, 255]));
    }
    let message = encoder.encode(&png(&back)).unwrap().unwrap();
    assert_eq!(message[0], KIND_RECALL_TILES);
    let recalls = u16::from_be_bytes([message[6], message[7]]);
    assert!(recalls >= 1, "nothing recalled");
    assert!(message.len() < away.len() / 10, "{} bytes to go back, {} to go away", message.len(), away.len());
    apply(&mut screen, &message);
    assert_eq!(screen.picture.as_ref().unwrap(), &back);
    // Pictures are kept in turn; one of another size is never recalled.
    for banner in 0..KEPT as u8 + 1 {
        let next = other_page(640, 320, 100 + banner);
        apply(&mut screen, &encoder.encode(&png(&next)).unwrap().unwrap());
        assert_eq!(screen.picture.as_ref().unwrap(), &next);
    }
    let small = page(320, 200);
    apply(&mut screen, &encoder.encode(&png(&small)).unwrap().unwrap());
    assert_eq!(screen.picture.unwrap(), small);
}
