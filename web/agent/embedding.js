// The agent view embedded in a contact-center workspace: the workspace's messages to it,
// posted to this window (window.postMessage), heard from the embedding window only.
import { state } from './state.js';
import { $ } from './view.js';
import { params, signIn, join } from './connection.js';

export function setUpEmbedding() {
  const input = $('session-id');
  // Embedded in a contact-center workspace: the workspace passes the chat's messages (and may
  // pass the token). Only the embedding window, on this origin or a configured one, is heard.
  const workspaceOrigins = fetch('/agent/config.json').then((r) => r.json())
    .then((config) => [location.origin, ...(config.workspace_origins || [])])
    .catch(() => [location.origin]);
  window.addEventListener('message', (event) => {
    if (window.parent === window || event.source !== window.parent) return;
    workspaceOrigins.then((origins) => {
      if (!origins.includes(event.origin)) { console.warn('cobrowse: ignored a message from', event.origin); return; }
      const data = event.data || {};
      if (data.type === 'cobrowse:token' && typeof data.token === 'string') signIn(data.token);
      if (data.type === 'cobrowse:chat-message' && typeof data.text === 'string') {
        const start = /\{\s*start\s*:\s*(\d{9})\s*\}/.exec(data.text);
        if (start && !state.sessionId) {
          input.value = start[1];
          join(start[1], { interaction: data.interaction || params.get('interaction') });
        }
      }
    });
  });
}
