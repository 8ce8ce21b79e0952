// Service worker of the driver app: keeps the app shell (and the road map) on the phone so the
// app opens without a connection. API calls are never cached here: the app queues actions itself.

const CACHE = "noriai-driver-v1";
const SHELL = [
  "./", "index.html", "app.css", "app.js", "api.js", "i18n.js", "map.js", "outbox.js",
  "tickets.js", "ticket-verify.js", "changes.js", "manifest.webmanifest", "icons/icon.svg",
  "icons/icon-192.png", "icons/icon-512.png",
];
const ROADS = "/api/v1/map/roads";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/** Network first (a new version shows at once), the cached copy when offline. */
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (e) {
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope).pathname;
  if (url.pathname.startsWith(scope) || url.pathname === ROADS) {
    event.respondWith(networkFirst(event.request));
  }
});
