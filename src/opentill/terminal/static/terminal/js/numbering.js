// Ticket numbers (issue #13): one continuous series per till, given here when a ticket is
// paid, so it is known offline and printed on the receipt; the server checks it (a number
// another ticket of the till has is held, a missing one shows on the Z report).
//
// The counter of each till is kept in the browser's storage (kv "number:<profile>": {series,
// next}) and taken in the same transaction that stores the paid ticket (store.cartCommit), so
// a reload, a second session of the till or two clicks never give a number twice. The server
// says where the till's series stands (the session object's `next_number`, 1 + the highest
// number it has stored); the counter goes on from whichever is further: tickets waiting in
// the outbox keep their numbers, and a new device starts where the server is. Drafts (parked
// tickets) have no number: a parked ticket is numbered when it is paid. Pure: no storage here.

export const numberKey = (profileId) => `number:${profileId}`;

/** The series of a session: its `number_series`, else the till code its name begins with
 * (session names are CODE/YEAR/NNNN). */
export function seriesOf(session) {
  if (session?.number_series) return session.number_series;
  return String(session?.name || "").split("/")[0].toUpperCase();
}

/** ``TILL1-000123``: the till's code and the number on six digits at least (the server's
 * orders.domain.ticket_number). */
export function formatNumber(series, number) {
  return `${series}-${String(number).padStart(6, "0")}`;
}

/**
 * Take the next number of a till: ``stored`` is the counter kept in the browser (or
 * undefined), ``serverNext`` what the server said (the session's next_number, or undefined
 * offline). Returns {number, text, stored}: the number to give, as printed, and the counter
 * to keep.
 */
export function takeNumber(stored, serverNext, series) {
  const local = Number.isSafeInteger(stored?.next) && stored.next > 0 ? stored.next : 1;
  const server = Number.isSafeInteger(serverNext) && serverNext > 0 ? serverNext : 1;
  const number = Math.max(local, server);
  const name = series || stored?.series || "";
  return { number, text: formatNumber(name, number), stored: { series: name, next: number + 1 } };
}
