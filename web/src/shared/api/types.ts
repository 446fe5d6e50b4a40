/** Hand-written types for the routes the web app uses (docs/API.md). */

export type Lang = "kk" | "ru" | "en";
export type Localized = Record<Lang, string>;
export type Role = "candidate" | "proctor" | "admin" | "operator";

export interface ApiErrorBody {
  error: { code: string; message: string; details: unknown };
}

export interface LoginAnswer {
  token: string;
  expires_at: string;
  user_id: string; // the login, as typed
  account_id: string; // `<agency>~<login>`: the candidate_id other answers show
  role: Role;
  agency_id: string;
  full_name: string;
}

export interface Block {
  block_id: string;
  title: Localized;
  item_count: number;
}

export type SessionStatus = "in_progress" | "submitted" | "awaiting_review" | "accepted" | "annulled";

export interface Score {
  correct: number;
  total: number;
  percent: number;
}

export interface SessionOutcome {
  session_id: string;
  status: SessionStatus;
  score: Score | null;
  max_score?: number | null;
  verdict: string | null;
  verdict_reason: string | null;
  submitted_at: string | null;
  /** Ended by a proctor (the reason is the proctor's text). */
  terminated?: boolean;
  termination_reason?: string | null;
}

export interface AdmittedExam {
  exam_id: string;
  title: Localized;
  languages: Lang[];
  duration_s: number;
  opens_at: string;
  closes_at: string;
  consent_recorded: boolean;
  require_identity: boolean;
  blocks: Block[];
  session: SessionOutcome | null;
}

export interface ConsentAnswer {
  consent_at: string;
  consent_version: string;
}

export interface Monitoring {
  webcam_every_s: number;
  audio_chunk_s: number;
  screen_every_s: number;
}

export interface Item {
  item_id: string;
  block_id: string;
  text: Partial<Localized>;
  options: { option_id: string; text: Partial<Localized> }[];
}

export interface SessionStatusView extends SessionOutcome {
  exam_id: string;
  language: Lang;
  started_at: string;
  deadline_at: string;
  server_time: string;
  remaining_s: number;
  answered: number;
  total_items: number;
  auto_submitted: boolean;
  paused?: boolean;
  control_rev?: number;
  /** On heartbeat answers: whether the inbox has something new (the page fetches it only then). */
  inbox?: HeartbeatInbox;
  /** On heartbeat answers: seconds until the next beat (20, or 5 while a proctor watches the session). */
  next_heartbeat_s?: number;
}

export interface HeartbeatInbox {
  /** The newest message a proctor wrote for the candidate (message ids sort by time). */
  latest_id: string | null;
  latest_at: string | null;
  /** Violations recorded on the session so far; null when the heartbeat did not read them. */
  violations: number | null;
}

export interface SessionView extends SessionStatusView {
  blocks: Block[];
  monitoring: Monitoring;
  items: Item[];
  answers: Record<string, string>;
}

export interface AnswerSaved {
  item_id: string;
  option_id: string;
  answered: number;
  remaining_s: number;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
  key: string;
  /** Monitoring forms: every key under this prefix is allowed until the form expires (one form a minute). */
  key_prefix?: string;
  content_type?: string;
  max_bytes: number;
  expires_in_s?: number;
  expires_at?: string;
  max_objects?: number;
}

export type MediaKind = "webcam" | "audio" | "screen";

export type BrowserEventType =
  | "tab_hidden"
  | "window_blur"
  | "fullscreen_exit"
  | "copy"
  | "cut"
  | "paste"
  | "context_menu"
  | "second_screen"
  | "screen_share_ended"
  | "camera_ended"
  | "microphone_ended"
  | "microphone_muted";

export interface BrowserEvent {
  event_id: string;
  type: BrowserEventType;
  occurred_at: string;
  details?: Record<string, string>;
}

export interface EventsAnswer {
  results: { event_id: string; outcome: "recorded" | "duplicate" | "out_of_window" }[];
}

export type EnrollmentPhoto = "selfie" | "id_document";

export interface EnrollmentView {
  status: "approved" | "rejected" | "overridden" | "pending";
  reasons: { photo: EnrollmentPhoto | "both" | string; code: string; message: Localized }[];
  attempts: number;
}

/** The live channel between the proctor and the candidate (GET /sessions/{id}/inbox). */
export type MessageKind = "warning" | "chat" | "pause" | "resume" | "terminate" | "note";

export interface ChannelMessage {
  message_id: string;
  kind: MessageKind;
  author_role: Role;
  author_id: string;
  author_login: string | null;
  text: string;
  created_at: string;
  for_candidate: boolean;
  acknowledged_at: string | null;
}

export interface SessionControl {
  session_id: string;
  status: SessionStatus;
  paused: boolean;
  paused_at: string | null;
  terminated: boolean;
  termination_reason: string | null;
  remaining_s: number;
  deadline_at: string;
  server_time: string;
  control_rev: number;
  violation_counts: Record<string, number>;
}

export interface InboxAnswer {
  messages: ChannelMessage[];
  cursor: string | null;
  session: SessionControl;
}

export interface OwnViolation {
  type: string;
  severity: "low" | "medium" | "high" | string;
  occurred_at: string;
  ended_at: string | null;
}
