// The customer's screen: the canvas the server's frames are drawn on, its size, the pause
// cover, and the zoom and the agent's input that work on it.
import { state } from './state.js';
import { TEXT } from './text.js';
import { decodeFrame } from './frames.js';
import { createZoom } from './zoom.js';
import { createInput } from './input.js';
import { $, say, status } from './view.js';
import { send } from './connection.js';

export const stage = $('stage');
export const canvas = $('screen');
const context = canvas.getContext('2d');
const pausedCover = $('paused-cover');

// 100% or fitted, seen part or whole page. `send` (like `$`) is a function declaration, so
// it is there even if its module, which imports this one, has not run yet.
export const zoom = createZoom({
  stage, panel: $('viewport'), button: $('zoom'), wholeButton: $('whole'), outline: $('visible-outline'), TEXT, send,
  mayChoose: () => !state.watching,
});

// The customer's window in CSS pixels: the screen's size on the page, whatever the device
// pixels of its frames (a customer at pixel ratio 2 sends twice as many each way).
export function setCssSize(width, height) {
  if (!width || !height) return;
  state.cssSize = { width, height };
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  zoom.setSize(width, height);
}

export function resize(width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
}

export function setPaused(paused) { pausedCover.hidden = !paused; }

// Frames are tile deltas (web/agent/frames.js reads them): every one must be drawn, in
// order, onto what the ones before drew.
const KEEP_NONE = 255;
const kept = [];
export function queueFrame(buffer) {
  state.drawing = state.drawing.then(() => drawFrame(buffer)).catch((error) => console.warn('cobrowse: undrawable frame', error));
}

async function drawFrame(buffer) {
  const frame = decodeFrame(buffer);
  if (!frame) return;
  const { width, height, keep, recalls, moves } = frame;
  const tiles = frame.tiles.map((tile) => ({ ...tile, bitmap: createImageBitmap(tile.picture) }));
  const bitmaps = await Promise.all(tiles.map((tile) => tile.bitmap));
  // All tiles of a frame land together, so the agent never sees half an update.
  if (keep !== KEEP_NONE) {
    const copy = kept[keep] || document.createElement('canvas');
    [copy.width, copy.height] = [canvas.width, canvas.height];
    copy.getContext('2d').drawImage(canvas, 0, 0);
    kept[keep] = copy;
  }
  recalls.forEach((r) => { if (kept[r.slot]) context.drawImage(kept[r.slot], r.x, r.y, r.w, r.h, r.x, r.y, r.w, r.h); });
  resize(width, height);
  // Drawing the canvas onto itself copies the source first, so overlapping moves are exact.
  moves.forEach((m) => context.drawImage(canvas, 0, m.from, width, m.rows, 0, m.to, width, m.rows));
  tiles.forEach((tile, i) => {
    context.drawImage(bitmaps[i], tile.x, tile.y);
    bitmaps[i].close();
  });
  state.frames += 1;
  canvas.dataset.frames = String(state.frames);
  if (status.textContent === TEXT.waitingForPage) say(TEXT.joined(state.sessionId));
}

// The agent's pointer, clicks, keys and pickers on the screen, in the customer's CSS pixels.
export const agentInput = createInput({
  canvas, stage, TEXT, send,
  cssSize: () => state.cssSize || { width: canvas.width, height: canvas.height },
  isWrite: () => state.mode === 'write' && !state.watching,
  onPointer: (point) => { state.lastPointer = point; },
});
