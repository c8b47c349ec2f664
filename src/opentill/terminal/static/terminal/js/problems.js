// What the server said about a ticket or a cash move, in plain words for the cashier: a
// problem document (RFC 9457, with a stable `code`) and the ticket's own lines become
// "Product “White mug” is no longer sold" rather than a raw message. Pure: no DOM.

/** The line of ``lines`` a problem's ``errors[].loc`` points at (…, "lines", 2, …), or null. */
function lineOf(problem, lines) {
  for (const error of problem?.errors || []) {
    const loc = error.loc || [];
    const at = loc.indexOf("lines");
    if (at >= 0 && Number.isInteger(loc[at + 1])) return lines?.[loc[at + 1]] || null;
  }
  return null;
}

function paymentOf(problem, payments) {
  for (const error of problem?.errors || []) {
    const loc = error.loc || [];
    const at = loc.indexOf("payments");
    if (at >= 0 && Number.isInteger(loc[at + 1])) return payments?.[loc[at + 1]] || null;
  }
  return null;
}

const quote = (name) => `“${name}”`;

/**
 * Plain words for ``problem`` about a ticket (``lines``: [{name, product}], ``payments``:
 * [{name}]) or a cash move; ``money(text)`` formats an amount.
 */
export function plainProblem(problem, { lines = [], payments = [], money = (v) => v } = {}) {
  if (!problem) return "The server did not accept it.";
  const code = problem.code || "";
  const line = lineOf(problem, lines);
  const productName = () => {
    if (line) return quote(line.name);
    const id = /Product (\d+)/.exec(problem.detail || "")?.[1];
    const found = id && lines.find((l) => String(l.product) === id);
    return found ? quote(found.name) : "A product of this ticket";
  };
  switch (code) {
    case "unknown_product":
      return `Product ${productName()} is no longer sold.`;
    case "unknown_customer":
      return "The customer of this ticket no longer exists.";
    case "unknown_payment_method": {
      const payment = paymentOf(problem, payments);
      return `Payment method ${payment?.name ? quote(payment.name) : "of this ticket"} is not accepted on this till.`;
    }
    case "payment_mismatch":
      if (problem.amount_due !== undefined && problem.paid !== undefined)
        return `The payments (${money(problem.paid)}) do not match the amount the server computes for this ticket (${money(problem.amount_due)}).`;
      return "The payments do not match the amount the server computes for this ticket.";
    case "not_session_owner":
      return "The session belongs to another user: sign in as its cashier (or a manager) to send it.";
    case "forbidden":
      return `You may not do this with the current sign-in${problem.detail ? ` (${problem.detail})` : ""}.`;
    case "unauthorized":
      return "Your sign-in has expired: sign in again to send it.";
    case "insufficient_cash":
      return problem.detail || "There is not enough cash in the drawer for this drop.";
    case "validation_error": {
      const messages = (problem.errors || []).map((e) => e.msg).filter(Boolean);
      const where = line ? ` (line ${quote(line.name)})` : "";
      return `The server cannot read it${where}: ${messages.length ? messages.join("; ") : problem.detail || "invalid"}.`;
    }
    case "invalid_state":
    case "already_closed":
      return problem.detail || "The session no longer takes it.";
    default:
      if (problem.status === 403) return `Refused for the current sign-in: ${problem.detail || problem.title || "forbidden"}.`;
      return problem.detail || problem.title || `The server answered ${problem.status || "with an error"}.`;
  }
}
