// The REST API v1 client: bearer token, JSON in and out, problem documents as errors.

const BASE = "/api/v1";
const AUTH_KEY = "opentill.auth";

/** The API answered with an error: ``detail`` is the problem document's human message. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.code = problem?.code || "http_error";
    this.problem = problem || {};
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

/** Call the API; resolves with the JSON (or text) body, rejects with ApiError / NetworkError. */
export async function request(method, path, body, { timeout = 20000, raw = false } = {}) {
  const headers = { Accept: raw ? "text/html" : "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth?.token) headers.Authorization = `Bearer ${auth.token}`;
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
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { detail: `The server answered ${response.status}.` };
    if (response.status === 401 && path !== "/auth/token") emit("unauthorized", problem);
    throw new ApiError(response.status, problem);
  }
  return data;
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body = {}, options) => request("POST", path, body, options);

export async function login(username, password) {
  const answer = await post("/auth/token", { username, password });
  auth = { token: answer.token, user: answer.user };
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  return auth;
}

export function logout() {
  auth = null;
  localStorage.removeItem(AUTH_KEY);
}

/** A message for the cashier from any error. */
export function errorMessage(error) {
  if (error instanceof ApiError) {
    const extra = (error.problem.errors || []).map((e) => e.msg).filter((m) => m && !error.message.includes(m));
    return extra.length ? `${error.message} (${extra.join("; ")})` : error.message;
  }
  return error?.message || String(error);
}
