// What the session records of the page, and when (part of /cobrowse.js, after recording.js,
// before cobrowse.js): rrweb started and stopped under the profile's masking, every event
// scrubbed (web/masking.js) before it is batched, the focused element announced, and the page
// recorded again when a single-page app's address turns private or back.
const capture = (() => {
  'use strict';
  const recorder = recording.rrweb;
  // What cobrowse.js gives `setup`: where rrweb loads from, whether a session has an open
  // connection, and how messages and batches of events go to the server.
  let hooks = null;
  let batches = null;
  let stopRecording = null;
  const loadRecorder = () => recording.load(hooks.serverBase);
  const flushEvents = () => batches.flush();
  // rrweb's EventType.FullSnapshot, by number: rrweb loads later, only when a session starts
  // (recording.load), so its enums are not there when this script runs.
  const FULL_SNAPSHOT = 2;
  function queueEvent(event) {
    event = masking.scrub(event, recorder().record.mirror);
    if (!event) return;
    batches.push(event);
    // A fresh document in the replica has empty canvases and nothing focused: both follow it.
    if (event.type === FULL_SNAPSHOT) {
      canvases.snapshotTaken();
      announceFocus(dom.focused(document));
    }
  }

  // Which element has focus, and whether the browser draws its focus ring (`:focus-visible`:
  // a field clicked into shows one, a button clicked does not), for the replica to show the
  // same (web/replica/replica.js).
  const FOCUS_TAG = 'cobrowse-focus';
  function announceFocus(target) {
    const rr = recorder();
    if (!rr || !stopRecording || !target || target.nodeType !== 1 || target === document.body) return;
    const id = rr.record.mirror.getId(target);
    if (!id || id < 0) return;
    let visible = false;
    try { visible = target.matches(':focus-visible'); } catch (_) { /* an old browser: no ring */ }
    queueEvent({ type: 5, timestamp: Date.now(), data: { tag: FOCUS_TAG, payload: { id, visible } } });
  }

  // Called once, by the top window's session only (a copy of the snippet in a frame records
  // nothing). `given`: { serverBase, live() (a session with an open connection), send(message),
  // sendEvents(events), privatePage() (the page turned out to be one the profile hides) }.
  function setup(given) {
    hooks = given;
    // Everything one task records goes out as one message (the replica shows it in one frame).
    batches = recording.batcher((events) => {
      // A page that changed its address without loading (a single-page app) may now be one the
      // profile hides: what was recorded for it must not go.
      if (stopRecording && location.href !== recordedHref && masking.isPrivatePage(location.pathname)) {
        stopRecorder();
        startRecorder();
        return;
      }
      hooks.sendEvents(events);
    });
    document.addEventListener('focusin', (event) => announceFocus(event.composedPath()[0]), true);
  }

  // The page being recorded (or shown as private), and whether the profile hides it whole.
  let recordedHref = null;
  let privatePage = false;
  let addressWatch = null;

  function startRecorder() {
    if (stopRecording || privatePage) return;
    loadRecorder().then(() => {
      if (stopRecording || privatePage || !hooks.live()) return;
      recordedHref = location.href;
      sendPage();
      watchAddress();
      if (masking.isPrivatePage(location.pathname)) {
        // Nothing of this page is recorded; the server shows the agent a notice instead.
        privatePage = true;
        hooks.privatePage();
        return;
      }
      canvases.start(queueEvent, recorder().record.mirror, masking.isHidden);
      stopRecording = recorder().record({
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
        // Canvas pixels go by web/canvas.js.
        recordCanvas: false,
        collectFonts: false,
      });
    }, (error) => console.warn('cobrowse:', error.message));
  }

  function stopRecorder() {
    canvases.stop();
    flushEvents();
    if (stopRecording) {
      try { stopRecording(); } catch (_) { /* already stopped */ }
      stopRecording = null;
    }
    privatePage = false;
    clearInterval(addressWatch);
    addressWatch = null;
  }

  // Records the page again (the rules changed), if it is recorded or shown as private now.
  function restart() {
    if (stopRecording || privatePage) { stopRecorder(); startRecorder(); }
  }

  // Whether rrweb is recording the page (not before it loaded, nor on a private page).
  const recordingNow = () => Boolean(stopRecording);

  // Where the customer is. Of a page the profile hides, only its path (not its query or
  // fragment, which may carry an account number or a search) leaves the browser.
  function sendPage() {
    const href = masking.isPrivatePage(location.pathname) ? location.origin + location.pathname : location.href;
    hooks.send({ type: 'page', href, width: window.innerWidth, height: window.innerHeight, display: viewport.display(), visual: viewport.visual() });
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
        sendPage();
      }
    }, 250);
  }

  return { setup, start: startRecorder, stop: stopRecorder, restart, recording: recordingNow };
})();
