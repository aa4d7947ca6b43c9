export { type ProxyClusterOptions, type RunningProxyCluster, startProxyCluster } from './cluster-primary.js';
export {
  type BodyLimits,
  ConfigError,
  type ConfigLayer,
  DEFAULT_UPSTREAMS,
  type LimitsInput,
  type LogLevel,
  mergeConfig,
  type ProxyConfig,
  type ProxyConfigInput,
  type ProxySettings,
  readConfigFile,
  resolveConfig,
  type StreamUsageMode,
  type Timeouts,
  type Upstream,
} from './config.js';
export { missingNodeOptions, PROXY_NODE_OPTIONS } from './node-options.js';
export { type RunningProxy, type StartProxyOptions, startProxy } from './proxy-server.js';
export { ClusterMetricsError, type ClusterMetricsView, drainRequested, joinProxyCluster } from './worker-metrics.js';
