// Every call the console makes, in one place, typed.
import { request, toPage, type Query } from "./client";
import type {
  Account,
  Alert,
  ApiKey,
  AuditEntry,
  Escalation,

  BulkResult,
  EscalationPolicy,
  Incident,
  IncidentAlertPage,
  IncidentDetail,
  IncidentMetrics,
  IncidentStatus,
  Integration,
  Override,
  IntegrationCreate,
  IntegrationWithKey,
  LoginResponse,
  NotificationRecord,
  OncallCurrent,
  OncallUser,
  Page,
  Role,
  Me,
  OverrideCreate,
  Schedule,
  ScheduleCreate,
  ShiftList,
  StatsBucket,
  StatsSummary,
  Team,
  GroupStatsPage,
  Heartbeat,
  HeartbeatCreate,
  MaintenanceWindow,
  MaintenanceWindowCreate,
  Silence,
  SilenceCreate,
  SilenceStatus,
  TimeSeries,
  TopServices,
  UserShift,
} from "./types";

const enc = encodeURIComponent;

export const auth = {
  login: (username: string, password: string) =>
    request<LoginResponse>("POST", "/auth/login", { body: { username, password }, anonymous: true }),
  me: () => request<Me>("GET", "/auth/me"),
  changePassword: (current_password: string, new_password: string) =>
    request<unknown>("POST", "/auth/change-password", { body: { current_password, new_password } }),
};

export interface IncidentFilters {
  status?: IncidentStatus[];
  severity?: string;
  service?: string;
  /** Part of the service name, any case. */
  service_contains?: string;
  /** Text search over title, service and description (message and labels). */
  q?: string;
  team?: string;
  assignee?: string;
  /** "nobody_paged": the incidents whose escalation paged nobody. */
  page_state?: string;
  sort?: string;
  limit?: number;
  offset?: number;
}

export const incidents = {
  list: async (filters: IncidentFilters = {}): Promise<Page<Incident>> =>
    toPage<Incident>(
      await request("GET", "/incidents", { query: filters as Query }),
      filters.limit,
      filters.offset,
    ),
  get: (id: string) => request<IncidentDetail>("GET", `/incidents/${enc(id)}`),
  metrics: (id: string) => request<IncidentMetrics>("GET", `/incidents/${enc(id)}/metrics`),
  /** Older alerts of the incident, page by page (the detail carries the newest 50). */
  alerts: (id: string, cursor: string) =>
    request<IncidentAlertPage>("GET", `/incidents/${enc(id)}/alerts`, { query: { cursor, limit: 100 } }),
  update: (id: string, change: { status?: IncidentStatus; assignee?: string | null; notes?: string }) =>
    request<IncidentDetail>("PATCH", `/incidents/${enc(id)}`, { body: change }),
  /** Acknowledge or resolve many at once: one request, a result per incident (200 / 404 / 409). */
  bulk: (action: "acknowledge" | "resolve", incident_ids: string[]) =>
    request<BulkResult>("POST", "/incidents/bulk", { body: { action, incident_ids } }),
  summary: (query: StatsRange = {}) => request<StatsSummary>("GET", "/incidents/stats/summary", { query }),
  timeseries: (query: StatsRange & { bucket: StatsBucket }) =>
    request<TimeSeries>("GET", "/incidents/stats/timeseries", { query }),
  byGroup: (query: StatsRange & { by: "team" | "service"; limit?: number }) =>
    request<GroupStatsPage>("GET", "/incidents/stats/by-group", { query }),
};

/** The time range of a stats route: created / received at or after `since`, before `until`. */
export type StatsRange = { since?: string; until?: string };

export interface AlertFilters {
  service?: string;
  severity?: string;
  incident_id?: string;
  since?: string;
  until?: string;
  limit?: number;
  /** Alerts page by cursor (newest first): the previous page's next_cursor. */
  cursor?: string;
}

export const alerts = {
  list: async (filters: AlertFilters = {}): Promise<Page<Alert>> =>
    toPage<Alert>(await request("GET", "/alerts", { query: filters as Query }), filters.limit),
  timeseries: (query: StatsRange & { bucket: StatsBucket }) =>
    request<TimeSeries>("GET", "/alerts/stats/timeseries", { query }),
  topServices: (query: StatsRange & { limit?: number }) =>
    request<TopServices>("GET", "/alerts/stats/top-services", { query }),
};

export const oncall = {
  teams: async () => toPage<Team>(await request("GET", "/teams", { query: { limit: 100 } })).items,
  users: async () => toPage<OncallUser>(await request("GET", "/users", { query: { limit: 100 } })).items,
  user: (id: string) => request<OncallUser>("GET", `/users/${enc(id)}`),
  current: (team: string) => request<OncallCurrent>("GET", "/oncall/current", { query: { team } }),
  schedules: async () => toPage<Schedule>(await request("GET", "/schedules", { query: { limit: 100 } })).items,
  createSchedule: (body: ScheduleCreate) => request<Schedule>("POST", "/schedules", { body }),
  updateSchedule: (id: string, body: unknown) => request<Schedule>("PATCH", `/schedules/${enc(id)}`, { body }),
  shifts: (id: string, from: string, to: string) =>
    request<ShiftList>("GET", `/schedules/${enc(id)}/shifts`, { query: { from, to } }),
  /** One person's shifts across every schedule in [from, to) (at most 92 days). */
  userShifts: async (userId: string, from: string, to: string) =>
    toPage<UserShift>(await request("GET", "/oncall/shifts", { query: { user_id: userId, from, to } })).items,
  deleteSchedule: (id: string) => request<void>("DELETE", `/schedules/${enc(id)}`),
  addOverride: (scheduleId: string, body: OverrideCreate) =>
    request<unknown>("POST", `/schedules/${enc(scheduleId)}/overrides`, { body }),
  /** The schedule's overrides that end after `from` (every one without it). */
  overrides: async (scheduleId: string, from?: string) =>
    toPage<Override>(await request("GET", `/schedules/${enc(scheduleId)}/overrides`, { query: from ? { from } : {} })).items,
  deleteOverride: (scheduleId: string, id: string) =>
    request<void>("DELETE", `/schedules/${enc(scheduleId)}/overrides/${enc(id)}`),
  policies: async () =>
    toPage<EscalationPolicy>(await request("GET", "/escalation-policies", { query: { limit: 100 } })).items,
  createPolicy: (body: unknown) => request<EscalationPolicy>("POST", "/escalation-policies", { body }),
  updatePolicy: (id: string, body: unknown) =>
    request<EscalationPolicy>("PATCH", `/escalation-policies/${enc(id)}`, { body }),
  deletePolicy: (id: string) => request<void>("DELETE", `/escalation-policies/${enc(id)}`),
};

export const escalations = {
  /** 404 until on-call has started escalating the incident. */
  get: (incidentId: string) => request<Escalation>("GET", `/escalations/${enc(incidentId)}`),
  /** Page the next level now (on-call's POST /escalate, through the gateway). */
  escalateNow: (incidentId: string) => request<Escalation>("POST", "/escalate", { body: { incident_id: incidentId } }),
};

export interface NotificationFilters {
  incident_id?: string;
  recipient?: string;
  channel?: string;
  status?: string;
  limit?: number;
  offset?: number;
}

export const notifications = {
  /** Admin only: stored at once (202, pending), delivered by the outbox worker. */
  notify: (body: { channel: string; recipient: string; subject: string; message: string; idempotency_key: string }) =>
    request<NotificationRecord>("POST", "/notify", { body }),
  get: (id: string) => request<NotificationRecord>("GET", `/notifications/${enc(id)}`),
  list: async (filters: NotificationFilters = {}): Promise<Page<NotificationRecord>> =>
    toPage<NotificationRecord>(
      await request("GET", "/notifications", { query: filters as Query }),
      filters.limit,
      filters.offset,
    ),
};

export const admin = {
  accounts: async () => toPage<Account>(await request("GET", "/accounts")).items,
  createAccount: (body: { username: string; password: string; role: Role }) =>
    request<Account>("POST", "/accounts", { body }),
  updateAccount: (id: string, body: { role?: Role; password?: string; disabled?: boolean }) =>
    request<Account>("PATCH", `/accounts/${enc(id)}`, { body }),
  deleteAccount: (id: string) => request<void>("DELETE", `/accounts/${enc(id)}`),
  apiKeys: async () => toPage<ApiKey>(await request("GET", "/api-keys")).items,
  createApiKey: (body: { name: string; role: Role | null; permissions: string[]; expires_at?: string | null }) =>
    request<ApiKey>("POST", "/api-keys", { body }),
  revokeApiKey: (id: string) => request<void>("DELETE", `/api-keys/${enc(id)}`),
  audit: async (filters: { actor?: string; action?: string; limit: number; offset: number }) =>
    toPage<AuditEntry>(await request("GET", "/audit", { query: filters }), filters.limit, filters.offset),
};

export const integrations = {
  list: async () => (await request<{ items: Integration[]; total: number }>("GET", "/integrations")).items,
  create: (body: IntegrationCreate) => request<IntegrationWithKey>("POST", "/integrations", { body }),
  update: (id: string, body: Partial<IntegrationCreate>) =>
    request<Integration>("PATCH", `/integrations/${enc(id)}`, { body }),
  rotateKey: (id: string) => request<IntegrationWithKey>("POST", `/integrations/${enc(id)}/rotate-key`),
  remove: (id: string) => request<void>("DELETE", `/integrations/${enc(id)}`),
};

type Items<T> = { items: T[]; total: number };

export const silences = {
  list: async (status?: SilenceStatus) =>
    (await request<Items<Silence>>("GET", "/silences", { query: { status } })).items,
  create: (body: SilenceCreate) => request<Silence>("POST", "/silences", { body }),
  expire: (id: string) => request<Silence>("POST", `/silences/${enc(id)}/expire`),
};

export const maintenanceWindows = {
  list: async () => (await request<Items<MaintenanceWindow>>("GET", "/maintenance-windows")).items,
  create: (body: MaintenanceWindowCreate) => request<MaintenanceWindow>("POST", "/maintenance-windows", { body }),
  remove: (id: string) => request<void>("DELETE", `/maintenance-windows/${enc(id)}`),
};

export const heartbeats = {
  list: async () => (await request<Items<Heartbeat>>("GET", "/heartbeats")).items,
  create: (body: HeartbeatCreate) => request<Heartbeat>("POST", "/heartbeats", { body }),
  rotateKey: (id: string) => request<Heartbeat>("POST", `/heartbeats/${enc(id)}/rotate-key`),
  remove: (id: string) => request<void>("DELETE", `/heartbeats/${enc(id)}`),
};
