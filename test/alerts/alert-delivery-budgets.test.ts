import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertChain, ONCALL_MAIL, oncall, PROVIDER } from './alert-chain.js';
import { monthEndWaitMs } from './month-end.js';
import { byKey, type Notification, type SlackMessage, type WebhookMessage } from './notifications.js';
import { type LaneCall, sendCall, TrafficLane } from './traffic-lane.js';

/*
 * The budget, rate-limit headroom and latency alerts reach people, through the same real chain as
 * alert-delivery.test.ts (alert-chain.ts): proxy → Prometheus (test copies of the rules: 10 s windows, `for: 3s`)
 * → Alertmanager (the shipped config and templates) → Slack stand-in, webhook, SMTP server.
 *
 * The proxy keeps three month budgets on `team` (a label header). Every budgeted call is to BUDGET_MODEL, priced
 * here at 10 USD per million tokens with 5 input and 5 output tokens: 0.0001 USD a call. (All traffic together
 * costs some 5 USD an hour, under LLMSpendOverBudget's 20: that alert must stay quiet.)
 * - team ads, 0.001 USD: 12 calls at once, 0.0012 USD, 120 %. LLMBudgetHalfSpent (info: Slack #llm-info only),
 *   LLMBudget80PercentSpent and LLMBudgetExhausted (warning: Slack #llm-alerts, e-mail, webhook).
 * - team growth, 0.2 USD: 5 calls/s, 0.0005 USD/s, so about 20 % spent by the end of the test, but on a 10 s pace
 *   the month ends over the budget (with more than 400 s of the month left: in a month's last ten minutes, the
 *   test waits for the next month, MONTH_END_MARGIN_MS). LLMBudgetForecastOverrun.
 * - team search, 1,000,000 USD: the same pace, under every share and forecast (0.0005 USD/s × 31 days is 1,339 USD).
 * And, without a team:
 * - gpt-4.1: the upstream reports 50,000 of its 1,000,000 tokens per minute left (5 %, under 10 %).
 *   LLMRateLimitHeadroomLow. gpt-4o-mini has the simulator's own, ample headroom.
 * - gpt-4o: calls that take 31 s, all in the duration bucket (20.48, 40.96], so p95 is 20.48 + 0.95 × 20.48,
 *   39.936 s ("39.94s" in the message). LLMHighLatencyP95 (threshold 30 s, the shipped one). gpt-4o-mini
 *   answers at once.
 */

const BUDGET_MODEL = 'llmeter-budget-model';
/** The forecast needs 400 s of the month left when it fires, and the test takes up to two minutes more. */
const MONTH_END_MARGIN_MS = 600_000;
const QUIET = 'gpt-4o-mini';
const SHORT_OF_TOKENS = 'gpt-4.1';
const SLOW = 'gpt-4o';

const budgetCall = (team: string) => (): LaneCall => ({
  model: BUDGET_MODEL,
  stream: false,
  reply: { usage: { input: 5, output: 5 } },
  labels: { team },
});

describe('budget, rate-limit headroom and latency alerts reach Slack, e-mail and the webhook', () => {
  let chain: AlertChain | undefined;

  beforeAll(async () => {
    const wait = monthEndWaitMs(new Date(), MONTH_END_MARGIN_MS);
    if (wait > 0) {
      console.log(
        `the month ends in less than ${MONTH_END_MARGIN_MS / 60_000} minutes: waiting ${wait} ms for the next`,
      );
      await sleep(wait);
    }
    chain = await AlertChain.start({
      labelHeaders: ['team'],
      prices: { [BUDGET_MODEL]: { input: 10, output: 10 } },
      budgets: [
        { labels: { team: 'ads' }, usd: 0.001, period: 'month' },
        { labels: { team: 'growth' }, usd: 0.2, period: 'month' },
        { labels: { team: 'search' }, usd: 1_000_000, period: 'month' },
      ],
    });
  }, 60_000 + MONTH_END_MARGIN_MS);

  afterAll(async () => {
    await chain?.stop();
  });

  const budgetToInfo: Notification = {
    via: 'slack',
    to: 'llmeter-info',
    status: 'firing',
    alertname: 'LLMBudgetHalfSpent',
    target: '',
  };
  const expected = [
    budgetToInfo,
    ...oncall('LLMBudget80PercentSpent', '', 'firing'),
    ...oncall('LLMBudgetExhausted', '', 'firing'),
    ...oncall('LLMBudgetForecastOverrun', '', 'firing'),
    ...oncall('LLMRateLimitHeadroomLow', `${PROVIDER}/${SHORT_OF_TOKENS}`, 'firing'),
    ...oncall('LLMHighLatencyP95', `${PROVIDER}/${SLOW}`, 'firing'),
  ];

  it('spend over budget shares, a budget forecast to run out, low headroom and slow calls arrive; the rest does not', async () => {
    if (chain === undefined) throw new Error('the chain did not start');
    const url = chain.proxy.url;
    chain.lanes.push(
      new TrafficLane(url, 200, budgetCall('growth')).start(),
      new TrafficLane(url, 200, budgetCall('search')).start(),
      new TrafficLane(url, 200, () => ({
        model: SHORT_OF_TOKENS,
        stream: false,
        reply: {
          headers: { 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '50000' },
        },
      })).start(),
      new TrafficLane(url, 200, () => ({ model: QUIET, stream: false, reply: {}, labels: { team: 'search' } })).start(),
      new TrafficLane(url, 500, () => ({
        model: SLOW,
        stream: false,
        reply: { firstChunkDelayMs: 31_000 },
        timeoutMs: 45_000,
      })).start(),
    );
    // All at once, so that the share jumps from 0 to 120 % between two scrapes.
    const adsStatuses = await Promise.all(Array.from({ length: 12 }, () => sendCall(url, budgetCall('ads')())));
    expect(adsStatuses).toEqual(Array(12).fill(200));

    // The slow calls end 31 s after the first one started; the rest fires within seconds.
    await chain.waitForNotifications(expected, 75_000);

    const slackMessages = chain.slack.requests.map((request) => request.json as SlackMessage);
    const slackFor = (title: string) => slackMessages.find((message) => message.attachments?.[0]?.title === title);
    expect(slackFor('[FIRING:1] LLMBudgetHalfSpent team ads')).toMatchObject({
      channel: '#llm-info',
      attachments: [{ color: '#439FE0' }],
    });
    expect(slackFor('[FIRING:1] LLMBudgetExhausted team ads')).toMatchObject({
      channel: '#llm-alerts',
      attachments: [{ color: 'warning' }],
    });
    expect(slackFor('[FIRING:1] LLMBudgetExhausted team ads')?.attachments?.[0]?.text).toContain(
      '*LLMBudgetExhausted* (warning) team ads\nA month LLM budget is spent\n',
    );
    expect(slackFor('[FIRING:1] LLMBudgetExhausted team ads')?.attachments?.[0]?.text).toMatch(
      /\n1[0-2]\d% of the month budget of team "ads" is spent \(llm_budget_spent_usd against llm_budget_usd\)\./,
    );
    expect(slackFor('[FIRING:1] LLMBudgetForecastOverrun team growth')?.attachments?.[0]?.text).toMatch(
      /At the pace of the last 6 hours, team "growth" will have spent \d+\.\d\d USD by the end of the month, over its budget\./,
    );
    expect(
      slackFor(`[FIRING:1] LLMRateLimitHeadroomLow ${PROVIDER}/${SHORT_OF_TOKENS}`)?.attachments?.[0]?.text,
    ).toContain(
      `${SHORT_OF_TOKENS} is close to its tokens rate limit\nOnly 5% of the tokens rate limit of ${PROVIDER}/${SHORT_OF_TOKENS} is left.`,
    );
    expect(slackFor(`[FIRING:1] LLMHighLatencyP95 ${PROVIDER}/${SLOW}`)?.attachments?.[0]?.text).toContain(
      `p95 duration of successful calls to ${PROVIDER}/${SLOW} is 39.94s over the last 5 minutes.`,
    );

    const mails = await chain.smtp.messages();
    const mail = mails.find((m) => m.subject === '[FIRING:1] LLMBudgetForecastOverrun team growth');
    expect(mail?.headers.to).toBe(ONCALL_MAIL);
    expect(mail?.text).toContain('LLMBudgetForecastOverrun (warning) team growth\n');
    expect(mail?.html).toContain('<b>LLMBudgetForecastOverrun</b> (warning, firing) team growth');

    const hook = chain.webhook.requests
      .map((request) => request.json as WebhookMessage)
      .find((message) => message.commonLabels?.alertname === 'LLMRateLimitHeadroomLow');
    expect(hook).toMatchObject({
      receiver: 'llmeter-oncall',
      status: 'firing',
      alerts: [
        {
          labels: {
            alertname: 'LLMRateLimitHeadroomLow',
            severity: 'warning',
            provider: PROVIDER,
            model: SHORT_OF_TOKENS,
            resource: 'tokens',
          },
        },
      ],
    });

    // What Prometheus measured: the budgets exactly, and the quiet team and model never even pending.
    const spent = await chain.query('budget:llm_budget_spent_usd:sum{team="ads"}');
    expect(spent).toHaveLength(1);
    expect(spent[0]?.value).toBeCloseTo(0.0012, 12);
    const ratio = await chain.query('budget:llm_budget_spent:ratio{team="growth"}');
    expect(ratio[0]?.value).toBeGreaterThan(0);
    expect(ratio[0]?.value).toBeLessThan(0.5);
    expect(await chain.query('count_over_time(ALERTS{team="search"}[5m])')).toEqual([]);
    expect(await chain.query(`count_over_time(ALERTS{model="${QUIET}"}[5m])`)).toEqual([]);
    expect(
      await chain.query('count_over_time(ALERTS{team="growth",alertname!="LLMBudgetForecastOverrun"}[5m])'),
    ).toEqual([]);

    // Each alert once, at each receiver of its route; nothing else (no unpriced model, no other share).
    expect(await chain.notifications()).toEqual([...expected].sort(byKey));
    for (const lane of chain.lanes) expect(lane.counts.transportErrors).toEqual([]);
  }, 90_000);
});
