"""The phone web app: static files (plain HTML, one CSS, vanilla JS modules; no build step, no CDN) and the
small router that serves them from memory, gzipped, with ETags."""
