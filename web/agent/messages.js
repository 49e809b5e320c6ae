// The server's messages to the agent view: one handler per wire tag (`type`) of `ToAgent` in
// src/wire/mod.rs, named as serde names them there.
import { state } from './state.js';
import { TEXT } from './text.js';
import { $, form, live, status, customerPointer, say, setMode, refusedAtPointer, showHint, leave } from './view.js';
import { stage, zoom, agentInput, setCssSize, resize, setPaused } from './screen.js';
import { join } from './connection.js';

// Refusals of a write-mode request: the pencil may ask again. Other refusals are of an action
// at the pointer.
const ASK_AGAIN = ['write_mode_denied', 'request_lapsed', 'request_pending', 'customer_away'];

const handlers = {
  hello(message) {
    state.role = message.role;
    $('who').textContent = TEXT.signedIn(message.name);
    $('watch').hidden = state.role !== 'supervisor';
  },
  transfer_offered(message) {
    if (state.sessionId) return;
    join(message.session);
    say(TEXT.transferOffered(message.from, message.session));
  },
  transferred_away(message) {
    leave();
    say(TEXT.transferredAway(message.to));
  },
  watchers(message) {
    if (!state.watching) say(message.count ? TEXT.watchers(message.count) : TEXT.noWatchers);
  },
  joined(message) {
    state.sessionId = message.session;
    state.watching = !!message.watching;
    zoom.joined();
    form.hidden = true;
    live.hidden = false;
    live.querySelector('.session-label').textContent = `${TEXT.sessionId}: ${state.sessionId}`;
    stage.hidden = false;
    // Before the first frame only: resizing clears the canvas, and frames after the first
    // carry only the tiles that changed. Each frame states its own size.
    if (!state.frames && message.width && message.height) resize(message.width, message.height);
    setCssSize(message.width, message.height);
    state.writeAllowed = !!message.write_mode_allowed && !state.watching;
    state.site = message.origin || null;
    setMode(message.mode);
    setPaused(message.state === 'paused');
    $('transfer-form').hidden = state.watching;
    $('end').textContent = state.watching ? TEXT.stopWatching : TEXT.end;
    if (state.watching) $('mode').textContent = TEXT.watching;
    say(message.state === 'paused' ? TEXT.paused : state.watching ? TEXT.watchingNow(state.sessionId) : state.frames ? TEXT.joined(state.sessionId) : TEXT.waitingForPage);
    if (message.state !== 'paused') setTimeout(() => { if (state.sessionId && status.textContent === TEXT.waitingForPage) say(TEXT.joined(state.sessionId)); }, 1000);
  },
  // The next frame has the new size in device pixels; the screen shows it at this size.
  viewport(message) { setCssSize(message.width, message.height); zoom.region(message.partial, message.outline); },
  customer_pointer(message) {
    customerPointer.hidden = false;
    customerPointer.style.transform = `translate(${message.x}px, ${message.y}px)`;
  },
  paused() { setPaused(true); say(TEXT.paused); },
  resumed() { setPaused(false); say(TEXT.resumed); },
  private_page(message) { say(message.private ? TEXT.privatePage : TEXT.privateLeft); },
  pointer_over(message) { showHint(message.hidden); },
  control(message) { agentInput.showPicker(message.x, message.y, message.control); },
  replica_restarting() { say(TEXT.restarting); },
  replica_unavailable() { say(TEXT.unavailable); },
  refused(message) {
    if (ASK_AGAIN.includes(message.code)) {
      state.asking = false;
      $('request-write').disabled = false;
      say(TEXT.codes[message.code] || message.message);
    } else {
      refusedAtPointer(TEXT.codes[message.code] || message.message);
    }
  },
  mode_changed(message) {
    setMode(message.mode);
    say(state.mode === 'write' ? TEXT.nowWrite : TEXT.nowPointer);
  },
  ended(message) {
    say(TEXT.ended[message.by] || TEXT.ended.server);
    leave();
  },
  join_failed(message) { say(TEXT.codes[message.code] || message.message); },
  error(message) { console.warn('cobrowse:', message.message); },
};

// A tag the view does not know (a newer server's) is left alone. Only a string that names an
// own handler is one: not `constructor` (the table's prototype), nor ['hello'] (a key as text).
export function onMessage(message) {
  const tag = message.type;
  if (typeof tag === 'string' && Object.hasOwn(handlers, tag)) handlers[tag](message);
}
