// The agent's input on the customer screen: the pointer, clicks, the wheel, the keyboard
// (typed text, named keys, an input method's composed text, pastes) and pickers for controls a
// person works with a native picker (a select's list, a date or colour field). screen.js calls
// createInput once with what it needs; wire messages mirror src/wire/actions.rs.
export function createInput({ canvas, stage, TEXT, send, cssSize, isWrite, onPointer }) {
  const act = (action) => send({ type: 'action', action });

  // Where on the customer's page (CSS pixels) the event is.
  function canvasPoint(event) {
    const box = canvas.getBoundingClientRect();
    const size = cssSize();
    return {
      x: Math.round((event.clientX - box.left) * size.width / box.width),
      y: Math.round((event.clientY - box.top) * size.height / box.height),
    };
  }

  // Keys go to a text area kept under the pointer: an input method needs one to compose in
  // (and shows its candidates there), and a paste needs one to land on.
  const sink = document.createElement('textarea');
  sink.className = 'key-sink';
  sink.setAttribute('aria-label', TEXT.keySink);
  sink.setAttribute('autocomplete', 'off');
  sink.spellcheck = false;
  stage.appendChild(sink);
  const focusKeys = (point) => {
    sink.style.transform = `translate(${point.x}px, ${point.y}px)`;
    sink.focus({ preventScroll: true });
  };

  let pointerQueued = null;
  canvas.addEventListener('mousemove', (event) => {
    const queued = pointerQueued;
    pointerQueued = canvasPoint(event);
    onPointer(pointerQueued);
    if (queued) return;
    requestAnimationFrame(() => { send({ type: 'pointer', ...pointerQueued }); pointerQueued = null; });
  });

  canvas.addEventListener('click', (event) => {
    const point = canvasPoint(event);
    closePicker();
    if (isWrite()) { focusKeys(point); act({ kind: 'click', ...point }); } else {
      canvas.focus();
      send({ type: 'click', ...point });
    }
  });
  canvas.addEventListener('dblclick', (event) => { if (isWrite()) act({ kind: 'double_click', ...canvasPoint(event) }); });

  // Wheel turns add up to one scroll per frame.
  let wheel = null;
  canvas.addEventListener('wheel', (event) => {
    if (!isWrite()) return;
    event.preventDefault();
    if (!wheel) {
      wheel = { ...canvasPoint(event), dx: 0, dy: 0 };
      requestAnimationFrame(() => { act({ kind: 'scroll', ...wheel }); wheel = null; });
    }
    wheel.dx += event.deltaX;
    wheel.dy += event.deltaY;
  }, { passive: false });

  // Characters go as text (those of one frame together), other keys by name.
  const KEYS = ['Backspace', 'Delete', 'Enter', 'Tab', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown', 'Escape'];
  let typed = '';
  function flushTyped() {
    if (typed) act({ kind: 'text', text: typed });
    typed = '';
  }
  function onKey(event) {
    if (!isWrite() || event.metaKey || event.altKey || event.isComposing || event.key === 'Process') return;
    if (event.ctrlKey) {
      const key = event.key.toLowerCase();
      if (key === 'a') { event.preventDefault(); flushTyped(); act({ kind: 'key', key: 'SelectAll' }); }
      // Ctrl+V goes on to the sink, whose paste event carries the text.
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
  }
  canvas.addEventListener('keydown', onKey);
  sink.addEventListener('keydown', onKey);
  sink.addEventListener('compositionend', (event) => {
    if (isWrite() && event.data) { flushTyped(); act({ kind: 'compose', text: event.data }); }
    sink.value = '';
  });
  // Text that comes without keys (an on-screen keyboard, dictation).
  sink.addEventListener('input', (event) => {
    if (!event.isComposing && event.inputType === 'insertText' && event.data && isWrite()) act({ kind: 'text', text: event.data });
    if (!event.isComposing) sink.value = '';
  });
  sink.addEventListener('paste', (event) => {
    event.preventDefault();
    const text = event.clipboardData ? event.clipboardData.getData('text/plain') : '';
    if (text && isWrite()) { flushTyped(); act({ kind: 'paste', text }); }
  });

  // ---- pickers ----
  let picker = null;
  // Closes the picker; keys go back to the customer's page if the picker had them.
  function closePicker() {
    if (!picker) return;
    const hadFocus = picker.contains(document.activeElement);
    picker.remove();
    picker = null;
    if (hadFocus && isWrite()) sink.focus({ preventScroll: true });
  }

  // The customer's page has the control at (x, y): a picker of the agent view's own there.
  function showPicker(x, y, control) {
    closePicker();
    if (!isWrite()) return;
    picker = document.createElement('form');
    picker.className = 'picker';
    picker.setAttribute('role', 'dialog');
    picker.style.transform = `translate(${x}px, ${y + 12}px)`;
    if (control.kind === 'select') {
      picker.setAttribute('aria-label', TEXT.chooseOption);
      const list = document.createElement('select');
      list.setAttribute('aria-label', TEXT.chooseOption);
      list.size = Math.max(2, Math.min(control.options.length, 10));
      control.options.forEach((option, index) => {
        const item = new Option((control.multiple && option.selected ? '✓ ' : '') + option.label, String(index), false, !control.multiple && option.selected);
        item.disabled = option.disabled;
        list.add(item);
      });
      let picked = false;
      const pick = () => {
        if (picked || list.selectedIndex < 0) return;
        picked = true;
        act({ kind: 'choose', x, y, index: list.selectedIndex });
        closePicker();
      };
      // A click picks (a change of choice, or the current one again to toggle it).
      list.addEventListener('change', pick);
      list.addEventListener('click', () => setTimeout(pick, 0));
      list.addEventListener('keydown', (event) => { if (event.key === 'Enter') { event.preventDefault(); pick(); } });
      picker.appendChild(list);
    } else {
      picker.setAttribute('aria-label', TEXT.setValue);
      const field = document.createElement('input');
      field.type = control.input;
      field.setAttribute('aria-label', TEXT.value);
      for (const name of ['min', 'max', 'step']) if (control[name]) field.setAttribute(name, control[name]);
      field.value = control.value;
      const set = document.createElement('button');
      set.type = 'submit';
      set.textContent = TEXT.set;
      picker.append(field, set);
      picker.addEventListener('submit', (event) => { event.preventDefault(); act({ kind: 'set_value', x, y, value: field.value }); closePicker(); });
    }
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = TEXT.cancel;
    cancel.addEventListener('click', closePicker);
    picker.appendChild(cancel);
    picker.addEventListener('keydown', (event) => { if (event.key === 'Escape') closePicker(); });
    stage.appendChild(picker);
    const first = picker.querySelector('select, input');
    if (first) first.focus();
  }

  return { showPicker, closePicker };
}
