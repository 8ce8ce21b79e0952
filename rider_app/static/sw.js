/* Service worker of the rider app: keeps the app shell for offline start; never caches the API. */
const CACHE = "noriai-rider-v2";
const SHELL = ["./", "index.html", "app.js", "standing.js", "style.css", "manifest.webmanifest", "icon.svg",
               "icon-192.png", "icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.pathname.startsWith("/rider/")) return;
  // Network first, so a new version shows at once; the cached shell when offline.
  event.respondWith(fetch(event.request).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
    }
    return resp;
  }).catch(() => caches.match(event.request).then((r) => r || caches.match("index.html"))));
});
