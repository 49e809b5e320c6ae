// `cobrowse bench`, the DOM-mirroring anchor: run in a customer's page (with no co-browse
// session) to record it with rrweb, as a DOM-mirroring co-browse product does, and send what
// each task records as one message to the bench's relay, which passes it to the mirror view.
(async () => {
  if (window.__benchMirror) return;
  window.__benchMirror = true;
  const RELAY = '/*RELAY*/';
  const SERVER = '/*SERVER*/';
  if (!(window.__cobrowseRrweb && window.__cobrowseRrweb.record)) {
    await new Promise((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = `${SERVER}/vendor/rrweb.min.js`;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error('rrweb did not load'));
      document.head.append(tag);
    });
  }
  const socket = new WebSocket(`${RELAY.replace('http', 'ws')}/feed`);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject; });
  const encoder = new TextEncoder();
  let batch = null;
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const events = batch;
    batch = null;
    if (events && socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(JSON.stringify(events)));
  };
  window.__cobrowseRrweb.record({
    emit(event) {
      if (!batch) { batch = []; channel.port2.postMessage(null); }
      batch.push(event);
    },
    // As the co-browse snippet records: no mouse moves, scrolls at most every 50 ms.
    sampling: { mousemove: false, scroll: 50 },
    slimDOMOptions: { script: true, comment: true },
    recordCanvas: false,
  });
})();
