import {
  type BusControlMessage,
  type BusMessage,
  type BusSubscription,
  decodeControl,
  encodeControl,
  type RelayBus,
} from './relay-bus.js';
import { RelayError, RelayErrorCode } from './relay-error.js';

/**
 * The relay's side of the bus: JSON control messages, its own messages ignored, and every bus
 * failure reported instead of thrown into socket handling.
 */
export class BusControl {
  readonly #bus: RelayBus;
  readonly #nodeId: string;
  readonly #reportError: (error: RelayError) => void;

  constructor(bus: RelayBus, nodeId: string, reportError: (error: RelayError) => void) {
    this.#bus = bus;
    this.#nodeId = nodeId;
    this.#reportError = reportError;
  }

  publish(subject: string, control: BusControlMessage): void {
    try {
      this.#bus.publish(subject, encodeControl(control));
    } catch (cause) {
      this.#reportError(
        new RelayError(RelayErrorCode.BusFailed, `publishing to ${subject} failed`, { cause }),
      );
    }
  }

  /**
   * Subscribes to control messages from other nodes (own and foreign/unparseable ones are
   * skipped). Undefined when the bus refused the subscription (reported).
   */
  subscribe(
    subject: string,
    handler: (control: BusControlMessage, message: BusMessage) => void,
  ): BusSubscription | undefined {
    try {
      return this.#bus.subscribe(subject, (message) => {
        try {
          const control = decodeControl(message.data);
          if (control === undefined || control.nodeId === this.#nodeId) return;
          handler(control, message);
        } catch (cause) {
          this.#reportError(
            new RelayError(RelayErrorCode.BusFailed, `handling ${subject} failed`, { cause }),
          );
        }
      });
    } catch (cause) {
      this.#reportError(
        new RelayError(RelayErrorCode.BusFailed, `subscribing to ${subject} failed`, { cause }),
      );
      return undefined;
    }
  }

  /**
   * Answers requests on `subject` (which carry no body; any node may ask, this one included)
   * with what `answer` returns, or not at all when it returns undefined.
   */
  answer(subject: string, answer: () => BusControlMessage | undefined): BusSubscription | undefined {
    try {
      return this.#bus.subscribe(subject, (message) => {
        try {
          const reply = answer();
          if (reply !== undefined) message.respond?.(encodeControl(reply));
        } catch (cause) {
          this.#reportError(
            new RelayError(RelayErrorCode.BusFailed, `answering ${subject} failed`, { cause }),
          );
        }
      });
    } catch (cause) {
      this.#reportError(
        new RelayError(RelayErrorCode.BusFailed, `subscribing to ${subject} failed`, { cause }),
      );
      return undefined;
    }
  }

  /** The node id that answered on `subject`, or undefined when nobody did in time. */
  async ask(subject: string, timeoutMs: number): Promise<string | undefined> {
    try {
      const answer = await this.#bus.request(subject, new Uint8Array(0), { timeoutMs });
      const control = decodeControl(answer.data);
      return control?.op === 'located' ? control.nodeId : undefined;
    } catch (error) {
      if (error instanceof RelayError && error.code === RelayErrorCode.BusTimeout) return undefined;
      throw new RelayError(RelayErrorCode.BusFailed, `asking ${subject} failed`, { cause: error });
    }
  }
}
