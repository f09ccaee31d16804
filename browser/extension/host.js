// host.js — the one way to the wallet: Chrome native messaging to the
// `yesno native-host` program (registered by `yesno browser install`).
// sendNativeMessage starts the host for one message and ends it, so no
// connection or TLS session outlives a presentation.

export const HOST_NAME = "org.yesno.wallet";

// callHost sends one typed message and resolves to the host's typed reply;
// it never rejects: a missing or broken host becomes {type: "error"}.
export async function callHost(message) {
  try {
    const reply = await chrome.runtime.sendNativeMessage(HOST_NAME, message);
    if (reply && typeof reply.type === "string") return reply;
    return { type: "error", reason: "bad_reply", message: "The yesno wallet gave an answer this extension does not understand." };
  } catch (e) {
    return {
      type: "error",
      reason: "no_host",
      message: "The yesno wallet is not connected to this browser. Run `yesno browser install` and restart the browser. (" +
        String(e && e.message ? e.message : e) + ")",
    };
  }
}
