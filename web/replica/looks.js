// How the rebuilt page looks where rrweb alone would not draw it as the customer's browser
// does: scrollbars (overlay, other widths, dark mode, a zoomed page), canvas pictures (sent by
// web/canvas.js) and frames from other sites. Part of the replica shell, before replica.js.
const looks = (() => {
  'use strict';
  // ---- scrollbars ----
  const NATIVE_SCROLLBAR = 15;
  // Chromium's classic scrollbar as it draws it, in CSS: for a zoomed page (whose native
  // scrollbars stay 15 device pixels wide where the customer's browser draws them 15 CSS pixels
  // wide), and for a customer in dark mode on a page that sets no colour scheme (their root
  // scrollbar follows the browser's dark theme, the replica's, an iframe's, would not).
  // Measured pixel for pixel at ratios 1 and 2: a 3-pixel inset rounded thumb, triangles in the
  // buttons, track and marks in the theme's two greys.
  function nativeScrollbar(selector, dark, scale) {
    const [track, mark] = dark ? ['#2c2c2c', '#9f9f9f'] : ['#fcfcfc', '#8b8b8b'];
    // Triangle rows in device pixels of a 15-CSS-pixel button: [first row, widths, centre].
    const size = 15 * scale;
    const up = scale === 1 ? { first: 6, widths: [1, 3, 5, 7, 9] } : { first: 12, widths: [2, 4, 6, 8, 10, 12, 14, 16, 18] };
    const down = scale === 1 ? { first: 3, widths: [9, 7, 5, 3, 1] } : { first: 9, widths: [18, 16, 14, 12, 10, 8, 6, 4, 2] };
    const svg = (cells) => `url("data:image/svg+xml,${encodeURIComponent(`<svg xmlns='http://www.w3.org/2000/svg' width='15' height='15' viewBox='0 0 ${size} ${size}' shape-rendering='crispEdges' fill='${mark}'>${cells.map(([x, y, w, h]) => `<rect x='${x}' y='${y}' width='${w}' height='${h}'/>`).join('')}</svg>`)}")`;
    const rows = ({ first, widths }) => widths.map((w, i) => [(size - w) / 2, first + i, w, 1]);
    const cols = ({ first, widths }) => widths.map((w, i) => [first + i, (size - w) / 2, 1, w]);
    return [
      `${selector}::-webkit-scrollbar { width: 15px; height: 15px; background: ${track}; }`,
      `${selector}::-webkit-scrollbar-corner { background: ${track}; }`,
      `${selector}::-webkit-scrollbar-thumb { background: ${mark} padding-box; border: 3px solid transparent; border-radius: 7.5px; }`,
      `${selector}::-webkit-scrollbar-button:single-button { display: block; width: 15px; height: 15px; background: ${track} no-repeat 0 0 / 15px 15px; }`,
      `${selector}::-webkit-scrollbar-button:single-button:vertical:decrement { background-image: ${svg(rows(up))}; }`,
      `${selector}::-webkit-scrollbar-button:single-button:vertical:increment { background-image: ${svg(rows(down))}; }`,
      `${selector}::-webkit-scrollbar-button:single-button:horizontal:decrement { background-image: ${svg(cols(up))}; }`,
      `${selector}::-webkit-scrollbar-button:single-button:horizontal:increment { background-image: ${svg(cols(down))}; }`,
    ].join('\n');
  }
  // Styles the scrollbars of the rebuilt page `doc` for the customer's `display` ({ scrollbar:
  // their classic scrollbar's width or 0, dark, zoom }). Chromium's classic scrollbar is 15 px
  // wide and Emulation hides it for overlay ones; a customer whose classic scrollbar is wider or
  // narrower (17 px on Windows) gets one of that width, so the page is exactly as wide as
  // theirs. First in the head: a page that styles its own scrollbars still wins, as it does for
  // the customer.
  function styleScrollbars(doc, { scrollbar: scrollbarWidth, dark: darkScheme, zoom }) {
    if (!doc || !doc.documentElement) return;
    let style = doc.querySelector('style[data-cobrowse-scrollbar]');
    const rules = [];
    const pageScheme = getComputedStyle(doc.documentElement).colorScheme || 'normal';
    const darkRoot = darkScheme && pageScheme === 'normal';
    if (scrollbarWidth !== 0 && scrollbarWidth !== NATIVE_SCROLLBAR) {
      rules.push(`::-webkit-scrollbar { width: ${scrollbarWidth}px; height: ${scrollbarWidth}px; background: #f1f1f1; } ::-webkit-scrollbar-thumb { background: #c1c1c1; border: 3px solid #f1f1f1; border-radius: 8px; }`);
    } else if (scrollbarWidth === NATIVE_SCROLLBAR && (zoom === 1 || zoom === 2)) {
      if (zoom === 2) rules.push(nativeScrollbar('', /\bdark\b/.test(pageScheme) && !/\blight\b/.test(pageScheme), 2));
      if (darkRoot) rules.push(nativeScrollbar('html', true, zoom));
    } else if (scrollbarWidth === NATIVE_SCROLLBAR) {
      // Another zoom (1.25, 1.5): the width is right, the look is approximate.
      rules.push('::-webkit-scrollbar { width: 15px; height: 15px; background: #fcfcfc; } ::-webkit-scrollbar-thumb { background: #8b8b8b padding-box; border: 3px solid transparent; border-radius: 7.5px; }');
    }
    if (!rules.length) { if (style) style.remove(); return; }
    if (!style) {
      style = doc.createElement('style');
      style.setAttribute('data-cobrowse-scrollbar', '');
      const head = doc.head || doc.documentElement;
      head.insertBefore(style, head.firstChild);
    }
    style.textContent = rules.join('\n');
  }

  // ---- canvas pictures (web/canvas.js) ----
  const CANVAS_TAG = 'cobrowse-canvas';
  // A picture bigger than this is not painted (a 4K canvas at ratio 2 is 33 Mpx).
  const LARGEST_PICTURE = 40e6;
  // All the pictures a page shows at once may hold this many pixels (4 bytes each, 256 MB):
  // a few screens' worth at ratio 2. A page that needs more is given up (see `paint`), so a
  // stream of big pictures cannot take the replica's memory.
  const ALL_PICTURES = 64e6;
  // The canvases pictures were drawn on, which hold a buffer of their size while connected.
  const drawn = new Set();
  // Paints the newest picture of each canvas; resolves once all are on their canvases, so the
  // frame that follows shows them.
  // Resolves to { defects: how many pictures came for canvases the profile hides (`hidden(el)`:
  // masked or blocked), which are not painted; refused: whether the pictures would take the
  // page past `ALL_PICTURES`, when none is painted }. `pictures`: node id -> the snippet's payload.
  async function paint(mirror, pictures, hidden) {
    let defects = 0;
    const jobs = [];
    for (const picture of pictures.values()) {
      const canvas = mirror.getNode(picture.id);
      if (!canvas || canvas.nodeType !== 1 || canvas.tagName !== 'CANVAS') continue;
      const secret = hidden(canvas);
      if (secret && typeof picture.png === 'string') defects++;
      if (secret || typeof picture.png !== 'string') {
        // Only a canvas drawn on shows anything to clear (rebuilt ones start empty).
        if (drawn.has(canvas)) canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
        canvas.setAttribute('data-cobrowse-canvas', picture.unreadable ? 'unreadable' : 'hidden');
        continue;
      }
      const [width, height] = [Number(picture.width), Number(picture.height)];
      if (width > 0 && height > 0 && width * height <= LARGEST_PICTURE) jobs.push({ canvas, picture, width, height });
    }
    // Counted before any is drawn: the canvases already drawn on, at their new size if repainted.
    let pixels = jobs.reduce((sum, job) => sum + job.width * job.height, 0);
    const repainted = new Set(jobs.map((job) => job.canvas));
    for (const canvas of drawn) {
      if (!canvas.isConnected) drawn.delete(canvas);
      else if (!repainted.has(canvas)) pixels += canvas.width * canvas.height;
    }
    if (pixels > ALL_PICTURES) return { defects, refused: true };
    await Promise.all(jobs.map(async ({ canvas, picture, width, height }) => {
      try {
        const bytes = Uint8Array.from(atob(picture.png), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        if (!canvas.isConnected) { bitmap.close(); return; }
        canvas.removeAttribute('data-cobrowse-canvas');
        if (canvas.width !== width) canvas.width = width;
        if (canvas.height !== height) canvas.height = height;
        const context = canvas.getContext('2d');
        drawn.add(canvas);
        context.clearRect(0, 0, width, height);
        context.drawImage(bitmap, 0, 0);
        bitmap.close();
      } catch (_) { /* not a picture: the canvas keeps what it showed */ }
    }));
    return { defects, refused: false };
  }

  // ---- frames from other sites ----
  // rrweb cannot see into a frame of another origin (a payment form, a map, a video): it sends
  // the frame's address as `rr_src` and no content. Such a frame shows a box of its size that
  // names the origin, never an empty hole.
  const otherSites = new Map(); // node id -> origin
  const { EventType, IncrementalSource } = rrweb;
  // Notes frames of other sites that `events` add to the rebuilt page `doc`, and marks them.
  function noteFrames(events, doc, mirror) {
    const visit = (node) => {
      if (!node) return;
      if (node.type === 2 && node.tagName === 'iframe' && node.attributes && typeof node.attributes.rr_src === 'string') {
        try { otherSites.set(node.id, new URL(node.attributes.rr_src).origin); } catch (_) { /* not an address */ }
      }
      for (const child of node.childNodes || []) visit(child);
    };
    let found = false;
    for (const event of events) {
      if (event.type === EventType.FullSnapshot) { otherSites.clear(); visit(event.data.node); found = true; }
      if (event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation) {
        for (const add of event.data.adds || []) { const before = otherSites.size; visit(add.node); found = found || otherSites.size !== before; }
        for (const change of event.data.attributes || []) {
          const src = change.attributes && change.attributes.rr_src;
          if (typeof src === 'string') { try { otherSites.set(change.id, new URL(src).origin); found = true; } catch (_) { /* not an address */ } }
        }
      }
    }
    if (found) markFrames(doc, mirror);
  }
  const xml = (text) => text.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  function markFrames(doc, mirror) {
    if (!doc || !doc.documentElement) return;
    const origins = new Set();
    for (const [id, origin] of otherSites) {
      const frame = mirror.getNode(id);
      if (!frame || frame.nodeType !== 1) { otherSites.delete(id); continue; }
      frame.setAttribute('data-cobrowse-frame', origin);
      origins.add(origin);
    }
    let style = doc.querySelector('style[data-cobrowse-frames]');
    if (!style) {
      style = doc.createElement('style');
      style.setAttribute('data-cobrowse-frames', '');
      (doc.head || doc.documentElement).appendChild(style);
    }
    style.textContent = [...origins].map((origin) => {
      const label = `<svg xmlns='http://www.w3.org/2000/svg' width='360' height='40'><text x='180' y='25' text-anchor='middle' font-family='sans-serif' font-size='13' fill='#52606d'>${xml(`Content from ${origin}`)}</text></svg>`;
      return `iframe[data-cobrowse-frame="${CSS.escape(origin)}"] { background: #f3f5f8 url("data:image/svg+xml,${encodeURIComponent(label)}") center / 360px 40px no-repeat !important; outline: 1px dashed #9aa5b1 !important; outline-offset: -1px !important; }`;
    }).join('\n');
  }

  // A new page: the old page's frames and canvases went with it.
  function forgetFrames() {
    otherSites.clear();
    drawn.clear();
  }

  return { CANVAS_TAG, styleScrollbars, paint, noteFrames, forgetFrames };
})();
