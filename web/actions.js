// Agent actions in write mode, performed in the customer's page (part of /cobrowse.js, after
// dom.js and masking.js). The server checked each action against the profile in its replica; this checks
// it again on the live page before acting, and fires the events a person's input fires
// (pointer and mouse events, focus, keydown and keyup, beforeinput and input through the
// editing commands), so the site's scripts and frameworks see ordinary input.
const actions = (() => {
  'use strict';
  const FOCUSABLE = 'a[href], area[href], button, input, select, textarea, summary, [tabindex], [contenteditable]';
  let disabled = null;
  let disableSubmit = true;
  let origins = [location.origin];

  function setRules(rules) {
    const list = (rules && rules.disabled) || [];
    // A disabled rule this browser cannot read disables everything (fail closed).
    disabled = list.every(dom.usable) ? list.join(', ') || null : '*';
    disableSubmit = !rules || rules.disable_submit !== false;
    origins = rules && rules.origins && rules.origins.length ? rules.origins : [location.origin];
  }

  const { find, contains } = dom;
  const elementAt = (x, y) => dom.elementAt(document, x, y);
  const focused = () => dom.focused(document);

  const { submitsOnEnter } = dom;
  const outside = (href) => dom.outside(href, origins);
  // Why the agent may not do `kind` on `el`, or null: the profile's rules, checked again here.
  const refusal = (el, kind, key) => dom.refusal(el, kind, key, { hidden: masking.isHidden, disabled, disableSubmit, origins });

  function mouse(el, type, x, y, extra) {
    const init = { bubbles: true, cancelable: true, composed: true, clientX: x, clientY: y, button: 0, view: el.ownerDocument.defaultView, ...extra };
    const Event = type.startsWith('pointer') ? PointerEvent : type === 'wheel' ? WheelEvent : MouseEvent;
    if (type.startsWith('pointer')) Object.assign(init, { pointerId: 1, isPrimary: true, pointerType: 'mouse' });
    return el.dispatchEvent(new Event(type, init));
  }

  function click(el, x, y, count) {
    mouse(el, 'pointerdown', x, y, { buttons: 1 });
    mouse(el, 'mousedown', x, y, { buttons: 1, detail: count });
    // A click focuses what it lands on (or the focusable element around it), or takes focus away.
    const target = find(el, FOCUSABLE);
    if (target && typeof target.focus === 'function') target.focus();
    else if (focused() && focused() !== el.ownerDocument.body) focused().blur();
    mouse(el, 'pointerup', x, y, {});
    mouse(el, 'mouseup', x, y, { detail: count });
    mouse(el, 'click', x, y, { detail: count });
  }

  function keyEvent(el, type, key, mods) {
    const code = key.length === 1 ? (/[a-z]/i.test(key) ? `Key${key.toUpperCase()}` : '') : key;
    return el.dispatchEvent(new KeyboardEvent(type, { key, code, bubbles: true, cancelable: true, composed: true, ...mods }));
  }

  // Types character by character into `el`, and stops if the page moves focus elsewhere (a
  // field that jumps to the next one may jump to one the agent may not fill).
  function type(el, text) {
    const doc = el.ownerDocument;
    for (const ch of text) {
      if (focused() !== el) return 'no_target';
      if (keyEvent(el, 'keydown', ch, {}) && !doc.execCommand('insertText', false, ch) && typeof el.setRangeText === 'function' && !el.readOnly && !el.disabled) {
        el.setRangeText(ch, el.selectionStart, el.selectionEnd, 'end');
        el.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true, inputType: 'insertText', data: ch }));
      }
      keyEvent(el, 'keyup', ch, {});
    }
    return null;
  }

  function moveFocus(from, back) {
    const all = [...document.querySelectorAll(FOCUSABLE)].filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length);
    const at = all.indexOf(from);
    const next = all[(at + (back ? -1 : 1) + all.length) % all.length];
    if (next) next.focus();
  }

  function scroller(el) {
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const style = getComputedStyle(n);
      if ((n.scrollHeight > n.clientHeight && /auto|scroll/.test(style.overflowY)) || (n.scrollWidth > n.clientWidth && /auto|scroll/.test(style.overflowX))) return n;
    }
    return el.ownerDocument.defaultView;
  }

  // The default action of a key nobody cancelled.
  function keyDefault(el, key) {
    const doc = el.ownerDocument;
    const view = doc.defaultView;
    const field = el.tagName === 'INPUT' || el.tagName === 'TEXTAREA';
    switch (key) {
      case 'Backspace': doc.execCommand('delete'); break;
      case 'Delete': doc.execCommand('forwardDelete'); break;
      case 'Enter':
        if (el.tagName === 'TEXTAREA' || el.isContentEditable) doc.execCommand('insertLineBreak');
        else if (submitsOnEnter(el)) el.form.requestSubmit();
        else if (find(el, 'a[href], button, summary, input[type=checkbox], input[type=radio]')) find(el, 'a[href], button, summary, input[type=checkbox], input[type=radio]').click();
        break;
      case 'Tab': moveFocus(el, false); break;
      case 'Shift+Tab': moveFocus(el, true); break;
      case 'ArrowUp': case 'ArrowDown': {
        const step = key === 'ArrowUp' ? -1 : 1;
        if (el.tagName === 'SELECT') {
          const index = Math.min(Math.max(el.selectedIndex + step, 0), el.options.length - 1);
          if (index !== el.selectedIndex) {
            el.selectedIndex = index;
            el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
            el.dispatchEvent(new Event('change', { bubbles: true }));
          }
        } else if (!field && !el.isContentEditable) view.scrollBy(0, 40 * step);
        break;
      }
      case 'ArrowLeft': case 'ArrowRight': case 'Home': case 'End':
        if (field && typeof el.setSelectionRange === 'function' && el.selectionStart !== null) {
          const at = key === 'Home' ? 0 : key === 'End' ? el.value.length : Math.max(0, el.selectionStart + (key === 'ArrowLeft' ? -1 : 1));
          el.setSelectionRange(at, at);
        } else if (key === 'Home' || key === 'End') view.scrollTo(view.scrollX, key === 'Home' ? 0 : doc.documentElement.scrollHeight);
        break;
      case 'PageUp': case 'PageDown': view.scrollBy(0, view.innerHeight * 0.9 * (key === 'PageUp' ? -1 : 1)); break;
      case 'SelectAll': if (field) el.select(); else doc.execCommand('selectAll'); break;
      default: break;
    }
  }

  function press(el, key) {
    const mods = key === 'Shift+Tab' ? { shiftKey: true } : key === 'SelectAll' ? { ctrlKey: true } : {};
    const name = key === 'Shift+Tab' ? 'Tab' : key === 'SelectAll' ? 'a' : key;
    if (keyEvent(el, 'keydown', name, mods) && focused() === el) keyDefault(el, key);
    keyEvent(el, 'keyup', name, mods);
  }

  // Performs `action`; returns null, or the code of why it was refused.
  function perform(action, mirror) {
    switch (action.kind) {
      case 'click': case 'double_click': case 'scroll': {
        const el = mirror.getNode(action.id);
        if (!el || el.nodeType !== 1 || !el.isConnected) return 'no_target';
        // The page may have changed since the replica looked: the point must still be on it.
        const at = elementAt(action.x, action.y);
        if (!at || !(contains(el, at) || contains(at, el))) return 'no_target';
        const why = refusal(el, action.kind);
        if (why) return why;
        if (action.kind === 'scroll') {
          if (mouse(el, 'wheel', action.x, action.y, { deltaX: action.dx, deltaY: action.dy })) scroller(el).scrollBy(action.dx, action.dy);
        } else if (action.kind === 'click') {
          click(el, action.x, action.y, 1);
        } else {
          click(el, action.x, action.y, 1);
          // The first click may have changed what is there (a "Next" that became "Submit").
          const again = elementAt(action.x, action.y);
          if (!el.isConnected || !again || !(contains(el, again) || contains(again, el))) return 'no_target';
          const why = refusal(el, action.kind);
          if (why) return why;
          click(el, action.x, action.y, 2);
          mouse(el, 'dblclick', action.x, action.y, { detail: 2 });
        }
        return null;
      }
      case 'text': case 'key': {
        const el = focused() || document.body;
        const why = refusal(el, action.kind, action.key);
        if (why) return why;
        if (action.kind === 'text') return type(el, action.text);
        if (focused() !== el) return 'no_target';
        press(el, action.key);
        return null;
      }
      case 'navigate':
        if (outside(action.url) || !/^https?:/.test(action.url)) return 'outside_site';
        location.assign(action.url);
        return null;
      case 'back': case 'forward': {
        // Only to a page of the site: the Navigation API lists this origin's entries only, so
        // an entry that is not there (a search engine the customer came from) is refused.
        const nav = window.navigation;
        const current = nav && nav.currentEntry;
        const entries = nav ? nav.entries() : [];
        const at = current ? entries.findIndex((e) => e.key === current.key) : -1;
        const target = at < 0 ? null : entries[at + (action.kind === 'back' ? -1 : 1)];
        if (!target || !target.url || outside(target.url)) return 'outside_site';
        if (action.kind === 'back') history.back();
        else history.forward();
        return null;
      }
      case 'reload': location.reload(); return null;
      default: return 'no_target';
    }
  }

  return { setRules, perform };
})();
