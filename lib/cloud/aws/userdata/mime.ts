/** MIME multipart user data, as cloud-init and nodeadm read it. Tenon writes boundary `//`. */

export const MIME_BOUNDARY = "//";

export interface MimePart {
  contentType: string;
  body: string;
}

export function isMimeDocument(text: string): boolean {
  return /^MIME-Version:/im.test(text.split(/\r?\n\r?\n/, 1)[0] ?? "");
}

export function buildMime(parts: MimePart[]): string {
  const lines = ["MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`, ""];
  for (const part of parts) {
    lines.push(`--${MIME_BOUNDARY}`, `Content-Type: ${part.contentType}`, "", part.body.replace(/\n+$/, ""));
  }
  lines.push(`--${MIME_BOUNDARY}--`, "");
  return lines.join("\n");
}

/** Splits a multipart document into its parts; throws with a reason when it is not one. */
export function parseMime(text: string): MimePart[] {
  const normalized = text.replace(/\r\n/g, "\n");
  const headerEnd = normalized.indexOf("\n\n");
  const header = headerEnd >= 0 ? normalized.slice(0, headerEnd) : normalized;
  const boundary = /boundary="?([^";\n]+)"?/i.exec(header)?.[1];
  if (!boundary) throw new Error("MIME user data has no multipart boundary");
  const parts: MimePart[] = [];
  const chunks = normalized.slice(headerEnd + 2).split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?:--)?[ \\t]*$`, "m"));
  for (const chunk of chunks.slice(1)) {
    const trimmed = chunk.replace(/^\n/, "");
    if (trimmed.trim() === "") continue;
    const split = trimmed.indexOf("\n\n");
    const partHeader = split >= 0 ? trimmed.slice(0, split) : trimmed;
    const body = split >= 0 ? trimmed.slice(split + 2) : "";
    const contentType = /^Content-Type:\s*(.+)$/im.exec(partHeader)?.[1]?.trim() ?? "text/plain";
    parts.push({ contentType, body: body.replace(/\n+$/, "") });
  }
  return parts;
}
