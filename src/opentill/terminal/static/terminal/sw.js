// The terminal's service worker, served at /terminal/sw.js (scope /terminal/) by
// opentill.terminal.views.service_worker, which prepends VERSION and SHELL.
//
// The application shell (page, scripts, styles) and the catalog are cached, so the
// terminal loads and sells after a reload without the network; everything is fetched
// network first, so a reachable server always serves fresh files. Tickets never pass
// through here: the page keeps them in IndexedDB and sends them itself.
/* global VERSION, SHELL */

const SHELL_CACHE = `opentill-terminal-shell-${VERSION}`;
const DATA_CACHE = "opentill-terminal-data";
const NETWORK_TIMEOUT_MS = 4000;
const CATALOG = /^\/api\/v1\/profiles\/\d+\/catalog$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((key) => key.startsWith("opentill-terminal-shell-") && key !== SHELL_CACHE).map((key) => caches.delete(key))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/terminal/")) {
    event.respondWith(networkFirst(request, SHELL_CACHE, "/terminal/"));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.pathname));
  } else if (CATALOG.test(url.pathname)) {
    // A refresh (If-None-Match) has a copy already: it wants the server's answer, 304 or a
    // new catalog, never an older copy from this cache.
    const refresh = request.headers.has("If-None-Match");
    event.respondWith(refresh ? networkOnly(request, DATA_CACHE, url.pathname) : networkFirst(request, DATA_CACHE, url.pathname));
  }
});

async function networkOnly(request, cacheName, key) {
  const response = await fetchWithTimeout(request);
  if (response.ok) await (await caches.open(cacheName)).put(key, response.clone());
  return response;
}

function fetchWithTimeout(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("network timeout")), NETWORK_TIMEOUT_MS);
    fetch(request).then(
      (response) => {
        clearTimeout(timer);
        resolve(response);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetchWithTimeout(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(key, { ignoreVary: true, ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}
