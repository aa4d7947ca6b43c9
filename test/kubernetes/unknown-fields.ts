/** A kubernetes-models model: its `validate()` runs the schema's validator on `this`. */
export interface SchemaModel {
  validate(): void;
}

/** What the validator did with one mapping of the manifest. */
interface Visit {
  path: string;
  keys: readonly string[];
  /** Keys the validator looked up (present or not): the properties its schema names. */
  looked: Set<string>;
  /** The validator listed the keys: a map whose keys are free (labels, resource quantities, ConfigMap data). */
  listed: boolean;
}

/**
 * The fields of `data` that its schema does not name, as paths (`.spec.template.spec.containers[0].readinesProbe`):
 * what `kubectl apply` rejects under its default strict field validation, and what schema validation alone
 * lets through (Kubernetes' OpenAPI schemas do not forbid extra properties).
 *
 * It runs the model's own validator on a copy of `data` that records which keys the validator reads: a validator
 * generated from a schema looks up every property the schema names, and lists the keys of a free-form map. A key
 * of a mapping whose schema it read that it never looked up is unknown. Call it on data that `validate()` passed.
 * @example
 * ```ts
 * expect(unknownFields(new Deployment(data), data)).toEqual([]);
 * ```
 */
export function unknownFields(model: SchemaModel, data: unknown): string[] {
  const visits: Visit[] = [];
  model.validate.call(recording(data, '', visits));
  return visits
    .filter((visit) => !visit.listed && visit.looked.size > 0)
    .flatMap((visit) => visit.keys.filter((key) => !visit.looked.has(key)).map((key) => `${visit.path}.${key}`));
}

function recording(value: unknown, path: string, visits: Visit[]): unknown {
  if (Array.isArray(value)) return value.map((item, index) => recording(item, `${path}[${index}]`, visits));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const visit: Visit = { path, keys: entries.map(([key]) => key), looked: new Set(), listed: false };
  visits.push(visit);
  const copy = Object.fromEntries(entries.map(([key, item]) => [key, recording(item, `${path}.${key}`, visits)]));
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') visit.looked.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') visit.looked.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      visit.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}
