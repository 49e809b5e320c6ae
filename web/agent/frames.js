// Reads the server's frame messages (src/stream/tiles/) for the agent view.
//
// A message is `u8 kind, u16 width, u16 height`; kind 2 (a scroll) then moves rows, `u16 count`
// and per move `u16 fromY, u16 toY, u16 rows` (whole width, in order); kind 3 (another page)
// keeps the picture so far in slot `u8 keep` (255: none), then copies back `u16 count`
// rectangles `u8 slot, u16 x, u16 y, u16 w, u16 h` from kept pictures, each to the same place;
// every kind ends with `u16 count` and per tile `u16 x, u16 y, u16 w, u16 h, u8 format (0 PNG,
// 1 JPEG), u32 length` and the picture.
const FORMATS = ['image/png', 'image/jpeg'];

export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const kind = view.getUint8(0);
  if (kind !== 1 && kind !== 2 && kind !== 3) return null;
  const frame = { width: view.getUint16(1), height: view.getUint16(3), keep: 255, recalls: [], moves: [], tiles: [] };
  let at = 5;
  if (kind === 3) {
    frame.keep = view.getUint8(at);
    const count = view.getUint16(at + 1);
    at += 3;
    for (let i = 0; i < count; i++, at += 9) {
      frame.recalls.push({ slot: view.getUint8(at), x: view.getUint16(at + 1), y: view.getUint16(at + 3), w: view.getUint16(at + 5), h: view.getUint16(at + 7) });
    }
  }
  if (kind === 2) {
    const count = view.getUint16(at);
    at += 2;
    for (let i = 0; i < count; i++, at += 6) {
      frame.moves.push({ from: view.getUint16(at), to: view.getUint16(at + 2), rows: view.getUint16(at + 4) });
    }
  }
  const count = view.getUint16(at);
  at += 2;
  for (let i = 0; i < count; i++) {
    const type = FORMATS[view.getUint8(at + 8)];
    if (!type) return null;
    const length = view.getUint32(at + 9);
    const picture = new Blob([new Uint8Array(buffer, at + 13, length)], { type });
    frame.tiles.push({ x: view.getUint16(at), y: view.getUint16(at + 2), picture });
    at += 13 + length;
  }
  return frame;
}
