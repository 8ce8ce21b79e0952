// The service area this copy of the app belongs to. The app is the same in every area
// (/driver/ for the deployment's first area, /a/<area>/driver/ for each); BASE is the path
// above the app's folder ("" or "/a/<area>"). Every API call goes under it, and everything the
// app keeps on the phone (token, manifest, ticket keys, queued actions, the road map) is kept
// per area: a driver of two areas keeps both, and a token or a queued action never reaches
// another area.

export const BASE = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The URL of an API path (`/api/v1/...`) in this area. */
export function apiUrl(path) {
  return path.startsWith("/") ? BASE + path : path;
}

/** The localStorage key of `name` in this area (at the root the name itself, as before areas). */
export function stored(name) {
  return BASE ? `${name}@${BASE}` : name;
}
