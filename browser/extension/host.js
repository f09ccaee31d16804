// host.js — the one way to the wallet: Chrome native messaging to the
// `yesno native-host` program (registered by `yesno browser install`).
//
// Two ways to call it:
// * callHost(message): sendNativeMessage, one host process per message (the
//   popup and the daily refill alarm).
// * HostSession: one host process (connectNative) for one consent flow. The
//   service worker opens it when a request arrives, so the host has started
//   while the person reads the consent window and Share costs only the
//   prove itself; it is closed when the flow ends. The host runs every
//   request with a fresh HTTP client, so no connection or TLS session is
//   shared between presentations (DESIGN §8), and a wallet switched by
//   `yesno browser install` is used from the next flow on.

export const HOST_NAME = "org.yesno.wallet";

function badReply() {
  return { type: "error", reason: "bad_reply", message: "The yesno wallet gave an answer this extension does not understand." };
}

function noHost(e) {
  return {
    type: "error",
    reason: "no_host",
    message: "The yesno wallet is not connected to this browser. Run `yesno browser install` and restart the browser. (" +
      String(e && e.message ? e.message : e) + ")",
  };
}

// callHost sends one typed message and resolves to the host's typed reply;
// it never rejects: a missing or broken host becomes {type: "error"}.
export async function callHost(message) {
  try {
    const reply = await chrome.runtime.sendNativeMessage(HOST_NAME, message);
    if (reply && typeof reply.type === "string") return reply;
    return badReply();
  } catch (e) {
    return noHost(e);
  }
}

// HostSession: call() like callHost, over one long-lived host process. The
// host answers its requests one by one in order, so replies are matched to
// requests first in, first out. A host that goes away fails the waiting
// calls with {type: "error"}; the next call starts a new one.
export class HostSession {
  #port = null;
  #waiting = [];
  #closed = false;

  #connect() {
    const port = chrome.runtime.connectNative(HOST_NAME);
    port.onMessage.addListener((reply) => {
      const w = this.#waiting.shift();
      if (w) w(reply && typeof reply.type === "string" ? reply : badReply());
    });
    port.onDisconnect.addListener(() => {
      const why = chrome.runtime.lastError?.message ?? "the wallet program ended";
      if (this.#port === port) this.#port = null;
      for (const w of this.#waiting.splice(0)) w(noHost(why));
    });
    this.#port = port;
  }

  call(message) {
    if (this.#closed) return Promise.resolve(noHost("this request has ended"));
    return new Promise((resolve) => {
      try {
        if (!this.#port) this.#connect();
        this.#waiting.push(resolve);
        this.#port.postMessage(message);
      } catch (e) {
        this.#waiting = this.#waiting.filter((w) => w !== resolve);
        this.#port = null;
        resolve(noHost(e));
      }
    });
  }

  // close ends the host process (it sees its stdin close and exits).
  close() {
    this.#closed = true;
    const port = this.#port;
    this.#port = null;
    for (const w of this.#waiting.splice(0)) w(noHost("this request has ended"));
    try {
      port?.disconnect();
    } catch {}
  }
}
