//! Counting a rectangle's colours, up to a few hundred: whether it fits a palette, or has
//! too many colours for anything but a photograph.

use image::RgbImage;

use crate::stream::grid::Rect;

/// Whether `rect` has more than `limit` colours.
pub fn colours_over(frame: &RgbImage, rect: Rect, limit: usize) -> bool {
    colours_in(frame, rect, &mut ColourSet::default(), limit)
}

/// Adds the colours of `rect` to `seen`; whether they came to more than `limit` (then `seen`
/// is left part filled).
pub fn colours_in(frame: &RgbImage, (x, y, w, h): Rect, seen: &mut ColourSet, limit: usize) -> bool {
    for row in y..y + h {
        for column in x..x + w {
            if seen.insert(frame.get_pixel(column, row).0) > limit {
                return true;
            }
        }
    }
    false
}

/// A small set of colours, enough to count to a few hundred quickly.
pub struct ColourSet {
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
    pub fn insert(&mut self, [r, g, b]: [u8; 3]) -> usize {
        self.add(u32::from_be_bytes([0, r, g, b]));
        self.count
    }

    /// Adds `other`'s colours if together they come to `limit` or fewer; whether it did (if
    /// not, this set is left as it was).
    pub fn absorb(&mut self, other: &ColourSet, limit: usize) -> bool {
        let keys = || other.slots.iter().copied().filter(|&key| key != u32::MAX);
        let new = keys().filter(|&key| self.slots[self.slot_of(key)] == u32::MAX).count();
        if self.count + new > limit {
            return false;
        }
        keys().for_each(|key| self.add(key));
        true
    }

    /// Adds the colour `key` unless it is there.
    fn add(&mut self, key: u32) {
        let at = self.slot_of(key);
        if self.slots[at] == u32::MAX {
            self.slots[at] = key;
            self.count += 1;
        }
    }

    /// Where `key` is, or the empty slot where it would go.
    fn slot_of(&self, key: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = (key.wrapping_mul(0x9e37_79b1) >> 22) as usize & mask;
        while self.slots[at] != u32::MAX && self.slots[at] != key {
            at = (at + 1) & mask;
        }
        at
    }
}
