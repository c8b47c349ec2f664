// The POS dashboard: a card per profile with its session state and cashier; New Session,
// Open Session or Resume; the opening count modal.

import * as api from "./api.js";
import { countEditor } from "./counting.js";
import { cents, centsToString } from "./money.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { errorLine, field, h, modal, showErrorLine, toast } from "./ui.js";

const STATE_LABELS = {
  new: "New",
  opening_control: "Opening control",
  in_progress: "In progress",
  closing_control: "Closing control",
  closed: "Closed",
};

export const sessionSummary = (s) => ({ id: s.id, name: s.name, state: s.state, user: s.user });

export async function showDashboard(app) {
  const me = app.user.username;
  app.setTopbar(h("span", {}, "Dashboard · ", h("strong", {}, me)), [
    h("button", { type: "button", onclick: () => showDashboard(app) }, "Refresh"),
    h("button", { type: "button", onclick: () => signOut(app) }, `Sign out ${me}`),
  ]);
  const cacheKey = `profiles:${me}`;
  let profiles;
  let offline = false;
  try {
    profiles = await api.get("/profiles");
    await store.kvSet(cacheKey, profiles);
  } catch (error) {
    if (error instanceof api.ApiError) {
      app.screen().replaceChildren(h("p", { class: "form-error", role: "alert" }, api.errorMessage(error)));
      return;
    }
    offline = true;
    profiles = (await store.kvGet(cacheKey)) || [];
  }
  const cards = profiles.map((profile) => profileCard(app, profile, { offline }));
  app.screen().replaceChildren(
    h(
      "section",
      { class: "dashboard", "aria-labelledby": "dash-title" },
      h("h1", { id: "dash-title" }, "POS dashboard"),
      offline ? h("p", { class: "notice warn", role: "status" }, "Offline: the states below may be out of date. Only your own sessions can be resumed.") : null,
      cards.length ? h("div", { class: "cards" }, cards) : h("p", {}, "No POS profile is assigned to you. Ask a manager."),
    ),
  );
  app.screen().querySelector(".profile-card button.primary")?.focus();
}

function profileCard(app, profile, { offline }) {
  const me = app.user.username;
  const isManager = (app.user.roles || []).includes("manager");
  const current = profile.current_session;
  const mine = current && current.user === me;
  const state = current ? current.state : "none";
  const actions = [];
  if (!current) {
    actions.push(h("button", { type: "button", class: "primary", disabled: offline, onclick: () => newSession(app, profile) }, "New Session"));
  } else if (current.state === "opening_control" || current.state === "new") {
    if (mine || isManager) actions.push(h("button", { type: "button", class: "primary", disabled: offline, onclick: () => openingModal(app, profile, current) }, "Open Session"));
  } else if (current.state === "in_progress") {
    if (mine) actions.push(h("button", { type: "button", class: "primary", onclick: () => resume(app, profile, current) }, "Resume"));
    else if (isManager) actions.push(h("button", { type: "button", onclick: () => resume(app, profile, current) }, `Resume as manager`));
  }
  let who;
  if (!current) who = "No active session";
  else if (mine) who = `Your session ${current.name}`;
  else who = `In use by ${current.user} (${current.name})`;
  const note =
    current && current.state === "closing_control"
      ? h("p", { class: "notice warn" }, "The close waits for a manager to validate its difference.")
      : current && !mine && !isManager
        ? h("p", { class: "muted" }, `Only ${current.user} or a manager may act on this session.`)
        : null;
  const titleId = `profile-${profile.id}`;
  return h(
    "article",
    { class: `profile-card state-${state}`, dataset: { profile: profile.id, state }, "aria-labelledby": titleId },
    h("h2", { id: titleId }, profile.name),
    h("p", { class: "muted" }, profile.store || "", profile.opening_control ? " · opening control" : "", profile.blind_close ? " · blind close" : ""),
    h("p", { class: "badge" }, current ? STATE_LABELS[current.state] || current.state : "No session"),
    h("p", { class: "holder" }, who),
    note,
    h("div", { class: "card-actions" }, actions),
  );
}

async function newSession(app, profile) {
  try {
    const session = await api.post(`/profiles/${profile.id}/sessions`, {});
    return enter(app, profile, sessionSummary(session));
  } catch (error) {
    const other = error.problem?.session;
    if (error.code === "session_already_open" && other && other.user === app.user.username) {
      toast(`Resuming your session ${other.name}.`);
      return enter(app, profile, other);
    }
    toast(api.errorMessage(error), "error", 7000);
    return showDashboard(app);
  }
}

function enter(app, profile, session) {
  if (session.state === "opening_control" || session.state === "new") return openingModal(app, profile, session);
  return resume(app, profile, session);
}

async function resume(app, profile, session) {
  try {
    await app.showSelling(profile, session);
  } catch (error) {
    toast(api.errorMessage(error), "error", 7000);
  }
}

async function signOut(app) {
  if (await store.outboxCount()) {
    await sync.flush();
    const state = await sync.status();
    if (state.waiting) {
      toast(`${sync.describeWaiting(state)} not sent yet: stay signed in until they are (they need your sign-in).`, "error", 7000);
      return;
    }
  }
  api.logout();
  app.showLogin();
}

/** The opening count: per countable method, a total or coins and notes; notes; Open Session. */
export async function openingModal(app, profile, session) {
  let closing;
  try {
    await app.loadCatalog(profile);
    closing = await api.get(`/sessions/${session.id}/closing`);
  } catch (error) {
    toast(api.errorMessage(error), "error", 7000);
    return;
  }
  const fmt = app.fmt;
  const methods = app.catalog.payment_methods.filter((m) => m.countable);
  const rows = methods.map((method) => {
    const line = closing.lines.find((l) => l.payment_method === method.id) || {};
    const expected = line.expected === undefined || line.expected === null ? null : cents(line.expected);
    const difference = h("output", { class: "difference", "aria-live": "polite" }, "—");
    const editor = countEditor({
      method,
      fmt,
      byDenomination: method.kind === "cash",
      label: `Opening count ${method.name}`,
      onchange: (value) => {
        if (value === null || expected === null) difference.textContent = "—";
        else {
          const diff = value - expected;
          difference.textContent = fmt.money(diff);
          difference.className = `difference ${diff < 0n ? "neg" : diff > 0n ? "plus" : ""}`;
        }
      },
    });
    const element = h(
      "section",
      { class: "count-method", dataset: { method: method.id } },
      h("h3", {}, method.name),
      h(
        "p",
        { class: "figures" },
        "Expected opening: ",
        h("strong", { class: "expected" }, expected === null ? "hidden (blind close)" : fmt.money(expected)),
        " · Difference: ",
        difference,
      ),
      editor.element,
    );
    return { method, editor, element };
  });
  const [notesLabel, notes] = field("Notes", { tag: "textarea", rows: 2, maxlength: 2000, name: "notes" });
  const error = errorLine();
  const submit = h("button", { type: "button", class: "primary big" }, "Open Session");
  const dialog = modal({
    title: `Open ${profile.name} — ${session.name}`,
    wide: true,
    className: "opening",
    body: [
      methods.length ? rows.map((r) => r.element) : h("p", {}, "No payment method of this profile is counted."),
      h("div", { class: "notes" }, notesLabel, notes),
      error,
    ],
    actions: [h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"), submit],
  });
  rows[0]?.editor.focus();
  submit.addEventListener("click", async () => {
    showErrorLine(error, "");
    const counts = [];
    for (const { method, editor } of rows) {
      const payload = editor.payload();
      if (payload.denominations && payload.denominations.length) counts.push({ payment_method: method.id, denominations: payload.denominations });
      else if (payload.total === null || payload.total < 0n) {
        showErrorLine(error, `Enter the opening count of ${method.name} (an amount such as 150.00).`);
        editor.focus();
        return;
      } else counts.push({ payment_method: method.id, amount: centsToString(payload.total) });
    }
    submit.disabled = true;
    try {
      const opened = await api.post(`/sessions/${session.id}/open`, { counts, notes: notes.value });
      dialog.close();
      await app.showSelling(profile, sessionSummary(opened));
    } catch (err) {
      showErrorLine(error, api.errorMessage(err));
      submit.disabled = false;
    }
  });
}
