/** Typed operator routes: agencies with their first admin, price plans, statements of every agency. */
import { request } from "../shared/api/client";
import type { Lang, Localized } from "../shared/api/types";
import type { PricePlan } from "../shared/ui/billing";
import type { Agency, Statement } from "../admin/api";
import { fetchFile } from "../admin/http";

export type { Agency, Statement };

export interface NewAgency {
  agency_id: string;
  name: Localized;
  contact: { name: string; email: string; phone?: string };
  retention_days?: number;
  admin: { login: string; full_name: string };
}

export interface AgencyChanges {
  name?: Localized;
  contact?: { name: string; email: string; phone?: string };
  retention_days?: number;
  status?: "active" | "suspended";
}

export interface PlanAnswer {
  agency_id: string;
  month: string;
  plan: PricePlan;
  effective_month: string | null;
  default: boolean; // no plan set: the platform's default applies
  history: { effective_month: string; plan: PricePlan; changed_at: string; changed_by: string }[];
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
  plan: (id: string) => request<PlanAnswer>("GET", `${agency(id)}/plan`),
  /** From `effective_month` (default: this month) on; past statements never change. */
  setPlan: (id: string, plan: PricePlan, effective_month?: string) =>
    request<{ effective_month: string; plan: PricePlan }>("PUT", `${agency(id)}/plan`, effective_month ? { ...plan, effective_month } : plan),
  statements: (month: string, language: Lang) =>
    request<AllStatements>("GET", `/operator/statements/${enc(month)}?format=json&language=${language}`),
  statementsFile: (month: string, language: Lang) => fetchFile(`/operator/statements/${enc(month)}?format=csv&language=${language}`),
  agencyStatementFile: (id: string, month: string, format: "csv" | "pdf", language: Lang) =>
    fetchFile(`${agency(id)}/statements/${enc(month)}?format=${format}&language=${language}`),
};
