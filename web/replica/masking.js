// The profile's masking, applied again in the replica (defence in depth; part of the replica
// shell, before replica.js). The snippet masks before it sends (web/masking.js); anything that
// still arrives unmasked is masked here before it is rendered, and counted as a defect for the
// server to log.
const masking = (() => {
  'use strict';
  const { PASSWORD } = dom;
  // The snippet drops ticks and selections of masked elements; the replayer sets them anyway.
  const KEPT = new Set([...dom.KEPT, 'checked', 'selected', 'sandbox']);
  // Fields that cannot hold asterisks: a masked one is empty. Range and colour fields always
  // hold a value (their default), so they cannot be checked.
  const EMPTY_WHEN_MASKED = /^(number|date|time|datetime-local|month|week)$/;
  const ALWAYS_VALUED = /^(checkbox|radio|range|color|file)$/;
  const FIELD = /^(INPUT|TEXTAREA|SELECT)$/;
  const STARRED = /^[\s*]*$/;
  const BLOCKED_MARK = '[data-cobrowse-blocked]';
  const { EventType, IncrementalSource } = rrweb;
  let masked = PASSWORD;
  let blocked = BLOCKED_MARK;
  // After the rules change, what was sent under the old rules is masked quietly until the
  // customer's fresh snapshot (under the new rules) arrives.
  let lenient = false;
  const stars = (text) => text.replace(/\S/g, '*');
  const joined = (base, list) => [base, ...(list || []).filter(dom.usable)].join(', ');

  // The document, its shadow roots and its same-origin iframes' documents, nested.
  function roots(doc) {
    const found = [];
    const visit = (root) => {
      found.push(root);
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) visit(el.shadowRoot);
        if (el.tagName === 'IFRAME') {
          try { if (el.contentDocument) visit(el.contentDocument); } catch (_) { /* cross-origin */ }
        }
      }
    };
    visit(doc);
    return found;
  }

  // Masks everything under `el`, across shadow roots and iframes; returns what was unmasked.
  function maskSubtree(el) {
    let defects = 0;
    const visit = (node) => {
      if (node.nodeType === 3) {
        if (node.parentNode && node.parentNode.nodeName !== 'STYLE' && !STARRED.test(node.data)) {
          defects++;
          node.data = stars(node.data);
        }
        return;
      }
      if (node.nodeType === 1) {
        if (FIELD.test(node.tagName) && node.tagName !== 'SELECT' && !ALWAYS_VALUED.test(node.type)) {
          const unmasked = EMPTY_WHEN_MASKED.test(node.type) ? node.value !== '' : !STARRED.test(node.value || '');
          if (unmasked) {
            defects++;
            node.value = EMPTY_WHEN_MASKED.test(node.type) ? '' : stars(node.value);
          }
        }
        for (const { name, value } of [...node.attributes]) {
          if (KEPT.has(name) || name.startsWith('rr_') || STARRED.test(value)) continue;
          defects++;
          node.setAttribute(name, '');
        }
        if (node.shadowRoot) visit(node.shadowRoot);
        if (node.tagName === 'IFRAME') {
          try { if (node.contentDocument) visit(node.contentDocument); } catch (_) { /* cross-origin */ }
        }
      }
      for (const child of node.childNodes) visit(child);
    };
    visit(el);
    return defects;
  }

  // Shadow roots and iframes only come with added nodes: the list is kept until some arrive.
  let knownRoots = null;
  const addsNodes = (event) => event.type !== EventType.IncrementalSnapshot || (event.data.source === IncrementalSource.Mutation && event.data.adds && event.data.adds.length > 0);
  // `events` are about to be applied: the roots are found again if they add nodes.
  function noteAdds(events) {
    if (events.some(addsNodes)) knownRoots = null;
  }
  // The roots of the page `replayer` (rrweb's) rebuilt in its iframe, as last found.
  function rootsOf(replayer) {
    if (!knownRoots) knownRoots = roots(replayer.iframe.contentDocument);
    return knownRoots;
  }

  // Blocks and masks what the rules say in the page `replayer` rebuilt (null while there is no
  // complete page); returns how many values arrived unmasked.
  function enforce(replayer) {
    if (!replayer) return 0;
    let defects = 0;
    for (const root of rootsOf(replayer)) {
      for (const el of root.querySelectorAll(blocked)) {
        if (el.firstChild || (el.shadowRoot && el.shadowRoot.firstChild)) {
          defects++;
          el.replaceChildren();
          if (el.shadowRoot) el.shadowRoot.replaceChildren();
        }
        if (!el.hasAttribute('data-cobrowse-blocked')) el.setAttribute('data-cobrowse-blocked', '');
      }
      for (const el of root.querySelectorAll(masked)) defects += maskSubtree(el);
    }
    return lenient ? 0 : defects;
  }

  // Looking through shadow roots and iframes (web/dom.js).
  const composedClosest = (el, selector) => dom.within(el, selector);
  // Whether `el` is blocked or masked, or inside what is.
  const hidden = (el) => composedClosest(el, blocked) || composedClosest(el, masked);
  // What hidden thing, if any, `el` is: "blocked", "masked_field", "masked" or null.
  function probe(el) {
    if (composedClosest(el, blocked)) return 'blocked';
    if (!composedClosest(el, masked)) return null;
    return FIELD.test(el.tagName) || el.isContentEditable ? 'masked_field' : 'masked';
  }

  // The profile's rules; `quietly` when a page is shown, whose fresh snapshot is on its way.
  function setRules(rules, quietly) {
    masked = joined(PASSWORD, rules.masked);
    blocked = joined(BLOCKED_MARK, rules.blocked);
    lenient = quietly;
    knownRoots = null;
  }
  // A full snapshot arrived, recorded under the current rules: what is unmasked counts again.
  function snapshotArrived() {
    lenient = false;
  }
  const isLenient = () => lenient;

  return { setRules, snapshotArrived, lenient: isLenient, noteAdds, rootsOf, enforce, hidden, probe };
})();
