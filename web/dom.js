// DOM helpers and the profile's rules shared by the customer snippet and the replica shell
// (each gets its own copy): masking and hit-testing must look through open shadow roots and
// same-origin iframes, and judge an agent's action, the same way on both sides.
const dom = (() => {
  'use strict';
  // The element at a point of `doc`'s viewport, looking into shadow roots and iframes.
  function elementAt(doc, x, y) {
    let el = doc.elementFromPoint(x, y);
    let [dx, dy] = [0, 0];
    while (el) {
      const inner = el.shadowRoot ? el.shadowRoot.elementFromPoint(x - dx, y - dy) : null;
      if (inner && inner !== el) { el = inner; continue; }
      if (el.tagName !== 'IFRAME') break;
      let frame = null;
      try { frame = el.contentDocument; } catch (_) { /* cross-origin */ }
      if (!frame) break;
      const r = el.getBoundingClientRect();
      [dx, dy] = [dx + r.left + el.clientLeft, dy + r.top + el.clientTop];
      const next = frame.elementFromPoint(x - dx, y - dy);
      if (!next) break;
      el = next;
    }
    return el;
  }

  // The focused element of `doc`, looking into shadow roots and iframes.
  function focused(doc) {
    let el = doc.activeElement;
    for (;;) {
      if (el && el.shadowRoot && el.shadowRoot.activeElement) { el = el.shadowRoot.activeElement; continue; }
      let inner = null;
      try { inner = el && el.tagName === 'IFRAME' && el.contentDocument ? el.contentDocument.activeElement : null; } catch (_) { /* cross-origin */ }
      if (inner) { el = inner; continue; }
      return el;
    }
  }

  // `node` (or its element) or an ancestor matches `selector` (or `also`), looking out of
  // shadow roots to their hosts and out of same-origin iframes to their elements.
  function within(node, selector, also) {
    let el = null;
    if (node) el = node.nodeType === 1 ? node : node.parentElement || (node.parentNode && node.parentNode.host) || null;
    while (el) {
      if (el.closest(selector) || (also && also(el))) return true;
      const root = el.getRootNode();
      if (root.host) { el = root.host; continue; }
      try { el = root.defaultView ? root.defaultView.frameElement : null; } catch (_) { el = null; }
    }
    return false;
  }

  // The nearest element, itself or an ancestor across shadow roots, that matches `selector`.
  function find(el, selector) {
    while (el) {
      const hit = el.closest(selector);
      if (hit) return hit;
      el = el.getRootNode().host || null;
    }
    return null;
  }

  // `inner` is `outer` or inside it, across shadow roots and iframes.
  function contains(outer, inner) {
    for (let n = inner; n; ) {
      if (n === outer) return true;
      if (n.parentNode) { n = n.parentNode; continue; }
      if (n.host) { n = n.host; continue; }
      try { n = n.defaultView ? n.defaultView.frameElement : null; } catch (_) { n = null; }
    }
    return false;
  }

  // Whether this browser can match `selector`.
  function usable(selector) {
    try { document.createDocumentFragment().querySelector(selector); return true; } catch (_) { return false; }
  }

  // Passwords are always masked, also after a "show password" toggle made the field a text one
  // (rrweb marks a field it saw change).
  const PASSWORD = 'input[type=password i], input[data-rr-is-password], input[autocomplete~=current-password i], input[autocomplete~=new-password i], input[name*=pass i], input[id*=pass i], input[name*=pwd i]';
  // Attributes a masked element keeps as they are: they shape the page, not its content.
  const KEPT = new Set(['class', 'id', 'name', 'type', 'role', 'size', 'rows', 'cols', 'maxlength', 'minlength', 'style',
    'contenteditable', 'dir', 'lang', 'hidden', 'disabled', 'readonly', 'multiple', 'width', 'height', 'colspan',
    'rowspan', 'for', 'tabindex', 'placeholder', 'aria-hidden', 'autocomplete', 'inputmode', 'spellcheck', 'data-cobrowse-blocked']);

  const SUBMIT = 'button, input[type=submit i], input[type=image i]';
  // A control that submits its form when clicked (a button without a type submits).
  function isSubmit(el) {
    const control = find(el, SUBMIT);
    return !!control && (control.type === 'submit' || control.type === 'image') && !!control.form;
  }
  // Enter in a single-line field of a form submits it.
  const submitsOnEnter = (el) => !!el && el.tagName === 'INPUT' && !!el.form && !/^(button|checkbox|radio|file|reset|submit|image)$/.test(el.type);
  // The button Enter in such a field presses: its form's default button (its first submit
  // button), or null for a form without one (a search box, a to-do entry), where Enter only
  // submits, as the page's own script decides.
  function defaultButton(el) {
    if (!submitsOnEnter(el)) return null;
    return [...el.form.elements].find((e) => (e.type === 'submit' || e.type === 'image') && e.form === el.form) || null;
  }

  // An http(s) address off the site's `origins`.
  function outside(href, origins) {
    try {
      const url = new URL(href, location.href);
      return /^https?:$/.test(url.protocol) && !origins.includes(url.origin);
    } catch (_) { return false; }
  }

  // `forbidden_paths` as this browser reads them; a pattern it cannot compile forbids every
  // path (fail closed: the agent may navigate nowhere rather than somewhere forbidden).
  function paths(list) {
    const compiled = [];
    for (const pattern of list || []) {
      try { compiled.push(new RegExp(pattern)); } catch (_) { return [/(?:)/]; }
    }
    return compiled;
  }

  // Whether `href` leads to a path the agent may never navigate to (`forbidden`: from paths()).
  function forbidden(href, patterns) {
    if (!patterns || !patterns.length) return false;
    try { return patterns.some((p) => p.test(new URL(href, location.href).pathname)); } catch (_) { return false; }
  }

  // An address without its fragment, for comparing where two addresses lead.
  function page(href, keepQuery) {
    try {
      const url = new URL(href, location.href);
      url.hash = '';
      if (!keepQuery) url.search = '';
      return url.href;
    } catch (_) { return null; }
  }

  // Where the form that `el` submits sends it: the submitter's formaction or the form's action.
  function submitsTo(el) {
    const control = find(el, SUBMIT);
    if (!control || !control.form) return null;
    return control.getAttribute('formaction') !== null ? control.formAction : control.form.action;
  }

  // Why the agent may not navigate to `href` from `doc`, or null: as strictly as a click on a
  // link of the page that leads there, or the submission of a GET form whose address it is
  // (the query of a GET form's address is the form's fields).
  function navigationRefusal(href, doc, rules) {
    let url = null;
    try { url = new URL(href, location.href); } catch (_) { return 'outside_site'; }
    if (!/^https?:$/.test(url.protocol) || outside(url.href, rules.origins)) return 'outside_site';
    if (forbidden(url.href, rules.forbidden)) return 'disabled';
    if (!doc) return null;
    const exact = page(url.href, true);
    for (const link of doc.querySelectorAll('a[href], area[href]')) {
      if (page(link.href, true) !== exact) continue;
      const why = refusal(link, 'click', null, rules);
      if (why) return why;
    }
    const path = page(url.href, false);
    for (const form of doc.forms) {
      const submitters = [...form.elements].filter((e) => e.matches(SUBMIT) && (e.type === 'submit' || e.type === 'image'));
      // A submitter's own formmethod and formaction win over the form's (the IDL attributes
      // read "" when absent, so ask for the content attributes).
      const own = (submitter, name) => !!submitter && submitter.getAttribute(name) !== null;
      const gets = (submitter) => (own(submitter, 'formmethod') ? submitter.formMethod : form.method) === 'get';
      const to = (submitter) => page(submitter ? submitsTo(submitter) : form.action, false);
      // A form without a submit button is submitted by Enter in its field, as its default.
      for (const submitter of submitters.length ? submitters : [null]) {
        if (!gets(submitter) || to(submitter) !== path) continue;
        if (rules.disabled && within(form, rules.disabled)) return 'disabled';
        if (rules.disableSubmit) return 'submit';
        const why = submitter ? refusal(submitter, 'click', null, rules) : null;
        if (why) return why;
      }
    }
    return null;
  }

  // Whether typing into `el` edits text (a text field, a text area, an editable element).
  const TEXT_INPUT = /^(text|search|url|tel|email|password|number)$/;
  function editable(el) {
    if (!el || el.nodeType !== 1) return false;
    if (el.tagName === 'TEXTAREA') return !el.readOnly && !el.disabled;
    if (el.tagName === 'INPUT') return TEXT_INPUT.test(el.type) && !el.readOnly && !el.disabled;
    return el.isContentEditable || el.ownerDocument.designMode === 'on';
  }

  // Why the agent may not do `kind` (an action's kind; `key` for keys) on `el`, or null.
  // `rules`: `hidden(el)` (masked or blocked), `disabled` (a selector or null),
  // `disableSubmit`, `origins`, `forbidden` (from paths()).
  function refusal(el, kind, key, rules) {
    // A page that is not itself editable takes keys (scrolling, Tab) whatever the rules say.
    const doc = el.ownerDocument;
    const isPage = (el === doc.body || el === doc.documentElement) && !el.isContentEditable && doc.designMode !== 'on';
    if (!(kind === 'key' && isPage)) {
      if (rules.hidden(el)) return 'masked';
      if (rules.disabled && within(el, rules.disabled)) return 'disabled';
    }
    // Enter, and a space typed on a button or checkbox, activate what has focus as a click does.
    const clicks = kind === 'click' || kind === 'double_click' || (kind === 'key' && key === 'Enter') || (kind === 'text' && /\s/.test(key || '') && !editable(el));
    if (clicks) {
      // A file picker opens on the customer's screen only: the agent cannot choose their files.
      if (find(el, 'input[type=file i]')) return 'file_input';
      // A label passes its click on to its control: that must pass the rules as well.
      const label = find(el, 'label');
      const control = label && label.control;
      if (control && control !== el && !contains(control, el)) {
        const why = refusal(control, 'click', null, rules);
        if (why) return why;
      }
      if (rules.disableSubmit && isSubmit(el)) return 'submit';
      const link = find(el, 'a[href], area[href]');
      if (link && outside(link.href, rules.origins)) return 'outside_site';
      if (link && forbidden(link.href, rules.forbidden)) return 'disabled';
      const destination = isSubmit(el) ? submitsTo(el) : null;
      if (destination && forbidden(destination, rules.forbidden)) return 'disabled';
    }
    // Enter in a form's field presses its default button: judged as a click on that button.
    const pressed = kind === 'key' && key === 'Enter' ? defaultButton(el) : null;
    if (pressed && pressed !== el) return refusal(pressed, 'click', null, rules);
    return null;
  }

  return { elementAt, focused, within, find, contains, usable, PASSWORD, KEPT, submitsOnEnter, defaultButton, outside, editable, refusal, paths, forbidden, navigationRefusal };
})();
