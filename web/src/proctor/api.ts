/** Typed proctor routes (docs/API.md "Proctor"), through the shared fetch wrapper. */
import { request } from "../shared/api/client";
import type { EnrollmentPhoto, Localized, Score, SessionControl } from "../shared/api/types";
import { allPages, leastCredibleFirst, PAGE_LIMIT, type PagedSessions, riskiestFirst } from "./paging";

export type Severity = "low" | "medium" | "high";

export interface SessionSummary {
  session_id: string;
  candidate_id: string; // <agency>~<login>: the account id the API addresses
  login: string; // what people type and see
  full_name: string | null;
  exam_id: string;
  status: "in_progress" | "submitted" | "awaiting_review" | "accepted" | "annulled";
  started_at: string;
  deadline_at: string;
  remaining_s: number;
  paused: boolean;
  terminated: boolean;
  termination_reason: string | null;
  control_rev: number;
  last_seen_at: string | null;
  last_candidate_message_at: string | null;
  violation_counts: Record<string, number>;
  risk_score: number;
  credibility: number;
  submitted_at: string | null;
  score: Score | null;
  verdict: string | null;
  verdict_reason: string | null;
  media?: MediaStats; // what media arrived (docs/API.md "Proctor"): counts, newest times, open silences
}

export interface MediaStats {
  frames_received: number;
  frames_rejected: number;
  audio_received: number;
  audio_rejected: number;
  screens_received: number;
  screens_rejected: number;
  last_frame_at: string | null;
  last_audio_at: string | null;
  last_screen_at: string | null;
  last_rejected_at: string | null;
  last_rejected_reason: string | null;
  silent: string[]; // open camera_missing / audio_missing / media_rejected
}

export interface LiveTile extends SessionSummary {
  latest_frame_url: string | null;
  latest_frame_at: string | null; // the same frame keeps its time: the grid keeps its link (and its image)
}

export interface LiveAnswer {
  sessions: LiveTile[];
  server_time: string;
  next_cursor: string | null; // more sessions on the next page (proctorApi follows it)
}

export interface BreakdownLine {
  type: string;
  count: number;
  weight: number;
  penalty: number;
  duration_s: number;
}

export interface Breakdown {
  score: number;
  formula: string;
  lines: BreakdownLine[];
}

export interface ReviewEntry extends SessionSummary {
  credibility_breakdown: Breakdown;
}

export interface ReviewAnswer extends PagedSessions<ReviewEntry> {
  server_time: string;
}

export interface Violation {
  violation_id: string;
  type: string;
  severity: Severity;
  source: string;
  occurred_at: string;
  ended_at: string | null;
  evidence_key: string | null;
  evidence_url: string | null;
  evidence_kind: "webcam" | "screen" | "audio" | null;
  details: Record<string, unknown>;
  peak_score: number | null;
  frames: number | null;
  open: boolean | null;
}

export interface Timeline {
  session: SessionSummary;
  violations: Violation[];
  credibility_breakdown: Breakdown;
  latest_frame_url: string | null;
  latest_screen_url: string | null;
}

export type MessageKind = "warning" | "chat" | "pause" | "resume" | "terminate" | "note";

export interface ChannelMessage {
  message_id: string;
  kind: MessageKind;
  author_role: "candidate" | "proctor" | "admin" | string;
  author_id: string;
  author_login: string | null; // what people see
  text: string;
  created_at: string;
  for_candidate: boolean;
  acknowledged_at: string | null;
}

/** The session's state as the channel reports it (the same shape the candidate's inbox has). */
export type Control = SessionControl;

export interface ChannelAnswer {
  messages: ChannelMessage[];
  cursor: string | null;
  session: Control;
}

export interface ActionAnswer {
  message: ChannelMessage;
  control_rev?: number;
  status?: string;
}

export interface EnrollmentReason {
  photo: EnrollmentPhoto | "both" | string;
  code: string;
  message: Localized;
}

export interface EnrollmentEntry {
  exam_id: string;
  candidate_id: string;
  login: string;
  status: "approved" | "rejected" | "overridden" | "pending";
  reasons: EnrollmentReason[];
  attempts: number;
  decided_at: string | null;
  override_by: string | null;
  override_reason: string | null;
}

export interface EnrollmentDetail extends EnrollmentEntry {
  selfie_url: string | null;
  id_document_url: string | null;
}

export interface AdminExam {
  exam_id: string;
  title: Localized;
}

export interface VerdictAnswer {
  status: string;
  verdict_reason: string | null;
  reviewed_at: string;
}

const enc = encodeURIComponent;
const query = (params: Record<string, string | undefined>) => {
  const pairs = Object.entries(params).filter(([, v]) => v) as [string, string][];
  return pairs.length ? `?${pairs.map(([k, v]) => `${k}=${enc(v)}`).join("&")}` : "";
};
const s = (id: string) => `/proctor/sessions/${enc(id)}`;
const paged = (examId: string | undefined, cursor: string | undefined) =>
  query({ exam_id: examId, cursor, limit: String(PAGE_LIMIT) });

export const proctorApi = {
  /** Every in-progress session (all pages), riskiest first. */
  live: (examId?: string) =>
    allPages<LiveAnswer>(
      (cursor) => request<LiveAnswer>("GET", `/proctor/live${paged(examId, cursor)}`),
      riskiestFirst,
    ),
  /** One page of the agency's sessions (newest first per status); pass next_cursor for the next. */
  sessions: (examId?: string, cursor?: string) =>
    request<PagedSessions<SessionSummary>>("GET", `/proctor/sessions${query({ exam_id: examId, cursor })}`),
  agencyExams: () => request<{ exams: AdminExam[] }>("GET", "/proctor/exams"),
  timeline: (id: string) => request<Timeline>("GET", `${s(id)}/timeline`),
  messages: (id: string, since?: string | null) =>
    request<ChannelAnswer>("GET", `${s(id)}/messages${query({ since: since ?? undefined })}`),
  warn: (id: string, text: string, expected_rev: number) =>
    request<ActionAnswer>("POST", `${s(id)}/warn`, { text, expected_rev }),
  pause: (id: string, text: string, expected_rev: number) =>
    request<ActionAnswer>("POST", `${s(id)}/pause`, { text, expected_rev }),
  resume: (id: string, text: string, expected_rev: number) =>
    request<ActionAnswer>("POST", `${s(id)}/resume`, text ? { text, expected_rev } : { expected_rev }),
  terminate: (id: string, reason: string, expected_rev: number) =>
    request<ActionAnswer>("POST", `${s(id)}/terminate`, { reason, expected_rev }),
  chat: (id: string, text: string) => request<ActionAnswer>("POST", `${s(id)}/chat`, { text }),
  note: (id: string, text: string) => request<ActionAnswer>("POST", `${s(id)}/notes`, { text }),
  /** Every session waiting for a verdict (all pages), least credible first. */
  review: (examId?: string) =>
    allPages<ReviewAnswer>(
      (cursor) => request<ReviewAnswer>("GET", `/proctor/review${paged(examId, cursor)}`),
      leastCredibleFirst,
    ),
  verdict: (id: string, verdict: "accept" | "annul", reason: string) =>
    request<VerdictAnswer>("POST", `${s(id)}/verdict`, reason ? { verdict, reason } : { verdict }),
  enrollments: (examId: string, status?: string) =>
    request<{ enrollments: EnrollmentEntry[] }>("GET", `/proctor/enrollments${query({ exam_id: examId, status })}`),
  enrollment: (examId: string, candidateId: string) =>
    request<EnrollmentDetail>("GET", `/proctor/enrollments/${enc(examId)}/${enc(candidateId)}`),
  override: (examId: string, candidateId: string, reason: string) =>
    request<EnrollmentEntry>("POST", `/proctor/enrollments/${enc(examId)}/${enc(candidateId)}/override`, { reason }),
};
