import type { RecordedRequest } from '../support/http-recorder.js';
import type { MailMessage } from '../support/mail-message.js';

/** One notification, whatever carried it, reduced to what the test compares. */
export interface Notification {
  via: 'slack' | 'email' | 'webhook';
  /** Alertmanager receiver (Slack, webhook: from the test URL path) or e-mail recipient. */
  to: string;
  status: 'firing' | 'resolved';
  alertname: string;
  /** `provider/model`, or '' for an alert without a model. */
  target: string;
}

/** `[FIRING:1] LLMHighErrorRatio openai/gpt-4o-mini`: the title the shipped template gives Slack and e-mail. */
const TITLE = /^\[(FIRING|RESOLVED)(?::\d+)?\] (\S+)(?: (\S+\/\S+))?/;

/** The Slack message Alertmanager posts (only the fields the test reads). */
export interface SlackMessage {
  channel?: string;
  username?: string;
  attachments?: { title?: string; text?: string; color?: string; fallback?: string }[];
}

/** Alertmanager's webhook payload, version 4 (only the fields the test reads). */
export interface WebhookMessage {
  version?: string;
  receiver?: string;
  status?: string;
  groupLabels?: Record<string, string>;
  commonLabels?: Record<string, string>;
  alerts?: { status?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

export function fromSlack(request: RecordedRequest): Notification {
  const message = request.json as SlackMessage;
  return fromTitle('slack', receiverOf(request, '/slack/'), message.attachments?.[0]?.title ?? '');
}

export function fromEmail(message: MailMessage): Notification {
  return fromTitle('email', message.headers.to ?? '', message.subject);
}

export function fromWebhook(request: RecordedRequest): Notification {
  const message = request.json as WebhookMessage;
  const labels = message.commonLabels ?? {};
  return {
    via: 'webhook',
    to: receiverOf(request, '/webhook/'),
    status: message.status === 'resolved' ? 'resolved' : 'firing',
    alertname: labels.alertname ?? '',
    target: labels.model === undefined ? '' : `${labels.provider}/${labels.model}`,
  };
}

/** A stable order, so that lists of notifications compare as sets. */
export function byKey(a: Notification, b: Notification): number {
  const key = (n: Notification) => [n.via, n.to, n.alertname, n.target, n.status].join(' ');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

function fromTitle(via: Notification['via'], to: string, title: string): Notification {
  const match = TITLE.exec(title);
  return {
    via,
    to,
    status: match?.[1] === 'RESOLVED' ? 'resolved' : 'firing',
    alertname: match?.[2] ?? `unparsed title: ${title}`,
    target: match?.[3] ?? '',
  };
}

function receiverOf(request: RecordedRequest, prefix: string): string {
  return request.url.startsWith(prefix) ? request.url.slice(prefix.length) : `unexpected path ${request.url}`;
}
