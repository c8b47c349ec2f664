// The printable X and Z reports. The report needs the cashier's authority, but the terminal
// signs in with a bearer token that a browser window cannot send: so the terminal asks for a
// signed link (GET /sessions/{id}/report-link, valid 10 minutes, no sign-in needed) and
// opens it in a window of its own, whose Print button prints it on the browser's printer.

import * as api from "./api.js";
import { h, modal, toast } from "./ui.js";

const WINDOW = "opentill-report";
const PAPER = "80"; // the 80 mm roll of a receipt printer; the page links A4 and 58 mm

/**
 * Open the report window now, inside the click that asks for it, so that no popup blocker
 * stops it; it says ``message`` until ``showReport`` sends it to the report. Null when
 * the browser refused the window.
 */
export function reportWindow(message = "Loading the report…") {
  const popup = window.open("", WINDOW);
  if (!popup) return null;
  try {
    popup.document.open();
    popup.document.write(`<!doctype html><title>OpenTill report</title><p style="font-family:sans-serif">${message}</p>`);
    popup.document.close();
    popup.focus();
  } catch {
    /* a window still showing an earlier report: it is sent to the new one anyway */
  }
  return popup;
}

/**
 * Show the report of session ``sessionId`` in ``popup`` (from ``reportWindow``), or in a
 * dialog when there is none. Resolves true once shown, false (with a message) when the
 * link could not be had, e.g. offline.
 */
export async function showReport(sessionId, popup, { title = "Report" } = {}) {
  let link;
  try {
    link = await api.get(`/sessions/${sessionId}/report-link?format=html&paper=${PAPER}`);
  } catch (error) {
    popup?.close();
    const why = error instanceof api.NetworkError ? "the report needs the network." : api.errorMessage(error);
    toast(`The report cannot be opened: ${why}`, "error", 8000);
    return false;
  }
  if (popup && !popup.closed) popup.location.replace(link.url);
  else reportDialog(link.url, title);
  return true;
}

/** A Print button's action: the window, then the report in it. */
export function openReport(sessionId, options) {
  return showReport(sessionId, reportWindow(), options);
}

/** Where popups are blocked: the report in a frame, printed from there. */
function reportDialog(url, title) {
  const frame = h("iframe", { class: "report-frame", title, src: url });
  const dialog = modal({
    title,
    wide: true,
    className: "report-dialog",
    body: frame,
    actions: [
      h("button", { type: "button", onclick: () => frame.contentWindow.print() }, "Print"),
      h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "Done"),
    ],
  });
}
