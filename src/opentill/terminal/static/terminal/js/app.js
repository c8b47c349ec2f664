// The OpenTill web terminal: boots, keeps who is signed in and which session is active,
// and switches between the login, dashboard and selling screens. A 401 from any request
// raises the sign-in dialog over the current screen; the catalog is refreshed while selling.

import { openAttention } from "./attention.js";
import * as api from "./api.js";
import { loadDestinations } from "./cashmove.js";
import { sessionSummary, showDashboard } from "./dashboard.js";
import { readLimits } from "./limits.js";
import { showLogin, signInDialog } from "./login.js";
import { MoneyFormat, conventionsOf } from "./money.js";
import { plainProblem } from "./problems.js";
import { showSelling } from "./selling.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import * as till from "./till.js";
import { $, fill, h, toast } from "./ui.js";

const ACTIVE_KEY = "opentill.active";
const CATALOG_REFRESH_MS = 45000; // a change reaches the till within a minute

/** What every screen shares. */
export const app = {
  profile: null, // from GET /profiles
  session: null, // {id, name, state, user}
  catalog: null, // GET /profiles/{id}/catalog
  catalogTag: null, // its ETag: the refresh asks If-None-Match
  limits: readLimits(null), // the catalog's bounds (limits.js)
  fmt: new MoneyFormat(undefined, "EUR"),
  keyHandler: null, // the active screen's keyboard shortcuts
  catalogListeners: [], // fn(catalog) when a refresh brought a new catalog

  get user() {
    return api.currentAuth()?.user || null;
  },

  /** Remember the profile and session in use, so a reload (even offline) comes back here. */
  setActive(profile, session) {
    this.profile = profile;
    this.session = session;
    if (profile && session) localStorage.setItem(ACTIVE_KEY, JSON.stringify({ profile, session, user: this.user?.username }));
    else localStorage.removeItem(ACTIVE_KEY);
  },

  /** The catalog of ``profile``: fresh from the server, else the copy kept in the browser. */
  async loadCatalog(profile) {
    const key = `catalog:${profile.id}`;
    try {
      const answer = await api.get(`/profiles/${profile.id}/catalog`, { full: true });
      this.catalog = answer.data;
      this.catalogTag = answer.etag;
      await store.kvSet(key, this.catalog);
      await store.kvSet(`${key}:etag`, answer.etag);
    } catch (error) {
      if (error instanceof api.ApiError) throw error;
      this.catalog = await store.kvGet(key);
      this.catalogTag = (await store.kvGet(`${key}:etag`)) || null;
      if (!this.catalog) throw new Error("The catalog is not available offline yet: connect once to load it.");
    }
    this.catalogProfile = profile.id;
    this.useCatalog(this.catalog);
    return this.catalog;
  },

  useCatalog(catalog) {
    this.catalog = catalog;
    this.limits = readLimits(catalog.limits);
    const company = catalog.company;
    this.fmt = new MoneyFormat(company.locale, company.currency, conventionsOf(company).places);
  },

  /** Ask the server for a newer catalog (If-None-Match: cheap when nothing changed); on a
   * new one, keep it and tell the selling screen. Resolves true when it changed. */
  async refreshCatalog(attempt = 0) {
    const profile = this.profile;
    // navigator.onLine only: a server that did not answer a minute ago may answer now.
    if (!profile || this.catalogProfile !== profile.id || !navigator.onLine) return false;
    const headers = this.catalogTag ? { "If-None-Match": this.catalogTag } : {};
    let answer;
    try {
      answer = await api.get(`/profiles/${profile.id}/catalog`, { full: true, headers, reauth: false, timeout: 10000 });
    } catch (error) {
      // Offline, signed out (the dialog shows) or refused: the copy serves on. A network
      // that has just come back may need a moment: try again soon.
      if (error instanceof api.NetworkError && navigator.onLine && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return this.refreshCatalog(attempt + 1);
      }
      return false;
    }
    if (answer.status === 304 || !answer.data || this.profile?.id !== profile.id) return false;
    if (answer.etag && answer.etag === this.catalogTag) return false;
    if (!answer.etag && JSON.stringify(answer.data) === JSON.stringify(this.catalog)) return false;
    const key = `catalog:${profile.id}`;
    await store.kvSet(key, answer.data);
    await store.kvSet(`${key}:etag`, answer.etag);
    this.catalogTag = answer.etag;
    this.useCatalog(answer.data);
    for (const fn of this.catalogListeners) fn(answer.data);
    return true;
  },

  onCatalog(fn) {
    this.catalogListeners = [fn];
  },

  showLogin(message) {
    this.keyHandler = null;
    showLogin(this, message);
  },

  showDashboard() {
    this.keyHandler = null;
    this.catalogListeners = [];
    till.release();
    this.setActive(null, null);
    return showDashboard(this);
  },

  async showSelling(profile, session) {
    // With the catalog, the cash move destinations: cash in/out works offline too.
    await Promise.all([this.loadCatalog(profile), loadDestinations(profile).catch(() => null)]);
    this.setActive(profile, session);
    return showSelling(this);
  },

  /** Where a freshly signed-in user goes: back to their session, else the dashboard. */
  resume() {
    const active = storedActive();
    if (active && active.user === this.user?.username && active.session?.state === "in_progress") {
      return this.resumeSession(active).catch((error) => {
        if (!api.currentAuth()) return null; // signed out from the sign-in dialog
        toast(api.errorMessage(error), "error", 8000);
        return this.showDashboard();
      });
    }
    return this.showDashboard();
  },

  /** Back to the stored session: checked with the server when it answers, else offline. */
  async resumeSession(active) {
    let session = active.session;
    try {
      const fresh = await api.get(`/sessions/${session.id}`, { timeout: 5000 });
      session = sessionSummary(fresh);
    } catch (error) {
      if (error instanceof api.ApiError) throw error;
    }
    if (session.state !== "in_progress") {
      toast(`Session ${session.name} is ${session.state.replace("_", " ")}.`, "warn", 7000);
      return this.showDashboard();
    }
    return this.showSelling(active.profile, session);
  },

  /** Replace the top bar's context line and action buttons. */
  setTopbar(context, actions = []) {
    fill($("#context"), context || "");
    fill($("#actions"), actions);
  },

  screen() {
    return $("#screen");
  },
};

function renderStatus(state) {
  const button = $("#netstatus");
  const online = state.online;
  const moves = state.moves || 0;
  const tickets = state.waiting - moves;
  button.dataset.online = String(online);
  button.dataset.waiting = String(state.waiting);
  button.dataset.moves = String(moves);
  button.dataset.refused = String(state.refused || 0);
  button.dataset.blocked = String(Boolean(state.blocked));
  button.dataset.unavailable = String(Boolean(state.unavailable));
  fill(
    button,
    h("span", { class: "dot", "aria-hidden": "true" }),
    !online ? "Offline" : state.unavailable ? "Server unavailable" : "Online",
    " · ",
    h("span", { class: "waiting" }, String(state.waiting)),
    waitingLabel(tickets, moves),
    state.refused ? h("span", { class: "refused" }, ` · ${state.refused} refused`) : null,
    state.blocked ? h("span", { class: "refused" }, " · waiting for a sign-in") : null,
  );
  button.title = state.error ? `Last sync error: ${state.error}` : "Tickets and cash moves are sent when the network is available.";
  button.classList.toggle("has-error", Boolean((state.error && state.waiting && !state.unavailable) || state.refused || state.blocked));
  button.classList.toggle("unavailable", Boolean(state.unavailable));
  app.attentionChanged?.();
}

/** After the count: " tickets waiting", " cash move waiting", " waiting (2 tickets, 1 cash move)". */
function waitingLabel(tickets, moves) {
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (!moves) return tickets === 1 ? " ticket waiting" : " tickets waiting";
  if (!tickets) return moves === 1 ? " cash move waiting" : " cash moves waiting";
  return ` waiting (${plural(tickets, "ticket")}, ${plural(moves, "cash move")})`;
}

document.addEventListener("keydown", (event) => {
  if (app.keyHandler) app.keyHandler(event);
});

async function boot() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/terminal/sw.js", { scope: "/terminal/" }).catch((error) => {
      console.warn("service worker not registered", error);
    });
  }
  sync.onChange(renderStatus);
  sync.onRefused(async (entry) => {
    const what = entry.kind === "cash_move" ? "A cash move" : entry.payload?.state === "draft" ? "A parked ticket" : "A paid ticket";
    const ticket = entry.kind === "order" ? await store.ticketGet(entry.uuid) : null;
    const words = plainProblem(entry.problem, { lines: ticket?.lines, payments: ticket?.payments, money: (v) => app.fmt.money(v) });
    toast(`${what} was not accepted: ${words} It is kept in this terminal (Attention, top right).`, "error", 15000);
  });
  $("#netstatus").addEventListener("click", async () => {
    const left = await sync.flush();
    const state = await sync.status();
    if (state.refused) {
      openAttention(app);
      return;
    }
    toast(left ? `${sync.describeWaiting(state)} still waiting${state.error ? `: ${state.error}` : "."}` : "Everything is sent.", left ? "warn" : "info");
  });
  // A 401 anywhere: the sign-in dialog over the current screen; a request that met it is
  // made again after the sign-in, and the outbox resumes.
  api.setReauthenticate(() => signInDialog(app));
  api.on("unauthorized", () => {
    if (api.currentAuth()) signInDialog(app).catch(() => {});
  });
  sync.start();
  setInterval(() => app.refreshCatalog(), CATALOG_REFRESH_MS);
  window.addEventListener("online", () => app.refreshCatalog());

  if (!api.currentAuth()) return app.showLogin();
  return app.resume();
}

function storedActive() {
  try {
    return JSON.parse(localStorage.getItem(ACTIVE_KEY) || "null");
  } catch {
    return null;
  }
}

boot();
