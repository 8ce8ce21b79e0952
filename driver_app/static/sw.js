// Service worker of the driver app: keeps the app shell (and the road map) on the phone so the
// app opens without a connection. API calls are never cached here: the app queues actions itself.
// One per service area: its scope is the folder it was loaded from (/driver/ or
// /a/<area>/driver/), the road map it keeps is that area's, and its cache is named after the
// scope, so areas never share or delete each other's copies.

const SCOPE = new URL(self.registration.scope).pathname;
const PREFIX = "noriai-driver-";
const CACHE = `${PREFIX}v2 ${SCOPE}`;
const SHELL = [
  "./", "index.html", "app.css", "app.js", "api.js", "area.js", "i18n.js", "map.js", "outbox.js",
  "tickets.js", "ticket-verify.js", "changes.js", "manifest.webmanifest", "icons/icon.svg",
  "icons/icon-192.png", "icons/icon-512.png",
];
const ROADS = new URL("../api/v1/map/roads", self.registration.scope).pathname;

/** A cache this worker looks after: its own older versions; at the root also the unscoped ones
    of the releases before areas. */
const mine = (k) => k.startsWith(PREFIX) && (k.endsWith(` ${SCOPE}`) || (!k.includes(" ") && !SCOPE.includes("/a/")));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && mine(k)).map((k) => caches.delete(k))))
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
  if (url.pathname.startsWith(SCOPE) || url.pathname === ROADS) {
    event.respondWith(networkFirst(event.request));
  }
});
