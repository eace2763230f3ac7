/** The stats object of ARCHITECTURE.md as the server sends it (with the additive fields this dashboard reads). */
export interface Stats {
  running: boolean;
  uptimeS: number;
  source: {
    kind: string;
    targetTps: number;
    state: string;
    error?: string;
    injected?: number;
    pendingInjected?: number;
  };
  counts: {
    ingested: number;
    decided: number;
    approved: number;
    review: number;
    declined: number;
    rejected: number;
    inFlight: number;
  };
  throughput: { ingestTps: number; decideTps: number };
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  quality: {
    labelled: number;
    precision: number;
    recall: number;
    fpr: number;
    scores?: { bins: number; fraud: number[]; legit: number[]; all: number[] };
  };
  queue: { depth: number; capacity: number };
  workers: { count: number };
  labels?: number;
  batches?: { dispatched: number; meanSize: number };
  thresholds?: { review: number; decline: number };
  batchesInFlight?: number;
}

export type DecisionName = 'APPROVE' | 'REVIEW' | 'DECLINE';

/** One decision of the live feed or the alert list; card and terminal arrive masked. */
export interface DecisionEvent {
  id: string;
  cardRef: string;
  terminalRef: string;
  amount: number;
  timestampMs: number;
  score: number;
  decision: DecisionName;
  reasons: string[];
  latencyUs: number;
  modelVersion: string;
}

export interface HelloMessage {
  type: 'hello';
  stats: Stats;
}

export interface UpdateMessage {
  type: 'update';
  stats: Stats;
  feed: DecisionEvent[];
  alerts: DecisionEvent[];
  alertsOmitted: number;
}
