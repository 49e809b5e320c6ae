// How the customer's screen is shown on the agent's panel: at the customer's own size (100%,
// one of the customer's CSS pixels per CSS pixel here) or fitted to the panel, up or down (a
// phone's screen on a desktop, a big monitor's on a laptop); and, where the customer sees only
// part of their page (a pinched phone, the on-screen keyboard up), what they see or the whole
// page with what they see outlined (the server renders that view: `view` in src/wire). Frames
// carry the customer's device pixels, so a screen fitted larger stays crisp. The whole stage
// scales (the screen, both pointers, hints and pickers) so everything on it stays where the
// screen shows it, and screen.js and input.js keep working in the screen's CSS pixels.

// Room kept around the fitted screen, in CSS pixels.
const MARGIN = 8;
// Fitting enlarges at most this much: past it a phone's text is bigger than any agent needs.
const MOST = 3;
const KEY = 'cobrowse-agent-zoom';

export function createZoom({ stage, panel, button, wholeButton, outline, TEXT, send, mayChoose }) {
  let fit = false;
  let whole = false;
  try { fit = localStorage.getItem(KEY) === 'fit'; } catch (_) { /* storage off: 100% */ }
  let size = null;

  // The scale that fits `size` in the window below the panel's top (the window's, not the
  // panel's width: the page widens to hold a screen shown bigger than the window).
  function fitted() {
    const top = panel.getBoundingClientRect().top + window.scrollY;
    const width = document.documentElement.clientWidth - 2 * MARGIN;
    const height = document.documentElement.clientHeight - top - 2 * MARGIN;
    if (width <= 0 || height <= 0) return 1;
    return Math.min(MOST, width / size.width, height / size.height);
  }

  function apply() {
    button.setAttribute('aria-pressed', String(fit));
    button.textContent = fit ? TEXT.zoomFit : TEXT.zoomActual;
    button.title = fit ? TEXT.zoomToActual : TEXT.zoomToFit;
    button.setAttribute('aria-label', button.title);
    if (!size) return;
    const scale = fit ? fitted() : 1;
    stage.style.transformOrigin = '0 0';
    stage.style.transform = scale === 1 ? '' : `scale(${scale})`;
    // A transform leaves the layout box as it was: margins give the panel the scaled size.
    stage.style.marginRight = `${(scale - 1) * size.width}px`;
    stage.style.marginBottom = `${(scale - 1) * size.height}px`;
    stage.dataset.scale = String(scale);
  }

  function showWhole() {
    wholeButton.setAttribute('aria-pressed', String(whole));
    wholeButton.textContent = whole ? TEXT.wholePage : TEXT.seenPart;
    wholeButton.title = whole ? TEXT.toSeenPart : TEXT.toWholePage;
    wholeButton.setAttribute('aria-label', wholeButton.title);
  }
  wholeButton.addEventListener('click', () => {
    whole = !whole;
    showWhole();
    send({ type: 'view', whole });
  });
  showWhole();

  button.addEventListener('click', () => {
    fit = !fit;
    try { localStorage.setItem(KEY, fit ? 'fit' : 'actual'); } catch (_) { /* kept for this tab only */ }
    apply();
  });
  window.addEventListener('resize', () => { if (fit) apply(); });
  apply();

  return {
    // The customer's screen in their CSS pixels (a join, a resize, a turned phone).
    setSize(width, height) {
      size = { width, height };
      apply();
    },
    // Whether the customer sees only part of their page, and in the whole-page view where
    // (left, top, width, height on the screen).
    region(partial, seen) {
      wholeButton.hidden = !mayChoose() || (!partial && !whole);
      outline.hidden = !seen;
      if (seen) {
        const [left, top, width, height] = seen;
        Object.assign(outline.style, { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px` });
      }
    },
    // A new session starts showing what the customer sees.
    joined() {
      whole = false;
      showWhole();
      outline.hidden = true;
    },
  };
}
