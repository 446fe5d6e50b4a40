/** A thin typed fetch wrapper: every call is relative to /api on the same origin. */
import type {
  AdmittedExam,
  AnswerSaved,
  BrowserEvent,
  ChannelMessage,
  ConsentAnswer,
  EnrollmentPhoto,
  EnrollmentView,
  EventsAnswer,
  InboxAnswer,
  Lang,
  LoginAnswer,
  MediaKind,
  OwnViolation,
  PresignedPost,
  SessionStatusView,
  SessionView,
} from "./types";

export const API_BASE = "/api";

/** A failure with the API's stable code (the localization key); status 0 means the network failed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }

  get offline(): boolean {
    return this.status === 0;
  }

  /** Worth retrying later: the network, a 5xx, a busy session. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429 || this.code === "session.busy";
  }
}

const TOKEN_KEY = "proctor.auth";

export interface Auth {
  token: string;
  user_id: string;
  role: LoginAnswer["role"];
  full_name: string;
  expires_at: string;
}

export function savedAuth(): Auth | null {
  try {
    const raw = localStorage.getItem(TOKEN_KEY);
    if (!raw) return null;
    const auth = JSON.parse(raw) as Auth;
    return Date.parse(auth.expires_at) > Date.now() ? auth : null;
  } catch {
    return null;
  }
}

export function saveAuth(auth: Auth | null): void {
  if (auth) localStorage.setItem(TOKEN_KEY, JSON.stringify(auth));
  else localStorage.removeItem(TOKEN_KEY);
}

export async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = token ?? savedAuth()?.token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network.offline", "The server could not be reached.");
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? `http.${response.status}`, error?.message ?? text, error?.details);
  }
  return data as T;
}

/** POST a presigned form to storage; the answer's status is what matters (2xx ok, 4xx rejected). */
export async function uploadPresigned(post: PresignedPost, blob: Blob, filename: string): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
  form.append("file", blob, filename);
  try {
    const response = await fetch(post.url, { method: "POST", body: form });
    return response.status;
  } catch {
    return 0;
  }
}

const enc = encodeURIComponent;

export const api = {
  /** Logins are each agency's own: the agency's code names whose account `user_id` is. */
  login: (agency: string, user_id: string, password: string) =>
    request<LoginAnswer>("POST", "/auth/login", { agency, user_id, password }),
  logout: () => request<{ logged_out: boolean }>("POST", "/auth/logout", {}),
  myExams: () => request<{ exams: AdmittedExam[] }>("GET", "/me/exams"),
  consent: (examId: string, language: Lang) =>
    request<ConsentAnswer>("POST", `/exams/${enc(examId)}/consent`, { accepted: true, language }),
  startSession: (examId: string, language: Lang) =>
    request<SessionView>("POST", `/exams/${enc(examId)}/sessions`, { language }),
  session: (sessionId: string) => request<SessionView>("GET", `/sessions/${enc(sessionId)}`),
  saveAnswer: (sessionId: string, itemId: string, optionId: string) =>
    request<AnswerSaved>("PUT", `/sessions/${enc(sessionId)}/answers/${enc(itemId)}`, { option_id: optionId }),
  heartbeat: (sessionId: string, clientId: string) =>
    request<SessionStatusView>("POST", `/sessions/${enc(sessionId)}/heartbeat`, { client_id: clientId }),
  submit: (sessionId: string) => request<SessionStatusView>("POST", `/sessions/${enc(sessionId)}/submit`, {}),
  presignMedia: (sessionId: string, kind: MediaKind) =>
    request<PresignedPost>("POST", `/sessions/${enc(sessionId)}/media`, { kind }),
  sendEvents: (sessionId: string, events: BrowserEvent[]) =>
    request<EventsAnswer>("POST", `/sessions/${enc(sessionId)}/events`, { events }),
  presignSpeedProbe: (examId: string) => request<PresignedPost>("POST", `/exams/${enc(examId)}/system-check/uploads`, {}),
  presignEnrollment: (examId: string, kind: EnrollmentPhoto) =>
    request<PresignedPost>("POST", `/exams/${enc(examId)}/enrollment/uploads`, { kind }),
  verifyEnrollment: (examId: string, selfie_key: string, id_document_key: string) =>
    request<EnrollmentView>("POST", `/exams/${enc(examId)}/enrollment/verify`, { selfie_key, id_document_key }),
  /** The identity check as it stands: `pending` until the identity checker decided it. */
  enrollmentStatus: (examId: string) => request<EnrollmentView>("GET", `/exams/${enc(examId)}/enrollment`),
  inbox: (sessionId: string, since: string | null) =>
    request<InboxAnswer>("GET", `/sessions/${enc(sessionId)}/inbox${since ? `?since=${enc(since)}` : ""}`),
  chat: (sessionId: string, text: string) =>
    request<{ message: ChannelMessage }>("POST", `/sessions/${enc(sessionId)}/chat`, { text }),
  acknowledge: (sessionId: string, messageId: string) =>
    request<{ message: ChannelMessage }>("POST", `/sessions/${enc(sessionId)}/inbox/${enc(messageId)}/ack`, {}),
  violations: (sessionId: string) =>
    request<{ violations: OwnViolation[] }>("GET", `/sessions/${enc(sessionId)}/violations`),
};
