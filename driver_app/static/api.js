// Talking to the noriai API of this service area: the bearer token, JSON requests, and the
// live stream. Paths are the API's (`/api/v1/...`); they go to this area's prefix.

import { apiUrl, stored } from "./area.js";

const TOKEN = stored("noriai.driver.token");

export class NetworkError extends Error {}

/** The service API as seen by a signed-in driver. */
export class Api {
  constructor() {
    this.token = localStorage.getItem(TOKEN);
    this.onUnauthorized = () => {};
    this.onReachable = () => {};
  }

  signedIn() {
    return Boolean(this.token);
  }

  setToken(token) {
    this.token = token;
    if (token) localStorage.setItem(TOKEN, token);
    else localStorage.removeItem(TOKEN);
  }

  headers(extra = {}) {
    const h = { ...extra };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  /**
   * A JSON request. Resolves {status, data} for any HTTP answer; rejects NetworkError when the
   * service cannot be reached (offline).
   */
  async request(method, path, body = undefined) {
    let res;
    try {
      res = await fetch(apiUrl(path), {
        method,
        headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (e) {
      this.onReachable(false);
      throw new NetworkError(String(e));
    }
    this.onReachable(true);
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401 && this.token) this.onUnauthorized();
    return { status: res.status, data };
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  /**
   * Follow a server-sent-event stream with fetch (EventSource cannot send the bearer token).
   * Calls onEvent(name, data) per event; reconnects after a loss until stop() is called.
   */
  follow(path, onEvent, onState = () => {}) {
    let stopped = false;
    let controller = null;
    let wake = null;
    const nap = (ms) => new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => { clearTimeout(timer); resolve(); };
    });
    const run = async () => {
      while (!stopped) {
        controller = new AbortController();
        try {
          const res = await fetch(apiUrl(path), { headers: this.headers(), signal: controller.signal, cache: "no-store" });
          if (res.status === 401) { this.onUnauthorized(); return; }
          if (!res.ok || !res.body) throw new NetworkError(`stream ${res.status}`);
          this.onReachable(true);
          onState(true);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let cut;
            while ((cut = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              let name = "message";
              const data = [];
              for (const line of block.split("\n")) {
                if (line.startsWith("event:")) name = line.slice(6).trim();
                else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
              }
              if (data.length) {
                try {
                  onEvent(name, JSON.parse(data.join("\n")));
                } catch (e) {
                  console.error("bad stream event", e);
                }
              }
            }
          }
        } catch (e) {
          if (stopped) return;
          if (!(e instanceof NetworkError)) this.onReachable(false);
        }
        onState(false);
        if (!stopped) await nap(2000);
      }
    };
    run();
    return {
      stop() { stopped = true; if (controller) controller.abort(); if (wake) wake(); },
      /** Reconnect now (e.g. when the browser says it is back online). */
      kick() { if (controller) controller.abort(); if (wake) wake(); },
    };
  }
}
