// The POS dashboard: a card per profile with its session state and cashier; New Session,
// Open Session or Resume; the opening count modal. A card warns of tickets held by the
// server or refused and kept in this browser: they need a person before the close.

import { APPROVAL_HEADER, approvalReason, askManager, needsApproval } from "./approval.js";
import { heldOrders } from "./attention.js";
import * as api from "./api.js";
import { countEditor } from "./counting.js";
import { cents, centsToString } from "./money.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { errorLine, field, fill, h, modal, showErrorLine, toast } from "./ui.js";

const STATE_LABELS = {
  new: "New",
  opening_control: "Opening control",
  in_progress: "In progress",
  closing_control: "Closing control",
  closed: "Closed",
};

// With where the till's ticket numbers stand (numbering.js): its series and next number.
export const sessionSummary = (s) => ({ id: s.id, name: s.name, state: s.state, user: s.user, number_series: s.number_series, next_number: s.next_number, training: Boolean(s.training) });

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
  warnAttention(app, profiles, cards, { offline });
}

/** On each card with an active session: the held tickets (asked of the server) and the
 * entries of this browser the server refused, with what to do. */
async function warnAttention(app, profiles, cards, { offline }) {
  const refused = await sync.refusedEntries();
  await Promise.all(
    profiles.map(async (profile, i) => {
      const current = profile.current_session;
      if (!current) return;
      const mine = refused.filter((e) => e.session === current.id);
      let held = null;
      if (!offline && ["in_progress", "closing_control"].includes(current.state)) {
        try {
          held = await heldOrders(current.id);
        } catch {
          held = null; // another user's session: not ours to see
        }
      }
      const parts = [];
      if (held?.length) parts.push(`${held.length} ticket(s) held by the server: a manager must accept or void them before the close`);
      if (mine.length) parts.push(`${mine.length} ticket(s) or cash move(s) refused and kept in this terminal: see Attention on the selling screen`);
      if (!parts.length) return;
      const slot = cards[i].querySelector(".attention-warning");
      fill(slot, `⚠ ${parts.join("; ")}.`);
      slot.hidden = false;
      slot.dataset.held = String(held?.length || 0);
      slot.dataset.refused = String(mine.length);
    }),
  );
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
    // Training mode (docs/fiscal.md): tickets marked TRAINING, no sale, in no total.
    actions.push(h("button", { type: "button", class: "training-session", disabled: offline, onclick: () => newSession(app, profile, { training: true }) }, "Training Session"));
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
    current?.training ? h("p", { class: "training" }, "TRAINING — not a sale") : null,
    h("p", { class: "holder" }, who),
    note,
    h("p", { class: "notice warn attention-warning", role: "status", hidden: true }),
    h("div", { class: "card-actions" }, actions),
  );
}

async function newSession(app, profile, { training = false } = {}) {
  try {
    const session = await api.post(`/profiles/${profile.id}/sessions`, training ? { training: true } : {});
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

/** Sign out: the token is revoked on the server (POST /auth/logout). Not while tickets or
 * cash moves still wait to be sent (they need this sign-in); refused ones stay visible. */
async function signOut(app) {
  if (await store.outboxCount()) {
    await sync.flush();
    const state = await sync.status();
    if (state.pending) {
      toast(`${sync.describeWaiting({ waiting: state.pending, moves: 0 })} not sent yet: stay signed in until they are (they need your sign-in).`, "error", 7000);
      return;
    }
  }
  await api.logout();
  app.showLogin();
}

/** The opening count: per countable method, a total or coins and notes; notes; Open Session. */
export async function openingModal(app, profile, session) {
  let closing;
  let detail;
  try {
    await app.loadCatalog(profile);
    [closing, detail] = await Promise.all([api.get(`/sessions/${session.id}/closing`), api.get(`/sessions/${session.id}`)]);
  } catch (error) {
    toast(api.errorMessage(error), "error", 7000);
    return;
  }
  const fmt = app.fmt;
  const opening = new Map((detail.opening || []).map((o) => [o.payment_method, o]));
  const methods = app.catalog.payment_methods.filter((m) => m.countable);
  const rows = methods.map((method) => {
    const line = closing.lines.find((l) => l.payment_method === method.id) || {};
    const expected = line.expected === undefined || line.expected === null ? null : cents(line.expected);
    // A first float: nothing was kept at the last close (the server says so; an older one
    // only tells the expected 0.00).
    const first = opening.get(method.id)?.first_float ?? expected === 0n;
    const difference = h("output", { class: "difference", "aria-live": "polite" }, "—");
    const editor = countEditor({
      method,
      fmt,
      limits: app.limits,
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
      first
        ? h(
            "p",
            { class: "notice first-float" },
            `No float was kept at the last close: the counted amount becomes the drawer's float. Count what you put in the drawer.`,
          )
        : null,
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
      session.training ? h("p", { class: "training", id: "opening-training" }, "TRAINING — not a sale: this session's tickets count in no total") : null,
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
      const problem = editor.error();
      if (problem) {
        showErrorLine(error, `The opening count of ${method.name} cannot be read: ${problem}.`);
        editor.focus();
        return;
      }
      const payload = editor.payload();
      if (editor.empty || payload.total === null) {
        // Nothing is taken for granted: not the expected float, not zero.
        showErrorLine(error, `Enter the opening count of ${method.name} (coins and notes, or an amount such as 150.00; 0 if the drawer is empty).`);
        editor.focus();
        return;
      }
      if (payload.denominations?.length) counts.push({ payment_method: method.id, denominations: payload.denominations });
      else counts.push({ payment_method: method.id, amount: centsToString(payload.total) });
    }
    submit.disabled = true;
    const body = { counts, notes: notes.value };
    try {
      let opened;
      try {
        opened = await api.post(`/sessions/${session.id}/open`, body);
      } catch (err) {
        if (!needsApproval(err)) throw err;
        // Beyond the profile's maximum difference: a manager approves here, or the cashier
        // corrects the count.
        const approval = await askManager({
          action: "opening_difference",
          session: session.id,
          title: "Opening difference: a manager's approval",
          explain: `${approvalReason(err)} A manager may approve this opening count here; otherwise correct the count.`,
        });
        if (!approval) {
          showErrorLine(error, `${approvalReason(err)} Correct the count, or ask a manager to approve it.`);
          submit.disabled = false;
          return;
        }
        opened = await api.post(`/sessions/${session.id}/open`, body, { headers: { [APPROVAL_HEADER]: approval } });
      }
      dialog.close();
      await app.showSelling(profile, sessionSummary(opened));
    } catch (err) {
      showErrorLine(error, api.errorMessage(err));
      submit.disabled = false;
    }
  });
}
