//! What the server remembers of a picture an agent has: a hash of every row of every 64-pixel
//! tile column (about 130 KB for a 1280×800 window, where the picture itself takes 4 MB).
//! That is enough to tell which tiles changed, which rows a scroll moved, and which tiles of an
//! earlier picture came back.

use image::{RgbImage, RgbaImage};

use super::scroll::RowMove;

/// Tile edge in pixels.
pub const TILE: u32 = 64;

/// A rectangle of a frame: x, y, width, height.
pub type Rect = (u32, u32, u32, u32);

/// Row-segment hashes of one picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    width: u32,
    height: u32,
    /// Tile columns.
    columns: u32,
    /// `height` rows of `columns` hashes.
    cells: Vec<u64>,
}

/// Hashes one row segment. Multiply and shift on each 8-byte word: a change in any byte moves
/// the whole hash.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = 0x243f_6a88_85a3_08d3u64 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        h = (h ^ u64::from_le_bytes(word.try_into().unwrap_or_default())).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 32)
}

impl Grid {
    /// The grid of `image`.
    pub fn of(image: &RgbaImage) -> Grid {
        let (width, height) = image.dimensions();
        Grid::of_pixels(image.as_raw(), width, height, 4)
    }

    /// The grid of an opaque picture (what Chromium's frames are).
    pub fn of_rgb(image: &RgbImage) -> Grid {
        let (width, height) = image.dimensions();
        Grid::of_pixels(image.as_raw(), width, height, 3)
    }

    fn of_pixels(raw: &[u8], width: u32, height: u32, channels: usize) -> Grid {
        let columns = width.div_ceil(TILE).max(1);
        let stride = width as usize * channels;
        let mut cells = Vec::with_capacity((columns * height) as usize);
        for row in raw.chunks_exact(stride.max(1)).take(height as usize) {
            for column in 0..columns {
                let start = (column * TILE) as usize * channels;
                let end = (((column + 1) * TILE).min(width) as usize) * channels;
                cells.push(hash(&row[start..end]));
            }
        }
        Grid { width, height, columns, cells }
    }

    /// Width and height of the picture.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Tiles in the picture.
    pub fn tile_count(&self) -> usize {
        (self.columns * self.height.div_ceil(TILE)) as usize
    }

    fn row(&self, y: u32) -> &[u64] {
        let start = (y * self.columns) as usize;
        &self.cells[start..start + self.columns as usize]
    }

    /// Whether rows `y0..y1` of columns `c0..c1` are the same in both grids (of one size).
    fn same(&self, other: &Grid, (c0, c1): (u32, u32), (y0, y1): (u32, u32)) -> bool {
        (y0..y1).all(|y| self.row(y)[c0 as usize..c1 as usize] == other.row(y)[c0 as usize..c1 as usize])
    }

    /// The tile (column, tile row) as a rectangle of the picture.
    fn tile(&self, column: u32, tile_row: u32) -> Rect {
        let (x, y) = (column * TILE, tile_row * TILE);
        (x, y, TILE.min(self.width - x), TILE.min(self.height - y))
    }

    /// Rectangles of the tiles that differ from `other` (a grid of the same size).
    pub fn changed_tiles(&self, other: &Grid) -> Vec<Rect> {
        let mut changed = Vec::new();
        for tile_row in 0..self.height.div_ceil(TILE) {
            let rows = (tile_row * TILE, ((tile_row + 1) * TILE).min(self.height));
            for column in 0..self.columns {
                if !self.same(other, (column, column + 1), rows) {
                    changed.push(self.tile(column, tile_row));
                }
            }
        }
        changed
    }

    /// Rectangles of every tile, row by row.
    pub fn all_tiles(&self) -> Vec<Rect> {
        let rows = self.height.div_ceil(TILE);
        (0..rows)
            .flat_map(|row| (0..self.columns).map(move |column| (row, column)))
            .map(|(r, c)| self.tile(c, r))
            .collect()
    }

    /// Whether the tile at `rect` (a tile of this grid's size) is the same in `other`.
    pub fn same_tile(&self, other: &Grid, rect: Rect) -> bool {
        let column = rect.0 / TILE;
        other.dimensions() == self.dimensions() && self.same(other, (column, column + 1), (rect.1, rect.1 + rect.3))
    }

    /// `rect` without its leading and trailing rows that are the same in `other`: a change to
    /// a thin line (a progress bar, an underline) need not send whole tiles of rows around it.
    pub fn trim_rows(&self, other: &Grid, rect: Rect) -> Rect {
        let (x, y, w, h) = rect;
        let columns = (x / TILE, (x + w).div_ceil(TILE));
        let differs = |row: u32| !self.same(other, columns, (row, row + 1));
        let Some(top) = (y..y + h).find(|&row| differs(row)) else { return rect };
        let bottom = (y..y + h).rev().find(|&row| differs(row)).unwrap_or(top);
        (x, top, w, bottom + 1 - top)
    }

    /// Hashes of each row's left and right halves of whole tile columns, leaving out the last
    /// column (where a scrollbar's thumb moves by another distance than the content): a row whose
    /// content moved but which a fixed element covers on one side still matches on the other.
    pub fn row_halves(&self) -> Vec<[u64; 2]> {
        let compared = self.columns.saturating_sub(1).max(1);
        let middle = (compared / 2).max(1).min(compared);
        let combine =
            |cells: &[u64]| cells.iter().fold(0x9e37_79b9u64, |h, c| (h.rotate_left(17) ^ c).wrapping_mul(31));
        (0..self.height)
            .map(|y| {
                let row = self.row(y);
                [combine(&row[..middle as usize]), combine(&row[middle as usize..compared as usize])]
            })
            .collect()
    }

    /// Makes `moves` on the remembered rows, as the agent makes them on its picture.
    pub fn apply(&mut self, moves: &[RowMove]) {
        super::scroll::move_rows(&mut self.cells, self.columns as usize, self.height, moves);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn picture(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 251) as u8, (y % 241) as u8, ((x * y) % 13) as u8, 255]))
    }

    #[test]
    fn one_changed_pixel_marks_one_tile_and_trims_to_its_row() {
        let a = picture(200, 130);
        let mut b = a.clone();
        b.put_pixel(70, 100, Rgba([0, 0, 0, 255]));
        let (ga, gb) = (Grid::of(&a), Grid::of(&b));
        assert_eq!(gb.changed_tiles(&ga), vec![(64, 64, 64, 64)]);
        assert_eq!(gb.trim_rows(&ga, (64, 64, 64, 64)), (64, 100, 64, 1));
        assert!(!gb.same_tile(&ga, (64, 64, 64, 64)) && gb.same_tile(&ga, (0, 64, 64, 64)));
        // The partial tiles at the edges count too.
        let mut c = a.clone();
        c.put_pixel(199, 129, Rgba([1, 2, 3, 255]));
        assert_eq!(Grid::of(&c).changed_tiles(&ga), vec![(192, 128, 8, 2)]);
        assert!(ga.changed_tiles(&Grid::of(&a)).is_empty());
        assert_eq!(ga.tile_count(), 4 * 3);
    }

    #[test]
    fn moved_rows_match_what_the_moved_picture_hashes_to() {
        let a = picture(256, 200);
        let moves = [RowMove { from: 50, to: 10, rows: 100 }];
        let mut moved = a.clone();
        super::super::scroll::apply(&mut moved, &moves);
        let mut grid = Grid::of(&a);
        grid.apply(&moves);
        assert_eq!(grid, Grid::of(&moved));
    }
}
