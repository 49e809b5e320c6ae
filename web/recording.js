// rrweb for the snippet (part of /cobrowse.js, before cobrowse.js): loading it into the site's
// page under a name of its own, and sending what one task records as one message.
const recording = (() => {
  'use strict';
  // rrweb, loaded under a name of its own (see src/assets.rs): the page's module loader or its
  // own copy of rrweb never gets in the way.
  const rrweb = () => (window.__cobrowseRrweb && window.__cobrowseRrweb.record ? window.__cobrowseRrweb : null);
  let loading = null;
  // Loads rrweb from the co-browse server at `serverBase` (once), only when a session starts.
  function load(serverBase) {
    if (rrweb()) return Promise.resolve();
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const tag = document.createElement('script');
        tag.src = new URL('vendor/rrweb.min.js', serverBase).href;
        tag.async = true;
        tag.onload = () => (rrweb() ? resolve() : reject(new Error('rrweb did not load')));
        tag.onerror = () => { loading = null; reject(new Error('rrweb failed to load')); };
        (document.head || document.documentElement).appendChild(tag);
      });
    }
    return loading;
  }

  // Events pushed in one task reach `deliver(events)` together. A message to ourselves runs
  // after the task and all its microtasks (where the recorder's mutation observer reports),
  // yet before timers and rendering.
  function batcher(deliver) {
    let batch = null;
    const channel = new MessageChannel();
    function flush() {
      const events = batch;
      batch = null;
      if (events) deliver(events);
    }
    channel.port1.onmessage = flush;
    function push(event) {
      if (!batch) {
        batch = [];
        channel.port2.postMessage(null);
      }
      batch.push(event);
    }
    return { push, flush };
  }

  return { rrweb, load, batcher };
})();
