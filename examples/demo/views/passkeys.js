// The demo's only script: the WebAuthn ceremonies, which have no HTML form.
// Everything else in the demo works without JavaScript. Uses the browser's
// own JSON helpers (PublicKeyCredential.parseCreationOptionsFromJSON,
// parseRequestOptionsFromJSON, credential.toJSON()), so no library and no
// base64 code here. Buttons stay hidden where passkeys cannot work.

(() => {
  const supported =
    typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "x-csrf-token": csrf(),
      },
      body: JSON.stringify(body ?? {}),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
    return data;
  }

  function show(message) {
    const el = document.querySelector("[data-passkey-status]");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
  }

  function failed(err) {
    // The user closing the browser's dialog is not an error worth a message.
    if (err?.name === "NotAllowedError" || err?.name === "AbortError") return;
    show(err?.message || "That did not work.");
  }

  let conditional = null; // the autofill request, aborted before a button starts its own

  async function signIn(mediation) {
    const { options } = await post("/passkeys/sign-in/options");
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const request = { publicKey };
    if (mediation === "conditional") {
      conditional = new AbortController();
      request.mediation = "conditional";
      request.signal = conditional.signal;
    }
    const credential = await navigator.credentials.get(request);
    await post("/passkeys/sign-in", { response: credential.toJSON() });
    location.assign("/?done=logged-in");
  }

  async function register(button) {
    const username = button.form?.querySelector('[name="username"]')?.value;
    const { options } = await post("/passkeys/register/options", username ? { username } : {});
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
    const credential = await navigator.credentials.create({ publicKey });
    const r = await post("/passkeys/register", { response: credential.toJSON() });
    location.assign(r.signedIn ? "/?done=registered" : "/account?done=passkey-added");
  }

  async function stepUp() {
    const { options } = await post("/passkeys/step-up/options");
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const credential = await navigator.credentials.get({ publicKey });
    await post("/passkeys/step-up", { response: credential.toJSON() });
    location.assign("/account?done=passkey-confirmed");
  }

  function wire(selector, run) {
    for (const button of document.querySelectorAll(selector)) {
      if (!supported) continue;
      button.hidden = false;
      button.addEventListener("click", () => {
        conditional?.abort();
        run(button).catch(failed);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire("[data-passkey-sign-in]", () => signIn("button"));
    wire("[data-passkey-register]", register);
    wire("[data-passkey-step-up]", stepUp);
    // Autofill: the username field offers this site's passkeys (autocomplete="... webauthn").
    const field = document.querySelector('input[autocomplete~="webauthn"]');
    if (field && supported && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable()
        .then((ok) => (ok ? signIn("conditional") : undefined))
        .catch(failed);
    }
  });
})();
