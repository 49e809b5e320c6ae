//! Scroll detection between two frames: rows of the new frame that are rows of the old one
//! moved by one distance, sent as whole-width row moves the agent makes on its own canvas
//! instead of the pixels themselves.

use std::collections::HashMap;

use image::RgbaImage;

/// Columns at the right edge left out of row comparisons: a scrollbar's thumb moves by another
/// distance than the content. Tiles repair whatever a move got wrong there.
const SCROLLBAR: u32 = 24;
/// Runs of matching rows shorter than this are not worth a move.
const MIN_RUN: u32 = 16;
/// A row seen this often in the old frame (a blank one) says nothing about the distance.
const COMMON_ROW: u32 = 4;

/// Move `rows` whole-width rows from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowMove {
    pub from: u32,
    pub to: u32,
    pub rows: u32,
}

/// Hashes of each row's left and right halves (scrollbar excluded): a row whose content moved
/// but which a fixed element covers on one side (a chat button in a corner) still matches on
/// the other, and tiles repair the covered part.
fn row_hashes(image: &RgbaImage) -> Vec<[u64; 2]> {
    let (width, _) = image.dimensions();
    let stride = width as usize * 4;
    let compared = width.saturating_sub(SCROLLBAR).max(2) as usize;
    let middle = compared / 2 * 4;
    let hash = |bytes: &[u8]| {
        bytes.chunks(8).fold(0xcbf2_9ce4_8422_2325u64, |h, word| {
            let mut eight = [0u8; 8];
            eight[..word.len()].copy_from_slice(word);
            (h.rotate_left(5) ^ u64::from_le_bytes(eight)).wrapping_mul(0x517c_c1b7_2722_0a95)
        })
    };
    image.as_raw().chunks_exact(stride).map(|row| [hash(&row[..middle]), hash(&row[middle..compared * 4])]).collect()
}

/// The row moves that turn most of `old` into `new`, in the order they must be made (each
/// reads what the ones before left); empty when `new` is not a scroll of `old`.
pub fn detect(old: &RgbaImage, new: &RgbaImage) -> Vec<RowMove> {
    if old.dimensions() != new.dimensions() {
        return Vec::new();
    }
    let (old_rows, new_rows) = (row_hashes(old), row_hashes(new));
    let mut seen: [HashMap<u64, Vec<u32>>; 2] = Default::default();
    for (y, halves) in old_rows.iter().enumerate() {
        for (side, h) in halves.iter().enumerate() {
            seen[side].entry(*h).or_default().push(y as u32);
        }
    }
    // Each distinctive half row of the new frame votes for the distances it may have moved;
    // rows that stayed put vote for no move at all.
    let mut votes: HashMap<i64, u32> = HashMap::new();
    for (y, halves) in new_rows.iter().enumerate() {
        for (side, h) in halves.iter().enumerate() {
            match seen[side].get(h) {
                Some(found) if found.len() as u32 <= COMMON_ROW => {
                    for &from in found {
                        *votes.entry(from as i64 - y as i64).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let Some((shift, count)) = votes.into_iter().max_by_key(|&(shift, count)| (count, -shift.abs())) else {
        return Vec::new();
    };
    if shift == 0 || count < MIN_RUN {
        return Vec::new();
    }
    // Runs of rows that are the old rows `shift` further on.
    let height = new_rows.len() as i64;
    let mut moves = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for y in 0..=height {
        let from = y + shift;
        let matches = y < height && (0..height).contains(&from) && {
            let (new, old) = (new_rows[y as usize], old_rows[from as usize]);
            new[0] == old[0] || new[1] == old[1]
        };
        run = match (run, matches) {
            (None, true) => Some((y as u32, 1)),
            (Some((start, len)), true) => Some((start, len + 1)),
            (Some((start, len)), false) => {
                if len >= MIN_RUN {
                    moves.push(RowMove { from: (start as i64 + shift) as u32, to: start, rows: len });
                }
                None
            }
            (None, false) => None,
        };
    }
    // Content moving up reads from below what earlier moves wrote, so top to bottom is safe;
    // content moving down needs bottom to top.
    if shift < 0 {
        moves.reverse();
    }
    moves
}

/// Makes `moves` on `image`, as the agent does on its canvas.
pub fn apply(image: &mut RgbaImage, moves: &[RowMove]) {
    let stride = image.width() as usize * 4;
    let height = image.height();
    let raw: &mut [u8] = image;
    for m in moves {
        let rows = m.rows.min(height.saturating_sub(m.from)).min(height.saturating_sub(m.to)) as usize;
        let from = m.from as usize * stride;
        raw.copy_within(from..from + rows * stride, m.to as usize * stride);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A page of distinct text-like rows under a fixed header, scrolled by `offset`, with a
    /// scrollbar thumb whose place depends on the offset.
    fn view(offset: u32) -> RgbaImage {
        RgbaImage::from_fn(300, 200, |x, y| {
            if x >= 290 {
                let thumb = offset / 4 + 20;
                return if (thumb..thumb + 40).contains(&y) {
                    Rgba([90, 90, 90, 255])
                } else {
                    Rgba([240, 240, 240, 255])
                };
            }
            if y < 30 {
                return Rgba([20, 70, 50, 255]);
            }
            let line = y + offset;
            let ink = (line * 31 + x * 17) % 97 < 11 && line % 24 > 6;
            if ink {
                Rgba([35, 48, 59, 255])
            } else {
                Rgba([247, 245, 240, 255])
            }
        })
    }

    #[test]
    fn a_scroll_down_is_found_and_moves_rebuild_the_content() {
        let (old, new) = (view(0), view(45));
        let moves = detect(&old, &new);
        assert_eq!(moves, vec![RowMove { from: 75, to: 30, rows: 125 }]);
        let mut predicted = old.clone();
        apply(&mut predicted, &moves);
        for y in 30..155 {
            for x in 0..290 {
                assert_eq!(predicted.get_pixel(x, y), new.get_pixel(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn a_fixed_corner_button_does_not_stop_its_rows_moving() {
        let with_button = |offset| {
            let mut v = view(offset);
            for y in 150..190 {
                for x in 220..285 {
                    v.put_pixel(x, y, Rgba([20, 69, 47, 255]));
                }
            }
            v
        };
        let moves = detect(&with_button(0), &with_button(45));
        assert_eq!(moves, vec![RowMove { from: 75, to: 30, rows: 125 }]);
    }

    #[test]
    fn a_scroll_up_moves_bottom_to_top() {
        let (old, new) = (view(300), view(260));
        let moves = detect(&old, &new);
        assert!(!moves.is_empty());
        assert!(moves.iter().all(|m| m.to == m.from + 40));
        let mut predicted = old.clone();
        apply(&mut predicted, &moves);
        for y in 70..200 {
            assert_eq!(predicted.get_pixel(10, y), new.get_pixel(10, y), "row {y}");
        }
    }

    #[test]
    fn unrelated_frames_and_unchanged_frames_give_no_moves() {
        let other = RgbaImage::from_fn(300, 200, |x, y| Rgba([(x * y % 251) as u8, 3, 9, 255]));
        assert!(detect(&view(0), &other).is_empty());
        assert!(detect(&view(10), &view(10)).is_empty());
        assert!(detect(&view(0), &RgbaImage::new(10, 10)).is_empty());
    }
}
