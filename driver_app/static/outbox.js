// Actions waiting to reach the service: kept on the device, each with its own client_id,
// sent one at a time in order, removed once the service has answered (so each applies once;
// the service also drops a repeated client_id). Each service area has its own queue.

import { stored } from "./area.js";

const KEY = stored("noriai.driver.outbox");

function load() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

/** A fresh id for one action. */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class Outbox {
  /**
   * @param {import('./api.js').Api} api
   * @param {(item: object, answer: {status: number, data: any}) => void} onAnswer
   */
  constructor(api, onAnswer) {
    this.api = api;
    this.onAnswer = onAnswer;
    this.onChange = () => {};
    this.items = load();
    this.sending = null;
  }

  get size() {
    return this.items.length;
  }

  save() {
    localStorage.setItem(KEY, JSON.stringify(this.items));
    this.onChange(this.items.length);
  }

  /** Queue an action {path, body, label, booking_id, kind} and try to send at once. */
  add(action) {
    const item = { id: action.id || newClientId(), queued_at: Date.now(), ...action };
    this.items.push(item);
    this.save();
    return this.flush().then(() => item);
  }

  /** Send what waits, in order; stops at the first network failure. One sender at a time. */
  flush() {
    if (!this.sending) {
      this.sending = this._send().finally(() => { this.sending = null; });
    }
    return this.sending;
  }

  async _send() {
    while (this.items.length) {
      const item = this.items[0];
      let answer;
      item.attempts = (item.attempts || 0) + 1; // a later "already done" then means delivered
      this.save();
      try {
        answer = await this.api.post(item.path, item.body);
      } catch {
        return false; // offline: keep everything, try again later
      }
      if (answer.status >= 500 || answer.status === 401) return false; // retry later
      this.items.shift();
      this.save();
      this.onAnswer(item, answer);
    }
    return true;
  }

  /**
   * Take back an action that has not been sent yet (e.g. a no-show undone at once).
   * @returns {boolean} true if it was still waiting; false if sent or being sent now
   */
  remove(id) {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0 || (i === 0 && this.sending)) return false;
    this.items.splice(i, 1);
    this.save();
    return true;
  }

  /** Forget everything (sign-out). */
  clear() {
    this.items = [];
    this.save();
  }
}
