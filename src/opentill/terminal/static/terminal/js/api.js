// The REST API v1 client: bearer token, JSON in and out, problem documents as errors. A 401
// (expired or revoked sign-in) raises the sign-in dialog over the current screen; the
// request is made again once someone has signed in, so no screen is lost.

const BASE = "/api/v1";
const AUTH_KEY = "opentill.auth";

/** The API answered with an error: ``detail`` is the problem document's human message. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.code = problem?.code || "http_error";
    this.problem = problem || {};
    this.retryAfter = retryAfter; // seconds (429, 503), from the Retry-After header
  }
}

/** The server could not be reached (offline, timeout, server down). */
export class NetworkError extends Error {
  constructor(message = "The server cannot be reached.") {
    super(message);
    this.code = "network_error";
  }
}

let auth = loadAuth();
const listeners = { unauthorized: [], reachability: [] };
let reachable = true;
let reauthenticate = null; // () => Promise resolved once someone signed in again

/** ``fn(problem)`` → a promise resolved after a new sign-in (rejected: give up). A request
 * answered 401 waits for it and is made again with the new token. */
export function setReauthenticate(fn) {
  reauthenticate = fn;
}

function loadAuth() {
  try {
    return JSON.parse(localStorage.getItem(AUTH_KEY) || "null");
  } catch {
    return null;
  }
}

export function currentAuth() {
  return auth;
}

export function on(event, fn) {
  listeners[event].push(fn);
}

function emit(event, value) {
  for (const fn of listeners[event]) fn(value);
}

export function isReachable() {
  return reachable && navigator.onLine;
}

function setReachable(value) {
  if (reachable !== value) {
    reachable = value;
    emit("reachability", value);
  }
}

/** Seconds from a Retry-After header (a number of seconds or an HTTP date), or null. */
function retryAfterOf(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Call the API; resolves with the JSON (or text) body, rejects with ApiError / NetworkError.
 * ``reauth`` (default true): on 401, wait for a sign-in and try again; background senders
 * pass false and stop instead. ``headers``: extra headers (e.g. X-OpenTill-Approval).
 * ``full``: resolve with {status, data, etag} and accept 304 (If-None-Match).
 */
export async function request(method, path, body, { timeout = 20000, raw = false, reauth = true, headers: extra = {}, full = false, token = null } = {}) {
  for (;;) {
    const headers = { Accept: raw ? "text/html" : "application/json", ...extra };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    // ``token``: another user's for this one request (a manager at the cashier's screen).
    const bearer = token || auth?.token;
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch(BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      setReachable(false);
      throw new NetworkError(navigator.onLine ? "The server does not answer." : "You are offline.");
    } finally {
      clearTimeout(timer);
    }
    setReachable(true);
    if (full && response.status === 304) return { status: 304, data: null, etag: response.headers.get("ETag") };
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
    if (!response.ok) {
      const problem = data && typeof data === "object" ? data : { detail: `The server answered ${response.status}.` };
      if (response.status === 401 && !token && !path.startsWith("/auth/token")) {
        emit("unauthorized", problem);
        if (reauth && reauthenticate) {
          try {
            await reauthenticate(problem);
          } catch {
            throw new ApiError(401, problem);
          }
          continue; // signed in again: the same request with the new token
        }
      }
      throw new ApiError(response.status, problem, retryAfterOf(response));
    }
    return full ? { status: response.status, data, etag: response.headers.get("ETag") } : data;
  }
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body = {}, options) => request("POST", path, body, options);

export async function login(username, password) {
  const answer = await post("/auth/token", { username, password });
  auth = { token: answer.token, user: answer.user };
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  return auth;
}

/** Revoke the token on the server (POST /auth/logout), then forget it here. */
export async function logout() {
  if (auth?.token) {
    try {
      await request("POST", "/auth/logout", {}, { reauth: false, timeout: 5000 });
    } catch {
      /* offline or already invalid: the token is forgotten here all the same */
    }
  }
  auth = null;
  localStorage.removeItem(AUTH_KEY);
}

/** A short sign-in for someone else (a manager at the cashier's screen): their token, kept
 * by the caller only, never stored. ``signOff(token)`` revokes it. */
export async function borrowToken(username, password) {
  const answer = await request("POST", "/auth/token", { username, password }, { reauth: false });
  return answer;
}

export async function signOff(token) {
  try {
    await request("POST", "/auth/logout", {}, { token, reauth: false, timeout: 5000 });
  } catch {
    /* revoked already, or offline: it expires by itself */
  }
}

/** A message for the cashier from any error. */
export function errorMessage(error) {
  if (error instanceof ApiError && error.status === 429) {
    const wait = error.retryAfter;
    return wait ? `Too many attempts: wait ${waitText(wait)} before trying again.` : "Too many attempts: wait a moment before trying again.";
  }
  if (error instanceof ApiError && [502, 503, 504].includes(error.status)) {
    const wait = error.retryAfter;
    return `The server is unavailable for a moment${wait ? `: try again in ${waitText(wait)}` : ": try again shortly"}. Nothing was lost.`;
  }
  if (error instanceof ApiError) {
    const extra = (error.problem.errors || []).map((e) => e.msg).filter((m) => m && !error.message.includes(m));
    return extra.length ? `${error.message} (${extra.join("; ")})` : error.message;
  }
  return error?.message || String(error);
}

/** 75 → "1 min 15 s". */
export function waitText(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}
