// Co-browse snippet: a site embeds <script src="https://COBROWSE-SERVER/cobrowse.js" defer>.
// It shows the "Co-browse" button, records the page with rrweb (masking before anything is sent)
// and draws the agent's pointer and clicks. Wire messages mirror src/wire.rs.
(() => {
  'use strict';
  if (window.Cobrowse) return;

  // With `defer` or `async` the running script is known; injected by a tag manager, look for it.
  const script = document.currentScript || document.querySelector('script[src*="/cobrowse.js"]');
  const serverBase = new URL('.', script ? script.src : location.href);
  const socketUrl = new URL('ws/customer', serverBase);
  socketUrl.protocol = serverBase.protocol === 'https:' ? 'wss:' : 'ws:';
  const STORAGE_KEY = 'cobrowse.session';
  const german = /^de\b/i.test(navigator.language || '');
  const TEXT = german ? {
    cobrowse: 'Gemeinsames Browsen',
    button: 'Gemeinsames Browsen',
    sessionId: 'Sitzungs-ID',
    readOut: 'Nennen Sie dem Mitarbeiter diese Sitzungs-ID.',
    end: 'Sitzung beenden',
    waiting: 'Warten auf den Mitarbeiter …',
    joined: 'Die Sitzung für gemeinsames Browsen hat begonnen: Der Mitarbeiter sieht diese Seite.',
    resumed: 'Gemeinsames Browsen geht weiter: Der Mitarbeiter sieht diese Seite wieder.',
    left: 'Der Mitarbeiter hat die Sitzung verlassen.',
    ended: 'Die Sitzung für gemeinsames Browsen wurde beendet.',
    unavailable: 'Gemeinsames Browsen ist gerade nicht verfügbar.',
    agent: 'Mitarbeiter',
    pointerMode: 'Zeigermodus',
    maskedField: 'Der Mitarbeiter sieht nicht, was Sie in dieses Feld eingeben.',
    privatePage: 'Diese Seite ist privat: Der Mitarbeiter sieht sie nicht.',
  } : {
    cobrowse: 'Co-browse',
    button: 'Co-browse',
    sessionId: 'Session ID',
    readOut: 'Read this session ID to the agent.',
    end: 'End session',
    waiting: 'Waiting for the agent…',
    joined: 'Co-browse session started: the agent can now see this page.',
    resumed: 'Co-browse continues: the agent can see this page again.',
    left: 'The agent has left the session.',
    ended: 'The co-browse session has ended.',
    unavailable: 'Co-browse is not available right now.',
    agent: 'Agent',
    pointerMode: 'Pointer mode',
    maskedField: 'The agent cannot see what you type in this field.',
    privatePage: 'This page is private: the agent cannot see it.',
  };

  // ---- state and events (the contract's window.Cobrowse) ----
  let state = 'idle';
  let session = null; // { id, token }
  let origins = [location.origin];
  let socket = null;
  let stopRecording = null;
  let starting = null; // pending start() promise and its resolvers
  let reconnectDelay = 500;
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
        if (stopRecording || privatePage) { stopRecorder(); startRecorder(); }
        break;
      case 'snapshot':
        if (window.rrweb && stopRecording) window.rrweb.record.takeFullSnapshot(true);
        break;
      case 'agent_joined':
        setState('active');
        notify(TEXT.joined);
        emit('agent-joined', {});
        break;
      case 'resumed':
        setState('active');
        notify(TEXT.resumed);
        emit('session-resumed', {});
        break;
      case 'agent_left':
        setState('waiting');
        hidePointer();
        notify(TEXT.left);
        break;
      case 'agent_pointer':
        showPointer(message.x, message.y);
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
        if (starting) failStart(new Error(message.message));
        else finish('server');
        break;
      case 'error':
        console.warn('cobrowse:', message.message);
        break;
    }
  }

  function failStart(error) {
    const pending = starting;
    starting = null;
    notify(TEXT.unavailable);
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
    setState('ended');
    notify(TEXT.ended);
    if (wasLive) emit('session-ended', { by });
  }

  // ---- recording ----
  let recorderLoading = null;
  function loadRecorder() {
    if (window.rrweb && window.rrweb.record) return Promise.resolve();
    if (!recorderLoading) {
      recorderLoading = new Promise((resolve, reject) => {
        const tag = document.createElement('script');
        tag.src = new URL('vendor/rrweb.min.js', serverBase).href;
        tag.async = true;
        tag.onload = () => resolve();
        tag.onerror = () => { recorderLoading = null; reject(new Error('rrweb failed to load')); };
        (document.head || document.documentElement).appendChild(tag);
      });
    }
    return recorderLoading;
  }

  let batch = null;
  const encoder = new TextEncoder();
  // Everything one task records goes out as one message, so the replica shows it in one frame.
  // A message to ourselves runs after the task and all its microtasks (where the recorder's
  // mutation observer reports), yet before timers and rendering.
  const flushChannel = new MessageChannel();
  function flushEvents() {
    const events = batch;
    batch = null;
    // A page that changed its address without loading (a single-page app) may now be one the
    // profile hides: what was recorded for it must not go.
    if (events && stopRecording && location.href !== recordedHref && masking.isPrivatePage(location.pathname)) {
      stopRecorder();
      startRecorder();
      return;
    }
    if (events && socket && socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(JSON.stringify(events)));
  }
  flushChannel.port1.onmessage = flushEvents;
  function queueEvent(event) {
    if (!batch) {
      batch = [];
      flushChannel.port2.postMessage(null);
    }
    batch.push(masking.scrub(event, window.rrweb.record.mirror));
  }

  // The page being recorded (or shown as private), and whether the profile hides it whole.
  let recordedHref = null;
  let privatePage = false;
  let addressWatch = null;

  function startRecorder() {
    if (stopRecording || privatePage) return;
    loadRecorder().then(() => {
      if (stopRecording || privatePage || !session || !socket) return;
      recordedHref = location.href;
      send({ type: 'page', href: location.href, width: window.innerWidth, height: window.innerHeight });
      watchAddress();
      if (masking.isPrivatePage(location.pathname)) {
        // Nothing of this page is recorded; the server shows the agent a notice instead.
        privatePage = true;
        if (state === 'active') notify(TEXT.privatePage);
        return;
      }
      stopRecording = window.rrweb.record({
        emit: queueEvent,
        ...masking.recordOptions(),
        // Focus and blur let the replica show which field is focused; clicks and mouse moves
        // would only cost frames (pointers travel as their own small messages).
        sampling: {
          mousemove: false,
          scroll: 50,
          mouseInteraction: { MouseUp: false, MouseDown: false, Click: false, ContextMenu: false, DblClick: false, TouchStart: false, TouchEnd: false, TouchCancel: false, Focus: true, Blur: true },
        },
        slimDOMOptions: { script: true, comment: true },
        recordCanvas: false,
        collectFonts: false,
      });
    }, (error) => console.warn('cobrowse:', error.message));
  }

  function stopRecorder() {
    flushEvents();
    if (stopRecording) {
      try { stopRecording(); } catch (_) { /* already stopped */ }
      stopRecording = null;
    }
    privatePage = false;
    clearInterval(addressWatch);
    addressWatch = null;
  }

  // A single-page app changes its address without a page load: tell the server (which checks
  // the path against the profile), and record again when the page turns private or back.
  function watchAddress() {
    clearInterval(addressWatch);
    addressWatch = setInterval(() => {
      if (location.href === recordedHref) return;
      if (masking.isPrivatePage(location.pathname) !== privatePage) {
        stopRecorder();
        startRecorder();
      } else {
        recordedHref = location.href;
        send({ type: 'page', href: location.href, width: window.innerWidth, height: window.innerHeight });
      }
    }, 250);
  }

  // Whoever fills a masked field is told the agent cannot see it.
  document.addEventListener('focusin', (event) => {
    const target = event.composedPath()[0];
    if (state === 'active' && masking.isField(target) && masking.isMasked(target)) notify(TEXT.maskedField);
  }, true);

  let viewportQueued = false;
  window.addEventListener('resize', () => {
    if (viewportQueued || !stopRecording) return;
    viewportQueued = true;
    requestAnimationFrame(() => {
      viewportQueued = false;
      send({ type: 'viewport', width: window.innerWidth, height: window.innerHeight });
    });
  });

  let pointerQueued = null;
  document.addEventListener('mousemove', (event) => {
    if (!stopRecording) return;
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

  // ---- the widget (its own shadow root; the recorder blocks it) ----
  let ui = null;
  function buildWidget() {
    const host = document.createElement('cobrowse-widget');
    host.setAttribute('style', 'all: initial !important; position: fixed !important; top: 0 !important; left: 0 !important; width: 0 !important; height: 0 !important; z-index: 2147483647 !important;');
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `
      <style>
        :host { all: initial; }
        .dock { position: fixed; right: 16px; bottom: 16px; font: 14px/1.4 system-ui, sans-serif; color: #1a1a1a; display: flex; flex-direction: column; align-items: flex-end; gap: 8px; }
        button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid #0b5cad; padding: 8px 14px; }
        .start { background: #0b5cad; color: #fff; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
        .panel { background: #fff; border: 1px solid #c8ced6; border-radius: 8px; padding: 12px 14px; box-shadow: 0 4px 16px rgba(0,0,0,.2); min-width: 220px; }
        .panel h2 { font-size: 15px; margin: 0 0 6px; }
        .sid { font: 600 22px/1.2 ui-monospace, monospace; letter-spacing: 2px; margin: 2px 0 6px; }
        .hint, .mode { color: #555; font-size: 12px; margin: 0 0 8px; }
        /* Once the agent is there the panel shrinks, to cover as little of the page as it can. */
        .panel.compact { padding: 8px 12px; }
        .panel.compact h2, .panel.compact .label { display: none; }
        .panel.compact .sid { font-size: 14px; letter-spacing: 1px; margin: 0; }
        .panel.compact .mode { margin: 2px 0 6px; }
        .panel.compact .end { padding: 4px 10px; }
        .end { background: #fff; color: #a4161a; border-color: #a4161a; }
        .status:empty { display: none; }
        .status { background: #1f2933; color: #fff; border-radius: 6px; padding: 8px 12px; max-width: 300px; }
        [hidden] { display: none !important; }
        .pointer { position: fixed; left: 0; top: 0; pointer-events: none; transition: transform 60ms linear; }
        .pointer span { position: absolute; left: 14px; top: 14px; background: #0b5cad; color: #fff; font: 11px system-ui, sans-serif; padding: 1px 5px; border-radius: 3px; white-space: nowrap; }
        .click { position: fixed; width: 36px; height: 36px; margin: -18px 0 0 -18px; border: 3px solid #e00; border-radius: 50%; pointer-events: none; box-sizing: border-box; animation: cobrowse-click 2s ease-out forwards; }
        @keyframes cobrowse-click { 0% { transform: scale(.4); opacity: 1; } 30% { transform: scale(1); } 100% { opacity: 0; } }
      </style>
      <div class="dock">
        <div role="status" aria-live="polite" class="status"></div>
        <section class="panel" hidden aria-label="${TEXT.cobrowse}">
          <h2>${TEXT.cobrowse}</h2>
          <div class="label">${TEXT.sessionId}</div>
          <div class="sid"></div>
          <p class="hint">${TEXT.readOut}</p>
          <p class="mode"></p>
          <button type="button" class="end">${TEXT.end}</button>
        </section>
        <button type="button" class="start">${TEXT.button}</button>
      </div>
      <div class="pointer" hidden aria-hidden="true">
        <svg width="20" height="24" viewBox="0 0 20 24"><path d="M1 1 L1 19 L6 14 L10 23 L13 22 L9 13 L16 13 Z" fill="#0b5cad" stroke="#fff" stroke-width="1.5"/></svg>
        <span>${TEXT.agent}</span>
      </div>`;
    const $ = (selector) => root.querySelector(selector);
    ui = { host, root, start: $('.start'), panel: $('.panel'), sid: $('.sid'), hint: $('.hint'), mode: $('.mode'), end: $('.end'), status: $('.status'), pointer: $('.pointer') };
    // Only a person's click counts: a page script cannot start, end or grant on their behalf.
    ui.start.addEventListener('click', (event) => { if (event.isTrusted) window.Cobrowse.start().catch(() => {}); });
    ui.end.addEventListener('click', (event) => { if (event.isTrusted) window.Cobrowse.end(); });
    (document.body || document.documentElement).appendChild(host);
    render();
  }

  function render() {
    if (!ui) return;
    const live = state === 'waiting' || state === 'active' || state === 'paused';
    ui.start.hidden = live;
    ui.panel.hidden = !live;
    ui.panel.classList.toggle('compact', state === 'active' || state === 'paused');
    ui.sid.textContent = session ? session.id : '';
    ui.hint.hidden = state !== 'waiting';
    ui.mode.textContent = state === 'active' ? TEXT.pointerMode : state === 'waiting' ? TEXT.waiting : '';
  }

  let notifyTimer = null;
  function notify(text) {
    if (!ui) return;
    ui.status.textContent = text;
    clearTimeout(notifyTimer);
    notifyTimer = setTimeout(() => { ui.status.textContent = ''; }, 8000);
  }

  function showPointer(x, y) {
    if (!ui) return;
    ui.pointer.hidden = false;
    ui.pointer.style.transform = `translate(${x}px, ${y}px)`;
  }
  function hidePointer() {
    if (ui) ui.pointer.hidden = true;
  }
  function showClick(x, y) {
    if (!ui) return;
    const ring = document.createElement('div');
    ring.className = 'click';
    ring.style.left = `${x}px`;
    ring.style.top = `${y}px`;
    ui.root.appendChild(ring);
    setTimeout(() => ring.remove(), 2000);
  }

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
    setPointerMode() {
      // Write mode is never granted by this version, so the agent is always in pointer mode.
    },
    on(event, callback) {
      if (typeof callback !== 'function') throw new TypeError('Cobrowse.on needs a callback');
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    get state() { return state; },
  });

  function boot() {
    buildWidget();
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
