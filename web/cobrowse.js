// Co-browse snippet: a site embeds <script src="https://COBROWSE-SERVER/cobrowse.js" defer>.
// The session's logic: it connects, records the page with rrweb (capture.js, masked by
// masking.js before anything is sent) and drives the widget (widget.js). Served after those
// files, in one scope. Wire messages mirror src/wire/ (customer.rs),
// held to this copy by src/wire/mirror.rs.
(() => {
  'use strict';
  if (window.Cobrowse) return;
  // Only the top window carries a session: its recorder records the page's same-origin frames,
  // and a copy of the snippet in a frame (a site that tags every page) must not take the
  // session over. In a frame of the same site, `Cobrowse` is the top window's.
  if (window.top !== window.self) {
    try {
      if (window.top.location.origin === location.origin) {
        Object.defineProperty(window, 'Cobrowse', { get: () => window.top.Cobrowse, configurable: true });
      }
    } catch (_) { /* a frame of another site: nothing to share */ }
    return;
  }

  // With `defer` or `async` the running script is known; injected by a tag manager, look for it.
  const script = document.currentScript || document.querySelector('script[src*="/cobrowse.js"]');
  const serverBase = new URL('.', script ? script.src : location.href);
  const socketUrl = new URL('ws/customer', serverBase);
  socketUrl.protocol = serverBase.protocol === 'https:' ? 'wss:' : 'ws:';
  const STORAGE_KEY = 'cobrowse.session';
  const TEXT = widget.TEXT;

  // ---- state and events (the contract's window.Cobrowse) ----
  let state = 'idle';
  let session = null; // { id, token }
  let origins = [location.origin];
  let socket = null;
  let starting = null; // pending start() promise and its resolvers
  let reconnectDelay = 500;
  let mode = 'pointer';
  const listeners = new Map();

  function emit(name, detail) {
    for (const callback of listeners.get(name) || []) {
      try { callback(detail); } catch (e) { console.error('cobrowse listener failed', e); }
    }
  }

  function setState(next) {
    state = next;
    render();
  }

  function setMode(next) {
    const changed = next !== mode;
    mode = next === 'write' ? 'write' : 'pointer';
    if (mode !== 'write') actions.unhover();
    render();
    if (changed) emit('mode-changed', { mode });
  }

  function answer(allow) {
    widget.ask(false);
    send({ type: 'consent', allow });
  }

  function startMessage(id) {
    return { id, startMessage: `{start:${id}}` };
  }

  function loadSession() {
    try { return JSON.parse(sessionStorage.getItem(STORAGE_KEY)); } catch (_) { return null; }
  }
  function saveSession(value) {
    try {
      if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch (_) { /* storage disabled: the session just won't survive page loads */ }
  }

  // ---- connection ----
  function connect(first) {
    const ws = new WebSocket(socketUrl);
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { reconnectDelay = 500; send(first); };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      onMessage(message);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      stopRecorder();
      if (starting && !session) {
        failStart(new Error(TEXT.unavailable));
        return;
      }
      // The server went away while the session was live: try again, it may be restarting.
      if (session && state !== 'ended' && state !== 'idle') {
        setTimeout(() => { if (session && !socket) connect({ type: 'resume', token: session.token }); }, reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 10000);
      }
    };
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function onMessage(message) {
    switch (message.type) {
      case 'started': {
        const isNew = !session;
        session = { id: message.id, token: message.token };
        origins = message.origins || origins;
        masking.setRules(message.rules);
        actions.setRules(message.rules);
        setMode(message.mode);
        saveSession(session);
        setState(message.state);
        startRecorder();
        if (starting) {
          starting.resolve(startMessage(session.id));
          starting = null;
        }
        if (isNew) emit('session-started', startMessage(session.id));
        break;
      }
      case 'rules':
        // An admin changed what is masked: record the page again under the new rules.
        masking.setRules(message.rules);
        actions.setRules(message.rules);
        capture.restart();
        break;
      case 'write_requested':
        widget.ask(true);
        break;
      case 'request_withdrawn':
        widget.ask(false);
        break;
      case 'mode_changed':
        widget.ask(false);
        if (message.mode !== mode) notify(message.mode === 'write' ? TEXT.nowWrite : TEXT.nowPointer);
        setMode(message.mode);
        break;
      case 'act': {
        // Checked by the server; checked again here, on the page as it is now.
        const code = mode !== 'write' ? 'pointer_mode' : recorder() ? actions.perform(message.action, recorder().record.mirror) : 'no_target';
        if (code) send({ type: 'refused', code });
        break;
      }
      case 'snapshot':
        if (recorder() && capture.recording()) recorder().record.takeFullSnapshot(true);
        break;
      case 'agent_joined':
        setState('active');
        notify(message.name ? TEXT.joinedBy(message.name) : TEXT.joined);
        emit('agent-joined', { name: message.name || null });
        break;
      case 'transferred':
        widget.ask(false);
        setMode('pointer');
        hidePointer();
        notify(TEXT.transferred(message.name));
        break;
      case 'watchers':
        notify(message.count ? TEXT.watchers(message.count) : TEXT.noWatchers);
        break;
      case 'resumed':
        setState('active');
        notify(TEXT.resumed);
        emit('session-resumed', {});
        break;
      case 'agent_left':
        widget.ask(false);
        setMode('pointer');
        setState('waiting');
        hidePointer();
        notify(TEXT.left);
        break;
      case 'agent_pointer':
        showPointer(message.x, message.y);
        // In write mode the page feels the agent's pointer: menus that open on hover open.
        if (mode === 'write' && state === 'active') actions.hover(message.x, message.y);
        break;
      case 'agent_click':
        showPointer(message.x, message.y);
        showClick(message.x, message.y);
        break;
      case 'ended':
        finish(message.by);
        break;
      case 'superseded': {
        // Another tab carries the session on; this one lets go without ending it.
        const ws = socket;
        socket = null;
        stopRecorder();
        if (ws) ws.close();
        session = null;
        saveSession(null);
        hidePointer();
        setState('idle');
        break;
      }
      case 'gone':
        saveSession(null);
        session = null;
        if (starting) failStart(new Error(message.message), message.code);
        else finish('server');
        break;
      case 'error':
        console.warn('cobrowse:', message.message);
        // The session's budgets (src/server/budget.rs): the customer is told, nothing ends.
        if (message.code === 'too_large') notify(TEXT.tooLarge);
        if (message.code === 'too_fast') notify(TEXT.tooFast);
        break;
    }
  }

  function failStart(error, code) {
    const pending = starting;
    starting = null;
    notify(code === 'server_busy' ? TEXT.busy : TEXT.unavailable);
    setState('idle');
    if (pending) pending.reject(error);
  }

  function finish(by) {
    const wasLive = state !== 'idle' && state !== 'ended';
    saveSession(null);
    session = null;
    stopRecorder();
    const ws = socket;
    socket = null;
    if (ws) ws.close();
    hidePointer();
    widget.ask(false);
    mode = 'pointer';
    setState('ended');
    notify(TEXT.ended);
    if (wasLive) emit('session-ended', { by });
  }

  // ---- recording (web/capture.js) ----
  const recorder = recording.rrweb;
  const encoder = new TextEncoder();
  capture.setup({
    serverBase,
    live: () => Boolean(session && socket),
    send,
    sendEvents: (events) => {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(JSON.stringify(events)));
    },
    privatePage: () => { if (state === 'active') notify(TEXT.privatePage); },
  });
  const { start: startRecorder, stop: stopRecorder } = capture;

  // Whoever fills a masked field is told the agent cannot see it.
  document.addEventListener('focusin', (event) => {
    const target = event.composedPath()[0];
    if (state === 'active' && masking.isField(target) && masking.isMasked(target)) notify(TEXT.maskedField);
  }, true);

  // The window changed size, or what else shapes the layout (web/viewport.js).
  viewport.watch(() => {
    widget.fit(viewport.visual());
    if (capture.recording()) send({ type: 'viewport', width: window.innerWidth, height: window.innerHeight, display: viewport.display(), visual: viewport.visual() });
  });

  let pointerQueued = null;
  document.addEventListener('mousemove', (event) => {
    if (!capture.recording()) return;
    const queued = pointerQueued;
    pointerQueued = { x: event.clientX, y: event.clientY };
    if (queued) return;
    requestAnimationFrame(() => {
      send({ type: 'pointer', x: pointerQueued.x, y: pointerQueued.y });
      pointerQueued = null;
    });
  }, { capture: true, passive: true });

  // A followed link off the site pauses the session at once, rather than after the reconnect
  // window. The click only notes where it leads (the page may still cancel it, and mail or
  // phone links open elsewhere); the page actually going away confirms it.
  let leavingFor = null;
  window.addEventListener('click', (event) => {
    leavingFor = null;
    if (!session || event.defaultPrevented) return;
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!link || link.hasAttribute('download') || (link.target && link.target !== '_self')) return;
    let target;
    try { target = new URL(link.href, location.href); } catch (_) { return; }
    if (!/^https?:$/.test(target.protocol) || origins.includes(target.origin)) return;
    leavingFor = { href: target.href, at: Date.now() };
  });

  // Leaving the page closes the connection even when the browser keeps the page in its
  // back-forward cache; coming back from that cache resumes.
  window.addEventListener('pagehide', () => {
    if (leavingFor && Date.now() - leavingFor.at < 10000) {
      send({ type: 'leaving', href: leavingFor.href });
      if (state === 'active') {
        setState('paused');
        emit('session-paused', {});
      }
    }
    leavingFor = null;
    const ws = socket;
    socket = null;
    stopRecorder();
    if (ws) ws.close();
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && session && !socket && state !== 'ended') connect({ type: 'resume', token: session.token });
  });

  // An agent's action made the page open a native dialog: the agent is told.
  actions.setNotice((code) => send({ type: 'refused', code }));

  // ---- the widget (web/widget.js) ----
  const render = () => widget.render(state, session && session.id, mode);
  const { notify, showPointer, hidePointer, showClick } = widget;

  // ---- public API ----
  window.Cobrowse = Object.freeze({
    start() {
      if (session && (state === 'waiting' || state === 'active' || state === 'paused')) {
        return Promise.resolve(startMessage(session.id));
      }
      if (starting) return starting.promise;
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      starting = { promise, resolve, reject };
      session = null;
      connect({ type: 'start' });
      return promise;
    },
    end() {
      if (!session) return;
      send({ type: 'end' });
      finish('customer');
    },
    // Taking write mode back only takes power away, so page scripts may call it too.
    setPointerMode() {
      widget.ask(false);
      // At once here too: actions already on their way are refused, not performed.
      setMode('pointer');
      send({ type: 'pointer_mode' });
    },
    on(event, callback) {
      if (typeof callback !== 'function') throw new TypeError('Cobrowse.on needs a callback');
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    get state() { return state; },
  });

  function boot() {
    // Only a person's click counts: a page script cannot start, end or grant on their behalf.
    widget.build({
      start: (event) => { if (event.isTrusted) window.Cobrowse.start().catch(() => {}); },
      end: (event) => { if (event.isTrusted) window.Cobrowse.end(); },
      allow: (event) => { if (event.isTrusted) answer(true); },
      deny: (event) => { if (event.isTrusted) answer(false); },
      pointer: (event) => { if (event.isTrusted) window.Cobrowse.setPointerMode(); },
    });
    widget.fit(viewport.visual());
    render();
    const saved = loadSession();
    if (saved && saved.id && saved.token) {
      session = saved;
      setState('waiting');
      connect({ type: 'resume', token: saved.token });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
