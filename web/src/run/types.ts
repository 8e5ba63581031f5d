// API shapes used by the run detail (docs/api.md: GET /api/runs/{id}, /outline, /content).
import type { Failure, Run, Tokens } from '../api';

export interface StepEvent {
  name: string;
  time: string | null;
  time_unix_nano: string | null;
  attributes: Record<string, unknown> | string;
  body: unknown;
}

export interface ContentInfo {
  name: string;
  bytes: number;
  parts: number;
}

export interface Step {
  seq: number;
  step_id: string;
  parent_id: string;
  name: string;
  type: string;
  agent: string;
  start_time: string | null;
  start_unix_nano: string | null;
  end_time: string | null;
  end_unix_nano: string | null;
  duration_ms: number | null;
  offset_ms: number;
  status: string;
  status_message: string;
  model: string;
  provider: string;
  tool_name: string;
  finish_reason: string;
  tokens: Tokens;
  cost_usd: number;
  cost_explicit: boolean;
  attempt: number;
  retry_of: string;
  handoff_to: string;
  handoff_from: string;
  linked_steps: string[];
  attributes: Record<string, unknown> | string;
  events: StepEvent[];
  failure: Failure | null;
  content: ContentInfo[];
}

export interface AgentRow {
  name: string;
  step_count: number;
  llm_count: number;
  tool_count: number;
  error_count: number;
  tokens: Tokens;
  cost_usd: number;
  first_start_time: string | null;
}

export interface AgentMessage {
  from_agent: string;
  to_agent: string;
  kind: string;
  step_id: string;
  time: string | null;
  time_unix_nano: string | null;
}

/** A triage classification of the run (GET /api/runs/{id} `annotations`). */
export interface Annotation {
  rubric_name: string;
  rubric_version: string;
  mode_id: string;
  severity: string;
  verdict: 'positive' | 'negative' | 'error';
  confidence: number;
  evidence_step_ids: string[];
  excerpt: string;
  detector: string;
  error: string;
}

export interface RunDetailDoc {
  run: Run;
  steps: Step[];
  total_steps: number;
  offset: number;
  limit: number;
  agents?: AgentRow[];
  messages?: AgentMessage[];
  failures?: Failure[];
  annotations?: Annotation[];
}

/** GET /api/runs/{id}/outline: parallel arrays in execution order (seq = array index). */
export interface OutlineDoc {
  run_id: string;
  total_steps: number;
  start_unix_nano: string;
  names: string[];
  types: string[];
  agents: string[];
  statuses: string[];
  step_id: string[];
  parent: number[];
  name: number[];
  type: number[];
  agent: number[];
  status: number[];
  failed: number[];
  attempt: number[];
  retry_of: number[];
  start_us: number[];
  duration_us: number[];
}

export interface ContentField {
  name: string;
  mime: string;
  is_list: boolean;
  value: unknown;
}

export interface ContentDoc {
  run_id: string;
  step_id: string;
  content: ContentField[];
}
