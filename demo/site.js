// The demo site's own script: the "Help" menu in the header opens and closes on click.
document.addEventListener('click', (event) => {
  const toggle = event.target.closest('[data-menu]');
  const menu = document.getElementById('help-menu');
  if (!menu) return;
  if (toggle) {
    const open = menu.hidden;
    menu.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  } else if (!event.target.closest('#help-menu')) {
    menu.hidden = true;
  }
});
