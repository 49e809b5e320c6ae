// Replica glue: feeds rrweb events from the customer into rrweb's Replayer as they arrive.
// Runs in the server's headless Chromium only; the rebuilt page itself never runs scripts
// (the Replayer's iframe is sandboxed without allow-scripts).
(() => {
  'use strict';
  // Events stamped before the baseline are applied at once (synchronously), which is what a
  // live view wants: no timer, no buffering, no drift between clocks.
  const APPLY_AT_ONCE = Number.MAX_SAFE_INTEGER;
  const EVENT_META = 4;
  const EVENT_FULL_SNAPSHOT = 2;
  const root = () => document.getElementById('replica');
  const EVENT_INCREMENTAL = 3;
  const SOURCE_MOUSE_INTERACTION = 2;
  const INTERACTION_FOCUS = 5;
  let replayer = null;
  let complete = false;
  let hovered = null;

  // Focus shows a ring only where it shows for the customer too: fields focused by a click
  // show one, buttons and links focused by a click do not.
  function focusesField(event) {
    if (event.type !== EVENT_INCREMENTAL || event.data.source !== SOURCE_MOUSE_INTERACTION || event.data.type !== INTERACTION_FOCUS) return true;
    const node = replayer.getMirror().getNode(event.data.id);
    if (!node || node.nodeType !== 1) return false;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(node.tagName) || node.isContentEditable;
  }

  // A page (a Meta event) starts a new Replayer, which also frees the events the old one kept.
  function fresh() {
    if (replayer) {
      try { replayer.destroy(); } catch (_) { /* already gone */ }
    }
    root().textContent = '';
    replayer = new rrweb.Replayer([], {
      root: root(),
      liveMode: true,
      mouseTail: false,
      showWarning: false,
      showDebug: false,
      triggerFocus: true,
      // The focused field shows its focus ring; a blinking caret would cost a frame every
      // half second for as long as the customer's cursor sits in a field.
      insertStyleRules: ['* { caret-color: transparent !important; }'],
      pauseAnimation: false,
      UNSAFE_replayCanvas: false,
      // Applying at once counts as "sync" to rrweb, which would otherwise stage changes in a
      // virtual DOM until a fast-forward ends; live, every change must reach the real DOM.
      useVirtualDom: false,
    });
    // Interaction on gives the iframe scrollbars like the customer's window, so the page lays
    // out at the same width. Nothing ever sends input to the replica.
    replayer.enableInteract();
    replayer.startLive(APPLY_AT_ONCE);
    complete = false;
    hovered = null;
  }

  window.__replica = {
    add(events) {
      for (const event of events) {
        if (event.type === EVENT_META) fresh();
        // Until a full snapshot arrives there is no document for changes to apply to.
        if (!replayer) continue;
        if (event.type === EVENT_FULL_SNAPSHOT) complete = true;
        else if (!complete && event.type !== EVENT_META) continue;
        if (!focusesField(event)) continue;
        replayer.addEvent(event);
      }
      return true;
    },
    // rrweb's replay rewrites `:hover` rules to also match a `:hover` class; mark the element
    // under the customer's pointer, and its ancestors, with it.
    hover(x, y) {
      if (!replayer || !complete) return false;
      const doc = replayer.iframe.contentDocument;
      const target = doc && doc.elementFromPoint(x, y);
      if (!target || target === hovered) return false;
      hovered = target;
      replayer.hoverElements(target);
      return true;
    },
  };
})();
