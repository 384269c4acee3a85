/** What `stack status` reports for one service. */
export interface ServiceStatus {
  readonly name: string;
  readonly state: 'running' | 'stopped' | 'not-answering';
  readonly pid?: number;
  /** Where clients reach it, e.g. `127.0.0.1:9092` or a URL. */
  readonly endpoint: string;
  readonly logFile: string;
}

/** One process of the local stack: how to start it, stop it and tell whether it answers. */
export interface LocalService {
  readonly name: string;
  readonly endpoint: string;
  /**
   * Starts the service if it is not running; resolves once it answers. Calls `onStarting` only
   * when it really starts a process. Returns whether it started it.
   */
  up(onStarting?: () => void): Promise<'started' | 'already-running'>;
  down(): Promise<'stopped' | 'killed' | 'not-running'>;
  status(): Promise<ServiceStatus>;
}

/** The service started but never answered, or died while starting. Carries its log tail. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly service: string;
  readonly logTail: string;

  constructor(service: string, reason: string, logTail: string) {
    super(`${service} did not start: ${reason}`);
    this.service = service;
    this.logTail = logTail;
  }
}

/** Replaces each `@NAME@` in a config template; a placeholder left without a value is an error. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const rendered = template.replace(/@([A-Z_]+)@/g, (match, name: string) => values[name] ?? match);
  const missing = /@([A-Z_]+)@/.exec(rendered);
  if (missing !== null) {
    throw new Error(`config template placeholder ${missing[0]} has no value`);
  }
  return rendered;
}
