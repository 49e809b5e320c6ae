// Agent view: joins a session by ID, draws the customer's screen from the server's frames,
// shows the customer's pointer and sends the agent's. Wire messages mirror src/wire.rs.
(() => {
  'use strict';
  const german = /^de\b/i.test(navigator.language || '');
  const TEXT = german ? {
    title: 'Gemeinsames Browsen',
    sessionId: 'Sitzungs-ID',
    join: 'Beitreten',
    end: 'Sitzung beenden',
    pointerMode: 'Zeigermodus',
    screen: 'Bildschirm des Kunden',
    joining: 'Verbindung wird hergestellt …',
    joined: (id) => `Verbunden mit Sitzung ${id}.`,
    waitingForPage: 'Warten auf die Seite des Kunden …',
    paused: 'Pausiert: Der Kunde hat die Website verlassen.',
    resumed: 'Fortgesetzt: Der Kunde ist zurück auf der Website.',
    restarting: 'Die Ansicht wird neu aufgebaut …',
    unavailable: 'Die Seite des Kunden kann gerade nicht angezeigt werden; beim nächsten Seitenwechsel wird es erneut versucht.',
    ended: { customer: 'Der Kunde hat die Sitzung beendet.', agent: 'Sie haben die Sitzung beendet.', timeout: 'Die Sitzung ist abgelaufen.', interaction: 'Die Interaktion wurde beendet; die Sitzung ist vorbei.', server: 'Der Server hat die Sitzung beendet.' },
    lost: 'Die Verbindung zum Server ist unterbrochen.',
    privatePage: 'Der Kunde ist auf einer privaten Seite; sie ist für Sie ausgeblendet.',
    privateLeft: 'Der Kunde hat die private Seite verlassen.',
    hidden: { masked_field: 'Nur der Kunde kann dieses Feld ausfüllen.', masked: 'Dieser Inhalt ist maskiert; nur der Kunde sieht ihn.', blocked: 'Dieser Teil der Seite ist für Sie ausgeblendet.' },
    writeMode: 'Schreibmodus',
    labels: { 'request-write': 'Schreibmodus anfordern', 'to-pointer': 'Zum Zeigermodus wechseln', back: 'Zurück', forward: 'Vorwärts', reload: 'Neu laden', address: 'Adresse' },
    asking: 'Der Kunde wird um den Schreibmodus gebeten …',
    nowWrite: 'Schreibmodus: Sie können auf der Seite des Kunden handeln.',
    nowPointer: 'Zeigermodus: Sie können nur zeigen.',
    codes: { too_many_attempts: 'Zu viele Versuche; bitte warten Sie eine Minute.', no_such_session: 'Es gibt keine Sitzung mit dieser ID.', session_ended: 'Diese Sitzung wurde beendet.', agent_present: 'Ein anderer Mitarbeiter ist bereits in dieser Sitzung.', pointer_mode: 'Zeigermodus: Sie können nur zeigen.', write_mode_unavailable: 'Der Schreibmodus ist nicht verfügbar.', request_pending: 'Die Anfrage wartet noch auf die Antwort des Kunden.', write_mode_denied: 'Der Kunde hat den Schreibmodus abgelehnt.', request_lapsed: 'Der Kunde hat nicht auf die Anfrage geantwortet.', customer_away: 'Der Kunde ist gerade nicht auf der Seite.', disabled: 'Das ist auf dieser Website außerhalb Ihrer Reichweite.', submit: 'Nur der Kunde kann absenden.', masked: 'Nur der Kunde kann dieses Feld ausfüllen.', outside_site: 'Das würde die Website des Kunden verlassen.', no_target: 'Dort gibt es nichts zu tun.', too_fast: 'Zu viele Aktionen auf einmal.' },
  } : {
    title: 'Co-browse',
    sessionId: 'Session ID',
    join: 'Join',
    end: 'End session',
    pointerMode: 'Pointer mode',
    screen: 'Customer screen',
    joining: 'Joining…',
    joined: (id) => `Joined session ${id}.`,
    waitingForPage: 'Waiting for the customer’s page…',
    paused: 'Paused: the customer has left the site.',
    resumed: 'Resumed: the customer is back on the site.',
    restarting: 'Rebuilding the view of the customer’s page…',
    unavailable: 'The customer’s page cannot be shown right now; it is tried again when they open another page.',
    ended: { customer: 'The customer ended the session.', agent: 'You ended the session.', timeout: 'The session timed out.', interaction: 'The interaction ended, and with it the session.', server: 'The server ended the session.' },
    lost: 'The connection to the server was lost.',
    privatePage: 'The customer is on a private page; it is hidden from you.',
    privateLeft: 'The customer has left the private page.',
    hidden: { masked_field: 'Only the customer can fill this field.', masked: 'This content is masked: only the customer can see it.', blocked: 'This part of the page is hidden from you.' },
    writeMode: 'Write mode',
    labels: { 'request-write': 'Request write mode', 'to-pointer': 'Switch to pointer mode', back: 'Back', forward: 'Forward', reload: 'Reload', address: 'Address' },
    asking: 'Asking the customer for write mode…',
    nowWrite: 'Write mode: you can act on the customer’s page.',
    nowPointer: 'Pointer mode: you can only point.',
    codes: { too_many_attempts: 'Too many attempts; wait a minute and try again.', no_such_session: 'There is no session with this ID.', session_ended: 'This session has ended.', agent_present: 'Another agent is already in this session.', pointer_mode: 'Pointer mode: you can only point.', write_mode_unavailable: 'Write mode is not available.', request_pending: 'The request is still waiting for the customer’s answer.', write_mode_denied: 'The customer declined write mode.', request_lapsed: 'The customer did not answer the write-mode request.', customer_away: 'The customer is not on the page right now.', disabled: 'That is out of your reach on this site.', submit: 'Only the customer can submit.', masked: 'Only the customer can fill this field.', outside_site: 'That would leave the customer’s site.', no_target: 'There is nothing to act on there.', too_fast: 'Too many actions at once; slow down.' },
  };

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
    asking = false;
    requestWrite.hidden = !writeAllowed || mode === 'write';
    requestWrite.disabled = false;
    toPointer.hidden = mode !== 'write';
    for (const control of navControls) control.disabled = mode !== 'write';
    $('mode').textContent = mode === 'write' ? TEXT.writeMode : TEXT.pointerMode;
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

  function join(id) {
    id = String(id).replace(/[\s-]/g, '');
    if (socket) socket.close();
    const url = new URL('/ws/agent', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    socket = ws;
    ws.binaryType = 'arraybuffer';
    say(TEXT.joining);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', session: id }));
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
    };
  }

  function onMessage(message) {
    switch (message.type) {
      case 'joined':
        sessionId = message.session;
        form.hidden = true;
        live.hidden = false;
        live.querySelector('.session-label').textContent = `${TEXT.sessionId}: ${sessionId}`;
        stage.hidden = false;
        // Before the first frame only: resizing clears the canvas, and frames after the first
        // carry only the tiles that changed. Each frame states its own size.
        if (!frames && message.width && message.height) resize(message.width, message.height);
        writeAllowed = !!message.write_mode_allowed;
        site = message.origin || null;
        setMode(message.mode);
        setPaused(message.state === 'paused');
        say(message.state === 'paused' ? TEXT.paused : frames ? TEXT.joined(sessionId) : TEXT.waitingForPage);
        if (message.state !== 'paused') setTimeout(() => { if (sessionId && status.textContent === TEXT.waitingForPage) say(TEXT.joined(sessionId)); }, 1000);
        break;
      case 'viewport': break; // the next frame has the new size
      case 'customer_pointer':
        customerPointer.hidden = false;
        customerPointer.style.transform = `translate(${message.x}px, ${message.y}px)`;
        break;
      case 'paused': setPaused(true); say(TEXT.paused); break;
      case 'resumed': setPaused(false); say(TEXT.resumed); break;
      case 'private_page': say(message.private ? TEXT.privatePage : TEXT.privateLeft); break;
      case 'pointer_over': showHint(message.hidden); break;
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
        if (socket) socket.close();
        socket = null;
        break;
      case 'error': console.warn('cobrowse:', message.message); break;
    }
  }

  function leave() {
    sessionId = null;
    const ws = socket;
    socket = null;
    if (ws) ws.close();
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

  function resize(width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  // Frames are tile deltas (src/stream/tiles.rs): every one must be drawn, in order, onto
  // what the ones before drew. A message is `u8 kind, u16 width, u16 height`; kind 2 (a scroll)
  // then moves rows, `u16 count` and per move `u16 fromY, u16 toY, u16 rows` (whole width, in
  // order); kind 3 (another page) keeps the picture so far in slot `u8 keep` (255: none), then
  // copies back `u16 count` rectangles `u8 slot, u16 x, u16 y, u16 w, u16 h` from kept pictures,
  // each to the same place; every kind ends with `u16 count` and per tile `u16 x, u16 y, u16 w,
  // u16 h, u32 length, PNG bytes`.
  const KEEP_NONE = 255;
  const kept = [];
  let drawing = Promise.resolve();
  function queueFrame(buffer) {
    drawing = drawing.then(() => drawFrame(buffer)).catch((error) => console.warn('cobrowse: undrawable frame', error));
  }

  async function drawFrame(buffer) {
    const view = new DataView(buffer);
    const kind = view.getUint8(0);
    if (kind !== 1 && kind !== 2 && kind !== 3) return;
    const width = view.getUint16(1);
    const height = view.getUint16(3);
    let at = 5;
    let keep = KEEP_NONE;
    const recalls = [];
    if (kind === 3) {
      keep = view.getUint8(at);
      const count = view.getUint16(at + 1);
      at += 3;
      for (let i = 0; i < count; i++, at += 9) {
        recalls.push({ slot: view.getUint8(at), x: view.getUint16(at + 1), y: view.getUint16(at + 3), w: view.getUint16(at + 5), h: view.getUint16(at + 7) });
      }
    }
    const moves = [];
    if (kind === 2) {
      const count = view.getUint16(at);
      at += 2;
      for (let i = 0; i < count; i++, at += 6) {
        moves.push({ from: view.getUint16(at), to: view.getUint16(at + 2), rows: view.getUint16(at + 4) });
      }
    }
    const count = view.getUint16(at);
    at += 2;
    const tiles = [];
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(at + 8);
      const png = new Blob([new Uint8Array(buffer, at + 12, length)], { type: 'image/png' });
      tiles.push({ x: view.getUint16(at), y: view.getUint16(at + 2), bitmap: createImageBitmap(png) });
      at += 12 + length;
    }
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

  function canvasPoint(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: Math.round((event.clientX - box.left) * canvas.width / box.width),
      y: Math.round((event.clientY - box.top) * canvas.height / box.height),
    };
  }

  let pointerQueued = null;
  canvas.addEventListener('mousemove', (event) => {
    const queued = pointerQueued;
    pointerQueued = canvasPoint(event);
    lastPointer = pointerQueued;
    if (queued) return;
    requestAnimationFrame(() => { send({ type: 'pointer', ...pointerQueued }); pointerQueued = null; });
  });
  function act(action) { send({ type: 'action', action }); }

  canvas.addEventListener('click', (event) => {
    canvas.focus();
    if (mode === 'write') act({ kind: 'click', ...canvasPoint(event) });
    else send({ type: 'click', ...canvasPoint(event) });
  });
  canvas.addEventListener('dblclick', (event) => { if (mode === 'write') act({ kind: 'double_click', ...canvasPoint(event) }); });

  // Wheel turns add up to one scroll per frame.
  let wheel = null;
  canvas.addEventListener('wheel', (event) => {
    if (mode !== 'write') return;
    event.preventDefault();
    if (!wheel) {
      wheel = { ...canvasPoint(event), dx: 0, dy: 0 };
      requestAnimationFrame(() => { act({ kind: 'scroll', ...wheel }); wheel = null; });
    }
    wheel.dx += event.deltaX;
    wheel.dy += event.deltaY;
  }, { passive: false });

  // Keys typed on the customer screen: characters go as text (those of one frame together),
  // other keys by name.
  const KEYS = ['Backspace', 'Delete', 'Enter', 'Tab', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown', 'Escape'];
  let typed = '';
  function flushTyped() {
    if (typed) act({ kind: 'text', text: typed });
    typed = '';
  }
  canvas.addEventListener('keydown', (event) => {
    if (mode !== 'write' || event.metaKey || event.altKey) return;
    if (event.ctrlKey) {
      if (event.key.toLowerCase() === 'a') { event.preventDefault(); flushTyped(); act({ kind: 'key', key: 'SelectAll' }); }
      return;
    }
    if (event.key.length === 1) {
      event.preventDefault();
      if (!typed) requestAnimationFrame(flushTyped);
      typed += event.key;
    } else if (KEYS.includes(event.key)) {
      event.preventDefault();
      flushTyped();
      act({ kind: 'key', key: event.key === 'Tab' && event.shiftKey ? 'Shift+Tab' : event.key });
    }
  });

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
    if (input.value.trim()) join(input.value);
  });
  $('end').addEventListener('click', () => {
    send({ type: 'end' });
  });

  const wanted = new URLSearchParams(location.search).get('session');
  if (wanted) { input.value = wanted; join(wanted); }
})();
