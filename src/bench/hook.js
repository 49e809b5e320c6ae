// `cobrowse bench`: added to every customer page before its own scripts. It notes each events
// message the snippet sends on /ws/customer (when, its bytes, the probe's number then), for the
// stage split; when recording (a visit to replay later, src/bench/replay.rs), it keeps every
// message the snippet sends, whole. Nothing here changes what the snippet sends.
(() => {
  const RECORD = /*RECORD*/false;
  const now = () => performance.timeOrigin + performance.now();
  const sends = [];
  const messages = [];
  const decoder = new TextDecoder();
  window.__benchSends = { take: () => ({ sends: sends.splice(0), messages: messages.splice(0) }) };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (String(this.url).includes('/ws/customer')) {
      const at = now();
      const seq = window.__bench ? window.__bench.seq : -1;
      const text = typeof data === 'string';
      if (!text) sends.push([at, data.byteLength !== undefined ? data.byteLength : data.size, seq]);
      if (RECORD) messages.push([at, text ? 'text' : 'events', text ? data : decoder.decode(data), seq]);
    }
    return send.call(this, data);
  };
})();
