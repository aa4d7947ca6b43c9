import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type RunningProxy, type StartProxyOptions, startProxy } from '@llmeter/proxy';
import { type Simulator, startSimulator } from '@llmeter/simulator';
import { type PrometheusServer, RULE_FILES, sleep, startPrometheus } from '../deploy/tools.js';
import { type AlertmanagerServer, startAlertmanager } from '../support/alertmanager-server.js';
import { type RecordingServer, startRecordingServer } from '../support/http-recorder.js';
import { type SmtpServer, startSmtpServer } from '../support/smtp-server.js';
import { byKey, fromEmail, fromSlack, fromWebhook, type Notification } from './notifications.js';
import { testAlertmanagerConfig, testPrometheusConfig, testRuleFile } from './test-copies.js';
import type { TrafficLane } from './traffic-lane.js';

/** The upstream name every call of the alert tests goes through. */
export const PROVIDER = 'openai';
/** The e-mail recipient of the shipped `llmeter-oncall` receiver. */
export const ONCALL_MAIL = 'llm-oncall@example.com';

/** One sample of an instant query. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * The whole chain the alert tests run, with real parts: a simulated upstream, the llmeter proxy in front of it, a
 * real Prometheus scraping the proxy and evaluating test copies of the shipped rules (test-copies.ts), a real
 * Alertmanager running a test copy of the shipped config and templates, and the three receivers it notifies: a
 * stand-in for Slack's incoming webhook, a webhook receiver and a real SMTP server (aiosmtpd).
 */
export class AlertChain {
  /** Traffic the test started; {@link stop} stops it first. */
  readonly lanes: TrafficLane[] = [];

  private constructor(
    readonly simulator: Simulator,
    readonly proxy: RunningProxy,
    readonly slack: RecordingServer,
    readonly webhook: RecordingServer,
    readonly smtp: SmtpServer,
    readonly alertmanager: AlertmanagerServer,
    readonly prometheus: PrometheusServer,
    private readonly rulesDir: string,
  ) {}

  /**
   * Starts every part, the proxy with `proxyOptions` over the test's own (loopback, no dashboard, the simulator as
   * upstream {@link PROVIDER}), and resolves once Prometheus has scraped the proxy.
   */
  static async start(proxyOptions: StartProxyOptions = {}): Promise<AlertChain> {
    const simulator = await startSimulator();
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: 0,
      upstreams: { [PROVIDER]: simulator.url },
      logLevel: 'silent',
      dashboard: false,
      timeouts: { shutdownMs: 2000 },
      ...proxyOptions,
    });
    const slack = await startRecordingServer();
    const webhook = await startRecordingServer();
    const smtp = await startSmtpServer();
    const alertmanager = await startAlertmanager(
      await testAlertmanagerConfig({ slackUrl: slack.url, webhookUrl: webhook.url, smtp: `${smtp.host}:${smtp.port}` }),
    );
    const rulesDir = await mkdtemp(join(tmpdir(), 'llmeter-alert-rules-'));
    const ruleFiles: Record<string, string> = {};
    for (const file of RULE_FILES) {
      const copy = join(rulesDir, basename(file));
      await writeFile(copy, await testRuleFile(file));
      ruleFiles[basename(file)] = copy;
    }
    const prometheus = await startPrometheus(
      await testPrometheusConfig({
        ruleFiles,
        alertmanager: alertmanager.address,
        proxy: `${proxy.host}:${proxy.port}`,
      }),
    );
    const chain = new AlertChain(simulator, proxy, slack, webhook, smtp, alertmanager, prometheus, rulesDir);
    // Prometheus hands new targets to its scrapers every 5 s. Traffic that started before the first scrape
    // would make the first rates cover a second or two of calls, where one failure in ten reads as 10 %.
    await chain.waitForValue('up{job="llmeter-proxy"} == 1', 20_000, 'scrape of the proxy');
    return chain;
  }

  /** Stops the traffic, then every part. */
  async stop(): Promise<void> {
    // Stop sending first, close the upstream so that slow calls end now, then wait for the lanes to drain.
    const drained = Promise.all(this.lanes.map((lane) => lane.stop()));
    await this.simulator.close();
    await this.proxy.close();
    await drained;
    await Promise.all([
      this.prometheus.stop(),
      this.alertmanager.stop(),
      this.smtp.stop(),
      this.slack.close(),
      this.webhook.close(),
    ]);
    await rm(this.rulesDir, { recursive: true, force: true });
  }

  /** Every notification received so far, by any route, in a stable order. */
  async notifications(): Promise<Notification[]> {
    const mails = await this.smtp.messages();
    return [
      ...this.slack.requests.map(fromSlack),
      ...mails.map(fromEmail),
      ...this.webhook.requests.map(fromWebhook),
    ].sort(byKey);
  }

  /** Waits until every notification of `expected` arrived (others may have too), or fails after `timeoutMs`. */
  async waitForNotifications(expected: readonly Notification[], timeoutMs: number): Promise<void> {
    const key = (n: Notification) => JSON.stringify([n.via, n.to, n.status, n.alertname, n.target]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = new Set((await this.notifications()).map(key));
      const missing = expected.filter((n) => !seen.has(key(n)));
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `after ${timeoutMs} ms still missing ${JSON.stringify(missing)}; received ${JSON.stringify(await this.notifications())}` +
            `\nalertmanager log:\n${this.alertmanager.log()}`,
        );
      }
      await sleep(250);
    }
  }

  /** Prometheus' answer to an instant query, as label sets and values. */
  async query(expr: string): Promise<Sample[]> {
    const answer = await this.prometheus.query(expr);
    if (answer.status !== 'success') throw new Error(`${expr}: ${JSON.stringify(answer)}`);
    const result = (answer.data as { result: { metric: Record<string, string>; value: [number, string] }[] }).result;
    return result.map((sample) => ({ labels: sample.metric, value: Number(sample.value[1]) }));
  }

  /** Polls `expr` until it returns a sample, then returns its value; fails with `what` after `timeoutMs`. */
  async waitForValue(expr: string, timeoutMs: number, what: string): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [sample] = await this.query(expr);
      if (sample !== undefined) return sample.value;
      if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs} ms`);
      await sleep(250);
    }
  }
}

/** The notifications of one alert at the `llmeter-oncall` receiver: Slack #llm-alerts, e-mail and the webhook. */
export function oncall(alertname: string, target: string, status: Notification['status']): Notification[] {
  return [
    { via: 'slack', to: 'llmeter-oncall', status, alertname, target },
    { via: 'email', to: ONCALL_MAIL, status, alertname, target },
    { via: 'webhook', to: 'llmeter-oncall', status, alertname, target },
  ];
}
