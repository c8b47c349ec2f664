// Sign in: POST /api/v1/auth/token; the token is kept in localStorage.

import * as api from "./api.js";
import * as sync from "./sync.js";
import { errorLine, field, h, showErrorLine } from "./ui.js";

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
    showErrorLine(error, "");
    submit.disabled = true;
    try {
      await api.login(user.value.trim(), pass.value);
      sync.authRestored();
      await app.resume();
    } catch (err) {
      showErrorLine(error, err instanceof api.NetworkError ? "Signing in needs the network." : api.errorMessage(err));
      submit.disabled = false;
      pass.select();
    }
  });
  app.screen().replaceChildren(h("div", { class: "center" }, form));
  (user.value ? pass : user).focus();
}
