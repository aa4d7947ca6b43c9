import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import type { SchemaModel } from './unknown-fields.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const KUBERNETES_DIR = join(ROOT, 'deploy/kubernetes');
/** The proxy's config file, which kustomize turns into a ConfigMap. */
export const CONFIG_FILE = 'llmeter.yaml';
export const KUSTOMIZATION_FILE = 'kustomization.yaml';

/** A model class of kubernetes-models: built from a manifest's data, it validates it against its schema. */
type ModelClass<M extends SchemaModel> = new (data: never) => M;

/** The kinds deploy/kubernetes/ may hold, by `apiVersion/kind`. */
const MODELS: Readonly<Record<string, ModelClass<SchemaModel>>> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
};

/** One Kubernetes object, as its file holds it. */
export interface Manifest {
  /** Where it comes from: a file name, or `kustomization.yaml configMapGenerator[0]`. */
  source: string;
  kind: string;
  name: string;
  data: Record<string, unknown>;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function manifest(source: string, data: unknown): Manifest {
  if (!isMapping(data)) throw new Error(`${source}: not a mapping`);
  const metadata = isMapping(data.metadata) ? data.metadata : {};
  return { source, kind: String(data.kind), name: String(metadata.name), data };
}

/** The schema model of `manifest`, by its apiVersion and kind; throws for a kind this test does not know. */
export function modelOf(manifest: Manifest): SchemaModel {
  const Model = MODELS[`${String(manifest.data.apiVersion)}/${manifest.kind}`];
  if (Model === undefined) {
    throw new Error(`${manifest.source}: no schema for ${String(manifest.data.apiVersion)} ${manifest.kind}`);
  }
  return new Model(manifest.data as never);
}

/** The YAML files of deploy/kubernetes/ that hold Kubernetes objects (not the kustomization, not the config). */
export function manifestFiles(): string[] {
  return readdirSync(KUBERNETES_DIR)
    .filter((file) => /\.ya?ml$/.test(file) && file !== KUSTOMIZATION_FILE && file !== CONFIG_FILE)
    .sort();
}

/** Every object of every manifest file, each file's documents in order. */
export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(join(KUBERNETES_DIR, file), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.join('; ')}`);
      return manifest(file, document.toJS());
    }),
  );
}

/** The fields of kustomization.yaml the tests read. */
export interface Kustomization {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: {
    name?: string;
    files?: string[];
    options?: { labels?: Record<string, string>; disableNameSuffixHash?: boolean };
  }[];
  images?: { name?: string; newName?: string; newTag?: string }[];
}

export function loadKustomization(): Kustomization {
  // Shape checked field by field by the tests that read it.
  return parse(readFileSync(join(KUBERNETES_DIR, KUSTOMIZATION_FILE), 'utf8')) as Kustomization;
}

/**
 * The ConfigMaps kustomize generates, as it writes them before adding the hash suffix: the name, the generator's
 * labels, and one data key per file (its base name), holding the file's text.
 */
export function generatedConfigMaps(kustomization: Kustomization): Manifest[] {
  return (kustomization.configMapGenerator ?? []).map((generator, index) => {
    const data: Record<string, string> = {};
    for (const file of generator.files ?? []) {
      const [key, path] = file.includes('=') ? file.split('=', 2) : [file, file];
      data[key ?? file] = readFileSync(join(KUBERNETES_DIR, path ?? file), 'utf8');
    }
    return manifest(`${KUSTOMIZATION_FILE} configMapGenerator[${index}]`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: generator.name, labels: generator.options?.labels },
      data,
    });
  });
}

/** The one object of `kind` among `manifests`, as its typed model. */
export function only<M extends SchemaModel>(manifests: readonly Manifest[], kind: string, Model: ModelClass<M>): M {
  const found = manifests.filter((item) => item.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return new Model(found[0]?.data as never);
}
