// `cobrowse bench`: injected into each simulated customer's page. A strip of cells in the
// top-left corner spells a sequence number (red start cell, 20 bits black for 1 and white for 0,
// blue end cell); every change a workload makes also advances the number, in the same task,
// and records when it happened. The agent side decodes the number from the frames it receives.
(() => {
  if (window.__bench) return;
  const BITS = 20;
  const SIZE = 6;
  const strip = document.createElement('div');
  strip.id = 'cobrowse-bench-probe';
  strip.style.cssText = `position:fixed;left:0;top:0;z-index:2147483646;display:flex;pointer-events:none;margin:0;padding:0`;
  const cells = [];
  for (let i = 0; i < BITS + 2; i++) {
    const cell = document.createElement('i');
    cell.style.cssText = `display:block;width:${SIZE}px;height:${SIZE}px;background:#fff`;
    strip.append(cell);
    cells.push(cell);
  }
  cells[0].style.background = '#f00';
  cells[BITS + 1].style.background = '#00f';
  document.body.append(strip);

  // The page's own CSS animations stand still in the simulated customer's browser: a real
  // customer's browser draws them on the customer's own machine, while here they would take
  // the server's CPU. The recorder sends nothing for them either way (the replica runs them
  // from the site's stylesheets), so what the server does is the same.
  const still = () => document.getAnimations().forEach((a) => a.pause());
  still();
  document.addEventListener('animationstart', still, true);
  document.addEventListener('transitionrun', still, true);

  const now = () => performance.timeOrigin + performance.now();
  const bench = { seq: 0, marks: [], stops: [] };
  window.__bench = bench;

  function paint() {
    for (let i = 0; i < BITS; i++) cells[1 + i].style.background = (bench.seq >> i) & 1 ? '#000' : '#fff';
  }
  // Advances the number: call it in the same task as the change it stands for.
  bench.mark = () => {
    bench.seq = (bench.seq + 1) % (1 << BITS);
    paint();
    bench.marks.push([bench.seq, now()]);
  };
  // Numbers continue across the pages of one customer.
  bench.begin = (seq) => { bench.seq = seq; paint(); };
  // The marks since last asked, with the snippet's sends (src/bench/hook.js) since then.
  bench.take = () => {
    const marks = bench.marks;
    bench.marks = [];
    const sent = window.__benchSends ? window.__benchSends.take() : { sends: [], messages: [] };
    return { seq: bench.seq, marks, sends: sent.sends, messages: sent.messages };
  };
  bench.stop = () => { bench.stops.forEach((stop) => stop()); bench.stops = []; };
  const every = (ms, tick) => { const t = setInterval(tick, ms); bench.stops.push(() => clearInterval(t)); };
  const eachFrame = (tick) => {
    let on = true;
    const loop = () => { if (!on) return; tick(); requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
    bench.stops.push(() => { on = false; });
  };

  // Typing into a field at `perSecond` characters a second, as a customer's keystrokes would.
  bench.typing = (selector, text, perSecond) => {
    const field = document.querySelector(selector);
    field.focus();
    let i = 0;
    every(1000 / perSecond, () => {
      if (i >= text.length) { field.value = ''; i = 0; }
      field.value += text[i++];
      field.dispatchEvent(new Event('input', { bubbles: true }));
      bench.mark();
    });
  };

  // Scrolling the page by `step` pixels every `ms`, turning at either end. The number advances
  // when the scroll event fires, which is when the recorder sees the new position.
  bench.scrolling = (step, ms) => {
    let direction = 1;
    const onScroll = () => bench.mark();
    window.addEventListener('scroll', onScroll);
    bench.stops.push(() => window.removeEventListener('scroll', onScroll));
    every(ms, () => {
      const end = document.documentElement.scrollHeight - window.innerHeight;
      if ((direction > 0 && window.scrollY >= end) || (direction < 0 && window.scrollY <= 0)) direction = -direction;
      window.scrollBy(0, step * direction);
    });
  };

  // A busy live page: the price table's cells rewritten on every animation frame.
  bench.churn = () => {
    const cellsToChange = [...document.querySelectorAll('#prices td:nth-child(2)')];
    let n = 0;
    eachFrame(() => {
      n += 1;
      cellsToChange.forEach((td, i) => { td.textContent = (20 + ((n * 7 + i * 13) % 1000) / 100).toFixed(2); });
      bench.mark();
    });
  };

  // Marks each change the bench makes through Chromium's own input, in the task that makes
  // it: a character typed (its `input` event), Enter (its keyup, by when the app's keydown and
  // keypress handlers ran; capturing, so before the app's own keyup handler), a click.
  bench.markInput = () => {
    const onInput = () => bench.mark();
    const onKeyUp = (event) => { if (event.key === 'Enter') bench.mark(); };
    const onClick = () => bench.mark();
    window.addEventListener('input', onInput, true);
    window.addEventListener('keyup', onKeyUp, true);
    window.addEventListener('click', onClick, true);
    bench.stops.push(() => {
      window.removeEventListener('input', onInput, true);
      window.removeEventListener('keyup', onKeyUp, true);
      window.removeEventListener('click', onClick, true);
    });
  };

  // Marks at a steady rate with no other change, to measure latency while something else
  // (a CSS animation, the site's own script) keeps the page busy.
  bench.ticking = (perSecond) => every(1000 / perSecond, () => bench.mark());
})();
