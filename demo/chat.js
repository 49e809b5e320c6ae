// The demo site's chat page: talks to the demo workspace through the co-browse server's relay,
// and sends the co-browse start message into the chat when the customer shares their screen.
(() => {
  'use strict';
  const log = document.getElementById('chat-log');
  if (!log) return;
  const server = document.querySelector('script[src$="/cobrowse.js"]').src.replace(/\/cobrowse\.js$/, '');
  const url = new URL('/demo/chat?as=customer', server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let chat = null;
  const queued = [];
  function open() {
    chat = new WebSocket(url);
    chat.onopen = () => { while (queued.length) chat.send(queued.shift()); };
    chat.onmessage = (event) => {
      const line = JSON.parse(event.data);
      const item = document.createElement('li');
      item.className = line.from;
      const who = document.createElement('b');
      who.textContent = line.from === 'customer' ? 'You' : line.name;
      item.append(who, line.text);
      log.append(item);
      log.scrollTop = log.scrollHeight;
    };
    chat.onclose = () => setTimeout(open, 2000);
  }
  function say(text) {
    if (chat && chat.readyState === WebSocket.OPEN) chat.send(text);
    else queued.push(text);
  }
  open();
  document.getElementById('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('chat-message');
    if (input.value.trim()) say(input.value);
    input.value = '';
  });
  // The contract's start message goes into the conversation, once per session.
  let sent = null;
  function share(session) {
    if (session && session.startMessage && sent !== session.id) {
      sent = session.id;
      say(session.startMessage);
    }
  }
  document.getElementById('chat-share').addEventListener('click', () => {
    if (window.Cobrowse) window.Cobrowse.start().then(share);
  });
  const listen = () => window.Cobrowse && window.Cobrowse.on('session-started', share);
  if (window.Cobrowse) listen();
  else window.addEventListener('load', listen);
})();
