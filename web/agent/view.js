// The agent view's toolbar and status: the page's words, the mode's buttons, the status line,
// the notices beside the agent's pointer, and the view put back when a session is left.
import { state } from './state.js';
import { german, TEXT } from './text.js';
import { agentInput, canvas, stage } from './screen.js';

// A function declaration, not an arrow: screen.js looks up its elements with it while its
// module is first run, which may be before this one's (the modules import each other).
export function $(id) { return document.getElementById(id); }

export const form = document.querySelector('form.join');
export const live = document.querySelector('.live');
export const status = $('status');
export const customerPointer = $('customer-pointer');
const pointerHint = $('pointer-hint');
const requestWrite = $('request-write');
const toPointer = $('to-pointer');
const navControls = ['back', 'forward', 'reload', 'address'].map($);

// The page's words in the browser's language (the page itself is written in English).
export function translatePage() {
  document.documentElement.lang = german ? 'de' : 'en';
  document.title = `${TEXT.title} – agent`;
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = TEXT[el.dataset.text];
  $('join').setAttribute('aria-label', TEXT.join);
  $('join').title = TEXT.join;
  canvas.setAttribute('aria-label', TEXT.screen);
  for (const [id, label] of Object.entries(TEXT.labels)) {
    $(id).setAttribute('aria-label', label);
    $(id).title = label;
  }
}

const pickerOpen = () => !!stage.querySelector('.picker');

// The toolbar follows the mode: the pencil asks, the pointer gives write mode back, and
// navigation works only in write mode.
export function setMode(next) {
  state.mode = next === 'write' ? 'write' : 'pointer';
  if (state.mode !== 'write' && pickerOpen()) agentInput.closePicker();
  state.asking = false;
  requestWrite.hidden = !state.writeAllowed || state.mode === 'write';
  requestWrite.disabled = false;
  toPointer.hidden = state.mode !== 'write';
  for (const control of navControls) control.disabled = state.mode !== 'write';
  $('mode').textContent = state.watching ? TEXT.watching : state.mode === 'write' ? TEXT.writeMode : TEXT.pointerMode;
}

// An action was refused: say why beside the pointer, briefly, and in the status line.
export function refusedAtPointer(text) {
  say(text);
  pointerHint.textContent = text;
  pointerHint.style.transform = `translate(${state.lastPointer.x + 16}px, ${state.lastPointer.y + 18}px)`;
  pointerHint.hidden = false;
  clearTimeout(state.refusalTimer);
  state.refusalTimer = setTimeout(() => { pointerHint.hidden = true; }, 2500);
}

export function say(text) { status.textContent = text; }

// The agent's pointer rests on something hidden from them: say so beside the pointer and in
// the status line, and put the status back when the pointer moves off.
export function showHint(hidden) {
  const text = hidden ? TEXT.hidden[hidden] : null;
  if (text) {
    if (state.statusBeforeHint === null) state.statusBeforeHint = status.textContent;
    say(text);
    pointerHint.textContent = text;
    pointerHint.style.transform = `translate(${state.lastPointer.x + 16}px, ${state.lastPointer.y + 18}px)`;
    pointerHint.hidden = false;
  } else {
    if (state.statusBeforeHint !== null && Object.values(TEXT.hidden).includes(status.textContent)) say(state.statusBeforeHint);
    state.statusBeforeHint = null;
    pointerHint.hidden = true;
  }
}

// Out of the session (ended, lost, transferred, stopped watching): back to the join form.
export function leave() {
  state.sessionId = null;
  state.watching = false;
  form.hidden = false;
  live.hidden = true;
  stage.hidden = true;
  customerPointer.hidden = true;
  pointerHint.hidden = true;
  state.statusBeforeHint = null;
  state.frames = 0;
  canvas.dataset.frames = '0';
}
