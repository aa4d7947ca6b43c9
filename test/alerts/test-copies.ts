import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEPLOY_DIR, PROMETHEUS_DIR } from '../deploy/tools.js';

/**
 * Test copies of the shipped deploy files, derived from them programmatically so that the end-to-end test runs
 * the real expressions, routes, receivers and templates. Only what would make a test take hours, or send mail to
 * example.com, changes; each change is listed where it is made.
 */

export const ALERTMANAGER_DIR = join(DEPLOY_DIR, 'alertmanager');
export const ALERTMANAGER_CONFIG = join(ALERTMANAGER_DIR, 'alertmanager.yml');

/** The window every range selector gets in the test rules: ten 1 s scrapes. */
export const TEST_RANGE = '10s';
/** The `for` of every test alert: three 1 s evaluations. */
export const TEST_FOR = '3s';

/**
 * The rule file at `path` with shorter time spans, as YAML text. Changes, and only these:
 * - every range selector (`[5m]`, `[1h]`) becomes `[10s]`, so a rate reflects the last 10 s of 1 s scrapes
 *   instead of minutes of 15 s ones. Recorded names keep their `rate5m`, `p95_5m`, `rate1h`: the alerts refer to
 *   them by name. Thresholds, traffic guards (calls per second) and label matchers are untouched.
 * - every `for:` becomes `3s`, instead of 5 or 10 minutes.
 */
export async function testRuleFile(path: string): Promise<string> {
  const document = record(parse(await readFile(path, 'utf8')), path);
  for (const group of list(document.groups, `${path} groups`)) {
    for (const rule of list(record(group, `${path} group`).rules, `${path} rules`)) {
      const fields = record(rule, `${path} rule`);
      const expr = fields.expr;
      if (typeof expr !== 'string') throw new Error(`${path}: a rule without an expr`);
      fields.expr = expr.replace(/\[\d+[smhdwy]\]/g, `[${TEST_RANGE}]`);
      if (fields.for !== undefined) fields.for = TEST_FOR;
    }
  }
  return stringify(document);
}

/** Where the test's Prometheus finds its parts. */
export interface PrometheusTestParts {
  /** File name in deploy/prometheus (as `rule_files` lists it) → path of its test copy. */
  ruleFiles: Readonly<Record<string, string>>;
  /** `host:port` of the test Alertmanager. */
  alertmanager: string;
  /** `host:port` of the proxy under test. */
  proxy: string;
}

/**
 * deploy/prometheus/prometheus.yml as the test runs it. Changes:
 * - scrape and evaluation every 1 s instead of 15 s;
 * - `rule_files` point at the test copies of the same files ({@link testRuleFile});
 * - the `alerting` targets are the test Alertmanager instead of localhost:9093;
 * - the `llmeter-proxy` job scrapes the test proxy; the other example job (an SDK app) is dropped: no app runs.
 */
export async function testPrometheusConfig(parts: PrometheusTestParts): Promise<string> {
  const path = join(PROMETHEUS_DIR, 'prometheus.yml');
  const config = record(parse(await readFile(path, 'utf8')), path);
  const global = record(config.global, `${path} global`);
  global.scrape_interval = '1s';
  global.evaluation_interval = '1s';
  config.rule_files = list(config.rule_files, `${path} rule_files`).map((file) => {
    const copy = typeof file === 'string' ? parts.ruleFiles[file] : undefined;
    if (copy === undefined) throw new Error(`${path}: no test copy of rule file ${String(file)}`);
    return copy;
  });
  const alerting = record(config.alerting, `${path} alerting`);
  const alertmanagers = list(alerting.alertmanagers, `${path} alertmanagers`);
  if (alertmanagers.length === 0) throw new Error(`${path}: alerting lists no Alertmanager`);
  for (const alertmanager of alertmanagers) {
    for (const staticConfig of list(record(alertmanager, `${path} alertmanager`).static_configs, path)) {
      record(staticConfig, `${path} static_config`).targets = [parts.alertmanager];
    }
  }
  const proxyJob = list(config.scrape_configs, `${path} scrape_configs`)
    .map((job) => record(job, `${path} scrape config`))
    .find((job) => job.job_name === 'llmeter-proxy');
  if (proxyJob === undefined) throw new Error(`${path}: no llmeter-proxy scrape job`);
  proxyJob.static_configs = [{ targets: [parts.proxy] }];
  config.scrape_configs = [proxyJob];
  return stringify(config);
}

/** The stand-ins the test Alertmanager notifies. */
export interface AlertmanagerTestParts {
  /** Base URL of the stand-in for Slack's incoming webhooks. */
  slackUrl: string;
  /** Base URL of the generic webhook receiver. */
  webhookUrl: string;
  /** `host:port` of the SMTP server. */
  smtp: string;
}

/**
 * deploy/alertmanager/alertmanager.yml as the test runs it. Changes:
 * - the SMTP relay is the local test server, which offers neither TLS nor AUTH: `smtp_require_tls: false`, and no
 *   `smtp_auth_*` (their password file does not exist here);
 * - each Slack `api_url` becomes `<slackUrl>/slack/<receiver name>` and each webhook `url`
 *   `<webhookUrl>/webhook/<receiver name>`, so the test sees which receiver sent what; e-mail addresses are kept
 *   (the test server accepts any);
 * - every route waits `group_wait: 1s`, `group_interval: 1s` instead of 10–30 s and 5 min, and `repeat_interval: 2m`
 *   instead of 1–24 h: still longer than the test, so that each alert's firing and its resolution are notified
 *   exactly once and the test can count them;
 * - `templates` are the shipped ones, by absolute path (the copy lives in a temporary directory).
 */
export async function testAlertmanagerConfig(parts: AlertmanagerTestParts): Promise<string> {
  const path = ALERTMANAGER_CONFIG;
  const config = record(parse(await readFile(path, 'utf8')), path);
  const global = record(config.global, `${path} global`);
  global.smtp_smarthost = parts.smtp;
  global.smtp_require_tls = false;
  for (const key of Object.keys(global)) if (key.startsWith('smtp_auth_')) delete global[key];

  config.templates = list(config.templates, `${path} templates`).map((glob) => resolve(ALERTMANAGER_DIR, String(glob)));

  const retime = (route: Record<string, unknown>, isRoot: boolean): void => {
    for (const [key, value] of Object.entries({ group_wait: '1s', group_interval: '1s', repeat_interval: '2m' })) {
      if (isRoot || route[key] !== undefined) route[key] = value;
    }
    for (const child of route.routes === undefined ? [] : list(route.routes, `${path} routes`)) {
      retime(record(child, `${path} route`), false);
    }
  };
  retime(record(config.route, `${path} route`), true);

  for (const receiver of list(config.receivers, `${path} receivers`)) {
    const fields = record(receiver, `${path} receiver`);
    const name = String(fields.name);
    for (const slack of fields.slack_configs === undefined ? [] : list(fields.slack_configs, path)) {
      const slackConfig = record(slack, `${path} slack_config`);
      delete slackConfig.api_url_file;
      slackConfig.api_url = `${parts.slackUrl}/slack/${name}`;
    }
    for (const webhook of fields.webhook_configs === undefined ? [] : list(fields.webhook_configs, path)) {
      record(webhook, `${path} webhook_config`).url = `${parts.webhookUrl}/webhook/${name}`;
    }
  }
  return stringify(config);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: not a mapping`);
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: not a list`);
  return value;
}
