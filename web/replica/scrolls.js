// Scroll positions the rebuilt page could not take yet (part of the replica shell, before
// replica.js). A scroll replayed before the page has its full height (a stylesheet, font or
// image still loading) lands short, and nothing would ever correct it: the customer scrolled
// once. Each such position is kept and taken again whenever the page's size changes, until it
// holds.
const scrolls = (() => {
  'use strict';
  const { EventType, IncrementalSource } = rrweb;
  const shortScrolls = new Map();
  let sizeWatch = null;
  // The shell's replayer, and whether its page is complete, as they are when asked (`follow`).
  let current = () => null;
  let complete = () => false;
  function follow(replayer, isComplete) {
    current = replayer;
    complete = isComplete;
  }

  function scrollTo(replayer, id, x, y) {
    const node = replayer.getMirror().getNode(id);
    if (!node) return true;
    if (node.nodeType === 9) {
      const win = node.defaultView;
      if (!win) return true;
      win.scrollTo(x, y);
      return Math.abs(win.scrollX - x) <= 1 && Math.abs(win.scrollY - y) <= 1;
    }
    node.scrollLeft = x;
    node.scrollTop = y;
    return Math.abs(node.scrollLeft - x) <= 1 && Math.abs(node.scrollTop - y) <= 1;
  }
  function retakeScrolls() {
    const replayer = current();
    if (!replayer || !complete()) return;
    for (const [id, at] of shortScrolls) {
      if (scrollTo(replayer, id, at.x, at.y)) shortScrolls.delete(id);
    }
  }
  // `events` were just applied: their scrolls are kept, and all kept ones taken again.
  function note(events) {
    for (const event of events) {
      if (event.type === EventType.FullSnapshot) shortScrolls.clear();
      if (event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Scroll) {
        shortScrolls.set(event.data.id, { x: event.data.x, y: event.data.y });
      }
    }
    retakeScrolls();
    const replayer = current();
    const doc = replayer && replayer.iframe.contentDocument;
    if (shortScrolls.size && doc && doc.documentElement && (!sizeWatch || sizeWatch.doc !== doc.documentElement)) {
      if (sizeWatch) sizeWatch.observer.disconnect();
      const observer = new ResizeObserver(retakeScrolls);
      observer.observe(doc.documentElement);
      if (doc.body) observer.observe(doc.body);
      sizeWatch = { observer, doc: doc.documentElement };
    }
  }

  return { follow, note };
})();
