export {
  createDashboard,
  type Dashboard,
  type DashboardHandler,
  type DashboardHistoryOptions,
  type DashboardOptions,
} from './create-dashboard.js';
export { type DashboardData, type DashboardDataQuery, readDashboardData } from './dashboard-data.js';
export {
  DASHBOARD_PATH,
  type DashboardRoutesOptions,
  dashboardRoutes,
  isDashboardRoute,
} from './dashboard-routes.js';
export {
  type ChartSeries,
  type HistoryQuery,
  type HistoryView,
  MetricsHistory,
  type MetricsHistoryOptions,
} from './metrics-history.js';
export { DashboardAssetError } from './page-assets.js';
export { DASHBOARD_CSP } from './page-headers.js';
export type { ChartPanel, ChartUnit } from './page-html.js';
export { type ProxyHealth, readProxyHealth } from './proxy-health-data.js';
