import type { BusMessage, BusRequestOptions, BusSubscription, RelayBus } from './relay-bus.js';
import { RelayError, RelayErrorCode } from './relay-error.js';

export interface InProcessBusOptions {
  /**
   * Called when a subscriber throws. Default: `process.emitWarning(error)` — never silent.
   */
  onError?: (error: RelayError) => void;
}

type Handler = (message: BusMessage) => void;

/**
 * The single-process bus: every relay created with the same instance behaves as one node of a
 * cluster. Delivery is asynchronous (a microtask per message, in publish order), like a
 * network bus, and the data bytes are handed over by reference, never copied.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): RelayBus {
  const onError =
    options.onError ??
    ((error: RelayError) => {
      process.emitWarning(error);
    });
  const subjects = new Map<string, Set<Handler>>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new RelayError(RelayErrorCode.Closed, 'the bus is closed');
  };

  const deliver = (handlers: Handler[], message: BusMessage): void => {
    queueMicrotask(() => {
      for (const handler of handlers) {
        try {
          handler(message);
        } catch (cause) {
          onError(
            new RelayError(RelayErrorCode.BusFailed, `a subscriber of ${message.subject} threw`, { cause }),
          );
        }
      }
    });
  };

  return {
    publish(subject, data, headers = {}) {
      assertOpen();
      const set = subjects.get(subject);
      if (set === undefined || set.size === 0) return;
      deliver([...set], { subject, data, headers });
    },

    subscribe(subject, handler): BusSubscription {
      assertOpen();
      let set = subjects.get(subject);
      if (set === undefined) {
        set = new Set();
        subjects.set(subject, set);
      }
      // Wrap so that the same function may subscribe twice and unsubscribe once.
      const entry: Handler = (message) => handler(message);
      set.add(entry);
      return {
        unsubscribe() {
          const current = subjects.get(subject);
          if (current === undefined) return;
          current.delete(entry);
          if (current.size === 0) subjects.delete(subject);
        },
      };
    },

    request(subject, data, requestOptions: BusRequestOptions): Promise<BusMessage> {
      assertOpen();
      const set = subjects.get(subject);
      if (set === undefined || set.size === 0) {
        return Promise.reject(new RelayError(RelayErrorCode.BusTimeout, `no responders on ${subject}`));
      }
      return new Promise<BusMessage>((resolve, reject) => {
        let settled = false;
        const timer = setTimeout(() => {
          settled = true;
          reject(
            new RelayError(
              RelayErrorCode.BusTimeout,
              `no answer on ${subject} in ${requestOptions.timeoutMs} ms`,
            ),
          );
        }, requestOptions.timeoutMs);
        const respond = (answer: Uint8Array, answerHeaders: Readonly<Record<string, string>> = {}): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ subject, data: answer, headers: answerHeaders });
        };
        deliver([...set], { subject, data, headers: requestOptions.headers ?? {}, respond });
      });
    },

    close() {
      closed = true;
      subjects.clear();
      return Promise.resolve();
    },
  };
}
