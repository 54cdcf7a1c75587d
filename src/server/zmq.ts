/**
 * Publish every document of the server's document bus on 0MQ in the framing bluesky's
 * `RemoteDispatcher` reads: one single-part message per document,
 * `prefix + b' ' + name + b' ' + serialized(doc)`, here with JSON as the serializer (a consumer
 * passes `deserializer=json.loads`). The prefix may be empty (the message then starts with the
 * space) and never contains a space, since the consumer splits the message at the first two.
 *
 * By default the publisher binds a PUB socket on 127.0.0.1 (a `RemoteDispatcher` connects to it
 * directly); with `connect` it instead connects to the input port of a running bluesky 0MQ proxy
 * (`bluesky-0MQ-proxy`), as bluesky's own `Publisher` does. 0MQ PUB sockets drop messages to a
 * subscriber that is not connected yet (a late subscriber sees documents from when it joined).
 * @module
 */
import { Publisher } from 'zeromq';
import { InvalidInputError, toError } from '../core/errors.js';
import type { AnyDocument, DocumentName } from '../core/documents/types.js';

/** What the publisher needs of the server's document bus (`DocumentBus` satisfies it). */
export interface DocumentSource {
  /** Receive every document published from now on; return a function that unsubscribes. */
  subscribe(fn: (name: DocumentName, doc: AnyDocument) => void): () => void;
}

/** Options of {@link startZmqPublisher}. */
export interface ZmqPublisherOptions {
  /** TCP port to bind; 0 picks a free one (read it from the result). Ignored with `connect`. */
  port?: number;
  /** Address to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Connect to a bluesky 0MQ proxy's input instead of binding, e.g. `tcp://127.0.0.1:5577`. */
  connect?: string;
  /** The bus whose documents are published. */
  bus: DocumentSource;
  /** bluesky's prefix: lets one consumer pick one publisher; bytes without a space. Default empty. */
  prefix?: string;
  /** Messages queued per subscriber before 0MQ drops (ZMQ_SNDHWM). Default 100 000. */
  highWaterMark?: number;
}

/** A running 0MQ document publisher. */
export interface ZmqPublisher {
  /** The endpoint bound or connected, e.g. `tcp://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** The bound TCP port (the proxy's port with `connect`). */
  readonly port: number;
  /** Documents handed to 0MQ so far. */
  readonly sent: number;
  /** Stop publishing: unsubscribe from the bus, flush what is queued (bounded to 2 s), close the socket. */
  close(): Promise<void>;
}

/** Encode one document in bluesky's 0MQ framing with a JSON serializer. */
export function encodeZmqDocument(prefix: string, name: DocumentName, doc: AnyDocument): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), Buffer.from(` ${name} `, 'utf8'), Buffer.from(JSON.stringify(doc), 'utf8')]);
}

/** Start publishing the bus's documents on 0MQ; resolves once the socket is bound or connecting. */
export async function startZmqPublisher(options: ZmqPublisherOptions): Promise<ZmqPublisher> {
  const prefix = options.prefix ?? '';
  if (prefix.includes(' ')) throw new InvalidInputError({ what: '0MQ prefix', value: prefix, reason: "may not contain a space (bluesky's consumers split on it)" });
  const port = options.port ?? 0;
  if (!options.connect && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidInputError({ what: '0MQ port', value: options.port, reason: 'expected a whole number 0..65535' });
  }
  const sock = new Publisher({ sendHighWaterMark: options.highWaterMark ?? 100_000, linger: 2000 });
  let endpoint: string;
  try {
    if (options.connect) {
      if (!/^tcp:\/\/[^/]+:\d+$/.test(options.connect)) throw new InvalidInputError({ what: '0MQ proxy address', value: options.connect, reason: 'expected tcp://HOST:PORT' });
      sock.connect(options.connect);
      endpoint = options.connect;
    } else {
      const host = options.host ?? '127.0.0.1';
      const h = host.includes(':') ? `[${host}]` : host;
      if (host.includes(':')) sock.ipv6 = true;
      await sock.bind(`tcp://${h}:${port === 0 ? '*' : port}`);
      endpoint = sock.lastEndpoint ?? `tcp://${h}:${port}`;
    }
  } catch (e) {
    sock.close();
    throw toError(e);
  }
  const boundPort = Number(/:(\d+)$/.exec(endpoint)?.[1] ?? port);

  // zeromq v6 allows one send in flight per socket: documents are queued and sent in order.
  const queue: Buffer[] = [];
  let sending: Promise<void> | undefined;
  let sent = 0;
  let closed = false;
  const pump = async (): Promise<void> => {
    while (queue.length > 0 && !closed) {
      const msg = queue.shift()!;
      try {
        await sock.send(msg);
        sent++;
      } catch (e) {
        if (!closed) console.error('labrig serve: 0MQ send failed:', toError(e).message);
      }
    }
    sending = undefined;
  };
  const unsubscribe = options.bus.subscribe((name, doc) => {
    if (closed) return;
    queue.push(encodeZmqDocument(prefix, name, doc));
    sending ??= pump();
  });
  return {
    endpoint,
    port: boundPort,
    get sent() {
      return sent;
    },
    async close() {
      if (closed) return;
      unsubscribe();
      if (sending) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([sending, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
        clearTimeout(timer);
      }
      closed = true;
      sock.close();
    },
  };
}
