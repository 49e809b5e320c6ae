// Replica glue: feeds rrweb events from the customer into rrweb's Replayer as they arrive.
// Runs in the server's headless Chromium only; the rebuilt page itself never runs scripts
// (the Replayer's iframe is sandboxed without allow-scripts).
(() => {
  'use strict';
  // Events stamped before the baseline are applied at once (synchronously), which is what a
  // live view wants: no timer, no buffering, no drift between clocks.
  const APPLY_AT_ONCE = Number.MAX_SAFE_INTEGER;
  const { EventType, IncrementalSource, MouseInteractions } = rrweb;
  const root = () => document.getElementById('replica');
  let replayer = null;
  let complete = false;
  let hovered = null;
  // The replayer while its page is complete (a full snapshot applied), or null: the page the
  // profile's masking is applied to again (web/replica/masking.js).
  const shown = () => (replayer && complete ? replayer : null);
  // Scrolls that fell short are taken again later (web/replica/scrolls.js), on the replayer as
  // it is by then.
  scrolls.follow(() => replayer, () => complete);

  // Write-mode rules: what the agent may not click or type into.
  let disabled = null;
  let disableSubmit = true;
  let origins = [location.origin];
  let forbidden = [];
  let isPrivate = false;

  // Looking through shadow roots and iframes (web/dom.js).
  const elementAt = (x, y) => dom.elementAt(replayer.iframe.contentDocument, x, y);
  const focused = () => dom.focused(replayer.iframe.contentDocument);

  function showNotice(show) {
    const notice = document.getElementById('private');
    if (notice) notice.hidden = !show;
  }

  // The replica's share of the machine: a page of more elements than this is not rebuilt
  // (150,000 took Chromium from 665 MB to 1.4 GB, about 5 KB each). An events message may
  // bring at most 8 MB, about 40,000 elements; pages that grow by script can go further.
  const MAX_NODES = 100000;
  // Nodes the rebuilt page holds: a full snapshot's count, plus added and less removed ones.
  let nodes = 0;
  // Why the page was given up ('nodes' or 'memory'), while it is.
  let tooLarge = null;
  // rrweb draws a canvas's `rr_dataURL` on it at the canvas's own size, which the event names
  // (16384 x 16384 is a 1 GB buffer). The snippet never sends one (canvas pictures come as
  // `cobrowse-canvas` events, painted within a budget), so any that arrives is dropped.
  const defuse = (attributes) => {
    if (attributes && typeof attributes === 'object' && 'rr_dataURL' in attributes) delete attributes.rr_dataURL;
  };
  function countNodes(node) {
    let count = 0;
    const stack = [node];
    while (stack.length) {
      const n = stack.pop();
      count++;
      if (n) defuse(n.attributes);
      if (n && n.childNodes) for (const child of n.childNodes) stack.push(child);
    }
    return count;
  }
  // Counts what `event` adds; past the budget the page is dropped and a notice shown instead.
  function withinBudget(event) {
    if (event.type === EventType.FullSnapshot) {
      nodes = countNodes(event.data && event.data.node);
      tooLarge = null;
    } else if (event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation) {
      const adds = Array.isArray(event.data.adds) ? event.data.adds : [];
      for (const add of adds) if (add && add.node) countNodes(add.node);
      for (const change of Array.isArray(event.data.attributes) ? event.data.attributes : []) defuse(change && change.attributes);
      nodes += adds.length - (event.data.removes || []).length;
    }
    if (nodes <= MAX_NODES || tooLarge) return !tooLarge;
    dropPage('nodes');
    return false;
  }
  // Gives the page up for a notice, until the customer opens another (its Meta event).
  function dropPage(reason) {
    if (tooLarge) return;
    tooLarge = reason;
    if (replayer) {
      try { replayer.destroy(); } catch (_) { /* already gone */ }
      replayer = null;
    }
    complete = false;
    root().textContent = '';
    const notice = document.getElementById('too-large');
    if (notice) notice.hidden = false;
  }
  // A big batch of events arrives in pieces (see src/replica/page.rs), joined when applied.
  let inbox = [];

  // Focus comes from the snippet's own events (`cobrowse-focus`), which say whether the
  // customer's browser shows a focus ring (`:focus-visible`): a field focused by a click shows
  // one, a button focused by a click only its `:focus` style. rrweb's focus events say neither.
  const isRrwebFocus = (event) => event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.MouseInteraction && event.data.type === MouseInteractions.Focus;
  const FOCUS_TAG = 'cobrowse-focus';
  function focus(payload) {
    const node = replayer.getMirror().getNode(payload.id);
    if (node && node.nodeType === 1 && node.isConnected && typeof node.focus === 'function') {
      // The old field loses its ring, the new one gets it.
      damage.box(focused());
      node.focus({ preventScroll: true, focusVisible: payload.visible === true });
      damage.box(node);
    }
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
      insertStyleRules: [
        '* { caret-color: transparent !important; }',
        // Scrolls land at once, as the customer's did: a site's `scroll-behavior: smooth` would
        // turn each scroll the replica replays into a quarter second of frames.
        '* { scroll-behavior: auto !important; }',
        // A blocked element: an empty, hatched box of its size where it was.
        '[data-cobrowse-blocked] { box-sizing: border-box !important; background: repeating-linear-gradient(45deg, #eceff3 0 8px, #e1e5ea 8px 16px) !important; outline: 1px dashed #9aa5b1 !important; outline-offset: -1px !important; overflow: hidden !important; }',
        '[data-cobrowse-blocked=inline] { display: inline-block !important; vertical-align: bottom !important; }',
        // A canvas whose pixels the customer's browser could not read, or may not send.
        'canvas[data-cobrowse-canvas] { background: repeating-linear-gradient(45deg, #eceff3 0 8px, #e1e5ea 8px 16px) !important; outline: 1px dashed #9aa5b1 !important; outline-offset: -1px !important; }',
      ],
      pauseAnimation: false,
      // The rebuilt page gets a frame with scripting on: without it Chromium renders a
      // <canvas> as its fallback content (an empty inline box, so a canvas sized by its
      // attributes collapses) and shows what <noscript> holds, unlike the customer's browser.
      // Still no script of the page's ever runs: the shell's Content-Security-Policy, which
      // the frame inherits, allows only the shell's own scripts (src/replica/page.rs).
      UNSAFE_replayCanvas: true,
      // Applying at once counts as "sync" to rrweb, which would otherwise stage changes in a
      // virtual DOM until a fast-forward ends; live, every change must reach the real DOM.
      useVirtualDom: false,
    });
    // Interaction on gives the iframe scrollbars like the customer's window, so the page lays
    // out at the same width. Nothing ever sends input to the replica.
    // rrweb's own canvas replay stays off: it would build objects the events name
    // (`rr_type`); pictures are painted by `paint` below.
    replayer.config.UNSAFE_replayCanvas = false;
    replayer.enableInteract();
    replayer.startLive(APPLY_AT_ONCE);
    complete = false;
    hovered = null;
    looks.forgetFrames();
    clock.reset();
  }

  // A live replayer keeps every event it was given, for replaying from the start; this one
  // never seeks, so all but the newest are let go (a single page kept open for hours would
  // otherwise hold all its changes).
  function forget() {
    try {
      const log = replayer && replayer.service.state.context.events;
      if (log && log.length > 1) log.splice(0, log.length - 1);
    } catch (_) { /* a replayer without the log: nothing held */ }
  }

  // Puts the `:hover` class on the element under the customer's pointer and its ancestors
  // (rrweb's replay rewrites `:hover` rules to also match it).
  function hover(x, y) {
    const doc = replayer.iframe.contentDocument;
    const target = doc && doc.elementFromPoint(x, y);
    if (!target || target === hovered) return;
    const chain = (el) => { const out = []; for (let e = el; e && e.nodeType === 1; e = e.parentElement) out.push(e); return out; };
    const changed = [...chain(hovered), ...chain(target)];
    hovered = target;
    // The hover classes are the shell's, not a change of the page's: only the boxes of what
    // may restyle count (see web/replica/damage.js).
    damage.keep();
    replayer.hoverElements(target);
    damage.forget();
    damage.hovered(changed);
  }

  // ---- controls a person works with a native picker ----
  const PICKED = /^(date|time|datetime-local|month|week|color|range)$/;
  // The select or picked input at `el`, with what the agent view needs to show a picker.
  function controlAt(el) {
    const select = dom.find(el, 'select');
    if (select && !select.disabled) {
      const options = [...select.options].slice(0, 500).map((o) => ({
        label: (o.label || o.text || '').trim(),
        selected: o.selected,
        disabled: o.disabled || (o.parentElement && o.parentElement.tagName === 'OPTGROUP' && o.parentElement.disabled),
      }));
      return { element: select, wire: { kind: 'select', multiple: select.multiple, options } };
    }
    if (el.tagName === 'INPUT' && PICKED.test(el.type) && !el.disabled && !el.readOnly) {
      return { element: el, wire: { kind: 'value', input: el.type, value: el.value, min: el.min, max: el.max, step: el.step } };
    }
    return null;
  }

  // The customer's display as the shell last heard it (see `display` below).
  let display = { scrollbar: 15, dark: false, zoom: 1 };
  // Whether the rebuilt page sits in the shell unscaled, so its boxes are the screen's: only
  // then does a frame name the part of the screen it repainted.
  let hintable = true;
  // What the frame repainted, in the shell's CSS pixels, or null for the whole screen (see
  // web/replica/damage.js).
  const repainted = () => {
    const rects = damage.take(replayer && complete ? replayer.iframe : null, 1);
    return hintable && !isPrivate ? rects : null;
  };
  const { CANVAS_TAG } = looks;
  const styleScrollbars = () => { if (replayer) looks.styleScrollbars(replayer.iframe.contentDocument, display); };

  // The events whose pieces arrived, parsed (the server validated the whole as a JSON array).
  const delivered = () => {
    const events = JSON.parse(inbox.join(''));
    inbox = [];
    return events;
  };

  window.__replica = {
    // One frame's worth of change: the customer's events (in order), then their pointer's
    // `:hover` (or null), then every held animation advanced to now. Resolves to how many
    // masked values arrived unmasked (masked here before anything is painted: the replayer
    // applies events in microtasks, which all run before the next rendering, and so do the
    // check and the clock after them) and whether animations are still going.
    async frame(events, pointer) {
      // Null: a batch too big for one call, sent before in pieces.
      if (events === null) events = delivered();
      if (isPrivate) return { defects: events.length, animating: false, damage: null };
      masking.noteAdds(events);
      // The rebuilt page as it stands, watched for what the changes repaint.
      if (replayer && complete) damage.watch(replayer.iframe.contentDocument);
      // Canvas pictures, newest per canvas, painted once the changes before them are in.
      const pictures = new Map();
      let focusTo = null;
      for (const event of events) {
        if (event.type === EventType.Custom) {
          const payload = event.data && event.data.payload;
          if (!replayer || !complete || !payload || typeof payload.id !== 'number') continue;
          if (event.data.tag === CANVAS_TAG) pictures.set(payload.id, payload);
          if (event.data.tag === FOCUS_TAG) focusTo = payload;
          continue;
        }
        if (event.type === EventType.Meta) {
          const notice = document.getElementById('too-large');
          if (notice) notice.hidden = true;
          // A new page: nothing of the last one counts.
          tooLarge = null;
          nodes = 0;
          fresh();
        }
        if (!withinBudget(event)) continue;
        // Until a full snapshot arrives there is no document for changes to apply to.
        if (!replayer) continue;
        if (event.type === EventType.FullSnapshot) {
          complete = true;
          masking.snapshotArrived();
        } else if (!complete && event.type !== EventType.Meta) continue;
        if (isRrwebFocus(event)) continue;
        if (complete) damage.watch(replayer.iframe.contentDocument);
        replayer.addEvent(event);
      }
      await null;
      await null;
      forget();
      if (replayer) {
        damage.watch(complete ? replayer.iframe.contentDocument : null);
        damage.events(events, replayer.getMirror());
      }
      if (tooLarge) return { defects: 0, animating: false, too_large: tooLarge, nodes, damage: null };
      if (!replayer || !complete) return { defects: 0, animating: false, damage: null };
      if (events.some((e) => e.type === EventType.FullSnapshot)) styleScrollbars();
      looks.noteFrames(events, replayer.iframe.contentDocument, replayer.getMirror());
      for (const id of pictures.keys()) damage.box(replayer.getMirror().getNode(id));
      const painted = pictures.size ? await looks.paint(replayer.getMirror(), pictures, masking.hidden) : { defects: 0, refused: false };
      if (painted.refused) {
        dropPage('memory');
        return { defects: 0, animating: false, too_large: tooLarge, nodes, damage: null };
      }
      const hiddenPictures = painted.defects;
      if (focusTo) focus(focusTo);
      scrolls.note(events);
      if (pointer) hover(pointer[0], pointer[1]);
      const defects = masking.enforce(shown()) + (masking.lenient() ? 0 : hiddenPictures);
      clock.hold(masking.rootsOf(replayer));
      const animating = clock.advance(damage.box);
      return { defects, animating, damage: repainted() };
    },
    // Gives the page up for the too-large notice (the server found it over its memory budget).
    giveUp(reason) {
      damage.all();
      dropPage(reason);
      return true;
    },
    // One piece of a big batch of events (JSON text), kept until a frame takes them.
    receive(piece) {
      inbox.push(piece);
      return true;
    },
    // Makes Chromium render (and so capture) a frame of the page as it is, changing nothing.
    nudge() {
      damage.all();
      const nudge = document.getElementById('nudge');
      nudge.style.background = nudge.style.background === 'rgb(0, 0, 0)' ? 'rgb(255, 255, 255)' : 'rgb(0, 0, 0)';
      return true;
    },
    rules(rules) {
      damage.all();
      masking.setRules(rules, complete);
      disabled = (rules.disabled || []).filter(dom.usable).join(', ') || null;
      disableSubmit = rules.disable_submit !== false;
      origins = rules.origins && rules.origins.length ? rules.origins : [location.origin];
      forbidden = dom.paths(rules.forbidden_paths);
      masking.enforce(shown());
      return true;
    },
    // The customer's display (src/wire/display.rs) and the scale of the rebuilt page: the
    // customer's pixel ratio up to 3, so the page lays out in the customer's CSS pixels and
    // rasters in their device pixels, by a CSS zoom or a transform as the customer's browser
    // lays pages out (src/replica/emulation.rs). `visual` is the part of the page the customer
    // sees (src/wire/visual.rs), null for all of it: the page keeps its layout viewport and is
    // moved and scaled so that part fills the shell, as the customer's browser zooms a page.
    display(customer, scale, transform, visual) {
      damage.all();
      hintable = !transform && !visual && (scale || 1) === 1;
      display = { scrollbar: customer.scrollbar, dark: customer.color_scheme === 'dark', zoom: scale || 1 };
      document.documentElement.style.zoom = transform ? '' : String(display.zoom);
      for (const id of ['private', 'too-large']) document.getElementById(id).style.zoom = transform ? String(display.zoom) : '';
      const view = root();
      const whole = (transform ? display.zoom : 1) * (visual ? visual.scale : 1);
      view.style.transformOrigin = '0 0';
      view.style.transform = whole === 1 && !visual ? '' : `scale(${whole})${visual ? ` translate(${-visual.left}px, ${-visual.top}px)` : ''}`;
      styleScrollbars();
      return true;
    },
    // The customer is on a page the profile hides whole: show a notice instead of it.
    setPrivate(value) {
      if (value === isPrivate) return true;
      damage.all();
      isPrivate = value;
      if (value && replayer) {
        try { replayer.destroy(); } catch (_) { /* already gone */ }
        replayer = null;
        complete = false;
        root().textContent = '';
      }
      showNotice(value);
      return true;
    },
    // May the agent's action go ahead? { id } of the node it lands on (none for text and keys,
    // which go to the focused element), or { refused: code }.
    check(action) {
      const rules = { hidden: masking.hidden, disabled, disableSubmit, origins, forbidden };
      if (action.kind === 'navigate') {
        // Judged on the page the customer is on, as a click on its links and forms would be.
        const page = replayer && complete && !isPrivate ? replayer.iframe.contentDocument : null;
        const why = dom.navigationRefusal(action.url, page, rules);
        return why ? { refused: why } : {};
      }
      if (!replayer || !complete || isPrivate) return { refused: 'no_target' };
      const pointed = 'x' in action;
      const el = pointed ? elementAt(action.x, action.y) : focused();
      if (!el) return { refused: 'no_target' };
      // Picking an option or a date is a click on the field, and is judged as one.
      const picks = action.kind === 'choose' || action.kind === 'set_value';
      const why = dom.refusal(el, picks ? 'click' : action.kind, action.key || action.text, rules);
      if (why) return { refused: why };
      if (!pointed) return {};
      const control = controlAt(el);
      if (picks && (!control || (action.kind === 'choose') !== (control.wire.kind === 'select'))) return { refused: 'no_target' };
      const target = control ? control.element : el;
      return { id: replayer.getMirror().getId(target), control: action.kind === 'click' && control ? control.wire : null };
    },
    // What hidden thing, if any, is at this point: "blocked", "masked_field", "masked" or null.
    probe(x, y) {
      if (!replayer || !complete || isPrivate) return null;
      const el = elementAt(x, y);
      if (!el) return null;
      return masking.probe(el);
    },
  };
})();
