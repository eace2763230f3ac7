/** Slider range of the generation rate, transactions per second (log scale). */
export const MIN_TPS = 10;
export const MAX_TPS = 2_000_000;
const LOG_MIN = Math.log10(MIN_TPS);
const LOG_MAX = Math.log10(MAX_TPS);
export const STEPS = 1000;

/** Slider position (0..STEPS) <-> rate, rounded to 2 significant digits so the values read well. */
export function tpsAt(position: number): number {
  const raw = 10 ** (LOG_MIN + (position / STEPS) * (LOG_MAX - LOG_MIN));
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  return Math.round(raw / magnitude) * magnitude;
}
export function positionOf(tps: number): number {
  const clamped = Math.min(MAX_TPS, Math.max(MIN_TPS, tps));
  return Math.round(((Math.log10(clamped) - LOG_MIN) / (LOG_MAX - LOG_MIN)) * STEPS);
}

