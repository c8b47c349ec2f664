// One till, one selling tab. The selling screen of a session holds a Web Lock named after
// the session; a second tab or window of this browser on the same session finds it taken
// and shows "This till is open in another tab" with a "Use here" button. Taking over asks
// the other tab (BroadcastChannel) to save its ticket in progress and let go; it then shows
// that the till is used elsewhere. The ticket in progress lives in IndexedDB with the tab
// that owns it (store.cartClaim), so the new tab carries on with the same ticket and the old
// one can neither change nor pay it (store.cartCommit checks the owner).

import { newUuid } from "./ui.js";

/** This tab's id: the owner written on the ticket in progress. */
export const TAB = newUuid();

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("opentill-till") : null;
const RELEASE_WAIT_MS = 2500;
const lockName = (session) => `opentill-till-${session}`;

let current = null; // {session, release, onLost}
const releaseWaiters = new Map(); // session → resolve, while taking over

if (channel) {
  channel.onmessage = async ({ data }) => {
    if (!data || data.tab === TAB) return;
    if (data.type === "takeover" && current && current.session === data.session) {
      const held = current;
      current = null;
      // Save what this tab has in progress before the other tab reads it.
      try {
        await held.onLost?.("takeover");
      } finally {
        held.release();
        channel.postMessage({ type: "released", session: data.session, tab: TAB });
      }
    } else if (data.type === "released") {
      releaseWaiters.get(data.session)?.();
    }
  };
}

/**
 * Hold the till of ``session`` for this tab. Resolves true when held, false when another
 * tab holds it (unless ``takeOver``: then it is taken from that tab). ``onLost(reason)`` is
 * called (and awaited before the other tab goes on) when another tab takes it.
 */
export async function acquire(session, { takeOver = false, onLost } = {}) {
  if (current && current.session === session) {
    current.onLost = onLost;
    return true;
  }
  release();
  if (!navigator.locks?.request) {
    current = { session, release: () => {}, onLost };
    return true;
  }
  if (takeOver && channel) {
    const released = new Promise((resolve) => {
      releaseWaiters.set(session, resolve);
      setTimeout(resolve, RELEASE_WAIT_MS); // a tab that does not answer loses the lock anyway
    });
    channel.postMessage({ type: "takeover", session, tab: TAB });
    await released;
    releaseWaiters.delete(session);
  }
  const options = takeOver ? { steal: true } : { ifAvailable: true };
  const held = await new Promise((resolve) => {
    let letGo;
    const released = new Promise((r) => (letGo = r));
    navigator.locks
      .request(lockName(session), options, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        resolve({ session, release: letGo, onLost });
        return released;
      })
      .catch(() => {
        // Stolen without a word (the other tab did not answer in time): this tab lost it.
        if (current && current.session === session) {
          const lost = current;
          current = null;
          lost.onLost?.("stolen");
        }
      });
  });
  if (!held) return false;
  current = held;
  return true;
}

/** Let the till go (leaving the selling screen). */
export function release() {
  if (current) {
    const held = current;
    current = null;
    held.release();
  }
}

export function holds(session) {
  return Boolean(current && current.session === session);
}
