// What a person's keyboard, mouse and touch screen fire, as a browser fires it (part of
// /cobrowse.js, before actions.js). Apps read keys by `keyCode`, `which` or `charCode` and listen for `keypress`
// (jQuery, Backbone, AngularJS, Knockout, Ember, most code written before 2017); menus open on
// `mouseover`; frameworks read `detail`, `buttons` and pointer fields. A KeyboardEvent built
// in script has the legacy fields at 0 (the constructor ignores them), so they are defined on
// each event. Key codes are those of a US keyboard layout.
const events = (() => {
  'use strict';
  // Shifted characters of a US layout, and the key they are on.
  const SHIFTED = { '!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9', ')': '0', _: '-', '+': '=', '{': '[', '}': ']', '|': '\\', ':': ';', '"': "'", '<': ',', '>': '.', '?': '/', '~': '`' };
  const PUNCTUATION = { '-': ['Minus', 189], '=': ['Equal', 187], '[': ['BracketLeft', 219], ']': ['BracketRight', 221], '\\': ['Backslash', 220], ';': ['Semicolon', 186], "'": ['Quote', 222], ',': ['Comma', 188], '.': ['Period', 190], '/': ['Slash', 191], '`': ['Backquote', 192], ' ': ['Space', 32] };
  // Named keys: [code, keyCode]. Only Enter of these fires a keypress (as in Chromium).
  const NAMED = {
    Enter: ['Enter', 13], Backspace: ['Backspace', 8], Tab: ['Tab', 9], Escape: ['Escape', 27], Delete: ['Delete', 46],
    ArrowLeft: ['ArrowLeft', 37], ArrowUp: ['ArrowUp', 38], ArrowRight: ['ArrowRight', 39], ArrowDown: ['ArrowDown', 40],
    Home: ['Home', 36], End: ['End', 35], PageUp: ['PageUp', 33], PageDown: ['PageDown', 34],
  };

  // The physical key of `key` (a character or a key name): { key, code, keyCode, shift, printable }.
  function describe(key) {
    if (NAMED[key]) return { key, code: NAMED[key][0], keyCode: NAMED[key][1], shift: false, printable: false };
    if (/^[a-z]$/i.test(key)) return { key, code: `Key${key.toUpperCase()}`, keyCode: key.toUpperCase().charCodeAt(0), shift: key !== key.toLowerCase(), printable: true };
    if (/^[0-9]$/.test(key)) return { key, code: `Digit${key}`, keyCode: key.charCodeAt(0), shift: false, printable: true };
    const base = SHIFTED[key] || key;
    if (/^[0-9]$/.test(base)) return { key, code: `Digit${base}`, keyCode: base.charCodeAt(0), shift: true, printable: true };
    if (PUNCTUATION[base]) return { key, code: PUNCTUATION[base][0], keyCode: PUNCTUATION[base][1], shift: base !== key, printable: true };
    // A character no US key makes (é, ß, 中): browsers report no key code for it either.
    return { key, code: '', keyCode: 0, shift: false, printable: true };
  }

  // Defines what the constructor leaves at 0; a browser whose constructor took them keeps them.
  function legacy(event, fields) {
    for (const [name, value] of Object.entries(fields)) {
      if (event[name] !== value) Object.defineProperty(event, name, { get: () => value, configurable: true });
    }
    return event;
  }

  // A keyboard event of `type` for `desc` (from `describe`), with modifier flags `mods`.
  function keyboard(el, type, desc, mods) {
    const press = type === 'keypress';
    const charCode = press ? (desc.key === 'Enter' ? 13 : desc.key.codePointAt(0)) : 0;
    const keyCode = press ? charCode : desc.keyCode;
    const init = { key: desc.key, code: desc.code, location: 0, repeat: false, bubbles: true, cancelable: true, composed: true,
      view: el.ownerDocument.defaultView, shiftKey: desc.shift, ctrlKey: false, altKey: false, metaKey: false, ...mods, keyCode, charCode, which: keyCode };
    return legacy(new KeyboardEvent(type, init), { keyCode, charCode, which: keyCode });
  }

  // Presses `key` on `el`: keydown, then keypress for printable keys and Enter, then `act()`
  // (what the key does: insert text, submit, move the caret) unless the page cancelled either,
  // then keyup. `act` may return false to say it did nothing. Returns whether it acted.
  function pressKey(el, key, mods, act) {
    const desc = describe(key);
    let acted = false;
    const down = el.dispatchEvent(keyboard(el, 'keydown', desc, mods));
    const modified = mods && (mods.ctrlKey || mods.metaKey || mods.altKey);
    const pressed = down && (desc.printable || key === 'Enter') && !modified ? el.dispatchEvent(keyboard(el, 'keypress', desc, mods)) : down;
    if (down && pressed) acted = act() !== false;
    // The key comes up where focus is now (Tab or Enter may have moved it).
    const now = dom.focused(document) || el;
    now.dispatchEvent(keyboard(now, 'keyup', desc, mods));
    return acted;
  }

  // ---- pointer and mouse ----
  const POINTER_ID = 1;
  const TOUCH_ID = 2;
  function mouse(el, type, x, y, extra) {
    const view = el.ownerDocument.defaultView;
    // Screen coordinates as a window at the screen's origin with its browser frame above.
    const screenX = x + (view.screenX || 0);
    const screenY = y + (view.screenY || 0) + Math.max(0, (view.outerHeight || 0) - (view.innerHeight || 0));
    const init = { bubbles: true, cancelable: true, composed: true, clientX: x, clientY: y, screenX, screenY, button: 0, buttons: 0, detail: 0, view, ...extra };
    let Event = MouseEvent;
    if (type.startsWith('pointer')) {
      Event = view.PointerEvent || PointerEvent;
      const touching = extra && extra.pointerType === 'touch';
      Object.assign(init, { pointerId: touching ? TOUCH_ID : POINTER_ID, isPrimary: true, pointerType: 'mouse', width: 1, height: 1, pressure: init.buttons ? 0.5 : 0, ...extra, detail: 0 });
    } else if (type === 'wheel') {
      Event = WheelEvent;
    }
    if (/^(mouseenter|mouseleave|pointerenter|pointerleave)$/.test(type)) Object.assign(init, { bubbles: false, cancelable: false });
    return el.dispatchEvent(new Event(type, init));
  }

  // The element, then its ancestors, out of shadow roots to their hosts.
  function chain(el) {
    const list = [];
    for (let n = el; n && n.nodeType === 1; ) {
      list.push(n);
      n = n.parentNode && n.parentNode.nodeType === 11 ? n.parentNode.host : n.parentNode;
    }
    return list;
  }

  // The agent's pointer as the page sees it: over/enter on what it moves onto, out/leave on
  // what it leaves, move events as it goes.
  let hovered = null;
  function moveTo(el, x, y) {
    if (hovered && !hovered.isConnected) hovered = null;
    if (el !== hovered) {
      const from = hovered ? chain(hovered) : [];
      const to = chain(el);
      if (hovered) {
        mouse(hovered, 'pointerout', x, y, {});
        mouse(hovered, 'mouseout', x, y, { relatedTarget: el });
        for (const n of from.filter((n) => !to.includes(n))) { mouse(n, 'pointerleave', x, y, {}); mouse(n, 'mouseleave', x, y, { relatedTarget: el }); }
      }
      mouse(el, 'pointerover', x, y, {});
      mouse(el, 'mouseover', x, y, { relatedTarget: hovered });
      for (const n of to.filter((n) => !from.includes(n)).reverse()) { mouse(n, 'pointerenter', x, y, {}); mouse(n, 'mouseenter', x, y, { relatedTarget: hovered }); }
      hovered = el;
    }
    mouse(el, 'pointermove', x, y, {});
    mouse(el, 'mousemove', x, y, {});
  }

  // The pointer left the page (the agent's pointer went off the customer's screen).
  function leave() {
    if (!hovered || !hovered.isConnected) { hovered = null; return; }
    mouse(hovered, 'pointerout', 0, 0, {});
    mouse(hovered, 'mouseout', 0, 0, {});
    for (const n of chain(hovered)) { mouse(n, 'pointerleave', 0, 0, {}); mouse(n, 'mouseleave', 0, 0, {}); }
    hovered = null;
  }

  // Clicks `el` at (x, y), the `count`-th click of a run: pointerdown, mousedown, focus (by
  // `focus()`, unless the page cancelled mousedown), pointerup, mouseup, click. A cancelled
  // pointerdown suppresses the mouse events but not the click, as in a browser.
  function click(el, x, y, count, focus) {
    moveTo(el, x, y);
    const pointer = mouse(el, 'pointerdown', x, y, { buttons: 1 });
    const down = pointer ? mouse(el, 'mousedown', x, y, { buttons: 1, detail: count }) : true;
    if (down) focus();
    mouse(el, 'pointerup', x, y, { buttons: 0 });
    if (pointer) mouse(el, 'mouseup', x, y, { detail: count });
    mouse(el, 'click', x, y, { detail: count });
  }

  // ---- touch ----
  // A touch point at (x, y) on `el`, where the browser can make one (iOS Safari before 18
  // cannot: its page then gets the pointer and mouse events of the tap only).
  function touchAt(el, x, y) {
    const view = el.ownerDocument.defaultView;
    if (typeof view.Touch !== 'function' || typeof view.TouchEvent !== 'function') return null;
    try {
      return new view.Touch({ identifier: TOUCH_ID, target: el, clientX: x, clientY: y, screenX: x, screenY: y, pageX: x + view.scrollX, pageY: y + view.scrollY, radiusX: 11.5, radiusY: 11.5, force: 1 });
    } catch (_) {
      return null;
    }
  }
  function touch(el, type, point, cancelable = true) {
    const view = el.ownerDocument.defaultView;
    const touches = type === 'touchend' ? [] : [point];
    const init = { bubbles: true, cancelable, composed: true, view, touches, targetTouches: touches, changedTouches: [point] };
    return el.dispatchEvent(new view.TouchEvent(type, init));
  }
  function finger(el, type, x, y, extra) {
    return mouse(el, type, x, y, { pointerType: 'touch', width: 23, height: 23, ...extra });
  }

  // Taps `el` at (x, y) as a touch screen does (Chromium's order): pointerover, pointerenter,
  // pointerdown, touchstart, pointerup, pointerout, pointerleave, touchend, then, unless the
  // page cancelled a touch event, the compatibility mouse events (mouseover, mousemove,
  // mousedown, focus, mouseup) and click. The finger leaves nothing hovered.
  function tap(el, x, y, count, focus) {
    leave();
    const point = touchAt(el, x, y);
    for (const type of ['pointerover', 'pointerenter']) finger(el, type, x, y, {});
    const pointer = finger(el, 'pointerdown', x, y, { buttons: 1, pressure: 0.5 });
    const started = point ? touch(el, 'touchstart', point) : true;
    for (const type of ['pointerup', 'pointerout', 'pointerleave']) finger(el, type, x, y, {});
    const ended = point ? touch(el, 'touchend', point) : true;
    if (!started || !ended) return;
    mouse(el, 'mouseover', x, y, {});
    mouse(el, 'mousemove', x, y, {});
    const down = pointer ? mouse(el, 'mousedown', x, y, { buttons: 1, detail: count }) : true;
    if (down) focus();
    if (pointer) mouse(el, 'mouseup', x, y, { detail: count });
    mouse(el, 'click', x, y, { detail: count });
  }

  // Whether the browser pans when a finger drags on `el` (`touch-action` of it and its
  // ancestors lets it), or leaves the drag to the page's pointer events.
  function pans(el) {
    for (const n of chain(el)) {
      const action = getComputedStyle(n).touchAction;
      if (action === 'none' || action === 'pinch-zoom') return false;
    }
    return true;
  }

  // How many touchmove events a swipe takes: a finger's drag reaches the page as several.
  const SWIPE_STEPS = 4;

  // A finger drags on `el` from (x, y) to scroll by (dx, dy), as a touch screen does (Chromium's
  // order): pointerdown, touchstart, then touchmoves with the finger going against the scroll.
  // A page that cancels touchstart or the first touchmove keeps the drag (a carousel, a map,
  // pull-to-refresh); otherwise the browser pans: pointercancel, the rest of the touchmoves no
  // longer cancelable, touchend. Returns whether the browser pans, so the caller scrolls.
  function swipe(el, x, y, dx, dy) {
    leave();
    const at = (i) => [x - (dx * i) / SWIPE_STEPS, y - (dy * i) / SWIPE_STEPS];
    for (const type of ['pointerover', 'pointerenter']) finger(el, type, x, y, {});
    finger(el, 'pointerdown', x, y, { buttons: 1, pressure: 0.5 });
    const start = touchAt(el, x, y);
    let kept = start ? !touch(el, 'touchstart', start) : false;
    let panning = false;
    const browserPans = pans(el);
    for (let i = 1; i <= SWIPE_STEPS; i++) {
      const [mx, my] = at(i);
      if (!panning) finger(el, 'pointermove', mx, my, { buttons: 1, pressure: 0.5 });
      const point = touchAt(el, mx, my);
      if (point && !touch(el, 'touchmove', point, !panning) && !panning) kept = true;
      if (!panning && !kept && browserPans) {
        panning = true;
        finger(el, 'pointercancel', mx, my, {});
      }
    }
    const [ex, ey] = at(SWIPE_STEPS);
    if (!panning) finger(el, 'pointerup', ex, ey, {});
    for (const type of ['pointerout', 'pointerleave']) finger(el, type, ex, ey, {});
    const end = touchAt(el, ex, ey);
    if (end) touch(el, 'touchend', end, !panning);
    return panning;
  }

  return { describe, pressKey, keyboard, mouse, moveTo, leave, click, tap, swipe };
})();
