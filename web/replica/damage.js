// What one frame's changes may have repainted (part of the replica shell, before replica.js),
// so that the server captures only that part of the screen (src/replica/page/capture.rs):
// every element the customer's events touched, and every element those changes moved,
// resized, added or removed, with its box before and after. A change it cannot place (a
// scroll of the page, a new page, a stylesheet, the display) is the whole screen. What no
// event says (an image or a font that arrives later, an animated picture) the server learns
// from Chromium, which tells it whether a frame had damage; and once changes pause, a capture
// of the whole screen corrects anything this missed.
const damage = (() => {
  'use strict';
  const { EventType, IncrementalSource } = rrweb;
  // Outlines, focus rings, small shadows and anti-aliasing spill past an element's box.
  const MARGIN = 8;
  // A hovered ancestor larger than this share of the screen is not counted: a page's hover
  // styles are on links, buttons and cards, and the settling capture covers the rest.
  const HOVER_AREA = 0.25;
  // Incremental sources that can repaint anything: stylesheets, fonts, selections, the
  // viewport (rrweb's numbers: StyleSheetRule, ViewportResize, Font, Selection,
  // StyleDeclaration, AdoptedStyleSheet).
  const EVERYWHERE = new Set([IncrementalSource.StyleSheetRule, IncrementalSource.ViewportResize,
    IncrementalSource.Font, IncrementalSource.Selection, IncrementalSource.StyleDeclaration,
    IncrementalSource.AdoptedStyleSheet]);

  let doc = null;
  let boxes = new Map();
  let observer = null;
  let everything = true;
  // Elements whose own box (and that of what they contain) is damaged.
  const touched = new Set();
  // Elements whose own box only is damaged (hovered ancestors, fields, canvases).
  const boxed = new Set();

  const elementOf = (node) => (node && node.nodeType === 1 ? node : node && node.parentElement);

  // Boxes of every element on screen, in the rebuilt page's viewport.
  function measure(d) {
    const out = new Map();
    const win = d.defaultView;
    if (!win) return out;
    const [vw, vh] = [win.innerWidth, win.innerHeight];
    for (const el of d.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if ((r.width === 0 && r.height === 0) || r.bottom < 0 || r.right < 0 || r.top > vh || r.left > vw) continue;
      out.set(el, [r.left, r.top, r.width, r.height]);
    }
    return out;
  }

  // Starts watching the rebuilt page `d` (a new one is damaged whole).
  function watch(d) {
    if (d === doc) return;
    if (observer) observer.disconnect();
    doc = d;
    everything = true;
    boxes = new Map();
    touched.clear();
    boxed.clear();
    if (!d) return;
    observer = new MutationObserver((records) => note(records));
    observer.observe(d, { subtree: true, childList: true, attributes: true, characterData: true });
  }

  function note(records) {
    for (const record of records) {
      const el = elementOf(record.target);
      if (!el) continue;
      const name = el.tagName;
      // A stylesheet changed, or the root's attributes: anything may look different.
      if (name === 'STYLE' || name === 'LINK' || name === 'HEAD' || el === doc.documentElement || el === doc.body && record.type === 'attributes') {
        everything = true;
      }
      touched.add(el);
    }
  }

  // The customer's events, just applied through `mirror`: what they say that mutations do
  // not (a field's value, a scroll, a stylesheet rule).
  function events(list, mirror) {
    for (const event of list) {
      if (event.type !== EventType.IncrementalSnapshot) {
        if (event.type === EventType.FullSnapshot || event.type === EventType.Meta) everything = true;
        continue;
      }
      const { source, id } = event.data;
      if (EVERYWHERE.has(source)) everything = true;
      if (source !== IncrementalSource.Scroll && source !== IncrementalSource.Input) continue;
      // A scroll of the page is the whole screen; of an element, or a field's value, its box.
      const node = mirror && mirror.getNode(id);
      if (!node || node.nodeType === 9 || (doc && (node === doc.documentElement || node === doc.body))) {
        if (source === IncrementalSource.Scroll || !node) everything = true;
      } else {
        box(node);
      }
    }
  }

  // An element whose own box changes look (a field's value, a canvas picture, focus).
  function box(el) {
    if (el && el.nodeType === 1) boxed.add(el);
  }

  // The hovered chain changed: each element's own box, but not the large ones.
  function hovered(chain) {
    const win = doc && doc.defaultView;
    if (!win) return;
    const screen = win.innerWidth * win.innerHeight;
    for (const el of chain) {
      const r = el.getBoundingClientRect();
      if (r.width * r.height <= screen * HOVER_AREA) boxed.add(el);
    }
  }

  // The shell changes the page itself (the hover classes): what came before is kept...
  function keep() {
    if (observer) note(observer.takeRecords());
  }

  // ...and what the shell did is not a change of the page's.
  function forget() {
    if (observer) observer.takeRecords();
  }

  // Damage the whole screen at the next look (the display, the rules, a private page).
  function all() {
    everything = true;
  }

  // What the changes since the last look repainted: rectangles in the shell's CSS pixels
  // (`scale` rebuilt-page pixels to one), or null for the whole screen.
  function take(frameElement, scale) {
    if (observer) note(observer.takeRecords());
    // The rebuilt page may have a new document by now (rrweb writes it anew): all of it.
    if (frameElement && frameElement.contentDocument !== doc) watch(frameElement.contentDocument);
    if (!doc || !frameElement) { everything = true; }
    const after = doc ? measure(doc) : new Map();
    const rects = [];
    if (!everything) {
      const differs = (a, b) => a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3];
      for (const [el, now] of after) {
        const before = boxes.get(el);
        if (!before || differs(before, now)) { rects.push(now); if (before) rects.push(before); }
      }
      for (const [el, before] of boxes) if (!after.has(el)) rects.push(before);
      // A touched element repaints with all it holds (a class change restyles its children),
      // and its siblings may restyle with it (`+`, `~`): its parent goes too. Each subtree is
      // walked once, inside the outermost one.
      const roots = new Set();
      for (const el of touched) {
        if (el === doc.body || el === doc.documentElement || !el.isConnected) {
          if (el.isConnected) everything = true;
          continue;
        }
        const parent = el.parentElement;
        roots.add(parent && parent !== doc.body && parent !== doc.documentElement ? parent : el);
      }
      for (const root of roots) {
        let outer = root.parentElement;
        while (outer && !roots.has(outer)) outer = outer.parentElement;
        if (outer) continue;
        for (const el of [root, ...root.querySelectorAll('*')]) {
          if (after.has(el)) rects.push(after.get(el));
          if (boxes.has(el)) rects.push(boxes.get(el));
        }
      }
      for (const el of boxed) {
        if (after.has(el)) rects.push(after.get(el));
        if (boxes.has(el)) rects.push(boxes.get(el));
      }
    }
    boxes = after;
    touched.clear();
    boxed.clear();
    if (everything) {
      everything = false;
      return null;
    }
    const frame = frameElement.getBoundingClientRect();
    return rects.map(([x, y, w, h]) => [
      frame.left + (x - MARGIN) * scale,
      frame.top + (y - MARGIN) * scale,
      (w + 2 * MARGIN) * scale,
      (h + 2 * MARGIN) * scale,
    ]);
  }

  return { watch, events, box, hovered, keep, forget, all, take };
})();
