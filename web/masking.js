// Masking in the customer's browser: the first part of /cobrowse.js (the server serves this
// file and web/cobrowse.js as one script). It decides what the agent must not see, from the
// profile's rules the server sends, so masked data never leaves this browser. rrweb's hooks
// mask text and values as they are recorded; `scrub` goes over every event again before it is
// sent, for what those hooks leave out (attributes such as an option's value or a title).
const masking = (() => {
  'use strict';
  // Passwords are always masked, also after a "show password" toggle made the field a text one
  // (rrweb marks a field that ever was a password field).
  const PASSWORD = 'input[type=password i], input[data-rr-is-password], input[autocomplete~=current-password i], input[autocomplete~=new-password i]';
  // Attributes that carry what a masked element holds or says.
  const SCRUBBED = ['value', 'label', 'title', 'alt', 'aria-label', 'aria-valuetext', 'aria-description', 'aria-placeholder'];
  const FIELD = /^(INPUT|TEXTAREA|SELECT)$/;
  const NODE_ELEMENT = 2;
  const NODE_TEXT = 3;
  let masked = PASSWORD;
  let blocked = null;
  let pages = [];
  // A rule this browser cannot apply: every page is treated as private (fail closed).
  let broken = false;

  const stars = (text) => String(text).replace(/\S/g, '*');

  function usable(selector) {
    try { document.createDocumentFragment().querySelector(selector); return true; } catch (_) { return false; }
  }

  function setRules(rules) {
    broken = false;
    const join = (list) => {
      const ok = (list || []).filter(usable);
      if (ok.length !== (list || []).length) broken = true;
      return ok.length ? ok.join(', ') : null;
    };
    const extra = join(rules && rules.masked);
    masked = extra ? `${PASSWORD}, ${extra}` : PASSWORD;
    blocked = join(rules && rules.blocked);
    pages = [];
    for (const pattern of (rules && rules.masked_pages) || []) {
      try { pages.push(new RegExp(pattern)); } catch (_) { broken = true; }
    }
    if (broken) console.warn('cobrowse: this browser cannot apply a profile rule; pages are hidden from the agent');
  }

  // The nearest element, then each enclosing shadow host and same-origin iframe.
  function isMasked(node) {
    let el = null;
    if (node) el = node.nodeType === 1 ? node : node.parentElement || (node.parentNode && node.parentNode.host) || null;
    while (el) {
      if (el.closest(masked)) return true;
      const root = el.getRootNode();
      if (root.host) { el = root.host; continue; }
      try { el = root.defaultView ? root.defaultView.frameElement : null; } catch (_) { el = null; }
    }
    return false;
  }

  const isField = (el) => !!el && el.nodeType === 1 && (FIELD.test(el.tagName) || el.isContentEditable);

  function isPrivatePage(path) {
    return broken || pages.some((r) => r.test(path));
  }

  function maskInput(value, el) {
    // Hidden fields (tokens, internal IDs) are never shown, so they need not leave at all.
    if (el && el.tagName === 'INPUT' && el.type === 'hidden') return '';
    if (!isMasked(el)) return value;
    // A masked select names its choice by position (its options' values go as positions too),
    // so the replica shows the chosen option's masked label.
    if (el.tagName === 'SELECT') return '*'.repeat(el.selectedIndex + 1);
    return stars(value);
  }

  // rrweb options: every text and value passes through our functions, which mask what the
  // rules and the password rule name (inside shadow roots and iframes, too).
  function recordOptions() {
    return {
      blockSelector: blocked ? `cobrowse-widget, ${blocked}` : 'cobrowse-widget',
      maskTextSelector: '*',
      maskTextFn: (text, el) => (el && el.tagName !== 'STYLE' && isMasked(el) ? stars(text) : text),
      maskInputOptions: { input: true, textarea: true, select: true, password: true },
      maskInputFn: maskInput,
    };
  }

  function scrubAttributes(attributes) {
    if (!attributes) return;
    for (const name of SCRUBBED) {
      if (typeof attributes[name] === 'string') attributes[name] = stars(attributes[name]);
    }
  }

  // A serialized node and its children; `inMasked` when an ancestor is masked.
  function scrubTree(node, inMasked, mirror) {
    if (!node) return;
    let here = inMasked;
    if (node.type === NODE_ELEMENT) {
      const live = mirror.getNode(node.id);
      if (node.attributes && 'rr_width' in node.attributes) {
        // A blocked element: its size (and class, so it sits where it did) and nothing else.
        const inline = live && live.nodeType === 1 && getComputedStyle(live).display === 'inline';
        const { class: cls, rr_width, rr_height } = node.attributes;
        node.attributes = { rr_width, rr_height, 'data-cobrowse-blocked': inline ? 'inline' : '' };
        if (cls) node.attributes.class = cls;
        node.childNodes = [];
      }
      if (!here && live && live.nodeType === 1) here = live.matches(masked);
      if (here) scrubAttributes(node.attributes);
      if (here && live && live.tagName === 'OPTION' && node.attributes) node.attributes.value = '*'.repeat(live.index + 1);
    } else if (node.type === NODE_TEXT && inMasked && !node.isStyle && node.textContent) {
      node.textContent = stars(node.textContent);
    }
    for (const child of node.childNodes || []) scrubTree(child, here, mirror);
  }

  const FULL_SNAPSHOT = 2;
  const INCREMENTAL = 3;
  const MUTATION = 0;
  const INPUT = 5;

  // Goes over an event before it leaves; changes it in place and returns it.
  function scrub(event, mirror) {
    if (event.type === FULL_SNAPSHOT) {
      scrubTree(event.data.node, false, mirror);
    } else if (event.type === INCREMENTAL && event.data.source === MUTATION) {
      const data = event.data;
      for (const add of data.adds || []) scrubTree(add.node, isMasked(mirror.getNode(add.parentId)), mirror);
      for (const text of data.texts || []) {
        const node = mirror.getNode(text.id);
        const inStyle = node && node.parentNode && node.parentNode.nodeName === 'STYLE';
        if (text.value && !inStyle && isMasked(node)) text.value = stars(text.value);
      }
      for (const change of data.attributes || []) {
        if (isMasked(mirror.getNode(change.id))) scrubAttributes(change.attributes);
      }
    } else if (event.type === INCREMENTAL && event.data.source === INPUT && typeof event.data.text === 'string') {
      event.data.text = maskInput(event.data.text, mirror.getNode(event.data.id));
    }
    return event;
  }

  return { setRules, isMasked, isField, isPrivatePage, recordOptions, scrub };
})();
