/**
 * Pod-unschedulable signals, from the two ways they reach the batcher:
 *  - the EKS audit log through a CloudWatch Logs subscription: `awslogs.data` is base64 of gzip of
 *    JSON; each log event's message is one audit event. kube-scheduler's `pods/status` patch that
 *    sets PodScheduled=False with reason Unschedulable is the signal (core Events are not audited).
 *    The subscription filter is broad (any scheduler status patch), so the condition is checked here,
 *    wherever it sits in the array.
 *  - forwarded events on EventBridge (`source: tenon.kubernetes`, `detail-type: Pod Unschedulable`).
 * Never throws: a payload that can't be read comes back rejected with a reason. Bounded: the
 * audit payload is inflated to at most MAX_AUDIT_PAYLOAD_BYTES, reasons cut to MAX_REASON_CHARS.
 */
import { gunzipSync } from "node:zlib";
import { CloudWatchLogsDecodeSchema } from "@aws-lambda-powertools/parser/schemas/cloudwatch";
import { z } from "zod";

/**
 * The most `awslogs.data` may inflate to. CloudWatch Logs delivers at most about 1 MB of log
 * events per call, so 8 MiB leaves room for the JSON around them and still stops a gzip bomb
 * (a 239 KB event inflated to 180 MB) long before it fills a 256 MB function.
 */
export const MAX_AUDIT_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** Reasons and problems are cut to this many characters: a malformed megabyte must not be logged whole. */
export const MAX_REASON_CHARS = 500;

export function truncated(text: string, max = MAX_REASON_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

export interface PodRef {
  namespace: string;
  name: string;
}

export type SignalParse =
  | {
      ok: true;
      /** Unique pods that became unschedulable. */
      pods: PodRef[];
      /** Log events or entries that were valid but not a signal (other patches, other users). */
      ignored: number;
      /** Entries inside an otherwise good payload that could not be read, with the reason. */
      malformed: string[];
      /** A CONTROL_MESSAGE (CloudWatch checking the destination): nothing to do. */
      control: boolean;
    }
  | { ok: false; reason: string };

const SCHEDULER_USER = "system:kube-scheduler";

const auditEventSchema = z.object({
  verb: z.string(),
  user: z.object({ username: z.string().optional() }).optional(),
  objectRef: z
    .object({ resource: z.string().optional(), subresource: z.string().optional(), namespace: z.string().optional(), name: z.string().optional() })
    .optional(),
  responseStatus: z.object({ code: z.number().optional() }).optional(),
  requestObject: z.unknown().optional(),
});

const conditionSchema = z.object({ type: z.string().optional(), status: z.string().optional(), reason: z.string().optional() });

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** The pod whose status this audit event marks Unschedulable, or undefined when it is something else. */
export function unschedulablePodIn(auditEvent: unknown): PodRef | undefined {
  const parsed = auditEventSchema.safeParse(auditEvent);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const ref = e.objectRef;
  if (ref?.resource !== "pods" || ref.subresource !== "status" || !ref.name) return undefined;
  if (e.verb !== "patch" && e.verb !== "update") return undefined;
  if (e.user?.username !== undefined && e.user.username !== SCHEDULER_USER) return undefined;
  if (e.responseStatus?.code !== undefined && (e.responseStatus.code < 200 || e.responseStatus.code >= 300)) return undefined;
  const status = (e.requestObject as { status?: { conditions?: unknown } } | undefined)?.status;
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  const unschedulable = conditions.some((c) => {
    const cond = conditionSchema.safeParse(c);
    return cond.success && cond.data.type === "PodScheduled" && cond.data.status === "False" && cond.data.reason === "Unschedulable";
  });
  return unschedulable ? { namespace: ref.namespace || "default", name: ref.name } : undefined;
}

function unique(pods: PodRef[]): PodRef[] {
  const seen = new Map<string, PodRef>();
  for (const p of pods) seen.set(`${p.namespace}/${p.name}`, p);
  return [...seen.values()];
}

const awslogsEnvelopeSchema = z.object({ awslogs: z.object({ data: z.string() }) });

/** base64 of gzip of JSON, inflated to at most MAX_AUDIT_PAYLOAD_BYTES. */
function decodeAwslogsData(data: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = gunzipSync(Buffer.from(data, "base64"), { maxOutputLength: MAX_AUDIT_PAYLOAD_BYTES }).toString("utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      return { ok: false, reason: `awslogs.data inflates to more than ${MAX_AUDIT_PAYLOAD_BYTES} bytes (${data.length} base64 characters): refused` };
    }
    return { ok: false, reason: `awslogs.data is not base64 of gzip: ${(error as Error).message}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "awslogs.data is not JSON once inflated" };
  }
}

/** Reads a CloudWatch Logs subscription event (`{ awslogs: { data } }`). */
export function parseAuditLogPayload(event: unknown): SignalParse {
  const envelope = awslogsEnvelopeSchema.safeParse(event);
  if (!envelope.success) return { ok: false, reason: `not a CloudWatch Logs subscription payload: ${issues(envelope.error)}` };
  const decoded = decodeAwslogsData(envelope.data.awslogs.data);
  if (!decoded.ok) return { ok: false, reason: `not a CloudWatch Logs subscription payload: ${decoded.reason}` };
  const parsed = CloudWatchLogsDecodeSchema.safeParse(decoded.value);
  if (!parsed.success) return { ok: false, reason: `not a CloudWatch Logs subscription payload: ${issues(parsed.error)}` };
  const data = parsed.data;
  if (data.messageType === "CONTROL_MESSAGE") return { ok: true, pods: [], ignored: data.logEvents.length, malformed: [], control: true };
  if (data.messageType !== "DATA_MESSAGE") return { ok: false, reason: `messageType "${data.messageType}" is neither DATA_MESSAGE nor CONTROL_MESSAGE` };
  const pods: PodRef[] = [];
  const malformed: string[] = [];
  let ignored = 0;
  for (const logEvent of data.logEvents) {
    let audit: unknown;
    try {
      audit = JSON.parse(logEvent.message);
    } catch {
      malformed.push(truncated(`log event ${logEvent.id}: message is not JSON`));
      continue;
    }
    const pod = unschedulablePodIn(audit);
    if (pod) pods.push(pod);
    else ignored++;
  }
  return { ok: true, pods: unique(pods), ignored, malformed, control: false };
}

const podRefSchema = z.object({ namespace: z.string().min(1).default("default"), name: z.string().min(1) });

/** `detail` of a forwarded event: one pod (`namespace`, `name`) or several (`pods`). */
export const forwardedDetailSchema = z.union([
  z.object({ cluster: z.string().min(1), pods: z.array(podRefSchema).min(1) }),
  z.object({ cluster: z.string().min(1), namespace: z.string().min(1).default("default"), name: z.string().min(1) }),
]);

export const FORWARDED_SOURCE = "tenon.kubernetes";
export const FORWARDED_DETAIL_TYPE = "Pod Unschedulable";

const forwardedEnvelopeSchema = z.object({
  source: z.literal(FORWARDED_SOURCE),
  "detail-type": z.literal(FORWARDED_DETAIL_TYPE),
  detail: z.unknown(),
});

/** Reads a forwarded EventBridge event; one for another cluster is valid and ignored. */
export function parseForwardedEvent(event: unknown, clusterName: string): SignalParse {
  const envelope = forwardedEnvelopeSchema.safeParse(event);
  if (!envelope.success) return { ok: false, reason: `not a forwarded pod event: ${issues(envelope.error)}` };
  const detail = forwardedDetailSchema.safeParse(envelope.data.detail);
  if (!detail.success) return { ok: false, reason: `detail: ${issues(detail.error)}` };
  const d = detail.data;
  if (d.cluster !== clusterName) return { ok: true, pods: [], ignored: 1, malformed: [], control: false };
  const pods = "pods" in d ? d.pods : [{ namespace: d.namespace, name: d.name }];
  return { ok: true, pods: unique(pods), ignored: 0, malformed: [], control: false };
}

/** Either kind of batcher event, told apart by shape. A reason is at most MAX_REASON_CHARS long. */
export function parseBatcherEvent(event: unknown, clusterName: string): SignalParse {
  const parsed = parseEitherEvent(event, clusterName);
  return parsed.ok ? parsed : { ok: false, reason: truncated(parsed.reason) };
}

function parseEitherEvent(event: unknown, clusterName: string): SignalParse {
  if (typeof event === "object" && event !== null && "awslogs" in event) return parseAuditLogPayload(event);
  if (typeof event === "object" && event !== null && "detail-type" in event) return parseForwardedEvent(event, clusterName);
  return { ok: false, reason: "neither a CloudWatch Logs subscription payload (awslogs) nor an EventBridge event (detail-type)" };
}
