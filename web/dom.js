// DOM helpers shared by the customer snippet and the replica shell (each gets its own copy):
// masking and hit-testing must look through open shadow roots and same-origin iframes alike.
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

  return { elementAt, focused, within, find, contains };
})();
