/** What the shared JSON `request()` does not cover: a CSV/JSON file as the body, and files (CSV, XLSX, PDF) back. */
import { API_BASE, ApiError, savedAuth } from "../shared/api/client";

function authHeaders(): Record<string, string> {
  const token = savedAuth()?.token;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const error = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } }).error;
    return new ApiError(response.status, error?.code ?? `http.${response.status}`, error?.message ?? text, error?.details);
  } catch {
    return new ApiError(response.status, `http.${response.status}`, text);
  }
}

/** Send a file's text as it is (text/csv or application/json); the answer is JSON. */
export async function sendText<T>(method: string, path: string, body: string, contentType: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(API_BASE + path, { method, headers: { ...authHeaders(), "Content-Type": contentType }, body });
  } catch {
    throw new ApiError(0, "network.offline", "The server could not be reached.");
  }
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** GET a file (CSV, XLSX, PDF) with the caller's token. */
export async function fetchFile(path: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(API_BASE + path, { headers: authHeaders() });
  } catch {
    throw new ApiError(0, "network.offline", "The server could not be reached.");
  }
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** Hand a file to the browser's downloads under this name. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
