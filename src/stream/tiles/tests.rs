//! Tile deltas: decoding the messages the way the agent view does must rebuild every frame,
//! and a malformed message must be refused whole.

use super::*;
use image::{Rgba, RgbaImage};

fn tile_count(message: &[u8]) -> u16 {
    assert_eq!(message[0], KIND_TILES);
    u16::from_be_bytes([message[5], message[6]])
}

fn png(image: &RgbaImage) -> Vec<u8> {
    codec::lossless(&image::DynamicImage::ImageRgba8(image.clone()).into_rgb8()).unwrap()
}

/// Draws `message` as the agent view does: every message the encoder writes must draw.
fn apply(screen: &mut TileDecoder, message: &[u8]) {
    if let Err(e) = screen.apply(message) {
        panic!("the message does not draw: {e}");
    }
}

fn page(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7 * 30) as u8, 255]))
}

#[test]
fn the_first_frame_goes_whole_and_rebuilds_exactly() {
    let frame = page(200, 130);
    let mut encoder = TileEncoder::lossless();
    let message = encoder.encode(&png(&frame)).unwrap().unwrap();
    let mut canvas = TileDecoder::default();
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture(), &frame);
}

#[test]
fn a_small_change_sends_only_its_tile() {
    let first = page(800, 600);
    let mut second = first.clone();
    for x in 50..90 {
        second.put_pixel(x, 10, Rgba([0, 0, 0, 255]));
    }
    let mut encoder = TileEncoder::lossless();
    let mut canvas = TileDecoder::default();
    apply(&mut canvas, &encoder.encode(&png(&first)).unwrap().unwrap());
    let delta = encoder.encode(&png(&second)).unwrap().unwrap();
    assert_eq!(tile_count(&delta), 1, "the change spans two tiles, sent as one rectangle");
    let be16 = |i: usize| u16::from_be_bytes([delta[i], delta[i + 1]]);
    assert_eq!((be16(7), be16(9), be16(11), be16(13)), (0, 10, 128, 1), "x, y, w, h: the one changed row");
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture(), &second);
}

#[test]
fn nothing_changed_sends_nothing_and_edges_are_partial_tiles() {
    let frame = page(130, 70);
    let mut encoder = TileEncoder::lossless();
    let mut canvas = TileDecoder::default();
    apply(&mut canvas, &encoder.encode(&png(&frame)).unwrap().unwrap());
    assert!(encoder.encode(&png(&frame)).unwrap().is_none());
    let mut edge = frame.clone();
    edge.put_pixel(129, 69, Rgba([1, 2, 3, 255]));
    let delta = encoder.encode(&png(&edge)).unwrap().unwrap();
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture(), &edge);
}

#[test]
fn a_resize_or_a_big_change_sends_the_whole_frame() {
    let mut encoder = TileEncoder::lossless();
    let mut canvas = TileDecoder::default();
    apply(&mut canvas, &encoder.encode(&png(&page(300, 200))).unwrap().unwrap());
    let resized = page(320, 240);
    let message = encoder.encode(&png(&resized)).unwrap().unwrap();
    // Whole, a band per row of tiles (each judged on its own: palette, photograph).
    assert_eq!(tile_count(&message), 4);
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture(), &resized);
    let inverted = RgbaImage::from_fn(320, 240, |x, y| {
        let p = resized.get_pixel(x, y);
        Rgba([255 - p[0], 255 - p[1], 255 - p[2], 255])
    });
    let message = encoder.encode(&png(&inverted)).unwrap().unwrap();
    assert_eq!(message[0], KIND_RECALL_TILES, "another page: the old one is kept");
    assert_eq!(&message[5..8], &[0, 0, 0], "kept in slot 0, nothing to recall");
    assert_eq!(u16::from_be_bytes([message[8], message[9]]), 4, "whole frame, a band per row of tiles");
    apply(&mut canvas, &message);
    assert_eq!(canvas.picture(), &inverted);
}

#[test]
fn garbage_is_an_error() {
    assert!(matches!(TileEncoder::lossless().encode(b"not a png"), Err(TileError::Decode(_))));
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
    let mut encoder = TileEncoder::lossless();
    let mut canvas = TileDecoder::default();
    apply(&mut canvas, &encoder.encode(&png(&scrolled_page(0))).unwrap().unwrap());
    let next = scrolled_page(100);
    let delta = encoder.encode(&png(&next)).unwrap().unwrap();
    assert_eq!(delta[0], KIND_COPY_TILES);
    let whole = png(&next).len();
    assert!(delta.len() < whole / 3, "scroll delta of {} bytes, whole frame {whole}", delta.len());
    apply(&mut canvas, &delta);
    assert_eq!(canvas.picture(), &next);
    // And back up.
    let back = scrolled_page(30);
    apply(&mut canvas, &encoder.encode(&png(&back)).unwrap().unwrap());
    assert_eq!(canvas.picture(), &back);
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
    let mut encoder = TileEncoder::lossless();
    let mut screen = TileDecoder::default();
    apply(&mut screen, &encoder.encode(&png(&home)).unwrap().unwrap());
    // Off to another page: the home page is kept, the new one comes whole.
    let away = encoder.encode(&png(&other)).unwrap().unwrap();
    apply(&mut screen, &away);
    assert_eq!(screen.picture(), &other);
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
    assert_eq!(screen.picture(), &back);
    // Pictures are kept in turn; one of another size is never recalled.
    for banner in 0..KEPT as u8 + 1 {
        let next = other_page(640, 320, 100 + banner);
        apply(&mut screen, &encoder.encode(&png(&next)).unwrap().unwrap());
        assert_eq!(screen.picture(), &next);
    }
    let small = page(320, 200);
    apply(&mut screen, &encoder.encode(&png(&small)).unwrap().unwrap());
    assert_eq!(screen.picture(), &small);
}

/// A message made by hand: `kind` at `width`x`height`, then `body` as it is.
fn message(kind: u8, width: u16, height: u16, body: &[u8]) -> Vec<u8> {
    [vec![kind], be16(&[width, height]), body.to_vec()].concat()
}

/// Big-endian `u16` fields, as messages hold them.
fn be16(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// One tile of a message: its place, its size as `w` and `h`, and `png` as its bytes.
fn tile_bytes(x: u16, y: u16, w: u16, h: u16, png: &[u8]) -> Vec<u8> {
    [be16(&[x, y, w, h]), vec![0], (png.len() as u32).to_be_bytes().to_vec(), png.to_vec()].concat()
}

/// A tiles message of one tile, `image` at `x`, `y`, in a picture of `width`x`height`.
fn one_tile(width: u16, height: u16, x: u16, y: u16, image: &RgbaImage) -> Vec<u8> {
    let tile = tile_bytes(x, y, image.width() as u16, image.height() as u16, &png(image));
    message(KIND_TILES, width, height, &[be16(&[1]), tile].concat())
}

/// A screen showing a 200x130 page, for bad messages to leave alone.
fn showing_a_page() -> TileDecoder {
    let mut screen = TileDecoder::default();
    apply(&mut screen, &TileEncoder::lossless().encode(&png(&page(200, 130))).unwrap().unwrap());
    screen
}

/// `message` is refused with an error `expected` accepts, and leaves `screen` as it was.
fn refused(screen: &mut TileDecoder, message: &[u8], expected: impl Fn(&DecodeError) -> bool) {
    let before = screen.clone();
    match screen.apply(message) {
        Err(e) => assert!(expected(&e), "not the expected error: {e}"),
        Ok(()) => panic!("a bad message drew"),
    }
    assert!(*screen == before, "a refused message changed the picture");
}

#[test]
fn a_truncated_message_is_an_error_and_draws_nothing() {
    let mut screen = showing_a_page();
    // Another size and picture: drawing any of it would show.
    let whole = TileEncoder::lossless().encode(&png(&other_page(120, 90, 0))).unwrap().unwrap();
    // Cut in the header, the tile count, the tile's fields and its PNG.
    for cut in [0, 1, 4, 6, 12, whole.len() - 1] {
        refused(&mut screen, &whole[..cut], |e| matches!(e, DecodeError::Truncated(_)));
    }
    let longer = [whole.clone(), vec![0]].concat();
    refused(&mut screen, &longer, |e| matches!(e, DecodeError::Trailing(1)));
    apply(&mut screen, &whole);
    assert_eq!(screen.picture(), &other_page(120, 90, 0));
}

#[test]
fn an_unknown_kind_is_an_error() {
    let mut screen = showing_a_page();
    let mut whole = TileEncoder::lossless().encode(&png(&other_page(120, 90, 0))).unwrap().unwrap();
    for kind in [0, 4, 255] {
        whole[0] = kind;
        refused(&mut screen, &whole, |e| matches!(e, DecodeError::UnknownKind(k) if *k == kind));
    }
}

#[test]
fn a_tile_outside_the_picture_or_not_a_png_is_an_error() {
    let mut screen = showing_a_page();
    let square = page(20, 20);
    for (x, y) in [(190, 0), (0, 120), (65535, 65535)] {
        refused(&mut screen, &one_tile(200, 130, x, y, &square), |e| {
            matches!(e, DecodeError::Outside { what: "tile", .. })
        });
    }
    // Outside a picture of another size than the one shown: the picture is not resized either.
    refused(&mut screen, &one_tile(100, 100, 90, 0, &square), |e| matches!(e, DecodeError::Outside { .. }));
    let garbage = message(KIND_TILES, 200, 130, &[be16(&[1]), tile_bytes(0, 0, 9, 1, b"not a png")].concat());
    refused(&mut screen, &garbage, |e| matches!(e, DecodeError::Png(_)));
    let wrong_size = message(KIND_TILES, 200, 130, &[be16(&[1]), tile_bytes(0, 0, 10, 20, &png(&square))].concat());
    refused(&mut screen, &wrong_size, |e| matches!(e, DecodeError::TileSize { .. }));
    // The same tile inside draws.
    apply(&mut screen, &one_tile(200, 130, 180, 110, &square));
    assert_eq!(*screen.picture().get_pixel(199, 129), *square.get_pixel(19, 19));
}

#[test]
fn a_move_outside_the_picture_is_an_error() {
    let mut screen = showing_a_page();
    // One move (from, to, rows), then no tiles; the picture has 130 rows.
    let moves = |from: u16, to: u16, rows: u16| message(KIND_COPY_TILES, 200, 130, &be16(&[1, from, to, rows, 0]));
    refused(&mut screen, &moves(100, 0, 31), |e| matches!(e, DecodeError::MoveOutside { .. }));
    refused(&mut screen, &moves(0, 100, 31), |e| matches!(e, DecodeError::MoveOutside { .. }));
    refused(&mut screen, &moves(65535, 0, 1), |e| matches!(e, DecodeError::MoveOutside { .. }));
    // Up to the last row is inside.
    let before = screen.picture().clone();
    apply(&mut screen, &moves(100, 0, 30));
    assert_eq!(*screen.picture().get_pixel(7, 0), *before.get_pixel(7, 100));
}

#[test]
fn a_recall_from_nowhere_or_outside_is_an_error() {
    let mut screen = showing_a_page();
    // `u8 keep, u16 recalls` and per recall `u8 slot, u16 x, y, w, h`, then no tiles.
    let recall = |keep: u8, slot: u8, rect: [u16; 4]| {
        message(KIND_RECALL_TILES, 200, 130, &[vec![keep], be16(&[1]), vec![slot], be16(&rect), be16(&[0])].concat())
    };
    refused(&mut screen, &recall(KEPT as u8, 0, [0, 0, 10, 10]), |e| matches!(e, DecodeError::NoSuchSlot(_)));
    refused(&mut screen, &recall(KEEP_NONE, KEPT as u8, [0, 0, 10, 10]), |e| matches!(e, DecodeError::NoSuchSlot(_)));
    refused(&mut screen, &recall(KEEP_NONE, 1, [0, 0, 10, 10]), |e| matches!(e, DecodeError::EmptySlot(1)));
    // Slot 0 would hold the picture shown, kept first; the rectangle is outside it.
    refused(&mut screen, &recall(0, 0, [190, 0, 20, 20]), |e| matches!(e, DecodeError::Outside { what: "recall", .. }));
    assert!(screen.kept(0).is_none(), "nothing kept by a refused message");
    apply(&mut screen, &recall(0, 0, [180, 110, 20, 20]));
    assert_eq!(screen.kept(0), Some(screen.picture()));
}
