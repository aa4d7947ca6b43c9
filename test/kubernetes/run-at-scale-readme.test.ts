import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ContractScope } from '../contract/contract-references.js';
import { parsePromql } from '../contract/promql.js';
import { promtool, RULE_FILES, recordedNames } from '../deploy/tools.js';
import { loadKustomization, loadManifests, only, ROOT } from './manifests.js';

// deploy/README.md, "6. Run at scale": its queries, its Prometheus snippets and its commands name what the
// manifests and the rules really hold.

const README = join(ROOT, 'deploy/README.md');
const manifests = loadManifests();
const deployment = only(manifests, 'Deployment', Deployment);
const service = only(manifests, 'Service', Service);
const container = deployment.spec?.template.spec?.containers[0];

async function section(): Promise<string> {
  const text = await readFile(README, 'utf8');
  const start = text.indexOf('\n## 6. Run at scale\n');
  if (start === -1) throw new Error('deploy/README.md has no "## 6. Run at scale" section');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The section's ```yaml blocks that start with `# prometheus.yml`, parsed. */
async function prometheusSnippets(): Promise<Record<string, unknown>[]> {
  const blocks = [...(await section()).matchAll(/```yaml\n# prometheus\.yml\n([\s\S]*?)```/g)];
  return blocks.map((block) => parse(block[1] ?? '') as Record<string, unknown>);
}

/** A Prometheus relabel regex as Prometheus applies it: anchored at both ends. */
const anchored = (regex: string) => new RegExp(`^(?:${regex})$`);

describe('deploy/README.md, "Run at scale"', () => {
  test('its queries use only names and labels of the contract and the recording rules', async () => {
    // The recorded series first, with the labels their rules leave, as Prometheus loads them.
    const scope = new ContractScope();
    for (const file of RULE_FILES) {
      const { groups } = parse(await readFile(file, 'utf8')) as {
        groups: { rules: { record?: string; expr: string }[] }[];
      };
      for (const rule of groups.flatMap((group) => group.rules)) {
        if (rule.record !== undefined) scope.record(rule.record, parsePromql(rule.expr), `${file} ${rule.record}`);
      }
    }
    const blocks = [...(await section()).matchAll(/```promql\n([\s\S]*?)```/g)];
    const queries = blocks.flatMap((block) => (block[1] ?? '').split('\n').filter((line) => line.trim() !== ''));
    expect(queries).toHaveLength(3);
    for (const query of queries) scope.check(parsePromql(query), query);
    expect(scope.problems).toEqual([]);
  });

  test('the remote_write snippet is valid Prometheus configuration and sends exactly the recorded series', async () => {
    const snippets = await prometheusSnippets();
    const remote = snippets.find((snippet) => 'remote_write' in snippet);
    const dir = await mkdtemp(join(tmpdir(), 'llmeter-remote-write-'));
    try {
      await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(remote));
      const checked = await promtool(['check', 'config', 'prometheus.yml'], dir);
      expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const [write] = (remote?.remote_write ?? []) as { write_relabel_configs: { regex: string; action: string }[] }[];
    expect(write?.write_relabel_configs.map((relabel) => relabel.action)).toEqual(['keep']);
    const keep = anchored(write?.write_relabel_configs[0]?.regex ?? '');
    const recorded = await recordedNames();
    expect(recorded.length).toBeGreaterThanOrEqual(8);
    // Per-replica rules (`instance:…`, the proxy's own overhead) carry the pod: they stay in the local Prometheus.
    for (const name of recorded) {
      if (name.startsWith('instance:')) expect(name, name).not.toMatch(keep);
      else expect(name, name).toMatch(keep);
    }
    for (const raw of ['llm_cost_usd_total', 'llm_requests_total', 'llm_request_duration_seconds_bucket']) {
      expect(raw).not.toMatch(keep);
    }
  });

  test('the scrape job keeps the proxy pods on their named port, with the token from the Secret', async () => {
    const snippets = await prometheusSnippets();
    const scrape = snippets.find((snippet) => 'scrape_configs' in snippet) as {
      scrape_configs: {
        kubernetes_sd_configs: { role: string; namespaces: { names: string[] } }[];
        authorization: { credentials_file: string };
        relabel_configs: { source_labels: string[]; regex?: string; action?: string }[];
      }[];
    };
    const [job] = scrape.scrape_configs;
    expect(job?.kubernetes_sd_configs).toEqual([
      { role: 'pod', namespaces: { names: [loadKustomization().namespace] } },
    ]);
    const keep = job?.relabel_configs.find((relabel) => relabel.action === 'keep');
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    const metaName = (label: string) => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9]/g, '_')}`;
    const values: Record<string, string | undefined> = {
      ...Object.fromEntries(Object.entries(labels).map(([label, value]) => [metaName(label), value])),
      __meta_kubernetes_pod_container_port_name: container?.ports?.[0]?.name,
    };
    // Prometheus joins the source labels with ";" and matches the regex against the whole.
    const joined = (keep?.source_labels ?? []).map((label) => values[label] ?? '').join(';');
    expect(joined).toMatch(anchored(keep?.regex ?? '(?!)'));
    expect(joined).toBe('llmeter;proxy;http');
    const secret = container?.env?.find((variable) => variable.name === 'LLMETER_METRICS_TOKEN')?.valueFrom;
    expect(job?.authorization.credentials_file).toBe(
      `/etc/prometheus/secrets/${secret?.secretKeyRef?.name}/${secret?.secretKeyRef?.key}`,
    );
  });

  test('its commands and URLs name the Secret, the namespace, the Service and the port of the manifests', async () => {
    const text = await section();
    const secret = container?.env?.find((variable) => variable.name === 'LLMETER_METRICS_TOKEN')?.valueFrom;
    const namespace = loadKustomization().namespace;
    expect(text).toContain(
      `kubectl -n ${namespace} create secret generic ${secret?.secretKeyRef?.name} --from-literal=${secret?.secretKeyRef?.key}=`,
    );
    const address = `${service.metadata?.name}.${namespace}.svc:${service.spec?.ports?.[0]?.port}`;
    expect(text).toContain(`OPENAI_BASE_URL=http://${address}/v1`);
    expect(text).toContain(`kubectl -n ${namespace} rollout status deployment/${deployment.metadata?.name}`);
  });
});
