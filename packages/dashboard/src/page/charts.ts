import type { ChartPanel, ChartUnit } from '@llmeter/dashboard';
import { type Formatter, formatCount, formatRate, formatRatio, formatSeconds, formatUsd } from './format.js';
import type { PageCharts } from './page-data.js';

// uPlot is the global of `uplot.js`, a classic script the page loads before its modules.

const PALETTE = [
  '#3b5bdb',
  '#e8590c',
  '#2f9e44',
  '#c2255c',
  '#7048e8',
  '#0c8599',
  '#e67700',
  '#5c940d',
  '#862e9c',
  '#1971c2',
  '#d6336c',
  '#087f5b',
];
const FIXED_COLORS: Readonly<Record<string, string>> = {
  total: '#1d2330',
  other: '#adb5bd',
  p50: '#2f9e44',
  p95: '#e8590c',
  p99: '#c92a2a',
};
const HEIGHT = 220;

const FORMATS: Readonly<Record<ChartUnit, Formatter>> = {
  usd: formatUsd,
  seconds: formatSeconds,
  ratio: formatRatio,
  count: formatCount,
  rate: formatRate,
};
// Axis ticks are round numbers: fewer digits than the legend's exact values, so they fit the axis.
const AXIS_FORMATS: Readonly<Record<ChartUnit, (value: number) => string>> = {
  usd: (value) => `$${Number(value.toPrecision(3))}`,
  seconds: formatSeconds,
  ratio: (value) => `${Number((value * 100).toPrecision(3))}%`,
  count: formatCount,
  rate: formatRate,
};
// Whole steps for counts: there is no half a call in flight.
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

interface DrawnChart {
  /** The line names, joined: a new set of lines needs a new plot, the same set only new data. */
  names: string;
  plot: uPlot;
}

const drawn = new Map<string, DrawnChart>();

function colorFor(name: string, index: number): string {
  return FIXED_COLORS[name] ?? PALETTE[index % PALETTE.length] ?? '#000';
}

function isUnit(unit: string | undefined): unit is ChartUnit {
  return unit !== undefined && Object.hasOwn(FORMATS, unit);
}

function isField(field: string | undefined, view: PageCharts): field is ChartPanel['field'] {
  return field !== undefined && Object.hasOwn(view, field) && Array.isArray(view[field as keyof PageCharts]);
}

/**
 * Draws one chart (a `figure.chart` whose `data-field` names its lines in the view and `data-unit` their unit)
 * with uPlot, or "no data yet". Sets the figure's `data-points` (values drawn) and `data-nonzero` (values other
 * than 0), so tests can tell it has data.
 */
export function renderChart(figure: HTMLElement, view: PageCharts): void {
  const { field, unit: unitName } = figure.dataset;
  const plotBox = figure.querySelector<HTMLElement>('.plot');
  if (!plotBox || !isField(field, view)) return;
  const unit: ChartUnit = isUnit(unitName) ? unitName : 'rate';
  const lines = view[field];
  let points = 0;
  let nonzero = 0;
  for (const line of lines) {
    for (const value of line.values) {
      if (value === null) continue;
      points += 1;
      if (value !== 0) nonzero += 1;
    }
  }
  figure.dataset.points = String(points);
  figure.dataset.nonzero = String(nonzero);
  const state = drawn.get(field);
  if (lines.length === 0 || view.timestamps.length === 0) {
    state?.plot.destroy();
    drawn.delete(field);
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'no data yet';
    plotBox.replaceChildren(empty);
    return;
  }
  const data: uPlot.AlignedData = [view.timestamps.map((t) => t ?? Number.NaN), ...lines.map((line) => line.values)];
  const names = lines.map((line) => line.name).join('|');
  if (state && state.names === names) {
    state.plot.setData(data);
    return;
  }
  state?.plot.destroy();
  plotBox.textContent = '';
  const format = FORMATS[unit];
  const axisFormat = AXIS_FORMATS[unit];
  const options: uPlot.Options = {
    width: Math.max(200, plotBox.clientWidth),
    height: HEIGHT,
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true } },
    series: [
      {},
      ...lines.map(
        (line, i): uPlot.Series => ({
          label: line.name,
          stroke: colorFor(line.name, i),
          width: line.name === 'total' ? 2.5 : 1.5,
          ...(line.name === 'total' ? { dash: [6, 4] } : {}),
          spanGaps: false,
          points: { size: 5 },
          value: (_plot, value) => format(value),
        }),
      ),
    ],
    axes: [
      {},
      {
        size: 64,
        ...(unit === 'count' ? { incrs: COUNT_STEPS } : {}),
        values: (_plot, ticks) => ticks.map(axisFormat),
      },
    ],
  };
  drawn.set(field, { names, plot: new uPlot(options, data, plotBox) });
}

/** Fits every chart to its box again (after the window was resized). */
export function resizeCharts(): void {
  for (const { plot } of drawn.values()) {
    plot.setSize({ width: Math.max(200, plot.root.parentElement?.clientWidth ?? 0), height: HEIGHT });
  }
}
