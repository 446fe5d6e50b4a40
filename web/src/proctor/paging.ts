/** The proctor's paged lists (docs/API.md "Pagination"): follow next_cursor to the end, so a crowded exam shows
 * every session, then order the whole list as the server orders one page. */

export interface PagedSessions<S> {
  sessions: S[];
  next_cursor: string | null;
}

export const PAGE_LIMIT = 500; // the server's largest page
export const MAX_PAGES = 40; // 20,000 sessions: a guard against a cursor that never ends, not a real limit

/** Every page from `fetchPage(cursor)`, merged: a session that moved between pages while we read is listed once
 * (its newest state wins), and the result is sorted by `order`. The first page's other fields are kept. */
export async function allPages<A extends PagedSessions<{ session_id: string }>>(
  fetchPage: (cursor: string | undefined) => Promise<A>,
  order: (a: A["sessions"][number], b: A["sessions"][number]) => number,
): Promise<A> {
  const byId = new Map<string, A["sessions"][number]>();
  let first: A | undefined;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await fetchPage(cursor);
    first ??= answer;
    for (const session of answer.sessions) byId.set(session.session_id, session);
    if (!answer.next_cursor) break;
    cursor = answer.next_cursor;
  }
  return { ...(first as A), sessions: [...byId.values()].sort(order), next_cursor: null };
}

interface Ranked {
  risk_score: number;
  credibility: number;
  started_at: string;
  submitted_at: string | null;
}

/** The live grid: riskiest first, then least credible, then the earliest start. */
export const riskiestFirst = (a: Ranked, b: Ranked): number =>
  b.risk_score - a.risk_score || a.credibility - b.credibility || a.started_at.localeCompare(b.started_at);

/** The review queue: least credible first, then the earliest submission. */
export const leastCredibleFirst = (a: Ranked, b: Ranked): number =>
  a.credibility - b.credibility || (a.submitted_at ?? "").localeCompare(b.submitted_at ?? "");
