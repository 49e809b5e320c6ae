// `cobrowse bench`: added to every agent view the bench opens, before the view's own scripts.
// It notes when the view sent `join`, when each frame message arrived on its socket, and, right
// after the view drew each frame on the "Customer screen" canvas, the probe's number in the
// canvas's pixels (the strip src/bench/probe.js draws in the customer's page). Nothing here
// changes what the view does.
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const BITS = 20;
  const CELL = 6;
  const log = { joinSent: null, arrivals: [], draws: [], received: 0, before: 0 };
  window.__benchTab = {
    take() {
      const taken = { joinSent: log.joinSent, arrivals: log.arrivals, draws: log.draws };
      log.arrivals = [];
      log.draws = [];
      return taken;
    },
  };

  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      // A view that reconnected counts its frames from 1 again: draws are numbered after the
      // frames earlier connections brought.
      log.before = log.received;
      // Registered before the view's own handler, so it runs first.
      // Frame messages are numbered from 1 as the server numbers them; text messages count
      // only their bytes (number 0).
      this.addEventListener('message', (event) => {
        if (typeof event.data === 'string') { log.arrivals.push([now(), event.data.length, 0]); return; }
        log.received += 1;
        log.arrivals.push([now(), event.data.byteLength, log.received]);
      });
    }

    send(data) {
      if (log.joinSent === null && typeof data === 'string' && data.includes('"type":"join"')) log.joinSent = now();
      return super.send(data);
    }
  };

  // The probe's number in the top-left corner of the canvas, or null where the strip is not
  // whole: its red start cell gives the cell size (device pixels of a customer at ratio 2 or 3).
  function probe(context, width, height) {
    const w = Math.min(width, (BITS + 2) * CELL * 3);
    const h = Math.min(height, CELL * 3);
    if (w < CELL * (BITS + 2) || h < CELL) return null;
    const data = context.getImageData(0, 0, w, h).data;
    const pixel = (x, y) => { const i = (y * w + x) * 4; return [data[i], data[i + 1], data[i + 2]]; };
    const is = (rgb, want) => rgb.every((c, i) => (c > 200) === want[i]);
    const RED = [true, false, false];
    let red = 0;
    while (red < Math.min(w, CELL * 4) && is(pixel(red, 1), RED)) red++;
    const size = Math.max(red, CELL);
    if (w < size * (BITS + 2) || h < size) return null;
    const cell = (i) => pixel(i * size + (size >> 1), size >> 1);
    if (!is(cell(0), RED) || !is(cell(BITS + 1), [false, false, true])) return null;
    let seq = 0;
    for (let i = 0; i < BITS; i++) if (cell(1 + i)[0] < 128) seq |= 1 << i;
    return seq;
  }

  // The view counts the frames it drew in the canvas's `data-frames`, right after drawing one.
  document.addEventListener('DOMContentLoaded', () => {
    const canvas = document.getElementById('screen');
    const context = canvas.getContext('2d');
    new MutationObserver(() => {
      const drawn = now();
      const count = Number(canvas.dataset.frames || 0);
      // 0: the view lost its session and cleared the canvas; nothing was drawn.
      if (count > 0) log.draws.push([drawn, log.before + count, probe(context, canvas.width, canvas.height)]);
    }).observe(canvas, { attributes: true, attributeFilter: ['data-frames'] });
  });
})();
