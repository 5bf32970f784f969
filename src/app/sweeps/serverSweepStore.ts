import { create } from 'zustand';
import type { ServerSweepSummary } from './serverSweepState';

/** The Sweeps tab's view of the GPU server: its sweeps, and how the last "Run on server" went. */
export interface ServerSweepsState {
  /** Remembered here and listed by the server, newest first. */
  list: ServerSweepSummary[];
  /** A spec is being sent. */
  submitting: boolean;
  /** Why the last send failed, naming the problem (cleared by the next send). */
  submitError: string | null;
  setList(list: ServerSweepSummary[]): void;
  setSubmit(submitting: boolean, submitError: string | null): void;
}

export const useServerSweeps = create<ServerSweepsState>()((set) => ({
  list: [],
  submitting: false,
  submitError: null,
  setList(list) {
    set({ list });
  },
  setSubmit(submitting, submitError) {
    set({ submitting, submitError });
  },
}));
