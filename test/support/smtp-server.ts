import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../deploy/tools.js';
import { type MailMessage, parseMailMessage } from './mail-message.js';
import { startServerProcess } from './server-process.js';

/** A real SMTP server that keeps every message it accepts. */
export interface SmtpServer {
  readonly host: string;
  readonly port: number;
  /** Every message accepted so far, parsed, oldest first. */
  messages(): Promise<MailMessage[]>;
  log(): string;
  /** Stops it and deletes the mailbox. */
  stop(): Promise<void>;
}

/**
 * Starts aiosmtpd (Debian's `python3-aiosmtpd`) on a free loopback port with its `Mailbox` handler, which stores
 * each accepted message in a Maildir. Plain SMTP: no TLS, no AUTH. Debian's own python3 runs it, not whatever
 * python3 comes first on the PATH (a pyenv one does not have the package).
 */
export async function startSmtpServer(python = '/usr/bin/python3'): Promise<SmtpServer> {
  const dir = await mkdtemp(join(tmpdir(), 'llmeter-smtp-'));
  const maildir = join(dir, 'maildir');
  const host = '127.0.0.1';
  const port = await freeLoopbackPort();
  try {
    const server = await startServerProcess({
      name: 'aiosmtpd',
      command: python,
      args: ['-m', 'aiosmtpd', '-n', '-l', `${host}:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir],
      isReady: () => greets(host, port),
    });
    const messages = async (): Promise<MailMessage[]> => {
      // Maildir delivers into tmp/ and renames into new/, so a file in new/ is always complete.
      const names = await readdir(join(maildir, 'new')).catch(() => []);
      // Maildir names start with the delivery time in seconds; sort by it, then by the rest.
      const texts = await Promise.all(names.sort().map((name) => readFile(join(maildir, 'new', name), 'utf8')));
      return texts.map(parseMailMessage);
    };
    return {
      host,
      port,
      messages,
      log: server.log,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** True once the server sends its `220` greeting; then says QUIT so that it logs no dropped connection. */
function greets(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('data', (data) => {
      const ready = data.toString().startsWith('220');
      socket.end('QUIT\r\n');
      done(ready);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(false));
  });
}
