// The customer's window as the replica must reproduce it (part of /cobrowse.js, after
// widget.js): besides its size, what shapes the page's layout and styles (src/wire/display.rs),
// the part of it the customer sees (src/wire/visual.rs), and a watch on all of it.
const viewport = (() => {
  'use strict';
  const media = (query) => window.matchMedia(query).matches;

  // What the replica renders with, so text wraps where it wraps here.
  function display() {
    return {
      scrollbar: widget.scrollbarWidth(),
      device_pixel_layout: widget.devicePixelLayout(),
      pixel_ratio: window.devicePixelRatio || 1,
      color_scheme: media('(prefers-color-scheme: dark)') ? 'dark' : 'light',
      reduced_motion: media('(prefers-reduced-motion: reduce)'),
      contrast: media('(prefers-contrast: more)') ? 'more' : media('(prefers-contrast: less)') ? 'less' : media('(prefers-contrast: custom)') ? 'custom' : 'no_preference',
      forced_colors: media('(forced-colors: active)'),
      touch: media('(pointer: coarse)') && media('(hover: none)'),
    };
  }

  // The part of the page the customer sees (src/wire/visual.rs), or null where it is the whole
  // window at zoom 1 (a desktop browser, with or without classic scrollbars): a phone shows a
  // page without a viewport tag zoomed out, and pinch zoom and the on-screen keyboard shrink it.
  function visual() {
    const v = window.visualViewport;
    if (!v) return null;
    const whole = Math.abs(v.scale - 1) < 0.005 && v.offsetLeft === 0 && v.offsetTop === 0
      && window.innerWidth - v.width <= 40 && window.innerHeight - v.height <= 40;
    if (whole) return null;
    return {
      left: v.offsetLeft,
      top: v.offsetTop,
      width: v.width,
      height: v.height,
      scale: v.scale,
    };
  }

  // Calls `changed()`, at most once a frame, when the window is resized, the zoom changes (it
  // changes the pixel ratio, watched by a query on the current one) or dark mode, contrast,
  // motion settings or the primary pointer do.
  function watch(changed) {
    let queued = false;
    const soon = () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; changed(); });
    };
    window.addEventListener('resize', soon);
    // Pinch zoom, panning while zoomed and the on-screen keyboard move the visual viewport only.
    if (window.visualViewport) {
      window.visualViewport.addEventListener('resize', soon);
      window.visualViewport.addEventListener('scroll', soon);
    }
    // A tablet's keyboard attached or taken off changes the pointer, and the page with it.
    for (const query of ['(prefers-color-scheme: dark)', '(prefers-reduced-motion: reduce)', '(prefers-contrast: more)', '(forced-colors: active)', '(pointer: coarse)', '(hover: none)']) {
      window.matchMedia(query).addEventListener('change', soon);
    }
    (function watchRatio() {
      const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
      query.addEventListener('change', () => { soon(); watchRatio(); }, { once: true });
    })();
  }

  return { display, visual, watch };
})();
