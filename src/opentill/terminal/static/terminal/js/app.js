// The OpenTill web terminal: boots, keeps who is signed in and which session is active,
// and switches between the login, dashboard and selling screens.

import * as api from "./api.js";
import { loadDestinations } from "./cashmove.js";
import { showDashboard } from "./dashboard.js";
import { showLogin } from "./login.js";
import { MoneyFormat } from "./money.js";
import { showSelling } from "./selling.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { $, fill, h, toast } from "./ui.js";

const ACTIVE_KEY = "opentill.active";

/** What every screen shares. */
export const app = {
  profile: null, // from GET /profiles
  session: null, // {id, name, state, user}
  catalog: null, // GET /profiles/{id}/catalog
  fmt: new MoneyFormat(undefined, "EUR"),
  keyHandler: null, // the active screen's keyboard shortcuts

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
      this.catalog = await api.get(`/profiles/${profile.id}/catalog`);
      await store.kvSet(key, this.catalog);
    } catch (error) {
      if (error instanceof api.ApiError) throw error;
      this.catalog = await store.kvGet(key);
      if (!this.catalog) throw new Error("The catalog is not available offline yet: connect once to load it.");
    }
    const company = this.catalog.company;
    this.fmt = new MoneyFormat(company.locale, company.currency);
    return this.catalog;
  },

  showLogin(message) {
    this.keyHandler = null;
    showLogin(this, message);
  },

  showDashboard() {
    this.keyHandler = null;
    this.setActive(null, null);
    return showDashboard(this);
  },

  async showSelling(profile, session) {
    // With the catalog, the cash move destinations: cash in/out works offline too.
    await Promise.all([this.loadCatalog(profile), loadDestinations(profile).catch(() => null)]);
    this.setActive(profile, session);
    showSelling(this);
  },

  /** Where a freshly signed-in user goes: back to their session, else the dashboard. */
  resume() {
    const active = storedActive();
    if (active && active.user === this.user?.username && active.session?.state === "in_progress") {
      return this.resumeSession(active).catch((error) => {
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
      session = { id: fresh.id, name: fresh.name, state: fresh.state, user: fresh.user };
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
  fill(
    button,
    h("span", { class: "dot", "aria-hidden": "true" }),
    online ? "Online" : "Offline",
    " · ",
    h("span", { class: "waiting" }, String(state.waiting)),
    waitingLabel(tickets, moves),
  );
  button.title = state.error ? `Last sync error: ${state.error}` : "Tickets and cash moves are sent when the network is available.";
  button.classList.toggle("has-error", Boolean(state.error && state.waiting));
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
  sync.onRejected((uuid, detail, kind) => {
    const what = kind === "cash_move" ? "cash move" : "ticket";
    toast(`The server refused ${what} ${uuid.slice(0, 8)}: ${detail} It is kept in this browser; tell a manager.`, "error", 15000);
  });
  $("#netstatus").addEventListener("click", async () => {
    const left = await sync.flush();
    const state = await sync.status();
    toast(left ? `${sync.describeWaiting(state)} still waiting${state.error ? `: ${state.error}` : "."}` : "Everything is sent.", left ? "warn" : "info");
  });
  api.on("unauthorized", () => {
    app.showLogin("Your sign-in has expired: sign in again. Nothing is lost.");
  });
  sync.start();

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
