// Short announcements of state changes for screen readers (an aria-live region).

/** Announce a sentence; the same sentence twice in a row is announced twice. */
export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  // A fresh text node after clearing makes screen readers read it again.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}
