import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fetchArtifacts } from '../../deploy/local/stack/fetchArtifacts.js';
import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import type { ConnectionConfig } from '../../operators/index.js';

/** One transactional id as the transaction coordinator reports it. */
export interface TransactionState {
  readonly transactionalId: string;
  readonly producerId: string;
  /** Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence. */
  readonly state: string;
}

export interface TransactionsReport {
  /** Every transactional id of the application the coordinators know. */
  readonly transactions: readonly TransactionState[];
  /** Those whose transaction has begun and not completed. */
  readonly open: readonly TransactionState[];
}

/** Coordinator states of a transaction that has not finished (Kafka's TransactionState). */
const openStates = new Set(['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence']);

/**
 * Asks the transaction coordinators, through Apache Kafka's own `kafka-transactions.sh list`
 * (`org.apache.kafka.tools.TransactionsCommand`, run from the jars the local stack runs on), for
 * the state of every transactional id that starts with `<applicationId>-` (the job's ids are
 * `<applicationId>-<taskId>`). A transaction that is Ongoing or being completed after the job
 * stopped is one the job left open.
 */
export async function applicationTransactions(
  connection: ConnectionConfig,
  applicationId: string,
): Promise<TransactionsReport> {
  const libs = fetchArtifacts('kafka', stackSettingsFromEnv().cacheDir);
  const configDir = mkdtempSync(join(tmpdir(), 'chaos-txn-'));
  try {
    const configFile = join(configDir, 'admin.properties');
    writeFileSync(configFile, adminProperties(connection, configDir));
    const output = await runJava([
      '-cp',
      join(libs, '*'),
      'org.apache.kafka.tools.TransactionsCommand',
      '--bootstrap-server',
      connection.brokers.join(','),
      '--command-config',
      configFile,
      'list',
      '--transactional-id-pattern',
      `${escapeRegExp(applicationId)}-.*`,
    ]);
    const transactions = parseList(output);
    return {
      transactions,
      open: transactions.filter((transaction) => openStates.has(transaction.state)),
    };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** Parses the tab-separated table `list` prints (header first). */
export function parseList(output: string): TransactionState[] {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split('\t').map((cell) => cell.trim());
  const column = (name: string): number => header.indexOf(name);
  const id = column('TransactionalId');
  const producer = column('ProducerId');
  const state = column('TransactionState');
  if (id < 0 || state < 0) {
    throw new Error(`TransactionsCommand list printed no table:\n${output}`);
  }
  return lines.slice(1).map((line) => {
    const cells = line.split('\t').map((cell) => cell.trim());
    return {
      transactionalId: cells[id] ?? '',
      producerId: cells[producer] ?? '',
      state: cells[state] ?? '',
    };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Admin client properties for the connection: plaintext on the local stack; SASL and TLS as the
 * REELSTREAM_* variables set them (a TLS CA is written next to the file as PEM).
 */
function adminProperties(connection: ConnectionConfig, dir: string): string {
  const lines: string[] = [];
  const { sasl, tls } = connection;
  lines.push(
    `security.protocol=${sasl === undefined ? '' : 'SASL_'}${tls === undefined ? 'PLAINTEXT' : 'SSL'}`,
  );
  if (sasl !== undefined) {
    const module =
      sasl.mechanism === 'plain'
        ? 'org.apache.kafka.common.security.plain.PlainLoginModule'
        : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    lines.push(`sasl.mechanism=${sasl.mechanism.toUpperCase()}`);
    lines.push(
      `sasl.jaas.config=${module} required username=${JSON.stringify(sasl.username)} ` +
        `password=${JSON.stringify(sasl.password)};`,
    );
  }
  if (tls?.ca !== undefined) {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, tls.ca);
    lines.push('ssl.truststore.type=PEM', `ssl.truststore.location=${caFile}`);
  }
  if (tls !== undefined && !tls.rejectUnauthorized) {
    lines.push('ssl.endpoint.identification.algorithm=');
  }
  return `${lines.join('\n')}\n`;
}

function runJava(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) {
        resolve(stdout);
      } else {
        reject(new Error(`TransactionsCommand exited ${String(code)}: ${stderr.trim()}`));
      }
    });
  });
}
