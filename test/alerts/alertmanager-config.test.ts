import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULE_FILES, run } from '../deploy/tools.js';
import { ALERTMANAGER_CONFIG, ALERTMANAGER_DIR, testAlertmanagerConfig } from './test-copies.js';

// Debian's prometheus-alertmanager package installs amtool beside the server.
const AMTOOL = '/usr/bin/amtool';
const TEMPLATES = join(ALERTMANAGER_DIR, 'templates', '*.tmpl');

/** Where each severity of the shipped rules goes (the header table of alertmanager.yml). */
const RECEIVER_BY_SEVERITY: Record<string, string> = {
  critical: 'llmeter-oncall',
  warning: 'llmeter-oncall',
  info: 'llmeter-info',
};

/** Renders `text` (a Go template using the shipped templates) for Alertmanager's notification data `data`. */
async function render(data: object, text: string, type: 'text' | 'html' = 'text'): Promise<string> {
  const file = join(scratch, `data-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(data));
  const result = await run(AMTOOL, [
    'template',
    'render',
    `--template.glob=${TEMPLATES}`,
    `--template.data=${file}`,
    `--template.type=${type}`,
    `--template.text=${text}`,
  ]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** Alertmanager's template data for one alert (https://pkg.go.dev/github.com/prometheus/alertmanager/template#Data). */
function notificationData(status: 'firing' | 'resolved', labels: Record<string, string>, description: string) {
  const alert = {
    status,
    labels,
    annotations: { summary: `summary of ${labels.alertname}`, description },
    startsAt: '2025-03-04T10:00:00Z',
    endsAt: status === 'resolved' ? '2025-03-04T10:20:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
    fingerprint: '0123456789abcdef',
  };
  return {
    receiver: 'llmeter-oncall',
    status,
    alerts: [alert],
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://alertmanager.example.com',
  };
}

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'llmeter-amtool-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('deploy/alertmanager', () => {
  it('alertmanager.yml passes amtool check-config, templates included', async () => {
    // From elsewhere: the templates glob must resolve from the config file's directory.
    const result = await run(AMTOOL, ['check-config', ALERTMANAGER_CONFIG], { cwd: '/' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`Checking '${ALERTMANAGER_CONFIG}'  SUCCESS`);
    expect(result.stdout).toContain(' - 2 receivers\n - 1 templates\n  SUCCESS');
  });

  it('the test copy the delivery test runs passes amtool check-config too', async () => {
    const copy = join(scratch, 'alertmanager.yml');
    await writeFile(
      copy,
      await testAlertmanagerConfig({
        slackUrl: 'http://127.0.0.1:1',
        webhookUrl: 'http://127.0.0.1:2',
        smtp: '127.0.0.1:3',
      }),
    );
    const result = await run(AMTOOL, ['check-config', copy]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('routes every severity the alert rules use to its receivers', async () => {
    const rules = parse(await readFile(RULE_FILES[1], 'utf8')) as {
      groups: { rules: { alert: string; labels?: { severity?: string } }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.length).toBeGreaterThan(0);
    for (const { alert, labels } of alerts) {
      const severity = labels?.severity ?? '';
      const receiver = RECEIVER_BY_SEVERITY[severity];
      expect(receiver, `${alert}: severity "${severity}" has no route`).toBeDefined();
      const result = await run(AMTOOL, [
        'config',
        'routes',
        'test',
        `--config.file=${ALERTMANAGER_CONFIG}`,
        `--verify.receivers=${receiver}`,
        `alertname=${alert}`,
        `severity=${severity}`,
        'provider=openai',
        'model=gpt-4o-mini',
      ]);
      expect(result.stdout.trim(), alert).toBe(receiver);
      expect(result.code, alert).toBe(0);
    }
    // A critical copy of a rule (deploy/README.md) pages the same people.
    const critical = await run(AMTOOL, [
      'config',
      'routes',
      'test',
      `--config.file=${ALERTMANAGER_CONFIG}`,
      'alertname=LLMHighErrorRatio',
      'severity=critical',
    ]);
    expect(critical.stdout.trim()).toBe('llmeter-oncall');
  });

  it('the title names the alert, provider/model and team when the alert has them', async () => {
    const labels = {
      alertname: 'LLMTeamSpend',
      severity: 'warning',
      provider: 'openai',
      model: 'gpt-4o-mini',
      team: 'ads',
    };
    expect(await render(notificationData('firing', labels, 'd'), '{{ template "llmeter.title" . }}')).toBe(
      '[FIRING:1] LLMTeamSpend openai/gpt-4o-mini team ads',
    );
    expect(await render(notificationData('resolved', labels, 'd'), '{{ template "llmeter.title" . }}')).toBe(
      '[RESOLVED] LLMTeamSpend openai/gpt-4o-mini team ads',
    );
    // The budget alert sums every model away: only its name.
    const budget = { alertname: 'LLMSpendOverBudget', severity: 'warning' };
    expect(await render(notificationData('firing', budget, 'd'), '{{ template "llmeter.title" . }}')).toBe(
      '[FIRING:1] LLMSpendOverBudget',
    );
  });

  it('Slack and e-mail bodies carry the labels and the measured value of the description', async () => {
    const description = '12.5% of calls to openai/gpt-4o-mini failed over the last 5 minutes.';
    const labels = {
      alertname: 'LLMHighErrorRatio',
      severity: 'warning',
      provider: 'openai',
      model: 'gpt-4o-mini',
      team: 'ads',
    };
    const firing = notificationData('firing', labels, description);
    expect(await render(firing, '{{ template "llmeter.slack.text" . }}')).toBe(
      '*LLMHighErrorRatio* (warning) model gpt-4o-mini, provider openai, team ads\n' +
        'summary of LLMHighErrorRatio\n' +
        `${description}\n` +
        '<http://prometheus.example.com/graph?g0.expr=x|Graph in Prometheus>\n',
    );
    expect(await render(firing, '{{ template "llmeter.slack.color" . }}')).toBe('warning');
    expect(await render(firing, '{{ template "llmeter.email.text" . }}')).toBe(
      'Firing:\n\n' +
        'LLMHighErrorRatio (warning) model gpt-4o-mini, provider openai, team ads\n' +
        'summary of LLMHighErrorRatio\n' +
        `${description}\n` +
        'Since: 2025-03-04 10:00:00 UTC\n' +
        'Graph: http://prometheus.example.com/graph?g0.expr=x\n\n' +
        'Alertmanager: http://alertmanager.example.com\n',
    );
    const html = await render(firing, '{{ template "llmeter.email.html" . }}', 'html');
    expect(html).toContain('<h2>[FIRING:1] LLMHighErrorRatio openai/gpt-4o-mini team ads</h2>');
    expect(html).toContain(`<p>${description}</p>`);

    const resolved = notificationData('resolved', labels, description);
    expect(await render(resolved, '{{ template "llmeter.slack.color" . }}')).toBe('good');
    expect(await render(resolved, '{{ template "llmeter.email.text" . }}')).toContain(
      `Resolved:\n\nLLMHighErrorRatio (warning) model gpt-4o-mini, provider openai, team ads\n` +
        `summary of LLMHighErrorRatio\nResolved. Last measured: ${description}\n` +
        'Since: 2025-03-04 10:00:00 UTC, until 2025-03-04 10:20:00 UTC\n',
    );
  });
});
