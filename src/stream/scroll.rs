//! Scroll detection between two frames: rows of the new frame that are rows of the old one
//! moved by one distance, sent as whole-width row moves the agent makes on its own canvas
//! instead of the pixels themselves.

use std::collections::HashMap;

use image::RgbaImage;

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

/// The row moves that turn most of a picture into the next, given the hashes of each row's two
/// halves in both (see [`super::grid::Grid::row_halves`]), in the order they must be made (each
/// reads what the ones before left); empty when the next is not a scroll of the first.
pub fn detect(old_rows: &[[u64; 2]], new_rows: &[[u64; 2]]) -> Vec<RowMove> {
    if old_rows.len() != new_rows.len() {
        return Vec::new();
    }
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
    let (stride, height) = (image.width() as usize * 4, image.height());
    let raw: &mut [u8] = image;
    move_rows(raw, stride, height, moves);
}

/// Makes `moves` on `height` rows of `stride` items each.
pub fn move_rows<T: Copy>(data: &mut [T], stride: usize, height: u32, moves: &[RowMove]) {
    for m in moves {
        let rows = m.rows.min(height.saturating_sub(m.from)).min(height.saturating_sub(m.to)) as usize;
        let from = m.from as usize * stride;
        data.copy_within(from..from + rows * stride, m.to as usize * stride);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::grid::Grid;
    use image::Rgba;

    fn moves_between(old: &RgbaImage, new: &RgbaImage) -> Vec<RowMove> {
        detect(&Grid::of(old).row_halves(), &Grid::of(new).row_halves())
    }

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
        let moves = moves_between(&old, &new);
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
        let moves = moves_between(&with_button(0), &with_button(45));
        assert_eq!(moves, vec![RowMove { from: 75, to: 30, rows: 125 }]);
    }

    #[test]
    fn a_scroll_up_moves_bottom_to_top() {
        let (old, new) = (view(300), view(260));
        let moves = moves_between(&old, &new);
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
        assert!(moves_between(&view(0), &other).is_empty());
        assert!(moves_between(&view(10), &view(10)).is_empty());
        assert!(moves_between(&view(0), &RgbaImage::new(10, 10)).is_empty());
    }
}
