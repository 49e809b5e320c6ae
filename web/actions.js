// Agent actions in write mode, performed in the customer's page (part of /cobrowse.js, after
// dom.js, masking.js and events.js). The server checked each action against the profile in its
// replica; this checks it again on the live page before acting, and fires what a person's input
// fires (web/events.js), so the site's scripts and frameworks see ordinary input.
const actions = (() => {
  'use strict';
  const FOCUSABLE = 'a[href], area[href], button, input, select, textarea, summary, [tabindex], [contenteditable]';
  // Inputs whose value the agent sets through a picker in the agent view.
  const PICKED = /^(date|time|datetime-local|month|week|color|range)$/;
  let disabled = null;
  let disableSubmit = true;
  let origins = [location.origin];
  let forbidden = [];
  // Tells the agent something the page did on its own (a native dialog opened).
  let notice = () => {};

  function setRules(rules) {
    const list = (rules && rules.disabled) || [];
    // A disabled rule this browser cannot read disables everything (fail closed).
    disabled = list.every(dom.usable) ? list.join(', ') || null : '*';
    disableSubmit = !rules || rules.disable_submit !== false;
    origins = rules && rules.origins && rules.origins.length ? rules.origins : [location.origin];
    forbidden = dom.paths(rules && rules.forbidden_paths);
  }

  const { find, contains } = dom;
  const elementAt = (x, y) => dom.elementAt(document, x, y);
  const focused = () => dom.focused(document);
  const outside = (href) => dom.outside(href, origins);
  // Why the agent may not do `kind` on `el`, or null: the profile's rules, checked again here.
  const refusal = (el, kind, key) => dom.refusal(el, kind, key, { hidden: masking.isHidden, disabled, disableSubmit, origins, forbidden });
  const editable = (el) => dom.editable(el);

  // Runs `act` and tells the agent when it made the page open a native dialog (alert, confirm,
  // prompt, print), which only the customer can answer; told before the dialog blocks the page.
  function watchingDialogs(act) {
    const win = window;
    const names = ['alert', 'confirm', 'prompt', 'print'];
    const originals = names.map((name) => win[name]);
    names.forEach((name, i) => {
      win[name] = function (...args) { notice('dialog'); return originals[i].apply(this, args); };
    });
    try { return act(); } finally { names.forEach((name, i) => { win[name] = originals[i]; }); }
  }

  function focusFor(el) {
    // A click focuses what it lands on (or the focusable element around it), or takes focus away.
    return () => {
      const target = find(el, FOCUSABLE);
      // As a mouse click focuses: no focus ring where a click shows none (a button, a link).
      if (target && typeof target.focus === 'function') target.focus({ focusVisible: false });
      else if (focused() && focused() !== el.ownerDocument.body) focused().blur();
    };
  }

  // What typing `text` does where `el` has focus, after its beforeinput: the editing command
  // fires `input` (frameworks' two-way bindings listen to it).
  function insert(el, text, inputType) {
    const doc = el.ownerDocument;
    const before = new InputEvent('beforeinput', { inputType, data: text, bubbles: true, cancelable: true, composed: true });
    if (!el.dispatchEvent(before)) return false;
    if (doc.execCommand('insertText', false, text)) return true;
    if (typeof el.setRangeText === 'function' && !el.readOnly && !el.disabled && el.selectionStart !== null) {
      el.setRangeText(text, el.selectionStart, el.selectionEnd, 'end');
      el.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true, inputType, data: text }));
      return true;
    }
    return false;
  }

  // The beforeinput of an edit that is not typed text; whether the page let it happen.
  function edit(el, inputType) {
    return el.dispatchEvent(new InputEvent('beforeinput', { inputType, bubbles: true, cancelable: true, composed: true }));
  }

  // Types character by character into `el`, and stops if the page moves focus elsewhere (a
  // field that jumps to the next one may jump to one the agent may not fill).
  function type(el, text) {
    for (const ch of text) {
      if (focused() !== el) return 'no_target';
      // A space on a button, checkbox or link activates it, as a person's does.
      const activates = ch === ' ' && !editable(el);
      events.pressKey(el, ch, {}, () => (activates ? el.click() : insert(el, ch, 'insertText')));
    }
    return null;
  }

  // Text from the agent's input method (Chinese, Japanese, accents): composition events
  // around its insertion; the keydown a browser fires meanwhile has key "Process", code 229.
  function compose(el, text) {
    const process = { key: 'Process', code: '', keyCode: 229, shift: false, printable: false };
    el.dispatchEvent(events.keyboard(el, 'keydown', process, {}));
    el.dispatchEvent(new CompositionEvent('compositionstart', { data: '', bubbles: true, composed: true }));
    el.dispatchEvent(new CompositionEvent('compositionupdate', { data: text, bubbles: true, composed: true }));
    insert(el, text, 'insertCompositionText');
    el.dispatchEvent(new CompositionEvent('compositionend', { data: text, bubbles: true, composed: true }));
    el.dispatchEvent(events.keyboard(el, 'keyup', process, {}));
  }

  // A paste of `text`: the page's paste handler sees it in clipboardData and may take it
  // (a code split over several fields); otherwise it is inserted as a person's paste is.
  function paste(el, text) {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
    if (el.dispatchEvent(event) && editable(el)) insert(el, text, 'insertFromPaste');
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

  // Sets a field's value as the browser's own picker does: through the element's own setter
  // (so a framework that tracks the value sees the change), then input and change.
  function setValue(el, value) {
    const proto = el.ownerDocument.defaultView.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }

  function choose(el, index) {
    const option = el.options[index];
    if (!option || option.disabled) return 'no_target';
    if (el.multiple) option.selected = !option.selected;
    else if (el.selectedIndex === index) return null;
    else el.selectedIndex = index;
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    return null;
  }

  // Enter in a single-line field submits its form as a browser does: a click on the form's
  // default button, or without one a submit when the field is the form's only one.
  function implicitSubmit(el) {
    const form = el.form;
    const button = dom.defaultButton(el);
    if (button) { if (!button.disabled) button.click(); return; }
    const blocking = [...form.elements].filter((e) => e.tagName === 'INPUT' && /^(text|search|url|tel|email|password|date|time|datetime-local|month|week|number)$/.test(e.type));
    if (blocking.length <= 1) form.requestSubmit();
  }

  // The value each field had when it was focused or last changed: Enter in a text field fires
  // `change` when the value differs, as a browser does (apps that add an item "on change" rely
  // on it), before the form is submitted.
  const committed = new WeakMap();
  const noteValue = (event) => { const el = event.composedPath()[0]; if (el && el.tagName === 'INPUT') committed.set(el, el.value); };
  document.addEventListener('focusin', noteValue, true);
  document.addEventListener('change', noteValue, true);
  function commit(el) {
    if (el.tagName !== 'INPUT' || !editable(el) || committed.get(el) === el.value) return;
    committed.set(el, el.value);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }

  // The default action of a key nobody cancelled.
  function keyDefault(el, key) {
    const doc = el.ownerDocument;
    const view = doc.defaultView;
    const field = el.tagName === 'INPUT' || el.tagName === 'TEXTAREA';
    // Down and right go forward in a list, a text and a page; up and right raise a slider.
    const step = key === 'ArrowDown' || key === 'ArrowRight' ? 1 : -1;
    switch (key) {
      case 'Backspace': if (edit(el, 'deleteContentBackward')) doc.execCommand('delete'); break;
      case 'Delete': if (edit(el, 'deleteContentForward')) doc.execCommand('forwardDelete'); break;
      case 'Enter':
        if (el.tagName === 'TEXTAREA') insert(el, '\n', 'insertLineBreak');
        else if (editable(el) && el.tagName !== 'INPUT') { if (edit(el, 'insertParagraph')) doc.execCommand('insertParagraph'); }
        else if (el.tagName === 'INPUT' && editable(el)) {
          commit(el);
          if (dom.submitsOnEnter(el) && el.isConnected) implicitSubmit(el);
        }
        else if (find(el, 'a[href], button, summary, input[type=checkbox], input[type=radio]')) find(el, 'a[href], button, summary, input[type=checkbox], input[type=radio]').click();
        break;
      case 'Tab': moveFocus(el, false); break;
      case 'Shift+Tab': moveFocus(el, true); break;
      case 'ArrowUp': case 'ArrowDown': case 'ArrowLeft': case 'ArrowRight':
        if (el.tagName === 'SELECT' && (key === 'ArrowUp' || key === 'ArrowDown')) {
          choose(el, Math.min(Math.max(el.selectedIndex + step, 0), el.options.length - 1));
        } else if (el.tagName === 'INPUT' && el.type === 'range') {
          const before = el.value;
          if (key === 'ArrowUp' || key === 'ArrowRight') el.stepUp(); else el.stepDown();
          if (el.value !== before) { const value = el.value; el.value = before; setValue(el, value); }
        } else if ((key === 'ArrowLeft' || key === 'ArrowRight') && field && typeof el.setSelectionRange === 'function' && el.selectionStart !== null) {
          const at = Math.max(0, el.selectionStart + step);
          el.setSelectionRange(at, at);
        } else if ((key === 'ArrowUp' || key === 'ArrowDown') && !field && !el.isContentEditable) view.scrollBy(0, 40 * step);
        break;
      case 'Home': case 'End':
        if (field && typeof el.setSelectionRange === 'function' && el.selectionStart !== null) {
          const at = key === 'Home' ? 0 : el.value.length;
          el.setSelectionRange(at, at);
        } else view.scrollTo(view.scrollX, key === 'Home' ? 0 : doc.documentElement.scrollHeight);
        break;
      case 'PageUp': case 'PageDown': view.scrollBy(0, view.innerHeight * 0.9 * (key === 'PageUp' ? -1 : 1)); break;
      case 'SelectAll': if (field) el.select(); else doc.execCommand('selectAll'); break;
      default: break;
    }
  }

  function press(el, key) {
    const mods = key === 'Shift+Tab' ? { shiftKey: true } : key === 'SelectAll' ? { ctrlKey: true } : {};
    const name = key === 'Shift+Tab' ? 'Tab' : key === 'SelectAll' ? 'a' : key;
    events.pressKey(el, name, mods, () => { if (focused() === el) keyDefault(el, key); });
  }

  // The element `action` points at, if it is still there under the point.
  function pointed(action, mirror) {
    const el = mirror.getNode(action.id);
    if (!el || el.nodeType !== 1 || !el.isConnected) return null;
    // The page may have changed since the replica looked: the point must still be on it.
    const at = elementAt(action.x, action.y);
    return at && (contains(el, at) || contains(at, el)) ? el : null;
  }

  // Performs `action`; returns null, or the code of why it was refused.
  // Whether the customer's primary pointer is a touch screen (web/viewport.js reports the same).
  const touchScreen = () => window.matchMedia('(pointer: coarse)').matches && window.matchMedia('(hover: none)').matches;

  function perform(action, mirror) {
    return watchingDialogs(() => performNow(action, mirror));
  }

  function performNow(action, mirror) {
    switch (action.kind) {
      case 'click': case 'double_click': case 'scroll': case 'choose': case 'set_value': {
        const el = pointed(action, mirror);
        if (!el) return 'no_target';
        const why = refusal(el, action.kind === 'scroll' ? 'scroll' : 'click');
        if (why) return why;
        if (action.kind === 'scroll') {
          // On a touch screen the agent's wheel is the customer's swipe (no wheel there).
          const scrolls = touchScreen()
            ? events.swipe(el, action.x, action.y, action.dx, action.dy)
            : events.mouse(el, 'wheel', action.x, action.y, { deltaX: action.dx, deltaY: action.dy });
          if (scrolls) scroller(el).scrollBy(action.dx, action.dy);
        } else if (action.kind === 'choose') {
          return el.tagName === 'SELECT' && !el.disabled ? choose(el, action.index) : 'no_target';
        } else if (action.kind === 'set_value') {
          if (el.tagName !== 'INPUT' || !PICKED.test(el.type) || el.disabled || el.readOnly) return 'no_target';
          setValue(el, action.value);
          return el.value === action.value || action.value === '' ? null : 'malformed';
        } else {
          // On a touch screen the agent's click is the customer's tap: pages made for one
          // listen to touch events, and to pointer events of type "touch".
          const press = touchScreen() ? events.tap : events.click;
          press(el, action.x, action.y, 1, focusFor(el));
          if (action.kind === 'double_click') {
            // The first click may have changed what is there (a "Next" that became "Submit").
            const again = elementAt(action.x, action.y);
            if (!el.isConnected || !again || !(contains(el, again) || contains(again, el))) return 'no_target';
            const why2 = refusal(el, action.kind);
            if (why2) return why2;
            press(el, action.x, action.y, 2, focusFor(el));
            events.mouse(el, 'dblclick', action.x, action.y, { detail: 2 });
          }
        }
        return null;
      }
      case 'text': case 'key': case 'paste': case 'compose': {
        const el = focused() || document.body;
        const why = refusal(el, action.kind, action.key || action.text);
        if (why) return why;
        if (action.kind === 'text') return type(el, action.text);
        if (action.kind === 'paste') { paste(el, action.text); return null; }
        if (action.kind === 'compose') { if (!editable(el)) return 'no_target'; compose(el, action.text); return null; }
        press(el, action.key);
        return null;
      }
      case 'navigate': {
        const why = dom.navigationRefusal(action.url, document, { hidden: masking.isHidden, disabled, disableSubmit, origins, forbidden });
        if (why) return why;
        location.assign(action.url);
        return null;
      }
      case 'back': case 'forward': {
        // Only to a page of the site: the Navigation API lists this origin's entries only, so
        // an entry that is not there (a search engine the customer came from) is refused.
        const nav = window.navigation;
        const current = nav && nav.currentEntry;
        const entries = nav ? nav.entries() : [];
        const at = current ? entries.findIndex((e) => e.key === current.key) : -1;
        const target = at < 0 ? null : entries[at + (action.kind === 'back' ? -1 : 1)];
        if (!target || !target.url || outside(target.url)) return 'outside_site';
        if (dom.forbidden(target.url, forbidden)) return 'disabled';
        if (action.kind === 'back') history.back();
        else history.forward();
        return null;
      }
      case 'reload': location.reload(); return null;
      default: return 'no_target';
    }
  }

  // The agent's pointer moved (write mode): the page sees it move, so menus that open on hover
  // open. Not over what the agent may not touch, nor over the widget, nor on a touch screen,
  // which has no pointer between taps.
  function hover(x, y) {
    if (touchScreen()) return;
    const el = elementAt(x, y);
    if (!el || el.nodeType !== 1 || masking.isHidden(el) || (disabled && dom.within(el, disabled))) return;
    events.moveTo(el, x, y);
  }

  // Write mode ended: the agent's pointer leaves the page.
  function unhover() {
    events.leave();
  }

  // `tell(code)` tells the agent about something the page did on its own.
  function setNotice(tell) { notice = tell; }

  return { setRules, perform, hover, unhover, setNotice };
})();
