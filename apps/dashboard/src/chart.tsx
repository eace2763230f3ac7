import { createEffect, onCleanup, onMount } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesRing } from './ring';

export interface ChartSeries {
  label: string;
  stroke: string;
  /** Formats a value for the legend. */
  format?: (v: number) => string;
  /** A second y scale, drawn with its own axis on the right (e.g. a percentage next to a rate). */
  scale?: string;
}

/**
 * A uPlot time-series chart fed from a ring buffer. It redraws when `tick` changes (once per server update, 5 a
 * second), never per animation frame; the canvas follows its container's width.
 */
export function TimeChart(props: {
  title: string;
  ring: SeriesRing;
  series: ChartSeries[];
  tick: () => number;
  yLabel: string;
  log?: boolean;
  testId: string;
}) {
  let box!: HTMLDivElement;
  let plot: uPlot | undefined;
  onMount(() => {
    const extra = props.series.find((s) => s.scale !== undefined)?.scale;
    const fmt = (s: ChartSeries) => (_u: uPlot, v: number | null) => (v === null ? '–' : (s.format ?? compact)(v));
    plot = new uPlot(
      {
        width: Math.max(200, box.clientWidth),
        height: 180,
        legend: { live: false },
        cursor: { show: false },
        scales: {
          x: { time: true },
          y: props.log === true ? { distr: 3 } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
          ...(extra === undefined ? {} : { [extra]: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.1 : 1] } }),
        },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' } },
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, ticks: { stroke: '#2a3140' }, label: props.yLabel, size: 60, values: (_u, vals) => vals.map((v) => compact(v)) },
          ...(extra === undefined ? [] : [{ scale: extra, side: 1, stroke: '#9aa4b2', grid: { show: false }, size: 50, label: extra, values: (_u: uPlot, vals: number[]) => vals.map((v) => compact(v)) }]),
        ],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, value: fmt(s), points: { show: false }, ...(s.scale === undefined ? {} : { scale: s.scale }) }))],
      },
      props.ring.toArrays() as uPlot.AlignedData,
      box,
    );
    const observer = new ResizeObserver(() => plot?.setSize({ width: Math.max(200, box.clientWidth), height: 180 }));
    observer.observe(box);
    onCleanup(() => {
      observer.disconnect();
      plot?.destroy();
    });
  });
  createEffect(() => {
    props.tick();
    if (plot === undefined) return;
    const data = props.ring.toArrays();
    // A log scale cannot show zeros (a stopped system): clamp them to a tiny floor.
    if (props.log === true) for (let i = 1; i < data.length; i++) data[i] = data[i]!.map((v) => (v > 0 ? v : 0.001));
    plot.setData(data as uPlot.AlignedData);
  });
  return (
    <section class="panel chart" data-testid={props.testId}>
      <h2>{props.title}</h2>
      <div ref={box} class="chart-box" />
    </section>
  );
}

/** 1234567 -> "1.23M". */
export function compact(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  if (a === 0) return '0';
  return v.toFixed(3);
}
