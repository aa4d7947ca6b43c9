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
export { type RunningProxy, type StartProxyOptions, startProxy } from './proxy-server.js';
