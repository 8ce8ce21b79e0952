/* Service worker of the rider app: keeps the app shell for offline start; never caches the API.
   One per service area: its scope is the folder it was loaded from (/rider/ or
   /a/<area>/rider/), and its cache is named after that scope, so areas never share or delete
   each other's copies. */
const SCOPE = new URL(self.registration.scope).pathname;
const PREFIX = "noriai-rider-";
const CACHE = `${PREFIX}v3 ${SCOPE}`;
const SHELL = ["./", "index.html", "app.js", "standing.js", "style.css", "manifest.webmanifest", "icon.svg",
               "icon-192.png", "icon-512.png"];

/** A cache this worker looks after: its own older versions; at the root also the unscoped ones
    of the releases before areas. */
const mine = (k) => k.startsWith(PREFIX) && (k.endsWith(` ${SCOPE}`) || (!k.includes(" ") && !SCOPE.includes("/a/")));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k !== CACHE && mine(k)).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  // Network first, so a new version shows at once; the cached shell when offline.
  event.respondWith(fetch(event.request).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
    }
    return resp;
  }).catch(() => caches.open(CACHE).then((c) => c.match(event.request, { ignoreSearch: true })
    .then((r) => r || c.match(new URL("index.html", self.registration.scope).href)))));
});
