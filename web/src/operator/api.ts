/** Typed operator routes: agencies with their first admin, price plans, statements of every agency. */
import { request } from "../shared/api/client";
import type { Localized } from "../shared/api/types";
import type { PricePlan } from "../shared/ui/billing";
import type { Agency, Statement } from "../admin/api";
import { fetchFile } from "../admin/http";

export type { Agency, Statement };

export interface NewAgency {
  agency_id: string;
  name: Localized;
  contact: { name: string; email: string; phone: string };
  retention_days?: number;
  admin: { login: string; full_name: string };
}

export interface AgencyChanges {
  name?: Localized;
  contact?: { name: string; email: string; phone: string };
  retention_days?: number;
  status?: "active" | "suspended";
}

export interface AllStatements {
  month: string;
  statements: Statement[];
  totals?: Record<string, string>; // per currency
}

const enc = encodeURIComponent;
const agency = (id: string) => `/operator/agencies/${enc(id)}`;

export const operatorApi = {
  agencies: () => request<{ agencies: Agency[] }>("GET", "/operator/agencies"),
  agency: (id: string) => request<Agency>("GET", agency(id)),
  createAgency: (body: NewAgency) =>
    request<{ agency: Agency; admin: { login: string; password: string } }>("POST", "/operator/agencies", body),
  updateAgency: (id: string, body: AgencyChanges) => request<Agency>("PATCH", agency(id), body),
  plan: (id: string) => request<PricePlan & { effective_from?: string }>("GET", `${agency(id)}/plan`),
  setPlan: (id: string, plan: PricePlan) => request<PricePlan>("PUT", `${agency(id)}/plan`, plan),
  statements: (month: string) => request<AllStatements>("GET", `/operator/statements/${enc(month)}?format=json`),
  statementsFile: (month: string) => fetchFile(`/operator/statements/${enc(month)}?format=csv`),
  agencyStatement: (id: string, month: string) => request<Statement>("GET", `${agency(id)}/statements/${enc(month)}`),
};
