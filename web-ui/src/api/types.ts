// The shapes the gateway's public API returns (/api/v1/...). Checked against the gateway's
// aggregated /openapi.json by `npm run gen:types -- --check` (scripts/gen-types.mjs).

export type Role = "viewer" | "responder" | "admin";
export type Severity = "critical" | "high" | "medium" | "low";
export type IncidentStatus = "open" | "acknowledged" | "in_progress" | "resolved";

export const SEVERITIES: Severity[] = ["critical", "high", "medium", "low"];
export const STATUSES: IncidentStatus[] = ["open", "acknowledged", "in_progress", "resolved"];

/** The state machine of issue 3: the only legal next states. The server is the judge (409). */
export const NEXT_STATES: Record<IncidentStatus, IncidentStatus[]> = {
  open: ["acknowledged", "resolved"],
  acknowledged: ["in_progress", "resolved"],
  in_progress: ["resolved"],
  resolved: [],
};

export interface SessionUser {
  username: string;
  role: Role;
  must_change_password: boolean;
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: SessionUser;
}

export interface Page<T> {
  items: T[];
  total: number | null;
  limit: number;
  offset: number;
  next_cursor: string | null;
}

export interface Incident {
  id: string;
  title: string;
  service: string;
  severity: Severity;
  status: IncidentStatus;
  description: string | null;
  team: string | null;
  assignee: string | null;
  created_at: string;
  updated_at?: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  acknowledged_by?: string | null;
  resolved_by?: string | null;
  alert_count?: number;
  duplicate_count?: number;
  mtta_seconds?: number | null;
  mttr_seconds?: number | null;
  /** The legal next states, from the server's state machine. */
  allowed_transitions?: IncidentStatus[];
}

export interface Note {
  id?: string;
  author?: string | null;
  actor?: string | null;
  body?: string;
  text?: string;
  content?: string;
  created_at: string;
}

export interface TimelineEntry {
  id?: string;
  event_type: string;
  actor: string | null;
  message: string | null;
  data?: Record<string, unknown> | null;
  created_at: string;
}

export interface Alert {
  id: string;
  service: string;
  severity: Severity;
  message: string;
  labels: Record<string, string>;
  fingerprint: string;
  incident_id: string | null;
  result?: string | null;
  team?: string | null;
  timestamp?: string | null;
  received_at: string;
}

export interface IncidentDetail extends Incident {
  alerts: Alert[];
  notes: Note[];
  timeline: TimelineEntry[];
  /** `local` when incident management could not reach ingestion: the alerts it recorded itself. */
  alerts_source?: "ingestion" | "local";
}

export interface IncidentMetrics {
  incident_id?: string;
  mtta_seconds: number | null;
  mttr_seconds: number | null;
}

export interface DurationStats {
  count: number;
  mean_seconds: number | null;
  p50_seconds: number | null;
  p90_seconds: number | null;
}

export interface StatsSummary {
  total?: number;
  by_status: Partial<Record<IncidentStatus, number>>;
  by_severity: Partial<Record<Severity, number>>;
  mtta: DurationStats;
  mttr: DurationStats;
}

export interface Team {
  id: string;
  name: string;
  description?: string | null;
  members?: { user_id?: string; id?: string; name?: string; username?: string }[];
}

export interface OncallUser {
  id: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  timezone?: string | null;
}

export interface ScheduleLayer {
  id?: string;
  name?: string | null;
  participants: string[];
  rotation: string;
  rotation_length?: number | null;
  handoff_time?: string | null;
  start?: string | null;
  restrictions?: unknown;
}

export interface Schedule {
  id: string;
  name: string;
  team: string;
  team_id?: string;
  timezone: string;
  layers: ScheduleLayer[];
  overrides?: Override[];
}

export interface Override {
  id?: string;
  user: string;
  start: string;
  end: string;
}

export interface Shift {
  user: string;
  start: string;
  end: string;
  layer?: string | number | null;
  source?: string | null;
}

export interface OncallCurrent {
  team: string;
  user: string | null;
  users?: string[];
  schedule?: string | null;
  layer?: string | number | null;
  source?: string | null;
  message?: string | null;
}

export interface EscalationLevel {
  delay_minutes?: number;
  delay_seconds?: number;
  targets: { type: string; id?: string; name?: string }[];
}

export interface EscalationPolicy {
  id: string;
  name: string;
  team: string;
  repeat: number;
  levels: EscalationLevel[];
}

export interface NotificationRecord {
  id: string;
  recipient: string;
  channel: string;
  subject: string | null;
  message: string | null;
  incident_id: string | null;
  status: string;
  attempts?: number;
  last_error: string | null;
  created_at: string;
  delivered_at?: string | null;
}

export interface Account {
  id: string;
  username: string;
  role: Role;
  must_change_password: boolean;
  disabled: boolean;
  created_at: string;
  updated_at?: string;
  last_login_at: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role | null;
  permissions: string[];
  created_by?: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at?: string | null;
  /** Only in the answer to the create call: shown once. */
  key?: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}
