import type { PageData } from './page-data.js';

interface Choice {
  value: string;
  label: string;
}

/** Sets (or, when empty, removes) a query parameter of the page's URL without reloading: the filter lives there. */
export function setQueryParam(name: string, value: string): void {
  const params = new URLSearchParams(window.location.search);
  if (value) params.set(name, value);
  else params.delete(name);
  const search = params.toString();
  window.history.replaceState(null, '', search ? `?${search}` : window.location.pathname);
}

function fillSelect(select: HTMLSelectElement, choices: readonly Choice[], selected: string): void {
  // Rebuilt only when the choices change, so an open select is not closed under the user at each refresh.
  const wanted = ['', ...choices.map((choice) => choice.value)].join('\n');
  if (select.dataset.options !== wanted) {
    select.textContent = '';
    const all = document.createElement('option');
    all.value = '';
    all.textContent = 'all';
    select.appendChild(all);
    for (const choice of choices) {
      const option = document.createElement('option');
      option.value = choice.value;
      option.textContent = choice.label;
      select.appendChild(option);
    }
    select.dataset.options = wanted;
  }
  select.value = selected;
}

const same = (value: string): Choice => ({ value, label: value });

/**
 * Fills the provider and model selects, and one select per user label (created on first sight; `onLabelChange`
 * runs when one changes), from the values the data offers and the filter in the page's URL.
 */
export function renderFilters(
  data: PageData,
  elements: { provider: HTMLSelectElement; model: HTMLSelectElement; labels: HTMLElement },
  onLabelChange: () => void,
): void {
  const params = new URLSearchParams(window.location.search);
  const provider = params.get('provider') ?? '';
  fillSelect(elements.provider, data.filters.providers.map(same), provider);
  const models = new Set<string>();
  for (const model of data.filters.models) if (!provider || model.provider === provider) models.add(model.model);
  fillSelect(elements.model, [...models].map(same), params.get('model') ?? '');
  for (const [name, values] of Object.entries(data.filters.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let select = elements.labels.querySelector<HTMLSelectElement>(`select[data-label="${CSS.escape(name)}"]`);
    if (!select) {
      const label = document.createElement('label');
      label.textContent = `${name} `;
      const created = document.createElement('select');
      created.dataset.label = name;
      created.addEventListener('change', () => {
        setQueryParam(`label.${name}`, created.value);
        onLabelChange();
      });
      label.appendChild(created);
      elements.labels.appendChild(label);
      select = created;
    }
    fillSelect(select, values.map(same), params.get(`label.${name}`) ?? '');
  }
}
