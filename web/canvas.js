// Canvas pixels for the agent (part of /cobrowse.js, after masking.js). rrweb records a
// <canvas> element but not what is drawn on it, so charts would be empty boxes. This takes a
// lossless PNG of a canvas when it was drawn on (at most a few a second each, fewer while it
// animates), when a full snapshot goes out, and on a slow round for drawing it could not see;
// only pictures that changed are sent, as custom rrweb events the replica paints
// (web/replica/replica.js). Masked and blocked canvases send no pixels; a canvas the page may
// not read (tainted by another site's image, or drawn from a worker) is sent as unreadable,
// and the agent sees a placeholder.
const canvases = (() => {
  'use strict';
  const TAG = 'cobrowse-canvas';
  // A canvas is captured at most this often, and this much more slowly once it has changed at
  // every capture for a while (an animation): a picture costs the customer's upload 10-40 KB.
  const EVERY_MS = 250;
  const ANIMATING_EVERY_MS = 500;
  const ANIMATING_AFTER = 8;
  // Drawing this cannot see (a context it did not patch) is found on a slow round.
  const ROUND_MS = 2000;
  // rrweb's EventType.Custom, by number: rrweb loads later, only when a session starts
  // (recording.load), so its enums are not there when this script runs.
  const EVENT_CUSTOM = 5;

  let emit = null;
  let mirror = null;
  let hidden = () => false;
  let round = null;
  // canvas -> { sent: last picture (base64) or marker, at: when last captured, changes, busy, timer }
  let known = new WeakMap();
  const patched = new WeakSet();

  function state(canvas) {
    let s = known.get(canvas);
    if (!s) { s = { sent: null, at: 0, changes: 0, busy: false, timer: null, dirty: false, gl: false }; known.set(canvas, s); }
    return s;
  }

  // A WebGL canvas whose drawing buffer the browser clears once a frame is shown (the default):
  // it can only be read in the task that drew it, so its pictures are taken then, and its last
  // one is what a fresh snapshot gets.
  function fleeting(canvas) {
    const s = state(canvas);
    if (!s.gl) return false;
    try {
      const context = canvas.getContext(s.gl);
      return !(context && context.getContextAttributes() && context.getContextAttributes().preserveDrawingBuffer);
    } catch (_) { return true; }
  }

  function send(canvas, payload) {
    const id = mirror && mirror.getId(canvas);
    if (!emit || !id || id < 0) return false;
    emit({ type: EVENT_CUSTOM, timestamp: Date.now(), data: { tag: TAG, payload: { id, ...payload } } });
    return true;
  }

  const toBlob = (canvas) => new Promise((resolve, reject) => {
    try { canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('empty'))), 'image/png'); } catch (e) { reject(e); }
  });
  const base64 = (blob) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(',') + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });

  // Takes a picture of `canvas` now and sends it if it changed (or `force`).
  async function capture(canvas, force) {
    const s = state(canvas);
    if (!emit || s.busy || !canvas.isConnected) return;
    if (hidden(canvas)) {
      if (s.sent !== 'hidden') { s.sent = 'hidden'; send(canvas, { hidden: true }); }
      return;
    }
    if (!canvas.width || !canvas.height) return;
    s.busy = true;
    s.at = performance.now();
    s.dirty = false;
    try {
      // The picture is taken when toBlob is called (for WebGL, before the frame is shown and
      // its buffer cleared), and encoded off the page's thread.
      const data = await base64(await toBlob(canvas));
      if (force || data !== s.sent) {
        s.changes = s.sent === null ? 0 : s.changes + 1;
        if (send(canvas, { width: canvas.width, height: canvas.height, png: data })) s.sent = data;
      } else {
        s.changes = 0;
      }
    } catch (_) {
      // SecurityError (tainted) or InvalidStateError (control moved to a worker).
      if (force || s.sent !== 'unreadable') { s.sent = 'unreadable'; send(canvas, { unreadable: true }); }
    } finally {
      s.busy = false;
      if (s.dirty) drawn(canvas);
    }
  }

  // `canvas` was drawn on: capture it once its interval allows.
  function drawn(canvas, gl) {
    if (!emit || !canvas) return;
    const s = state(canvas);
    if (gl) s.gl = gl;
    s.dirty = true;
    if (s.timer || s.busy) return;
    const every = s.changes >= ANIMATING_AFTER ? ANIMATING_EVERY_MS : EVERY_MS;
    const wait = Math.max(0, s.at + every - performance.now());
    // A microtask still sees a WebGL drawing buffer the browser clears once the frame shows;
    // a WebGL canvas drawn again too soon waits for its next drawing instead of a timer.
    if (wait === 0) { queueMicrotask(() => capture(canvas, false)); return; }
    if (gl && fleeting(canvas)) return;
    s.timer = setTimeout(() => { s.timer = null; capture(canvas, false); }, wait);
  }

  // Notes drawing on canvases of `win`: every method that changes pixels marks its canvas.
  function patch(win) {
    if (!win || patched.has(win)) return;
    patched.add(win);
    const mark = (proto, names, gl) => {
      if (!proto) return;
      for (const name of names) {
        const original = proto[name];
        if (typeof original !== 'function') continue;
        proto[name] = function (...args) {
          const result = original.apply(this, args);
          if (emit && this && this.canvas && this.canvas.nodeType === 1) drawn(this.canvas, gl);
          return result;
        };
      }
    };
    mark(win.CanvasRenderingContext2D && win.CanvasRenderingContext2D.prototype,
      ['fillRect', 'clearRect', 'strokeRect', 'fillText', 'strokeText', 'fill', 'stroke', 'drawImage', 'putImageData', 'reset']);
    const gl = ['clear', 'drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements', 'blitFramebuffer'];
    mark(win.WebGLRenderingContext && win.WebGLRenderingContext.prototype, gl, 'webgl');
    mark(win.WebGL2RenderingContext && win.WebGL2RenderingContext.prototype, gl, 'webgl2');
    mark(win.ImageBitmapRenderingContext && win.ImageBitmapRenderingContext.prototype, ['transferFromImageBitmap']);
  }

  // Every canvas of the page, in shadow roots and same-origin frames too.
  function all() {
    const found = [];
    const visit = (root, win) => {
      patch(win);
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'CANVAS') found.push(el);
        if (el.shadowRoot) visit(el.shadowRoot, win);
        if (el.tagName === 'IFRAME') {
          try { if (el.contentDocument) visit(el.contentDocument, el.contentWindow); } catch (_) { /* another site */ }
        }
      }
    };
    visit(document, window);
    return found;
  }

  // Starts sending canvases through `emitEvent`, with node IDs from `recorderMirror`; `isHidden`
  // says which ones are masked or blocked.
  function start(emitEvent, recorderMirror, isHidden) {
    emit = emitEvent;
    mirror = recorderMirror;
    hidden = isHidden;
    known = new WeakMap();
    clearInterval(round);
    round = setInterval(() => { for (const canvas of all()) if (!state(canvas).timer && !fleeting(canvas)) capture(canvas, false); }, ROUND_MS);
  }

  // A full snapshot went out: the replica's canvases are empty again, so every one is sent (a
  // WebGL canvas that cannot be read back now, as last taken).
  function snapshotTaken() {
    if (!emit) return;
    for (const canvas of all()) {
      const s = state(canvas);
      if (fleeting(canvas) && typeof s.sent === 'string' && s.sent !== 'hidden' && s.sent !== 'unreadable') {
        send(canvas, { width: canvas.width, height: canvas.height, png: s.sent });
      } else {
        s.sent = null;
        capture(canvas, true);
      }
    }
  }

  function stop() {
    emit = null;
    clearInterval(round);
    round = null;
  }

  return { TAG, start, stop, snapshotTaken };
})();
