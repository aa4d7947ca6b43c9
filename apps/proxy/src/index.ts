export {
  type BodyLimits,
  ConfigError,
  DEFAULT_UPSTREAMS,
  type LogLevel,
  type ProxyConfig,
  type ProxyConfigInput,
  readConfigFile,
  resolveConfig,
  type StreamUsageMode,
  type Timeouts,
  type Upstream,
} from './config.js';
export { type DashboardRoutesOptions, dashboardRoutes, mountDashboard } from './dashboard/dashboard-routes.js';
export { MetricsHistory, type MetricsHistoryOptions } from './dashboard/metrics-history.js';
export { type DemoOptions, type DemoResult, runDemo } from './demo/run-demo.js';
export { type MetricsSummary, type ModelSummary, summarizeMetrics } from './metrics-summary.js';
export { type RunningProxy, type StartProxyOptions, startProxy } from './proxy-server.js';
