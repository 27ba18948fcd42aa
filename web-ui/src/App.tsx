import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider, useAuth } from "./auth";
import { Layout } from "./components/Layout";
import { queryClient } from "./hooks";
import { AlertsPage } from "./pages/AlertsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { IncidentDetailPage } from "./pages/IncidentDetailPage";
import { IncidentsPage } from "./pages/IncidentsPage";
import { LoginPage } from "./pages/LoginPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { MyOncallPage } from "./pages/MyOncallPage";
import { OncallPage } from "./pages/OncallPage";
import { PersonPage } from "./pages/PersonPage";
import { RoutingPage } from "./routing/RoutingPage";
import { SettingsPage } from "./pages/SettingsPage";
import { SilencesPage } from "./pages/SilencesPage";

export const ROUTER_FUTURE = { v7_startTransition: true, v7_relativeSplatPath: true };

function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  // The gateway answers nothing but `me` and change-password until the password is changed.
  if (session.user.must_change_password && location.pathname !== "/settings") {
    return <Navigate to="/settings" replace state={{ from: location.pathname + location.search }} />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="incidents" element={<IncidentsPage />} />
        <Route path="incidents/:id" element={<IncidentDetailPage />} />
        <Route path="alerts" element={<AlertsPage />} />
        <Route path="oncall" element={<OncallPage />} />
        <Route path="my-oncall" element={<MyOncallPage />} />
        <Route path="oncall/people/:id" element={<PersonPage />} />
        <Route path="silences" element={<SilencesPage />} />
        <Route path="routing" element={<RoutingPage />} />
        <Route path="notifications" element={<NotificationsPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<p>Page not found.</p>} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter future={ROUTER_FUTURE}>
          <AppRoutes />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}
