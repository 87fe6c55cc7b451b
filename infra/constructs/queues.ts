/**
 * The SQS queues, each with its own dead-letter queue. All queues are encrypted (SQS-managed
 * keys, no KMS cost) and refuse requests that are not over TLS.
 *
 * Visibility timeouts follow the Lambda guidance for SQS event sources (at least the function
 * timeout, more when invocations may be throttled and retried); the interruption queue is the
 * exception, because its messages only live 300 s.
 */
import { Duration } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** How long a dead letter is kept for someone to look at it. */
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface QueueWithDeadLetters {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

export interface QueueSettings {
  readonly retentionPeriod: Duration;
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/** A queue and its dead-letter queue, both encrypted and TLS-only. */
export function queueWithDeadLetters(scope: Construct, id: string, settings: QueueSettings): QueueWithDeadLetters {
  const deadLetterQueue = new sqs.Queue(scope, `${id}DeadLetters`, {
    retentionPeriod: DEAD_LETTER_RETENTION,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const queue = new sqs.Queue(scope, id, {
    retentionPeriod: settings.retentionPeriod,
    visibilityTimeout: settings.visibilityTimeout,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

export interface TenonQueuesProps {
  /** Timeouts of the consuming functions; each queue's visibility timeout is derived from them. */
  readonly provisionerTimeout: Duration;
  readonly interruptionTimeout: Duration;
  readonly consolidatorTimeout: Duration;
}

export class TenonQueues extends Construct {
  /** Delayed "batch window closes" messages from the batcher to the provisioner. */
  readonly provisioner: QueueWithDeadLetters;
  /** EC2 and Health events from the interruption rules. */
  readonly interruption: QueueWithDeadLetters;
  /**
   * Delayed "disruption wake" messages to the consolidator, from itself (every 15 s while a
   * command is in flight) and from the drift checker: work goes on between ticks, and an idle
   * cluster sends none.
   */
  readonly disruption: QueueWithDeadLetters;

  constructor(scope: Construct, id: string, props: TenonQueuesProps) {
    super(scope, id);
    this.provisioner = queueWithDeadLetters(this, "Provisioner", {
      // A batch older than an hour is stale: the provisioner's scheduled tick has long seen those pods.
      retentionPeriod: Duration.hours(1),
      // Six times the function timeout, as Lambda recommends for SQS sources that can be throttled.
      visibilityTimeout: Duration.seconds(props.provisionerTimeout.toSeconds() * 6),
      // At least 5, so throttled deliveries do not send good messages to the dead-letter queue.
      maxReceiveCount: 5,
    });
    this.interruption = queueWithDeadLetters(this, "Interruption", {
      // A Spot warning gives two minutes; after five minutes a notice is only history.
      retentionPeriod: Duration.seconds(300),
      // Short enough that a failed message is retried twice inside its 300 s life.
      visibilityTimeout: Duration.seconds(Math.max(30, props.interruptionTimeout.toSeconds() * 3)),
      maxReceiveCount: 3,
    });
    this.disruption = queueWithDeadLetters(this, "Disruption", {
      // A wake-up older than an hour is meaningless: the consolidator has ticked sixty times since.
      retentionPeriod: Duration.hours(1),
      visibilityTimeout: Duration.seconds(props.consolidatorTimeout.toSeconds() * 6),
      maxReceiveCount: 5,
    });
  }
}
