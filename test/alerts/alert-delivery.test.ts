import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../deploy/tools.js';
import { AlertChain, ONCALL_MAIL, oncall as oncallOf, PROVIDER } from './alert-chain.js';
import { byKey, type Notification, type SlackMessage, type WebhookMessage } from './notifications.js';
import { type LaneCall, sendCall, TrafficLane } from './traffic-lane.js';

/*
 * llmeter's alerts reach people, with real parts: clients → llmeter proxy → simulated upstream; a real Prometheus
 * scrapes the proxy and evaluates the shipped rules (test copies with 10 s windows and `for: 3s`, see
 * test-copies.ts); it sends alerts to a real Alertmanager running the shipped alertmanager.yml and templates, which
 * notifies a stand-in for Slack's incoming webhook, a webhook receiver and a real SMTP server (aiosmtpd).
 *
 * The models, all behind the upstream named `openai`:
 * - gpt-4o-mini: healthy traffic for the whole test, 20 calls/s with 1 in 100 failing (1 %, under the 5 %
 *   threshold) and streams whose first token takes 0.2 s (under 5 s). It must never be notified.
 * - gpt-4.1-mini: every call fails (HTTP 500) in the second phase, none in the third. LLMHighErrorRatio.
 * - gpt-4o: streams whose first token takes 5.5 s in the second phase, 0.2 s in the third.
 *   LLMHighTimeToFirstTokenP95. Every first token falls in the (5, 7.5] s bucket, so p95 is 5 + 0.95 × 2.5.
 * - acme-finetune-7b: 3 calls in the second phase; no price is known. LLMUnpricedModel, severity info, which the
 *   config routes to Slack #llm-info only.
 */

const QUIET = 'gpt-4o-mini';
const FAILING = 'gpt-4.1-mini';
const SLOW = 'gpt-4o';
const UNPRICED = 'acme-finetune-7b';

const quietCall = (index: number): LaneCall => ({
  model: QUIET,
  stream: false,
  reply: index % 100 === 0 ? { status: 500 } : {},
});
const streamCall = (model: string, firstChunkDelayMs: number) => (): LaneCall => ({
  model,
  stream: true,
  reply: { firstChunkDelayMs },
});

describe('alerts reach people: proxy → Prometheus → Alertmanager → Slack, e-mail, webhook', () => {
  let chain: AlertChain | undefined;
  const lanes: TrafficLane[] = [];

  beforeAll(async () => {
    chain = await AlertChain.start();
  }, 60_000);

  afterAll(async () => {
    chain?.lanes.push(...lanes);
    await chain?.stop();
  });

  const notifications = async (): Promise<Notification[]> => (await chain?.notifications()) ?? [];
  const waitForNotifications = async (expected: readonly Notification[], timeoutMs: number): Promise<void> =>
    chain?.waitForNotifications(expected, timeoutMs);
  const query = async (expr: string) => (await chain?.query(expr)) ?? [];

  const oncall = (alertname: string, model: string, status: Notification['status']): Notification[] =>
    oncallOf(alertname, `${PROVIDER}/${model}`, status);
  const unpricedToInfo: Notification = {
    via: 'slack',
    to: 'llmeter-info',
    status: 'firing',
    alertname: 'LLMUnpricedModel',
    target: `${PROVIDER}/${UNPRICED}`,
  };

  it('traffic under the thresholds, with some failures, notifies nobody', async () => {
    const url = chain?.proxy.url ?? '';
    lanes.push(new TrafficLane(url, 50, quietCall).start(), new TrafficLane(url, 500, streamCall(QUIET, 200)).start());

    // The error ratio becomes visible once the failure counter increased between two scrapes (the 101st call);
    // then it has to stay under 5 % for longer than `for` plus Alertmanager's group_wait to prove anything.
    const ratio = await chain?.waitForValue(
      `model:llm_request_error_ratio:rate5m{model="${QUIET}"} > 0`,
      20_000,
      'a non-zero error ratio of the quiet model',
    );
    expect(ratio).toBeLessThan(0.05);
    await sleep(8000);

    // Not even pending at any point, for any model.
    expect(await query('count_over_time(ALERTS[1m])')).toEqual([]);
    expect(await notifications()).toEqual([]);
    const [quietRequests] = await query(`sum(llm_requests_total{model="${QUIET}"})`);
    expect(quietRequests?.value).toBeGreaterThan(100);
  }, 45_000);

  it('failures and slow first tokens reach Slack, e-mail and the webhook; an unpriced model reaches #llm-info only', async () => {
    const url = chain?.proxy.url ?? '';
    lanes.push(
      new TrafficLane(url, 100, () => ({ model: FAILING, stream: false, reply: { status: 500 } })).start(),
      new TrafficLane(url, 400, streamCall(SLOW, 5500)).start(),
    );
    for (let i = 0; i < 3; i++) {
      expect(await sendCall(url, { model: UNPRICED, stream: false, reply: {} })).toBe(200);
    }

    await waitForNotifications(
      [
        ...oncall('LLMHighErrorRatio', FAILING, 'firing'),
        ...oncall('LLMHighTimeToFirstTokenP95', SLOW, 'firing'),
        unpricedToInfo,
      ],
      50_000,
    );

    // Slack: the channel of the route, the alert, the model and the measured value.
    const slackMessages = (chain?.slack.requests ?? []).map((request) => request.json as SlackMessage);
    const slackFor = (title: string) => slackMessages.find((message) => message.attachments?.[0]?.title === title);
    expect(slackFor(`[FIRING:1] LLMHighErrorRatio ${PROVIDER}/${FAILING}`)).toMatchObject({
      channel: '#llm-alerts',
      username: 'llmeter',
      attachments: [{ color: 'warning' }],
    });
    expect(slackFor(`[FIRING:1] LLMHighErrorRatio ${PROVIDER}/${FAILING}`)?.attachments?.[0]?.text).toContain(
      `*LLMHighErrorRatio* (warning) model ${FAILING}, provider ${PROVIDER}\nLLM calls to ${FAILING} are failing\n` +
        `100% of calls to ${PROVIDER}/${FAILING} failed over the last 5 minutes.`,
    );
    expect(slackFor(`[FIRING:1] LLMHighTimeToFirstTokenP95 ${PROVIDER}/${SLOW}`)?.attachments?.[0]?.text).toContain(
      `p95 time to first token of streams from ${PROVIDER}/${SLOW} is 7.375s over the last 5 minutes.`,
    );
    expect(slackFor(`[FIRING:1] LLMUnpricedModel ${PROVIDER}/${UNPRICED}`)).toMatchObject({
      channel: '#llm-info',
      attachments: [{ color: '#439FE0' }],
    });
    expect(slackFor(`[FIRING:1] LLMUnpricedModel ${PROVIDER}/${UNPRICED}`)?.attachments?.[0]?.text).toContain(
      `${PROVIDER}/${UNPRICED} has no known price (3 calls since the process started)`,
    );

    // E-mail: subject names the alert and model; both the text and the HTML part carry the value.
    const mails = (await chain?.smtp.messages()) ?? [];
    const mail = mails.find((m) => m.subject === `[FIRING:1] LLMHighErrorRatio ${PROVIDER}/${FAILING}`);
    expect(mail?.headers.to).toBe(ONCALL_MAIL);
    expect(mail?.headers.from).toBe('llmeter-alerts@example.com');
    expect(mail?.text).toContain(
      `LLMHighErrorRatio (warning) model ${FAILING}, provider ${PROVIDER}\nLLM calls to ${FAILING} are failing\n` +
        `100% of calls to ${PROVIDER}/${FAILING} failed over the last 5 minutes.`,
    );
    expect(mail?.html).toContain(`<b>LLMHighErrorRatio</b> (warning, firing) model ${FAILING}, provider ${PROVIDER}`);
    expect(mail?.html).toContain(`100% of calls to ${PROVIDER}/${FAILING} failed over the last 5 minutes.`);

    // Webhook: Alertmanager's JSON, labels and annotations as the rule set them.
    const hook = (chain?.webhook.requests ?? [])
      .map((request) => request.json as WebhookMessage)
      .find((message) => message.commonLabels?.alertname === 'LLMHighErrorRatio');
    expect(hook).toMatchObject({
      version: '4',
      receiver: 'llmeter-oncall',
      status: 'firing',
      groupLabels: { alertname: 'LLMHighErrorRatio', provider: PROVIDER, model: FAILING },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'LLMHighErrorRatio', severity: 'warning', provider: PROVIDER, model: FAILING },
          annotations: {
            summary: `LLM calls to ${FAILING} are failing`,
            description: expect.stringContaining(`100% of calls to ${PROVIDER}/${FAILING} failed`),
          },
        },
      ],
    });
  }, 70_000);

  it('when the failures stop and first tokens are fast again, the resolved notifications arrive', async () => {
    const [, , failing, slow] = lanes;
    failing?.replan(() => ({ model: FAILING, stream: false, reply: {} }));
    slow?.replan(streamCall(SLOW, 200));

    await waitForNotifications(
      [...oncall('LLMHighErrorRatio', FAILING, 'resolved'), ...oncall('LLMHighTimeToFirstTokenP95', SLOW, 'resolved')],
      50_000,
    );

    const resolved = (chain?.slack.requests ?? [])
      .map((request) => request.json as SlackMessage)
      .find((message) => message.attachments?.[0]?.title === `[RESOLVED] LLMHighErrorRatio ${PROVIDER}/${FAILING}`);
    expect(resolved?.attachments?.[0]).toMatchObject({ color: 'good' });
    expect(resolved?.attachments?.[0]?.text).toContain('Resolved. Last measured: ');

    // Each state once, at each receiver of its route; nothing for the quiet model, the budget, or for the info
    // alert outside #llm-info.
    expect(await notifications()).toEqual(
      [
        ...oncall('LLMHighErrorRatio', FAILING, 'firing'),
        ...oncall('LLMHighErrorRatio', FAILING, 'resolved'),
        ...oncall('LLMHighTimeToFirstTokenP95', SLOW, 'firing'),
        ...oncall('LLMHighTimeToFirstTokenP95', SLOW, 'resolved'),
        unpricedToInfo,
      ].sort(byKey),
    );
    // The unpriced model stays unpriced until the proxy restarts with a price: still firing.
    expect((await query('ALERTS{alertstate="firing"}')).map((sample) => sample.labels.alertname)).toEqual([
      'LLMUnpricedModel',
    ]);
    for (const lane of lanes) expect(lane.counts.transportErrors).toEqual([]);
  }, 70_000);
});
