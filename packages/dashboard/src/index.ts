export {
  DASHBOARD_PATH,
  type DashboardData,
  type DashboardRoutesOptions,
  dashboardRoutes,
  isDashboardRoute,
  mountDashboard,
} from './dashboard-routes.js';
export {
  type ChartSeries,
  type HistoryQuery,
  type HistoryView,
  MetricsHistory,
  type MetricsHistoryOptions,
} from './metrics-history.js';
