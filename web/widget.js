// The customer's widget: the "Co-browse" button, the session panel, notifications and the
// agent's pointer and clicks, in its own shadow root (which the recorder blocks, so the agent
// never sees it and the site's CSS cannot break it). Part of /cobrowse.js, after masking.js.
const widget = (() => {
  'use strict';
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
    joinedBy: (name) => `Die Sitzung für gemeinsames Browsen hat begonnen: ${name} sieht diese Seite.`,
    transferred: (name) => `Ihre Sitzung wurde an ${name} übergeben; der Schreibmodus ist beendet.`,
    watchers: (n) => n === 1 ? 'Eine weitere Person (ein Supervisor) sieht diese Seite.' : `${n} weitere Personen (Supervisoren) sehen diese Seite.`,
    noWatchers: 'Nur der Mitarbeiter sieht diese Seite.',
    ended: 'Die Sitzung für gemeinsames Browsen wurde beendet.',
    unavailable: 'Gemeinsames Browsen ist gerade nicht verfügbar.',
    busy: 'Gemeinsames Browsen ist gerade ausgelastet; bitte versuchen Sie es in ein paar Minuten noch einmal.',
    agent: 'Mitarbeiter',
    pointerMode: 'Zeigermodus',
    writeMode: 'Schreibmodus: Der Mitarbeiter kann auf dieser Seite handeln.',
    toPointer: 'Zum Zeigermodus wechseln',
    askTitle: 'Darf der Mitarbeiter handeln?',
    askText: 'Der Mitarbeiter möchte auf dieser Seite für Sie klicken, tippen und navigieren. Sie können das jederzeit zurücknehmen.',
    allow: 'Erlauben',
    deny: 'Ablehnen',
    nowWrite: 'Der Mitarbeiter kann jetzt auf dieser Seite handeln.',
    nowPointer: 'Zurück im Zeigermodus: Der Mitarbeiter kann nur zeigen.',
    maskedField: 'Der Mitarbeiter sieht nicht, was Sie in dieses Feld eingeben.',
    privatePage: 'Diese Seite ist privat: Der Mitarbeiter sieht sie nicht.',
    tooLarge: 'Diese Seite ist zu groß zum Teilen: Der Mitarbeiter sieht stattdessen einen Hinweis.',
    tooFast: 'Diese Seite ändert sich zu schnell: Die Ansicht des Mitarbeiters holt gleich auf.',
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
    joinedBy: (name) => `Co-browse session started: ${name} can now see this page.`,
    transferred: (name) => `Your session was transferred to ${name}; write mode has ended.`,
    watchers: (n) => n === 1 ? 'Someone else (a supervisor) is also watching this page.' : `${n} others (supervisors) are also watching this page.`,
    noWatchers: 'Only the agent is watching this page now.',
    ended: 'The co-browse session has ended.',
    unavailable: 'Co-browse is not available right now.',
    busy: 'Co-browse is busy right now; please try again in a few minutes.',
    agent: 'Agent',
    pointerMode: 'Pointer mode',
    writeMode: 'Write mode: the agent can act on this page.',
    toPointer: 'Switch to pointer mode',
    askTitle: 'Allow the agent to act?',
    askText: 'The agent asks to click, type and navigate on this page for you. You can take this back at any time.',
    allow: 'Allow',
    deny: 'Deny',
    nowWrite: 'The agent can now act on this page.',
    nowPointer: 'Back to pointer mode: the agent can only point.',
    tooLarge: 'This page is too large to share: the agent sees a notice instead.',
    tooFast: 'This page changes too fast to share all of it: the agent’s view catches up in a moment.',
    maskedField: 'The agent cannot see what you type in this field.',
    privatePage: 'This page is private: the agent cannot see it.',
  };

  let ui = null;
  // `on` holds the handlers of the buttons: start, end, allow, deny, pointer.
  function build(on) {
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
        .to-pointer { background: #fff; color: #0b5cad; margin: 0 0 6px; }
        .ask { background: #fff; border: 2px solid #0b5cad; border-radius: 8px; padding: 12px 14px; box-shadow: 0 4px 16px rgba(0,0,0,.25); max-width: 300px; }
        .ask h2 { font-size: 15px; margin: 0 0 6px; }
        .ask p { margin: 0 0 10px; }
        .ask .allow { background: #0b5cad; color: #fff; margin-right: 8px; }
        .ask .deny { background: #fff; color: #0b5cad; }
        .status:empty { display: none; }
        .status { background: #1f2933; color: #fff; border-radius: 6px; padding: 8px 12px; max-width: 300px; }
        [hidden] { display: none !important; }
        .pointer { position: fixed; left: 0; top: 0; pointer-events: none; transition: transform 60ms linear; }
        .pointer span { position: absolute; left: 14px; top: 14px; background: #0b5cad; color: #fff; font: 11px system-ui, sans-serif; padding: 1px 5px; border-radius: 3px; white-space: nowrap; }
        .click { position: fixed; width: 36px; height: 36px; margin: -18px 0 0 -18px; border: 3px solid #e00; border-radius: 50%; pointer-events: none; box-sizing: border-box; animation: cobrowse-click 2s ease-out forwards; }
        /* A touch screen: targets a finger can hit (44 CSS px, as platform guidelines ask), text
           readable at arm's length, and the session ID big enough to read out over the phone. */
        @media (pointer: coarse) {
          .dock { font-size: 16px; }
          button, .panel.compact .end { min-height: 44px; min-width: 44px; padding: 10px 16px; }
          .sid { font-size: 30px; }
          .panel.compact .sid { font-size: 18px; }
          .hint, .mode { font-size: 14px; }
        }
        @keyframes cobrowse-click { 0% { transform: scale(.4); opacity: 1; } 30% { transform: scale(1); } 100% { opacity: 0; } }
      </style>
      <div class="dock">
        <div role="status" aria-live="polite" class="status"></div>
        <div class="ask" role="alertdialog" aria-labelledby="cobrowse-ask-title" aria-describedby="cobrowse-ask-text" hidden>
          <h2 id="cobrowse-ask-title">${TEXT.askTitle}</h2>
          <p id="cobrowse-ask-text">${TEXT.askText}</p>
          <button type="button" class="allow">${TEXT.allow}</button><button type="button" class="deny">${TEXT.deny}</button>
        </div>
        <section class="panel" hidden aria-label="${TEXT.cobrowse}">
          <h2>${TEXT.cobrowse}</h2>
          <div class="label">${TEXT.sessionId}</div>
          <div class="sid"></div>
          <p class="hint">${TEXT.readOut}</p>
          <p class="mode"></p>
          <button type="button" class="to-pointer" hidden>${TEXT.toPointer}</button>
          <button type="button" class="end">${TEXT.end}</button>
        </section>
        <button type="button" class="start">${TEXT.button}</button>
      </div>
      <div class="pointer" hidden aria-hidden="true">
        <svg width="20" height="24" viewBox="0 0 20 24"><path d="M1 1 L1 19 L6 14 L10 23 L13 22 L9 13 L16 13 Z" fill="#0b5cad" stroke="#fff" stroke-width="1.5"/></svg>
        <span>${TEXT.agent}</span>
      </div>`;
    const $ = (selector) => root.querySelector(selector);
    ui = { host, root, start: $('.start'), panel: $('.panel'), sid: $('.sid'), hint: $('.hint'), mode: $('.mode'), end: $('.end'), status: $('.status'), pointer: $('.pointer'), ask: $('.ask'), toPointer: $('.to-pointer') };
    ui.start.addEventListener('click', on.start);
    ui.end.addEventListener('click', on.end);
    $('.allow').addEventListener('click', on.allow);
    $('.deny').addEventListener('click', on.deny);
    ui.toPointer.addEventListener('click', on.pointer);
    (document.body || document.documentElement).appendChild(host);
  }

  // Keeps the dock in the corner of what the customer sees, at its own size: on a phone the
  // visible part of the page (`visual`, from web/viewport.js; null for the whole window) is
  // smaller than the window the page is laid out in (a page without a viewport tag shown
  // zoomed out, pinch zoom, the on-screen keyboard), so a plain fixed position would put it off
  // screen, under the keyboard or at a third of its size. It also stays clear of the page's own
  // bar fixed at the bottom (a cookie notice, a tab bar).
  const MARGIN = 16;
  let shown = null;
  function fit(visual) {
    if (visual !== undefined) shown = visual;
    if (!ui) return;
    const dock = ui.root.querySelector('.dock');
    const v = shown;
    const scale = v ? 1 / v.scale : 1;
    const right = v ? v.left + v.width : document.documentElement.clientWidth;
    const top = v ? v.top : 0;
    let bottom = v ? v.top + v.height : window.innerHeight;
    const bar = fixedBarAbove(right - 30 * scale, bottom - 6 * scale, top + (bottom - top) / 2);
    if (bar !== null) bottom = Math.min(bottom, bar);
    if (!v && bar === null) {
      dock.style.cssText = '';
      return;
    }
    dock.style.cssText = `right: auto; bottom: auto; left: ${right}px; top: ${bottom}px; transform-origin: 0 0; transform: scale(${scale}) translate(-100%, -100%) translate(-${MARGIN}px, -${MARGIN}px);`;
  }
  // The top of the page's bar fixed (or stuck) at the bottom of the screen at this point, if
  // there is one: the dock goes above it. Only a bar in the lower half (`below`) counts: an
  // app whose whole screen is one fixed container has no bar.
  function fixedBarAbove(x, y, below) {
    const hits = document.elementsFromPoint ? document.elementsFromPoint(x, y) : [];
    const hit = hits.find((el) => el !== ui.host);
    for (let el = hit; el && el !== document.documentElement; el = el.parentElement) {
      const position = getComputedStyle(el).position;
      if (position !== 'fixed' && position !== 'sticky') continue;
      const barTop = el.getBoundingClientRect().top;
      return barTop > below ? barTop : null;
    }
    return null;
  }

  function render(state, sessionId, mode) {
    if (!ui) return;
    const live = state === 'waiting' || state === 'active' || state === 'paused';
    ui.start.hidden = live;
    ui.panel.hidden = !live;
    ui.panel.classList.toggle('compact', state === 'active' || state === 'paused');
    ui.sid.textContent = sessionId || '';
    ui.hint.hidden = state !== 'waiting';
    const writing = state === 'active' && mode === 'write';
    ui.mode.textContent = writing ? TEXT.writeMode : state === 'active' ? TEXT.pointerMode : state === 'waiting' ? TEXT.waiting : '';
    ui.toPointer.hidden = !writing;
    fit();
  }

  // The agent's write-mode request, as a question the customer answers (or it goes away).
  function ask(open) {
    if (!ui) return;
    ui.ask.hidden = !open;
    if (open) ui.ask.querySelector('.allow').focus();
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

  // The width of this browser's classic scrollbar, 0 where scrollbars overlay the page (macOS,
  // phones, --hide-scrollbars). Measured inside the widget's shadow root, where the page's own
  // scrollbar styles do not reach: those the replica applies itself.
  function scrollbarWidth() {
    if (!ui) return 15;
    const probe = document.createElement('div');
    probe.setAttribute('style', 'position: fixed; left: -200px; top: 0; width: 100px; height: 100px; overflow: scroll; visibility: hidden;');
    ui.root.appendChild(probe);
    const width = probe.offsetWidth - probe.clientWidth;
    probe.remove();
    return Math.max(0, Math.round(width));
  }

  // Whether this browser lays pages out in device pixels (line heights rounded to them: a real
  // HiDPI screen) or in CSS pixels with the device scale applied after (Chromium's device
  // emulation). Lines of text at a few sizes tell: in device pixels some come out at fractions
  // of a CSS pixel (measured at ratio 2: 15.5, 17, 19.5; emulated: 15, 17, 20).
  function devicePixelLayout() {
    if (!ui || (window.devicePixelRatio || 1) <= 1) return true;
    const probe = document.createElement('div');
    probe.setAttribute('style', 'position: fixed; left: -400px; top: 0; visibility: hidden; font-family: sans-serif; line-height: normal;');
    for (const size of [13, 15, 17, 19, 21, 23]) {
      const line = document.createElement('div');
      line.setAttribute('style', `font-size: ${size}px; display: flow-root;`);
      line.textContent = 'Ag';
      probe.appendChild(line);
    }
    ui.root.appendChild(probe);
    const fractional = [...probe.children].some((line) => Math.abs(line.getBoundingClientRect().height % 1) > 0.01);
    probe.remove();
    return fractional;
  }

  return { TEXT, build, render, fit, ask, notify, showPointer, hidePointer, showClick, scrollbarWidth, devicePixelLayout };
})();
