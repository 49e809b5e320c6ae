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
  let replayer = null;
  let complete = false;

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
  }

  window.__replica = {
    add(events) {
      for (const event of events) {
        if (event.type === EVENT_META) fresh();
        // Until a full snapshot arrives there is no document for changes to apply to.
        if (!replayer) continue;
        if (event.type === EVENT_FULL_SNAPSHOT) complete = true;
        else if (!complete && event.type !== EVENT_META) continue;
        replayer.addEvent(event);
      }
      return true;
    },
  };
})();
