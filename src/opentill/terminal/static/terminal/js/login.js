// Sign in: POST /api/v1/auth/token; the token is kept in localStorage. Two forms: the
// sign-in screen (nobody signed in), and the sign-in dialog raised over the current screen
// when the server answers 401 (expired or revoked sign-in): nothing on screen and nothing
// queued is lost, and what was being done goes on once the same user has signed in.

import * as api from "./api.js";
import * as sync from "./sync.js";
import { errorLine, field, h, showErrorLine } from "./ui.js";

/** Disable ``button`` for the wait a 429 asks for, showing it in ``error``. */
function waitOut(error, button, seconds) {
  const until = Date.now() + seconds * 1000;
  button.disabled = true;
  const tick = () => {
    const left = (until - Date.now()) / 1000;
    if (left <= 0) {
      showErrorLine(error, "");
      button.disabled = false;
      return;
    }
    showErrorLine(error, `Too many attempts: wait ${api.waitText(left)} before trying again.`);
    setTimeout(tick, 1000);
  };
  tick();
}

/** Sign in from a form; resolves true when signed in, else shows the error and resolves false. */
async function attempt(username, password, error, submit, pass) {
  showErrorLine(error, "");
  submit.disabled = true;
  try {
    await api.login(username, password);
    return true;
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 429) {
      if (err.retryAfter) waitOut(error, submit, err.retryAfter);
      else {
        showErrorLine(error, api.errorMessage(err));
        submit.disabled = false;
      }
    } else {
      showErrorLine(error, err instanceof api.NetworkError ? "Signing in needs the network." : api.errorMessage(err));
      submit.disabled = false;
    }
    pass.select();
    return false;
  }
}

export function showLogin(app, message) {
  app.setTopbar("Sign in");
  const error = errorLine();
  const [userLabel, user] = field("User name", { name: "username", autocomplete: "username", required: true, value: app.user?.username || "" });
  const [passLabel, pass] = field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary big" }, "Sign in");
  const form = h(
    "form",
    { class: "login card", "aria-label": "Sign in" },
    h("h1", {}, "OpenTill terminal"),
    message ? h("p", { class: "notice" }, message) : null,
    userLabel,
    user,
    passLabel,
    pass,
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await attempt(user.value.trim(), pass.value, error, submit, pass))) return;
    sync.authRestored();
    await app.resume();
  });
  app.screen().replaceChildren(h("div", { class: "center" }, form));
  (user.value ? pass : user).focus();
}

let pending = null; // the open sign-in dialog's promise: one dialog however many requests wait

/**
 * The sign-in dialog over the current screen, for the user signed in until now. Resolves
 * once they have signed in again (then the outbox sends again); rejects when they choose to
 * sign out instead (the sign-in screen follows; the outbox keeps everything).
 */
export function signInDialog(app, message = "Your sign-in has expired. Sign in again: nothing is lost, what waits is sent afterwards.") {
  if (pending) return pending;
  const username = app.user?.username || "";
  pending = new Promise((resolve, reject) => {
    const error = errorLine();
    const [userLabel, user] = field("User name", { name: "username", autocomplete: "username", value: username, readonly: Boolean(username) });
    const [passLabel, pass] = field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
    const other = h("button", { type: "button" }, username ? `Not ${username}? Sign out` : "Cancel");
    const heading = h("h2", { id: "signin-title" }, "Sign in again");
    const form = h(
      "form",
      { method: "dialog", class: "form-grid" },
      h("p", { class: "notice warn", role: "alert" }, message),
      userLabel,
      user,
      passLabel,
      pass,
      error,
    );
    const dialog = h(
      "dialog",
      { class: "modal signin-dialog", "aria-labelledby": "signin-title" },
      h("header", {}, heading),
      h("div", { class: "modal-body" }, form),
      h("footer", {}, other, submit),
    );
    // Not dismissable with Escape: the choice is to sign in, or to sign out.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    const finish = () => {
      dialog.close();
      dialog.remove();
      pending = null;
    };
    const go = async (event) => {
      event?.preventDefault();
      if (!(await attempt(user.value.trim(), pass.value, error, submit, pass))) return;
      finish();
      sync.authRestored();
      resolve();
    };
    form.addEventListener("submit", go);
    submit.addEventListener("click", go);
    other.addEventListener("click", async () => {
      finish();
      reject(new Error("signed out"));
      await api.logout();
      app.showLogin("Signed out. Tickets and cash moves that wait are kept in this browser and sent after the next sign-in.");
    });
    document.body.append(dialog);
    dialog.showModal();
    (user.value ? pass : user).focus();
  });
  return pending;
}

export function signInOpen() {
  return Boolean(pending);
}
