import { join } from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { mergeConfig, readConfigFile, resolveConfig } from '@llmeter/proxy/config';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CONFIG_FILE,
  generatedConfigMaps,
  KUBERNETES_DIR,
  loadKustomization,
  loadManifests,
  type Manifest,
  manifestFiles,
  modelOf,
  only,
} from './manifests.js';
import { type ProxyHelp, proxyHelp } from './proxy-help.js';
import { unknownFields } from './unknown-fields.js';

// deploy/kubernetes/ checked without a cluster: each object against the Kubernetes (and Prometheus Operator)
// OpenAPI schemas, unknown fields rejected as `kubectl apply` does, then what the schemas cannot say: the pieces
// fit together (labels, ports, the Secret, the config file) and match what the llmeter proxy really does.

const manifests = loadManifests();
const kustomization = loadKustomization();
const configMaps = generatedConfigMaps(kustomization);
const deployment = only(manifests, 'Deployment', Deployment);
const service = only(manifests, 'Service', Service);
const podMonitor = only(manifests, 'PodMonitor', PodMonitor);
const autoscaler = only(manifests, 'HorizontalPodAutoscaler', HorizontalPodAutoscaler);
const disruptionBudget = only(manifests, 'PodDisruptionBudget', PodDisruptionBudget);
const namespace = only(manifests, 'Namespace', Namespace);
const pod = deployment.spec?.template;
const podLabels = pod?.metadata?.labels ?? {};

function theContainer(): IContainer {
  const containers = pod?.spec?.containers ?? [];
  const [container] = containers;
  if (containers.length !== 1 || container === undefined) throw new Error('expected one container in the pod');
  return container;
}
const container = theContainer();

/** The container's flags and their values: `--host 0.0.0.0` and `--host=0.0.0.0` alike. */
function flagValues(args: readonly string[]): Map<string, string | undefined> {
  const flags = new Map<string, string | undefined>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (!arg.startsWith('--')) continue;
    const equals = arg.indexOf('=');
    if (equals !== -1) flags.set(arg.slice(0, equals), arg.slice(equals + 1));
    else if ((args[index + 1] ?? '--').startsWith('--')) flags.set(arg, undefined);
    else {
      flags.set(arg, args[index + 1]);
      index += 1;
    }
  }
  return flags;
}

/** True when every label the selector asks for is on the pod. */
function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>) {
  const wanted = Object.entries(selector ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

const containerPort = (name: string | number | undefined): number | undefined =>
  typeof name === 'number' ? name : container.ports?.find((port) => port.name === name)?.containerPort;

const env = (name: string) => container.env?.find((variable) => variable.name === name);

/** The config file the pods get, and the proxy's settings from it, as the proxy reads and merges them. */
function podConfig() {
  const layer = readConfigFile(join(KUBERNETES_DIR, CONFIG_FILE));
  return { layer, settings: mergeConfig([layer]) };
}

describe('deploy/kubernetes: every object against its schema', () => {
  test.each([...manifests, ...configMaps].map((item) => [item.source, item] as const))(
    '%s is valid and has no unknown field',
    (_source, item: Manifest) => {
      expect(() => modelOf(item).validate()).not.toThrow();
      expect(unknownFields(modelOf(item), item.data)).toEqual([]);
    },
  );

  test('the kinds a scaled-out proxy needs are all there, one file each', () => {
    expect(manifests.map((item) => [item.source, item.kind])).toEqual([
      ['deployment.yaml', 'Deployment'],
      ['horizontalpodautoscaler.yaml', 'HorizontalPodAutoscaler'],
      ['namespace.yaml', 'Namespace'],
      ['poddisruptionbudget.yaml', 'PodDisruptionBudget'],
      ['podmonitor.yaml', 'PodMonitor'],
      ['service.yaml', 'Service'],
    ]);
    expect(configMaps.map((item) => item.name)).toEqual(['llmeter-proxy-config']);
  });

  test('the schema check sees a wrong type, the unknown-field check a misspelt field, even in a CRD', () => {
    const broken = structuredClone(deployment.toJSON()) as { spec: { template: { spec: { containers: object[] } } } };
    const [first] = broken.spec.template.spec.containers;
    broken.spec.template.spec.containers[0] = { ...first, readinesProbe: { httpGet: { path: '/healthz' } } };
    expect(unknownFields(new Deployment(broken as never), broken)).toEqual([
      '.spec.template.spec.containers[0].readinesProbe',
    ]);
    const wrongType = { ...(deployment.toJSON() as object), spec: { ...deployment.spec, replicas: '3' } };
    expect(() => new Deployment(wrongType as never).validate()).toThrow('data/spec/replicas must be integer');

    const monitor = structuredClone(podMonitor.toJSON()) as { spec: Record<string, unknown> };
    monitor.spec.podMetricEndpoints = monitor.spec.podMetricsEndpoints;
    expect(unknownFields(new PodMonitor(monitor as never), monitor)).toEqual(['.spec.podMetricEndpoints']);
  });
});

describe('deploy/kubernetes: kustomization.yaml', () => {
  test('lists every manifest and puts them in the namespace it creates, which enforces the restricted profile', () => {
    expect([...(kustomization.resources ?? [])].sort()).toEqual(manifestFiles());
    expect(kustomization.namespace).toBe(namespace.metadata?.name);
    expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // kustomize sets the namespace; one written in a manifest would fight it.
    for (const item of manifests) expect(item.data.metadata, item.source).not.toHaveProperty('namespace');
  });

  test('generates the config ConfigMap from llmeter.yaml, with a hash suffix that rolls the pods on a change', () => {
    const [generator] = kustomization.configMapGenerator ?? [];
    expect(generator?.files).toEqual([CONFIG_FILE]);
    expect(generator?.options?.disableNameSuffixHash).toBeUndefined();
    const volume = pod?.spec?.volumes?.find((item) => item.configMap !== undefined);
    expect(volume?.configMap?.name).toBe(generator?.name);
  });

  test('sets the image the Deployment names', () => {
    expect(kustomization.images?.map((image) => image.name)).toEqual([container.image]);
  });
});

describe('deploy/kubernetes: the proxy pod', () => {
  let help: ProxyHelp;
  beforeAll(async () => {
    help = await proxyHelp();
  });

  test('llmeter.yaml is a valid proxy config, without the listening address or the token', () => {
    const { layer, settings } = podConfig();
    expect(Object.fromEntries(Object.entries(settings.upstreams))).toEqual({
      openai: 'https://api.openai.com',
      anthropic: 'https://api.anthropic.com',
    });
    expect(settings.labelHeaders).toEqual(['team', 'feature']);
    expect(settings.timeouts).toEqual({ upstreamMs: 600_000, shutdownMs: 10_000 });
    const config = resolveConfig(settings);
    expect(config.cardinality).toMatchObject({ models: 200, labelValues: 50 });
    // A secret in a ConfigMap is readable by everyone who can read the namespace's ConfigMaps.
    expect(layer.settings).not.toHaveProperty('metricsToken');
    expect(layer.settings).not.toHaveProperty('host');
    expect(layer.settings).not.toHaveProperty('port');
  });

  test('the container runs `llmeter proxy` with real flags and variables only', () => {
    const args = container.args ?? [];
    expect(container.command).toBeUndefined(); // the image's entrypoint, the llmeter command
    expect(args[0]).toBe('proxy');
    const flags = flagValues(args);
    for (const flag of flags.keys()) expect(help.flags, `${flag} in llmeter proxy --help`).toContain(flag);
    for (const variable of container.env ?? []) {
      expect(help.variables, `${variable.name} in llmeter proxy --help`).toContain(variable.name);
    }
    expect(help.flags).toContain('--host'); // the reading of --help works
    expect(help.variables).toContain('LLMETER_CONFIG');
  });

  test('listens on all interfaces, on the container port that the probes, the Service and the PodMonitor use', () => {
    const flags = flagValues(container.args ?? []);
    expect(flags.get('--host')).toBe('0.0.0.0');
    const port = Number(flags.get('--port'));
    expect(container.ports?.map((item) => [item.name, item.containerPort])).toEqual([['http', port]]);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe('/healthz');
      expect(containerPort(probe?.httpGet?.port)).toBe(port);
    }
    expect(service.spec?.ports?.map((item) => [item.port, containerPort(item.targetPort)])).toEqual([[port, port]]);
    const endpoints = podMonitor.spec.podMetricsEndpoints ?? [];
    expect(endpoints.map((item) => [containerPort(item.port), item.path])).toEqual([[port, '/metrics']]);
  });

  test('reads the config file where the ConfigMap is mounted', () => {
    const volume = pod?.spec?.volumes?.find((item) => item.configMap?.name === configMaps[0]?.name);
    const mount = container.volumeMounts?.find((item) => item.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(env('LLMETER_CONFIG')?.value).toBe(`${mount?.mountPath}/${CONFIG_FILE}`);
  });

  test('takes the metrics token from the Secret that the PodMonitor authenticates with', () => {
    const fromSecret = env('LLMETER_METRICS_TOKEN')?.valueFrom?.secretKeyRef;
    expect(fromSecret).toEqual({ name: 'llmeter-metrics-token', key: 'token' }); // required, not optional
    const [endpoint] = podMonitor.spec.podMetricsEndpoints ?? [];
    expect(endpoint?.authorization?.type).toBe('Bearer');
    expect(endpoint?.authorization?.credentials).toEqual(fromSecret);
  });

  test('runs as a numeric non-root user, without privileges (the restricted Pod Security Standard)', () => {
    const effective = { ...pod?.spec?.securityContext, ...container.securityContext };
    expect(effective).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    // Service links would set LLMETER_PORT=tcp://… for a Service named llmeter: the proxy reads that variable.
    expect(pod?.spec?.enableServiceLinks).toBe(false);
    expect(pod?.spec?.hostNetwork).toBeUndefined();
  });

  test('has CPU and memory requests and limits, the CPU request being what the autoscaler measures', () => {
    expect(container.resources?.requests).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(container.resources?.limits).toEqual({ cpu: '1', memory: '512Mi' });
  });

  test('a stopping pod leaves the endpoints, then drains its calls, before the grace period ends', () => {
    const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    const shutdownSeconds = podConfig().settings.timeouts.shutdownMs / 1000;
    const grace = pod?.spec?.terminationGracePeriodSeconds ?? 30;
    expect(preStopSeconds).toBe(5);
    expect(shutdownSeconds).toBe(10);
    // The grace period counts from the start of preStop; the proxy needs a moment to exit after the budget.
    expect(grace).toBeGreaterThan(preStopSeconds + shutdownSeconds + 1);
    // A stopping proxy answers /healthz with 503: liveness must not kill it before the grace period would.
    const liveness = container.livenessProbe;
    expect((liveness?.periodSeconds ?? 10) * (liveness?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(grace);
  });
});

describe('deploy/kubernetes: replicas', () => {
  test('the Service, the PodMonitor and the disruption budget select the Deployment pods', () => {
    const matchLabels = deployment.spec?.selector.matchLabels;
    expect(selects(matchLabels, podLabels)).toBe(true);
    expect(service.spec?.selector).toEqual(matchLabels);
    expect(podMonitor.spec.selector.matchLabels).toEqual(matchLabels);
    expect(disruptionBudget.spec?.selector?.matchLabels).toEqual(matchLabels);
    expect(selects(service.spec?.selector, podLabels)).toBe(true);
  });

  test('the autoscaler owns the replica count and scales the Deployment on CPU, from two replicas', () => {
    expect(deployment.spec).not.toHaveProperty('replicas');
    expect(autoscaler.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata?.name,
    });
    expect(autoscaler.spec?.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
    ]);
    expect(autoscaler.spec?.minReplicas).toBe(2);
    expect(autoscaler.spec?.maxReplicas).toBe(10);
    // One pod may be evicted at a time, and rolling updates add before they remove: one replica always serves.
    expect(disruptionBudget.spec?.maxUnavailable).toBe(1);
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });
});
