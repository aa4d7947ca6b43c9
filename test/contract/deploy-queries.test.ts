import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkDeployFiles,
  checkMarkdownQueries,
  type DeployFiles,
  ROOT,
  readDeployFiles,
} from './deploy-references.js';

// Every metric and label name the Grafana dashboard, the Prometheus rules and their promtool tests use must be
// defined by the metric contract (packages/core/src/metric-contract.ts), by the recording rules, or be a user,
// target or standard-metric label listed in contract-references.ts. A rename on either side fails here, before
// a dashboard goes blank in production.

let files: DeployFiles;

beforeAll(async () => {
  files = await readDeployFiles();
});

/** `files` with one replacement made in one file (which must contain `from`). */
function edited(file: string, from: string | RegExp, to: string): DeployFiles {
  const text = files.get(file) ?? '';
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`${file} does not contain ${String(from)}`);
  return new Map([...files, [file, changed]]);
}

const GRAFANA = 'deploy/grafana/llmeter.json';
const RECORDING = 'deploy/prometheus/llmeter-recording-rules.yml';
const ALERTS = 'deploy/prometheus/llmeter-alert-rules.yml';
const ALERT_TESTS = 'deploy/prometheus/tests/llmeter-alert-rules.test.yml';
const RECORDING_TESTS = 'deploy/prometheus/tests/llmeter-recording-rules.test.yml';

describe('deploy/ queries against the metric contract', () => {
  it('reads every query: rules, promtool tests, dashboard panels and variables', () => {
    expect([...files.keys()]).toEqual([RECORDING, ALERTS, ALERT_TESTS, RECORDING_TESTS, GRAFANA]);
    const { queries } = checkDeployFiles(files);
    for (const [file, text] of files) {
      if (file.endsWith('.json')) continue;
      // Every `expr:` and `series:` line a plain count finds was read as a query.
      const lines = text.match(/^\s*(?:- )?(?:expr|series):/gm)?.length ?? 0;
      expect(queries.get(file), file).toBe(lines);
    }
    const dashboard = JSON.parse(files.get(GRAFANA) ?? '') as { panels: { targets?: unknown[] }[] };
    const targets = dashboard.panels.reduce((sum, panel) => sum + (panel.targets?.length ?? 0), 0);
    // Panel targets plus the provider, model and operation variables.
    expect(queries.get(GRAFANA)).toBe(targets + 3);
  });

  it('use only metric names and labels the contract (or a recording rule) defines', () => {
    expect(checkDeployFiles(files).problems).toEqual([]);
  });

  it('the README’s example queries do too', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const { problems, queries } = checkMarkdownQueries(readme, 'README.md');
    expect(queries.get('README.md')).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });
});

describe('the check itself finds a drift', () => {
  it('a metric name the contract does not define, in the dashboard', () => {
    const { problems } = checkDeployFiles(edited(GRAFANA, /llm_tokens_total/g, 'llm_token_total'));
    expect(problems).toEqual([
      `${GRAFANA} panel 5 "Tokens per second by type" A: metric "llm_token_total" is not defined by the contract nor by a recording rule`,
    ]);
  });

  it('a label that is not on the metric, in a matcher, a by clause or a legend', () => {
    expect(
      checkDeployFiles(edited(GRAFANA, 'sum by (type) (rate(llm_tokens_total', 'sum by (kind) (rate(llm_tokens_total'))
        .problems,
    ).toEqual([
      `${GRAFANA} panel 5 "Tokens per second by type" A: sum by (kind): "kind" is not a label of the series it applies to`,
      `${GRAFANA} panel 5 "Tokens per second by type" A: prints label "type", which the query's result does not have`,
    ]);
    expect(
      checkDeployFiles(
        edited(RECORDING, 'rate(llm_requests_total{status="error"}', 'rate(llm_requests_total{state="error"}'),
      ).problems,
    ).toEqual([`${RECORDING}:19 (model:llm_request_error_ratio:rate5m): label "state" is not on llm_requests_total`]);
  });

  it('a label value outside the contract’s fixed list', () => {
    const { problems } = checkDeployFiles(edited(RECORDING, '{status="ok"}', '{status="success"}'));
    expect(problems).toEqual([
      `${RECORDING}:31 (model:llm_request_duration_seconds:p95_5m): status="success" is not a value of the contract (ok, error)`,
    ]);
  });

  it('a label a recording rule sums away, used on its series by an alert', () => {
    const { problems } = checkDeployFiles(
      edited(
        RECORDING,
        'sum by (provider, model) (rate(llm_requests_total[5m]))\n',
        'sum by (provider) (rate(llm_requests_total[5m]))\n',
      ),
    );
    expect(problems).toEqual([
      `${ALERTS}:24 (LLMHighErrorRatio): on (right side) (model): "model" is not a label of the series it applies to`,
      `${ALERTS}:115 (LLMRateLimitHeadroomLow): on (right side) (model): "model" is not a label of the series it applies to`,
      `${RECORDING_TESTS}:28: expected sample has label "model", which the query's result does not`,
      `${RECORDING_TESTS}:30: expected sample has label "model", which the query's result does not`,
    ]);
  });

  it('an input series of a promtool test without a label llmeter always exposes', () => {
    const { problems } = checkDeployFiles(
      edited(RECORDING_TESTS, ',operation="chat",team="support",status="ok"}', ',team="support",status="ok"}'),
    );
    expect(problems).toEqual([
      `${RECORDING_TESTS}:19: input series llm_requests_total lacks the contract's label "operation"`,
    ]);
  });
});
