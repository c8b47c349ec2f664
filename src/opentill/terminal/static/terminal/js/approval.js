// A manager's approval on the cashier's screen: the manager types their user name and PIN
// (or password); POST /auth/approvals gives a short-lived, single-use approval for one
// action on one session, which the request that needs it carries in the
// X-OpenTill-Approval header. Nothing has to wait for the back office.

import * as api from "./api.js";
import { errorLine, field, fill, h, modal, showErrorLine, uid } from "./ui.js";

export const APPROVAL_HEADER = "X-OpenTill-Approval";

/**
 * Ask a manager to approve ``action`` on ``session``. Resolves with the approval (a string
 * for the header) or null when cancelled. ``explain``: why the approval is needed.
 */
export function askManager({ action, session, title = "A manager's approval", explain }) {
  return new Promise((resolve) => {
    let approval = null;
    const error = errorLine();
    const [userLabel, user] = field("Manager", { name: "manager", autocomplete: "off", required: true });
    let mode = "pin";
    const secretId = uid("secret");
    const secretLabel = h("label", { for: secretId }, "PIN");
    const secret = h("input", { id: secretId, name: "secret", type: "password", inputmode: "numeric", autocomplete: "off", required: true });
    const modes = h("fieldset", { class: "segmented" });
    const renderModes = () =>
      fill(
        modes,
        h("legend", {}, "Approve with"),
        [
          ["pin", "PIN"],
          ["password", "Password"],
        ].map(([value, text]) => {
          const id = uid("approve-mode");
          return h(
            "span",
            {},
            h("input", {
              type: "radio",
              name: `approve-mode-${session}`,
              id,
              value,
              checked: mode === value,
              onchange: () => {
                mode = value;
                secretLabel.textContent = value === "pin" ? "PIN" : "Password";
                secret.setAttribute("inputmode", value === "pin" ? "numeric" : "text");
                secret.value = "";
                secret.focus();
              },
            }),
            h("label", { for: id }, text),
          );
        }),
      );
    renderModes();
    const approve = h("button", { type: "button", class: "primary", id: "approve" }, "Approve");
    const dialog = modal({
      title,
      className: "approval-dialog",
      body: h("div", { class: "form-grid" }, explain ? h("p", { class: "notice warn" }, explain) : null, userLabel, user, modes, secretLabel, secret, error),
      actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), approve],
      onclose: () => resolve(approval),
    });
    const submit = async () => {
      if (approve.disabled) return;
      showErrorLine(error, "");
      if (!user.value.trim() || !secret.value) {
        showErrorLine(error, `Enter the manager's user name and ${mode === "pin" ? "PIN" : "password"}.`);
        return;
      }
      approve.disabled = true;
      const body = { username: user.value.trim(), action, session };
      body[mode] = secret.value;
      try {
        const answer = await api.post("/auth/approvals", body);
        approval = answer.approval;
        dialog.close();
      } catch (err) {
        const wrong = err instanceof api.ApiError && [401, 403, 422].includes(err.status) && err.code !== "unauthorized";
        showErrorLine(error, wrong && err.status !== 429 ? `Not approved: ${api.errorMessage(err)}` : api.errorMessage(err));
        approve.disabled = false;
        secret.select();
      }
    };
    approve.addEventListener("click", submit);
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName === "INPUT") {
        event.preventDefault();
        submit();
      }
    });
    user.focus();
  });
}

/** The server's reason for wanting an approval, without the word to programs (the header). */
export function approvalReason(error) {
  return api.errorMessage(error).replace(/\s*\(header [^)]*\)/, "");
}

/** Whether ``error`` is the server asking for a manager's approval. */
export function needsApproval(error) {
  return error instanceof api.ApiError && error.code === "approval_required";
}
