// The customer's window as the replica must reproduce it (part of /cobrowse.js, after
// widget.js): besides its size, what shapes the page's layout and styles (src/wire/display.rs),
// and a watch on all of it.
const viewport = (() => {
  'use strict';
  const media = (query) => window.matchMedia(query).matches;

  // What the replica renders with, so text wraps where it wraps here.
  function display() {
    return {
      scrollbar: widget.scrollbarWidth(),
      pixel_ratio: window.devicePixelRatio || 1,
      color_scheme: media('(prefers-color-scheme: dark)') ? 'dark' : 'light',
      reduced_motion: media('(prefers-reduced-motion: reduce)'),
      contrast: media('(prefers-contrast: more)') ? 'more' : media('(prefers-contrast: less)') ? 'less' : media('(prefers-contrast: custom)') ? 'custom' : 'no_preference',
      forced_colors: media('(forced-colors: active)'),
      touch: media('(pointer: coarse)') && media('(hover: none)'),
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
    // A tablet's keyboard attached or taken off changes the pointer, and the page with it.
    for (const query of ['(prefers-color-scheme: dark)', '(prefers-reduced-motion: reduce)', '(prefers-contrast: more)', '(forced-colors: active)', '(pointer: coarse)', '(hover: none)']) {
      window.matchMedia(query).addEventListener('change', soon);
    }
    (function watchRatio() {
      const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
      query.addEventListener('change', () => { soon(); watchRatio(); }, { once: true });
    })();
  }

  return { display, watch };
})();
