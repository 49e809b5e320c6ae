// Masking in the customer's browser: the first part of /cobrowse.js (the server serves this
// file, web/widget.js and web/cobrowse.js as one script). It decides what the agent must not
// see, from the profile's rules the server sends, so masked data never leaves this browser.
// rrweb's hooks mask text and values as they are recorded; `scrub` goes over every event again
// before it is sent, for what those hooks leave out (attributes, checked states, inputs of
// elements rrweb does not track, shadow roots of blocked elements, private iframes).
const masking = (() => {
  'use strict';
  const { PASSWORD, KEPT } = dom;
  // Fields seen as password fields before recording started (see `dom.PASSWORD`).
  const passwords = new WeakSet();
  // Attributes that point somewhere: emptied rather than starred, so nothing is fetched.
  const ADDRESSES = new Set(['href', 'src', 'srcset', 'poster', 'data', 'action', 'formaction', 'background', 'xlink:href', 'ping', 'cite']);
  const FIELD = /^(INPUT|TEXTAREA|SELECT)$/;
  // rrweb's serialized node types, by number: its bundle does not export them, and it loads
  // only when a session starts (recording.load).
  const NODE_DOCUMENT = 0;
  const NODE_ELEMENT = 2;
  const NODE_TEXT = 3;
  let masked = PASSWORD;
  let blocked = 'cobrowse-widget';
  let pages = [];
  // A rule this browser cannot apply: every page is treated as private (fail closed).
  let broken = false;

  const stars = (text) => String(text).replace(/\S/g, '*');

  function setRules(rules) {
    broken = false;
    const join = (list) => {
      const ok = (list || []).filter(dom.usable);
      if (ok.length !== (list || []).length) broken = true;
      return ok.length ? ok.join(', ') : null;
    };
    const extraMasked = join(rules && rules.masked);
    masked = extraMasked ? `${PASSWORD}, ${extraMasked}` : PASSWORD;
    const extraBlocked = join(rules && rules.blocked);
    blocked = extraBlocked ? `cobrowse-widget, ${extraBlocked}` : 'cobrowse-widget';
    pages = [];
    for (const pattern of (rules && rules.masked_pages) || []) {
      try { pages.push(new RegExp(pattern)); } catch (_) { broken = true; }
    }
    if (broken) console.warn('cobrowse: this browser cannot apply a profile rule; pages are hidden from the agent');
  }

  // Fields that were password fields before recording started (see PASSWORD).
  function rememberPasswords(event) {
    const target = event.composedPath()[0];
    if (target && target.tagName === 'INPUT' && target.type === 'password') passwords.add(target);
  }
  for (const type of ['focusin', 'input', 'change']) document.addEventListener(type, rememberPasswords, true);
  function notePasswords() {
    for (const input of document.querySelectorAll('input[type=password i]')) passwords.add(input);
  }

  // `node` or an ancestor (out of shadow roots and iframes) matches `selector`; a field seen as
  // a password field counts as matching.
  const within = (node, selector) => dom.within(node, selector, (el) => passwords.has(el));
  const isMasked = (node) => within(node, masked);
  // Out of the agent's sight: masked, or blocked (the widget included).
  const isHidden = (node) => within(node, masked) || within(node, blocked);
  const isField = (el) => !!el && el.nodeType === 1 && (FIELD.test(el.tagName) || el.isContentEditable);

  function isPrivatePage(path) {
    return broken || pages.some((r) => r.test(path));
  }

  // In a same-origin iframe showing a page the profile hides whole.
  function inPrivateFrame(node) {
    const doc = node.nodeType === 9 ? node : node.ownerDocument;
    if (!doc || doc === document) return false;
    try { return isPrivatePage(doc.location.pathname); } catch (_) { return true; }
  }

  // Nothing of this node may go: it is gone from the page (rrweb tracks only attached nodes),
  // or lies under a blocked element (its shadow root included) or in a private iframe.
  const withheld = (node) => !node || !node.isConnected || (node.nodeType !== 9 && within(node, blocked)) || inPrivateFrame(node);

  function maskInput(value, el) {
    // Hidden fields (tokens, internal IDs) are never shown, so they need not leave at all.
    if (el && el.tagName === 'INPUT' && el.type === 'hidden') return '';
    if (!isMasked(el)) return value;
    // A masked select's choice says nothing, not even its position: the replica shows its first
    // (masked) option.
    if (el.tagName === 'SELECT') return '';
    return stars(value);
  }

  // rrweb options: every text and value passes through our functions, which mask what the
  // rules and the password rule name (inside shadow roots and iframes, too).
  function recordOptions() {
    notePasswords();
    return {
      blockSelector: blocked,
      maskTextSelector: '*',
      maskTextFn: (text, el) => (el && el.tagName !== 'STYLE' && isMasked(el) ? stars(text) : text),
      maskInputOptions: { input: true, textarea: true, select: true, password: true },
      maskInputFn: maskInput,
    };
  }

  function scrubAttributes(attributes) {
    if (!attributes) return;
    for (const name of Object.keys(attributes)) {
      const value = attributes[name];
      if (KEPT.has(name) || name.startsWith('rr_')) continue;
      if (name === 'checked' || name === 'selected') delete attributes[name];
      else if (typeof value === 'string') attributes[name] = ADDRESSES.has(name) ? '' : stars(value);
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
      if (!here && live && live.nodeType === 1) here = live.matches(masked) || passwords.has(live);
      if (here) scrubAttributes(node.attributes);
      if (here && node.tagName === 'option' && node.attributes) node.attributes.value = '';
    } else if (node.type === NODE_TEXT && inMasked && !node.isStyle && node.textContent) {
      node.textContent = stars(node.textContent);
    }
    for (const child of node.childNodes || []) scrubTree(child, here, mirror);
  }

  // rrweb's EventType and IncrementalSource, by number: rrweb loads later, only when a
  // session starts (recording.load), so its enums are not there when this script runs.
  const FULL_SNAPSHOT = 2;
  const INCREMENTAL = 3;
  const MUTATION = 0;
  const INPUT = 5;

  // Goes over an event before it leaves, changing it in place; null when nothing of it may go.
  function scrub(event, mirror) {
    if (event.type === FULL_SNAPSHOT) {
      scrubTree(event.data.node, false, mirror);
    } else if (event.type === INCREMENTAL && event.data.source === MUTATION) {
      const data = event.data;
      data.adds = (data.adds || []).filter((add) => {
        const parent = mirror.getNode(add.parentId);
        if (withheld(parent)) return false;
        if (add.node && add.node.type === NODE_DOCUMENT && inPrivateFrame(mirror.getNode(add.node.id) || parent)) return false;
        scrubTree(add.node, isMasked(parent), mirror);
        return true;
      });
      data.texts = (data.texts || []).filter((text) => {
        const node = mirror.getNode(text.id);
        if (withheld(node)) return false;
        const inStyle = node.parentNode && node.parentNode.nodeName === 'STYLE';
        if (text.value && !inStyle && isMasked(node)) text.value = stars(text.value);
        return true;
      });
      data.attributes = (data.attributes || []).filter((change) => {
        const node = mirror.getNode(change.id);
        if (withheld(node)) return false;
        if (isMasked(node)) scrubAttributes(change.attributes);
        return true;
      });
    } else if (event.type === INCREMENTAL && event.data.source === INPUT) {
      const node = mirror.getNode(event.data.id);
      if (withheld(node)) return null;
      if (typeof event.data.text === 'string') event.data.text = maskInput(event.data.text, node);
      if (isMasked(node)) event.data.isChecked = false;
    }
    return event;
  }

  return { setRules, isMasked, isHidden, isField, isPrivatePage, recordOptions, scrub };
})();
