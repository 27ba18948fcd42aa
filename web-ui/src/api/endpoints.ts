// Every call the console makes, in one place: each is an openapi-fetch call on a path of the
// generated `paths` (a path, a parameter or a body the gateway does not serve fails to compile),
// unwrapped by `ok()` into the body or an ApiError. Pages read them through `useApiQuery`
// (hooks.ts) under a query key that starts with the group's name below, and invalidate that key
// after a change. Casts (`as`) mark the answers whose OpenAPI schema is looser than the console's
// type (see types.ts).
import { toPage } from "./client";
import { api, ok } from "./http";
import type { components, operations } from "./openapi";
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
  RoutingCatchAll,
  RoutingChange,
  RoutingOutcome,
  RoutingRule,
  RoutingRuleCreate,
  RoutingRuleList,
  RoutingTest,
  Silence,
  SilenceCreate,
  SilenceStatus,
  TimeSeries,
  TopServices,
  UserShift,
  PolicyCreate,
  SchedulePreviewRequest,
  ShiftPreview,
  TeamCreate,
  UserCreate,
} from "./types";
import type { ContactMethodTest, NotificationRulesIn, NotificationRulesRead } from "./types";

type Schemas = components["schemas"];
// Request bodies whose defaulted fields the generated types mark as required: the server fills them.
type AccountCreate = Schemas["AccountCreate"];
type ApiKeyCreate = Schemas["ApiKeyCreate"];
type ScheduleUpdate = Schemas["ScheduleUpdate"];
type EscalationPolicyCreate = Schemas["PolicyCreate"];
type EscalationPolicyUpdate = Schemas["PolicyUpdate"];
type NotifyBody = Schemas["NotificationCreate"];
type NotificationQuery = operations["list_notifications_api_v1_notifications_get"]["parameters"]["query"];


export const auth = {
  login: (username: string, password: string) =>
    ok(api.POST("/api/v1/auth/login", { body: { username, password } })) as Promise<LoginResponse>,
  me: () => ok(api.GET("/api/v1/auth/me")) as Promise<Me>,
  changePassword: (current_password: string, new_password: string) =>
    ok(api.POST("/api/v1/auth/change-password", { body: { current_password, new_password } })),
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
// The filters come from the URL as typed: a value the server does not know gets its 422, shown.
type IncidentQuery = operations["list_incidents_api_v1_incidents_get"]["parameters"]["query"];
type AlertQuery = operations["get_alerts_api_v1_alerts_get"]["parameters"]["query"];

const incidentPath = (id: string) => ({ params: { path: { incident_id: id } } });

export const incidents = {
  list: async ({ severity, ...filters }: IncidentFilters = {}): Promise<Page<Incident>> =>
    toPage<Incident>(
      await ok(api.GET("/api/v1/incidents", { params: { query: { ...filters, severity: severity ? [severity] : undefined } as IncidentQuery } })),
      filters.limit,
      filters.offset,
    ),
  get: (id: string) => ok(api.GET("/api/v1/incidents/{incident_id}", incidentPath(id))) as Promise<IncidentDetail>,
  metrics: (id: string) => ok(api.GET("/api/v1/incidents/{incident_id}/metrics", incidentPath(id))),
  /** Older alerts of the incident, page by page (the detail carries the newest 50). */
  alerts: (id: string, cursor: string) =>
    ok(
      api.GET("/api/v1/incidents/{incident_id}/alerts", {
        params: { path: { incident_id: id }, query: { cursor, limit: 100 } },
      }),
    ) as Promise<IncidentAlertPage>,
  update: (id: string, change: { status?: IncidentStatus; assignee?: string | null; notes?: string }) =>
    ok(api.PATCH("/api/v1/incidents/{incident_id}", { ...incidentPath(id), body: change })) as Promise<IncidentDetail>,
  /** Acknowledge or resolve many at once: one request, a result per incident (200 / 404 / 409). */
  bulk: (action: "acknowledge" | "resolve", incident_ids: string[]) =>
    ok(api.POST("/api/v1/incidents/bulk", { body: { action, incident_ids } })) as Promise<BulkResult>,
  summary: (query: StatsRange = {}) =>
    ok(api.GET("/api/v1/incidents/stats/summary", { params: { query } })) as Promise<StatsSummary>,
  timeseries: (query: StatsRange & { bucket: StatsBucket }) =>
    ok(api.GET("/api/v1/incidents/stats/timeseries", { params: { query } })) as Promise<TimeSeries>,
  byGroup: (query: StatsRange & { by: "team" | "service"; limit?: number }) =>
    ok(api.GET("/api/v1/incidents/stats/by-group", { params: { query } })) as Promise<GroupStatsPage>,
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
    toPage<Alert>(await ok(api.GET("/api/v1/alerts", { params: { query: filters as AlertQuery } })), filters.limit),
  timeseries: (query: StatsRange & { bucket: StatsBucket }) =>
    ok(api.GET("/api/v1/alerts/stats/timeseries", { params: { query } })) as Promise<TimeSeries>,
  topServices: (query: StatsRange & { limit?: number }) =>
    ok(api.GET("/api/v1/alerts/stats/top-services", { params: { query } })) as Promise<TopServices>,
};

const schedulePath = (id: string) => ({ params: { path: { schedule_id: id } } });
const policyPath = (id: string) => ({ params: { path: { policy_id: id } } });

export const oncall = {
  teams: async () => toPage<Team>(await ok(api.GET("/api/v1/teams", { params: { query: { limit: 100 } } }))).items,
  users: async () => toPage<OncallUser>(await ok(api.GET("/api/v1/users", { params: { query: { limit: 100 } } }))).items,
  user: (id: string) => ok(api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: id } } })) as Promise<OncallUser>,
  current: (team: string) => ok(api.GET("/api/v1/oncall/current", { params: { query: { team } } })) as Promise<OncallCurrent>,
  schedules: async () =>
    toPage<Schedule>(await ok(api.GET("/api/v1/schedules", { params: { query: { limit: 100 } } }))).items,
  createSchedule: (body: ScheduleCreate) => ok(api.POST("/api/v1/schedules", { body })) as Promise<Schedule>,
  updateSchedule: (id: string, body: unknown) =>
    ok(api.PATCH("/api/v1/schedules/{schedule_id}", { ...schedulePath(id), body: body as ScheduleUpdate })) as Promise<Schedule>,
  shifts: (id: string, from: string, to: string) =>
    ok(
      api.GET("/api/v1/schedules/{schedule_id}/shifts", { params: { path: { schedule_id: id }, query: { from, to } } }),
    ) as Promise<ShiftList>,
  /** One person's shifts across every schedule in [from, to) (at most 92 days). */
  userShifts: async (userId: string, from: string, to: string) =>
    toPage<UserShift>(await ok(api.GET("/api/v1/oncall/shifts", { params: { query: { user_id: userId, from, to } } }))).items,
  deleteSchedule: (id: string) => ok(api.DELETE("/api/v1/schedules/{schedule_id}", schedulePath(id))),
  addOverride: (scheduleId: string, body: OverrideCreate) =>
    ok(api.POST("/api/v1/schedules/{schedule_id}/overrides", { ...schedulePath(scheduleId), body })),
  /** The schedule's overrides that end after `from` (every one without it). */
  overrides: async (scheduleId: string, from?: string) =>
    toPage<Override>(
      await ok(api.GET("/api/v1/schedules/{schedule_id}/overrides", { params: { path: { schedule_id: scheduleId }, query: { from } } })),
    ).items,
  deleteOverride: (scheduleId: string, id: string) =>
    ok(
      api.DELETE("/api/v1/schedules/{schedule_id}/overrides/{override_id}", {
        params: { path: { schedule_id: scheduleId, override_id: id } },
      }),
    ),
  policies: async () =>
    toPage<EscalationPolicy>(await ok(api.GET("/api/v1/escalation-policies", { params: { query: { limit: 100 } } })))
      .items,
  createPolicy: (body: unknown) =>
    ok(api.POST("/api/v1/escalation-policies", { body: body as EscalationPolicyCreate })) as Promise<EscalationPolicy>,
  updatePolicy: (id: string, body: unknown) =>
    ok(
      api.PATCH("/api/v1/escalation-policies/{policy_id}", { ...policyPath(id), body: body as EscalationPolicyUpdate }),
    ) as Promise<EscalationPolicy>,
  deletePolicy: (id: string) => ok(api.DELETE("/api/v1/escalation-policies/{policy_id}", policyPath(id))),
};

// ---- On-call set-up forms (issue #15): people, teams, the schedule preview, the account link.
const userPath = (id: string) => ({ params: { path: { user_id: id } } });
const teamPath = (team: string) => ({ params: { path: { team } } });

export const oncallSetup = {
  createUser: (body: UserCreate) => ok(api.POST("/api/v1/users", { body: body as Schemas["UserCreate"] })) as Promise<OncallUser>,
  updateUser: (id: string, body: Partial<UserCreate>) =>
    ok(api.PATCH("/api/v1/users/{user_id}", { ...userPath(id), body: body as Schemas["UserUpdate"] })) as Promise<OncallUser>,
  deleteUser: (id: string) => ok(api.DELETE("/api/v1/users/{user_id}", userPath(id))),
  /** The on-call person linked to a console account (none: null). */
  userOfAccount: async (username: string) =>
    toPage<OncallUser>(await ok(api.GET("/api/v1/users", { params: { query: { console_account: username, limit: 1 } } })))
      .items[0] ?? null,
  createTeam: (body: TeamCreate) => ok(api.POST("/api/v1/teams", { body: body as Schemas["TeamCreate"] })) as Promise<Team>,
  updateTeam: (team: string, body: { name?: string; description?: string }) =>
    ok(api.PATCH("/api/v1/teams/{team}", { ...teamPath(team), body: body as Schemas["TeamUpdate"] })) as Promise<Team>,
  deleteTeam: (team: string) => ok(api.DELETE("/api/v1/teams/{team}", teamPath(team))),
  addMember: (team: string, userId: string) =>
    ok(api.POST("/api/v1/teams/{team}/members", { ...teamPath(team), body: { user_id: userId } as Schemas["TeamMemberIn"] })) as Promise<Team>,
  removeMember: (team: string, userId: string) =>
    ok(api.DELETE("/api/v1/teams/{team}/members/{user_id}", { params: { path: { team, user_id: userId } } })),
  previewSchedule: (body: SchedulePreviewRequest) =>
    ok(api.POST("/api/v1/schedules/preview", { body: body as Schemas["SchedulePreviewIn"] })) as Promise<ShiftPreview>,
  createSchedule: (body: ScheduleCreate) =>
    ok(api.POST("/api/v1/schedules", { body: body as Schemas["ScheduleCreate"] })) as Promise<Schedule>,
  updateSchedule: (id: string, body: ScheduleUpdate) =>
    ok(api.PATCH("/api/v1/schedules/{schedule_id}", { params: { path: { schedule_id: id } }, body })) as Promise<Schedule>,
  createPolicy: (body: PolicyCreate) =>
    ok(api.POST("/api/v1/escalation-policies", { body: body as EscalationPolicyCreate })) as Promise<EscalationPolicy>,
  updatePolicy: (id: string, body: Omit<PolicyCreate, "team">) =>
    ok(
      api.PATCH("/api/v1/escalation-policies/{policy_id}", { ...policyPath(id), body: body as EscalationPolicyUpdate }),
    ) as Promise<EscalationPolicy>,
};

export const escalations = {
  /** 404 until on-call has started escalating the incident. */
  get: (incidentId: string) =>
    ok(api.GET("/api/v1/escalations/{incident_id}", { params: { path: { incident_id: incidentId } } })) as Promise<Escalation>,
  /** Page the next level now (on-call's POST /escalate, through the gateway). */
  escalateNow: (incidentId: string) =>
    ok(api.POST("/api/v1/escalate", { body: { incident_id: incidentId } })) as Promise<Escalation>,
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
    ok(api.POST("/api/v1/notify", { body: body as NotifyBody })) as Promise<NotificationRecord>,
  get: (id: string) =>
    ok(api.GET("/api/v1/notifications/{notification_id}", { params: { path: { notification_id: id } } })) as Promise<NotificationRecord>,
  list: async (filters: NotificationFilters = {}): Promise<Page<NotificationRecord>> =>
    toPage<NotificationRecord>(
      await ok(api.GET("/api/v1/notifications", { params: { query: filters as NotificationQuery } })),
      filters.limit,
      filters.offset,
    ),
};

const accountPath = (id: string) => ({ params: { path: { account_id: id } } });

export const admin = {
  accounts: async () => toPage<Account>(await ok(api.GET("/api/v1/accounts"))).items,
  createAccount: (body: { username: string; password: string; role: Role }) =>
    ok(api.POST("/api/v1/accounts", { body: body as AccountCreate })) as Promise<Account>,
  updateAccount: (id: string, body: { role?: Role; password?: string; disabled?: boolean }) =>
    ok(api.PATCH("/api/v1/accounts/{account_id}", { ...accountPath(id), body })) as Promise<Account>,
  deleteAccount: (id: string) => ok(api.DELETE("/api/v1/accounts/{account_id}", accountPath(id))),
  apiKeys: async () => toPage<ApiKey>(await ok(api.GET("/api/v1/api-keys"))).items,
  createApiKey: (body: { name: string; role: Role | null; permissions: string[]; expires_at?: string | null }) =>
    ok(api.POST("/api/v1/api-keys", { body: body as ApiKeyCreate })) as Promise<ApiKey>,
  revokeApiKey: (id: string) => ok(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: id } } })),
  audit: async (filters: { actor?: string; action?: string; limit: number; offset: number }) =>
    toPage<AuditEntry>(await ok(api.GET("/api/v1/audit", { params: { query: filters } })), filters.limit, filters.offset),
};

const integrationPath = (id: string) => ({ params: { path: { integration_id: id } } });

export const integrations = {
  list: async () => (await ok(api.GET("/api/v1/integrations"))).items as Integration[],
  create: (body: IntegrationCreate) => ok(api.POST("/api/v1/integrations", { body })) as Promise<IntegrationWithKey>,
  update: (id: string, body: Partial<IntegrationCreate>) =>
    ok(api.PATCH("/api/v1/integrations/{integration_id}", { ...integrationPath(id), body })) as Promise<Integration>,
  rotateKey: (id: string) =>
    ok(api.POST("/api/v1/integrations/{integration_id}/rotate-key", integrationPath(id))) as Promise<IntegrationWithKey>,
  remove: (id: string) => ok(api.DELETE("/api/v1/integrations/{integration_id}", integrationPath(id))),
};

export const silences = {
  list: async (status?: SilenceStatus) =>
    (await ok(api.GET("/api/v1/silences", { params: { query: { status } } }))).items as Silence[],
  create: (body: SilenceCreate) => ok(api.POST("/api/v1/silences", { body })) as Promise<Silence>,
  expire: (id: string) =>
    ok(api.POST("/api/v1/silences/{silence_id}/expire", { params: { path: { silence_id: id } } })) as Promise<Silence>,
};

export const maintenanceWindows = {
  list: async () => (await ok(api.GET("/api/v1/maintenance-windows"))).items as MaintenanceWindow[],
  create: (body: MaintenanceWindowCreate) =>
    ok(api.POST("/api/v1/maintenance-windows", { body })) as Promise<MaintenanceWindow>,
  remove: (id: string) =>
    ok(api.DELETE("/api/v1/maintenance-windows/{window_id}", { params: { path: { window_id: id } } })),
};

const heartbeatPath = (id: string) => ({ params: { path: { heartbeat_id: id } } });

export const heartbeats = {
  list: async () => (await ok(api.GET("/api/v1/heartbeats"))).items as Heartbeat[],
  create: (body: HeartbeatCreate) => ok(api.POST("/api/v1/heartbeats", { body })) as Promise<Heartbeat>,
  rotateKey: (id: string) =>
    ok(api.POST("/api/v1/heartbeats/{heartbeat_id}/rotate-key", heartbeatPath(id))) as Promise<Heartbeat>,
  remove: (id: string) => ok(api.DELETE("/api/v1/heartbeats/{heartbeat_id}", heartbeatPath(id))),
};

// Personal notification rules (issue 16, oncall-escalation): anyone reads them, an admin edits
// them; a responder may send a test notification to one contact method (queued, 202).
export const notificationRules = {
  get: (userId: string) =>
    ok(api.GET("/api/v1/users/{user_id}/notification-rules", userPath(userId))) as Promise<NotificationRulesRead>,
  replace: (userId: string, body: NotificationRulesIn) =>
    ok(
      api.PUT("/api/v1/users/{user_id}/notification-rules", { ...userPath(userId), body: body as Schemas["NotificationRulesIn"] }),
    ) as Promise<NotificationRulesRead>,
  testContactMethod: (userId: string, contactMethodId: string) =>
    ok(
      api.POST("/api/v1/users/{user_id}/contact-methods/{contact_method_id}/test", {
        params: { path: { user_id: userId, contact_method_id: contactMethodId } },
      }),
    ) as Promise<ContactMethodTest>,
};

// Routing rules (issue 16): the ordered rules, the catch-all team, the try-it box.
const rulePath = (id: string) => ({ params: { path: { rule_id: id } } });

export const routingRules = {
  list: () => ok(api.GET("/api/v1/routing-rules")) as Promise<RoutingRuleList>,
  create: (body: RoutingRuleCreate) =>
    ok(api.POST("/api/v1/routing-rules", { body: body as Schemas["RuleCreate"] })) as Promise<RoutingRule>,
  replace: (id: string, body: RoutingRuleCreate) =>
    ok(api.PUT("/api/v1/routing-rules/{rule_id}", { ...rulePath(id), body: body as Schemas["RuleCreate"] })) as Promise<RoutingRule>,
  remove: (id: string) => ok(api.DELETE("/api/v1/routing-rules/{rule_id}", rulePath(id))),
  reorder: (ids: string[]) => ok(api.PUT("/api/v1/routing-rules/order", { body: { ids } })) as Promise<RoutingRuleList>,
  setCatchAll: (team: string | null) =>
    ok(api.PUT("/api/v1/routing-rules/catch-all", { body: { team } })) as Promise<RoutingCatchAll>,
  history: async () =>
    ((await ok(api.GET("/api/v1/routing-rules/history", { params: { query: { limit: 20 } } }))) as { items: RoutingChange[] }).items,
  test: (body: RoutingTest) =>
    ok(api.POST("/api/v1/routing-rules/test", { body: body })) as Promise<RoutingOutcome>,
};
