/** Whether an exam is open now: the API's own status when it states one, else its window against the given time. */
export type ExamState = "scheduled" | "open" | "closed";

export function examState(exam: { status?: string; opens_at: string; closes_at: string }, nowMs: number): ExamState {
  if (exam.status === "open" || exam.status === "closed" || exam.status === "scheduled") return exam.status;
  if (nowMs < Date.parse(exam.opens_at)) return "scheduled";
  return nowMs < Date.parse(exam.closes_at) ? "open" : "closed";
}

/** Draws per block against the bank: a block whose bank is smaller than its draw cannot start. */
export function bankShortfall(blocks: { block_id: string; item_count: number }[], bank: Record<string, number>): string[] {
  return blocks.filter((b) => (bank[b.block_id] ?? 0) < b.item_count).map((b) => b.block_id);
}
