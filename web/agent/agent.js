// Agent view: joins a session by ID, draws the customer's screen from the server's frames,
// shows the customer's pointer and sends the agent's. Wire messages mirror src/wire.rs.
(() => {
  'use strict';
  const german = /^de\b/i.test(navigator.language || '');
  const TEXT = globalThis.COBROWSE_AGENT_TEXT(german);

  const $ = (id) => document.getElementById(id);
  const form = document.querySelector('form.join');
  const input = $('session-id');
  const live = document.querySelector('.live');
  const status = $('status');
  const stage = $('stage');
  const canvas = $('screen');
  const context = canvas.getContext('2d');
  const customerPointer = $('customer-pointer');
  const pausedCover = $('paused-cover');
  const pointerHint = $('pointer-hint');

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

  let socket = null;
  let sessionId = null;
  let frames = 0;
  let mode = 'pointer';
  let writeAllowed = false;
  let asking = false;
  let site = null;
  const requestWrite = $('request-write');
  const toPointer = $('to-pointer');
  const navControls = ['back', 'forward', 'reload', 'address'].map($);

  // The toolbar follows the mode: the pencil asks, the pointer gives write mode back, and
  // navigation works only in write mode.
  function setMode(next) {
    mode = next === 'write' ? 'write' : 'pointer';
    if (mode !== 'write' && pickerOpen()) agentInput.closePicker();
    asking = false;
    requestWrite.hidden = !writeAllowed || mode === 'write';
    requestWrite.disabled = false;
    toPointer.hidden = mode !== 'write';
    for (const control of navControls) control.disabled = mode !== 'write';
    $('mode').textContent = watching ? TEXT.watching : mode === 'write' ? TEXT.writeMode : TEXT.pointerMode;
  }

  // An action was refused: say why beside the pointer, briefly, and in the status line.
  let refusalTimer = null;
  function refusedAtPointer(text) {
    say(text);
    pointerHint.textContent = text;
    pointerHint.style.transform = `translate(${lastPointer.x + 16}px, ${lastPointer.y + 18}px)`;
    pointerHint.hidden = false;
    clearTimeout(refusalTimer);
    refusalTimer = setTimeout(() => { pointerHint.hidden = true; }, 2500);
  }

  function say(text) { status.textContent = text; }

  // The agent signs in with a token: from the URL's fragment (never sent to the server with the
  // page), from the embedding workspace, or kept from earlier in this tab.
  let token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('cobrowse-agent-token');
  if (token) {
    // Kept for reloads of this tab, and off the address bar, where a copied link would carry it.
    sessionStorage.setItem('cobrowse-agent-token', token);
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  }
  let role = 'agent';
  let opened = false;
  let pending = null;
  let watching = false;

  function signIn(next) {
    if (next === token && socket) return;
    token = next;
    sessionStorage.setItem('cobrowse-agent-token', token);
    // A connection opened with the old token (perhaps still opening) gives way; a session in
    // progress ends with it, as it would on a sign-out.
    const ws = socket;
    socket = null;
    if (ws) { ws.close(); if (sessionId) leave(); }
    connect();
  }

  // One connection while the view is open: it carries the session, and transfers offered to
  // this agent. The server closes it when a session ends; the view then reconnects.
  function connect() {
    // A token is base64url parts joined by dots; anything else cannot be one (nor an offered
    // subprotocol), so it is treated as no sign-in at all.
    if (!token || !/^[A-Za-z0-9_.-]+$/.test(token)) { say(TEXT.signIn); $('join').disabled = true; return; }
    if (socket) return;
    const url = new URL('/ws/agent', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // The token goes as an offered subprotocol, never in the URL (reverse proxies log URLs).
    const ws = new WebSocket(url, ['cobrowse', `cobrowse.token.${token}`]);
    socket = ws;
    opened = false;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      opened = true;
      $('join').disabled = false;
      if (pending) { ws.send(JSON.stringify(pending)); pending = null; }
    };
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      if (typeof event.data !== 'string') { queueFrame(event.data); return; }
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      onMessage(message);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (sessionId) { say(TEXT.lost); leave(); }
      if (opened) { setTimeout(connect, 1000); return; }
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

  function join(id, options = {}) {
    id = String(id).replace(/[\s-]/g, '');
    if (sessionId === id) return;
    const message = { type: 'join', session: id };
    if (options.interaction) message.interaction = String(options.interaction);
    if (options.watch) message.watch = true;
    say(TEXT.joining);
    if (sessionId) {
      // In a session already: this connection is done with it; join on a fresh one.
      pending = message;
      const ws = socket;
      socket = null;
      leave();
      if (ws) ws.close();
      connect();
      return;
    }
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    else { pending = message; connect(); }
  }

  function onMessage(message) {
    switch (message.type) {
      case 'hello':
        role = message.role;
        $('who').textContent = TEXT.signedIn(message.name);
        $('watch').hidden = role !== 'supervisor';
        break;
      case 'transfer_offered':
        if (sessionId) break;
        join(message.session);
        say(TEXT.transferOffered(message.from, message.session));
        break;
      case 'transferred_away':
        leave();
        say(TEXT.transferredAway(message.to));
        break;
      case 'watchers':
        if (!watching) say(message.count ? TEXT.watchers(message.count) : TEXT.noWatchers);
        break;
      case 'joined':
        sessionId = message.session;
        watching = !!message.watching;
        zoom.joined();
        form.hidden = true;
        live.hidden = false;
        live.querySelector('.session-label').textContent = `${TEXT.sessionId}: ${sessionId}`;
        stage.hidden = false;
        // Before the first frame only: resizing clears the canvas, and frames after the first
        // carry only the tiles that changed. Each frame states its own size.
        if (!frames && message.width && message.height) resize(message.width, message.height);
        setCssSize(message.width, message.height);
        writeAllowed = !!message.write_mode_allowed && !watching;
        site = message.origin || null;
        setMode(message.mode);
        setPaused(message.state === 'paused');
        $('transfer-form').hidden = watching;
        $('end').textContent = watching ? TEXT.stopWatching : TEXT.end;
        if (watching) $('mode').textContent = TEXT.watching;
        say(message.state === 'paused' ? TEXT.paused : watching ? TEXT.watchingNow(sessionId) : frames ? TEXT.joined(sessionId) : TEXT.waitingForPage);
        if (message.state !== 'paused') setTimeout(() => { if (sessionId && status.textContent === TEXT.waitingForPage) say(TEXT.joined(sessionId)); }, 1000);
        break;
      // The next frame has the new size in device pixels; the screen shows it at this size.
      case 'viewport': setCssSize(message.width, message.height); zoom.region(message.partial, message.outline); break;
      case 'customer_pointer':
        customerPointer.hidden = false;
        customerPointer.style.transform = `translate(${message.x}px, ${message.y}px)`;
        break;
      case 'paused': setPaused(true); say(TEXT.paused); break;
      case 'resumed': setPaused(false); say(TEXT.resumed); break;
      case 'private_page': say(message.private ? TEXT.privatePage : TEXT.privateLeft); break;
      case 'pointer_over': showHint(message.hidden); break;
      case 'control': agentInput.showPicker(message.x, message.y, message.control); break;
      case 'replica_restarting': say(TEXT.restarting); break;
      case 'replica_unavailable': say(TEXT.unavailable); break;
      case 'refused':
        if (['write_mode_denied', 'request_lapsed', 'request_pending', 'customer_away'].includes(message.code)) {
          asking = false;
          requestWrite.disabled = false;
          say(TEXT.codes[message.code] || message.message);
        } else {
          refusedAtPointer(TEXT.codes[message.code] || message.message);
        }
        break;
      case 'mode_changed':
        setMode(message.mode);
        say(mode === 'write' ? TEXT.nowWrite : TEXT.nowPointer);
        break;
      case 'ended':
        say(TEXT.ended[message.by] || TEXT.ended.server);
        leave();
        break;
      case 'join_failed':
        say(TEXT.codes[message.code] || message.message);
        break;
      case 'error': console.warn('cobrowse:', message.message); break;
    }
  }

  function leave() {
    sessionId = null;
    watching = false;
    form.hidden = false;
    live.hidden = true;
    stage.hidden = true;
    customerPointer.hidden = true;
    pointerHint.hidden = true;
    statusBeforeHint = null;
    frames = 0;
    canvas.dataset.frames = '0';
  }

  function setPaused(paused) { pausedCover.hidden = !paused; }

  // The agent's pointer rests on something hidden from them: say so beside the pointer and in
  // the status line, and put the status back when the pointer moves off.
  let statusBeforeHint = null;
  let lastPointer = { x: 0, y: 0 };
  function showHint(hidden) {
    const text = hidden ? TEXT.hidden[hidden] : null;
    if (text) {
      if (statusBeforeHint === null) statusBeforeHint = status.textContent;
      say(text);
      pointerHint.textContent = text;
      pointerHint.style.transform = `translate(${lastPointer.x + 16}px, ${lastPointer.y + 18}px)`;
      pointerHint.hidden = false;
    } else {
      if (statusBeforeHint !== null && Object.values(TEXT.hidden).includes(status.textContent)) say(statusBeforeHint);
      statusBeforeHint = null;
      pointerHint.hidden = true;
    }
  }

  // The customer's window in CSS pixels: the screen's size on the page, whatever the device
  // pixels of its frames (a customer at pixel ratio 2 sends twice as many each way).
  let cssSize = null;
  const zoom = globalThis.COBROWSE_AGENT_ZOOM({
    stage, panel: $('viewport'), button: $('zoom'), wholeButton: $('whole'), outline: $('visible-outline'), TEXT, send,
    mayChoose: () => !watching,
  });
  function setCssSize(width, height) {
    if (!width || !height) return;
    cssSize = { width, height };
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    zoom.setSize(width, height);
  }

  function resize(width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  // Frames are tile deltas (web/agent/frames.js reads them): every one must be drawn, in
  // order, onto what the ones before drew.
  const KEEP_NONE = 255;
  const kept = [];
  let drawing = Promise.resolve();
  function queueFrame(buffer) {
    drawing = drawing.then(() => drawFrame(buffer)).catch((error) => console.warn('cobrowse: undrawable frame', error));
  }

  async function drawFrame(buffer) {
    const frame = globalThis.COBROWSE_DECODE_FRAME(buffer);
    if (!frame) return;
    const { width, height, keep, recalls, moves } = frame;
    const tiles = frame.tiles.map((tile) => ({ ...tile, bitmap: createImageBitmap(tile.png) }));
    const bitmaps = await Promise.all(tiles.map((tile) => tile.bitmap));
    // All tiles of a frame land together, so the agent never sees half an update.
    if (keep !== KEEP_NONE) {
      const copy = kept[keep] || document.createElement('canvas');
      [copy.width, copy.height] = [canvas.width, canvas.height];
      copy.getContext('2d').drawImage(canvas, 0, 0);
      kept[keep] = copy;
    }
    recalls.forEach((r) => { if (kept[r.slot]) context.drawImage(kept[r.slot], r.x, r.y, r.w, r.h, r.x, r.y, r.w, r.h); });
    resize(width, height);
    // Drawing the canvas onto itself copies the source first, so overlapping moves are exact.
    moves.forEach((m) => context.drawImage(canvas, 0, m.from, width, m.rows, 0, m.to, width, m.rows));
    tiles.forEach((tile, i) => {
      context.drawImage(bitmaps[i], tile.x, tile.y);
      bitmaps[i].close();
    });
    frames += 1;
    canvas.dataset.frames = String(frames);
    if (status.textContent === TEXT.waitingForPage) say(TEXT.joined(sessionId));
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN && sessionId) socket.send(JSON.stringify(message));
  }

  const agentInput = globalThis.COBROWSE_AGENT_INPUT({
    canvas, stage, TEXT, send,
    cssSize: () => cssSize || { width: canvas.width, height: canvas.height },
    isWrite: () => mode === 'write' && !watching,
    onPointer: (point) => { lastPointer = point; },
  });
  const act = (action) => send({ type: 'action', action });
  const pickerOpen = () => !!stage.querySelector('.picker');

  requestWrite.addEventListener('click', () => {
    if (asking) return;
    asking = true;
    requestWrite.disabled = true;
    say(TEXT.asking);
    send({ type: 'request_write_mode' });
  });
  toPointer.addEventListener('click', () => send({ type: 'pointer_mode' }));
  $('back').addEventListener('click', () => act({ kind: 'back' }));
  $('forward').addEventListener('click', () => act({ kind: 'forward' }));
  $('reload').addEventListener('click', () => act({ kind: 'reload' }));
  $('address-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const typedUrl = $('address').value.trim();
    if (!typedUrl) return;
    let url;
    try { url = new URL(typedUrl, site || undefined).href; } catch (_) { url = typedUrl; }
    act({ kind: 'navigate', url });
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) join(input.value, { interaction: params.get('interaction') });
  });
  $('watch').addEventListener('click', () => { if (input.value.trim()) join(input.value, { watch: true }); });
  $('end').addEventListener('click', () => {
    if (!watching) { send({ type: 'end' }); return; }
    // A supervisor stops watching; the session goes on.
    const ws = socket;
    leave();
    say(TEXT.stopped);
    if (ws) ws.close();
  });
  $('transfer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const to = $('transfer-to').value.trim();
    if (to) send({ type: 'transfer', to });
  });

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
        if (start && !sessionId) {
          input.value = start[1];
          join(start[1], { interaction: data.interaction || params.get('interaction') });
        }
      }
    });
  });

  const params = new URLSearchParams(location.search);
  const wanted = params.get('session');
  if (wanted) { input.value = wanted; join(wanted, { interaction: params.get('interaction'), watch: params.get('watch') === '1' }); }
  else connect();
})();
