// The agent view's WebSocket: signing in with a token, opening the connection and opening it
// again, joining a session on it and sending on it.
import { state } from './state.js';
import { TEXT } from './text.js';
import { $, say, leave } from './view.js';
import { onMessage } from './messages.js';
import { queueFrame } from './screen.js';

// What the view was opened with: `session` to join, `interaction` to bind it to, `watch=1`.
export const params = new URLSearchParams(location.search);

// The agent signs in with a token: from the URL's fragment (never sent to the server with the
// page), from the embedding workspace, or kept from earlier in this tab.
export function takeToken() {
  state.token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('cobrowse-agent-token');
  if (state.token) {
    // Kept for reloads of this tab, and off the address bar, where a copied link would carry it.
    sessionStorage.setItem('cobrowse-agent-token', state.token);
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }
}

export function signIn(next) {
  if (next === state.token && state.socket) return;
  state.token = next;
  sessionStorage.setItem('cobrowse-agent-token', state.token);
  // A connection opened with the old token (perhaps still opening) gives way; a session in
  // progress ends with it, as it would on a sign-out.
  const ws = state.socket;
  state.socket = null;
  if (ws) { ws.close(); if (state.sessionId) leave(); }
  connect();
}

// One connection while the view is open: it carries the session, and transfers offered to
// this agent. The server closes it when a session ends; the view then reconnects (and joins the
// same session again when the connection dropped while it was in one).
export function connect() {
  // A token is base64url parts joined by dots; anything else cannot be one (nor an offered
  // subprotocol), so it is treated as no sign-in at all.
  if (!state.token || !/^[A-Za-z0-9_.-]+$/.test(state.token)) { say(TEXT.signIn); $('join').disabled = true; return; }
  if (state.socket) return;
  const url = new URL('/ws/agent', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // The token goes as an offered subprotocol, never in the URL (reverse proxies log URLs).
  const ws = new WebSocket(url, ['cobrowse', `cobrowse.token.${state.token}`]);
  state.socket = ws;
  state.opened = false;
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    state.opened = true;
    $('join').disabled = false;
    if (state.pending) { ws.send(JSON.stringify(state.pending)); state.pending = null; }
  };
  ws.onmessage = (event) => {
    if (state.socket !== ws) return;
    if (typeof event.data !== 'string') { queueFrame(event.data); return; }
    let message;
    try { message = JSON.parse(event.data); } catch (_) { return; }
    onMessage(message);
  };
  ws.onclose = () => {
    if (state.socket !== ws) return;
    state.socket = null;
    if (state.sessionId) {
      // Lost mid-session (the server restarted, or another server took the session over): the
      // session goes on, so the next connection joins it again.
      state.pending = state.watching ? { type: 'join', session: state.sessionId, watch: true } : { type: 'join', session: state.sessionId };
      say(TEXT.lost);
      leave();
    }
    if (state.opened) { setTimeout(connect, 1000); return; }
    // Refused before it opened: a browser does not say why, so ask plainly. 401 means the
    // token is missing, expired or forged; anything else (the server restarting) is retried.
    const check = new URL(url);
    check.protocol = location.protocol;
    fetch(check).then((answer) => {
      if (answer.status !== 401) throw new Error(String(answer.status));
      say(TEXT.signInExpired);
      $('join').disabled = true;
      $('who').textContent = '';
    }).catch(() => { say(TEXT.lost); setTimeout(connect, 3000); });
  };
}

export function join(id, options = {}) {
  id = String(id).replace(/[\s-]/g, '');
  if (state.sessionId === id) return;
  const message = { type: 'join', session: id };
  if (options.interaction) message.interaction = String(options.interaction);
  if (options.watch) message.watch = true;
  say(TEXT.joining);
  if (state.sessionId) {
    // In a session already: this connection is done with it; join on a fresh one.
    state.pending = message;
    const ws = state.socket;
    state.socket = null;
    leave();
    if (ws) ws.close();
    connect();
    return;
  }
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
  else { state.pending = message; connect(); }
}

// Sent only in a session, on an open connection; anything else is dropped.
export function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN && state.sessionId) state.socket.send(JSON.stringify(message));
}
