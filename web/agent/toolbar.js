// The toolbar's controls: join or watch a session, ask for write mode and give it back,
// navigate the customer's page, transfer the session, end it or stop watching.
import { state } from './state.js';
import { TEXT } from './text.js';
import { $, say, leave } from './view.js';
import { params, join, send } from './connection.js';

const act = (action) => send({ type: 'action', action });

export function setUpToolbar() {
  const input = $('session-id');
  const requestWrite = $('request-write');
  requestWrite.addEventListener('click', () => {
    if (state.asking) return;
    state.asking = true;
    requestWrite.disabled = true;
    say(TEXT.asking);
    send({ type: 'request_write_mode' });
  });
  $('to-pointer').addEventListener('click', () => send({ type: 'pointer_mode' }));
  $('back').addEventListener('click', () => act({ kind: 'back' }));
  $('forward').addEventListener('click', () => act({ kind: 'forward' }));
  $('reload').addEventListener('click', () => act({ kind: 'reload' }));
  $('address-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const typedUrl = $('address').value.trim();
    if (!typedUrl) return;
    let url;
    try { url = new URL(typedUrl, state.site || undefined).href; } catch (_) { url = typedUrl; }
    act({ kind: 'navigate', url });
  });

  document.querySelector('form.join').addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) join(input.value, { interaction: params.get('interaction') });
  });
  $('watch').addEventListener('click', () => { if (input.value.trim()) join(input.value, { watch: true }); });
  $('end').addEventListener('click', () => {
    if (!state.watching) { send({ type: 'end' }); return; }
    // A supervisor stops watching; the session goes on.
    const ws = state.socket;
    leave();
    say(TEXT.stopped);
    if (ws) ws.close();
  });
  $('transfer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const to = $('transfer-to').value.trim();
    if (to) send({ type: 'transfer', to });
  });
}
