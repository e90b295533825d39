/**
 * Reads Bot API call parameters the three ways clients send them: JSON,
 * urlencoded and multipart/form-data (grammY switches to multipart when a file
 * is attached), plus the query string.
 *
 * Multipart is parsed by hand because undici's `Request.formData()` rejects
 * grammY's part headers (`content-disposition:form-data;name="x"` without
 * spaces, unquoted `filename=`), which the real Bot API accepts.
 */
import type { IncomingMessage } from "node:http";

export interface UploadedFile {
  filename: string;
  contentType: string | undefined;
  bytes: Buffer;
}

export interface RequestParams {
  /** Scalar fields as sent: JSON values, or strings for form encodings. */
  fields: Record<string, unknown>;
  /** Uploaded files by form field name (grammY uses a random name referenced as attach://name). */
  files: Map<string, UploadedFile>;
}

export class BodyParseError extends Error {}

const MAX_BODY_BYTES = 60 * 1024 * 1024;

export async function readRequestParams(req: IncomingMessage, url: URL): Promise<RequestParams> {
  const body = await readBody(req);
  const fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files = new Map<string, UploadedFile>();
  if (body.length === 0) return { fields, files };

  const contentType = req.headers["content-type"] ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType === "application/json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new BodyParseError("can't parse JSON body");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new BodyParseError("JSON body must be an object");
    }
    Object.assign(fields, parsed);
  } else if (mediaType === "application/x-www-form-urlencoded") {
    Object.assign(fields, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  } else if (mediaType === "multipart/form-data") {
    const boundary = contentType.match(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
    if (!boundary) throw new BodyParseError("multipart body without boundary");
    for (const part of parseMultipart(body, boundary[1] ?? boundary[2]!)) {
      if (part.filename === undefined) fields[part.name] = part.data.toString("utf8");
      else files.set(part.name, { filename: part.filename, contentType: part.contentType, bytes: part.data });
    }
  }
  return { fields, files };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyParseError("request body too large");
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

interface Part {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

function parseMultipart(body: Buffer, boundary: string): Part[] {
  const first = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(first);
  if (pos < 0) throw new BodyParseError("multipart boundary not found");
  pos += first.length;

  const parts: Part[] = [];
  // After each delimiter: "--" closes the body, otherwise CRLF and a part follow.
  while (body.toString("latin1", pos, pos + 2) !== "--") {
    const end = body.indexOf(next, pos);
    if (end < 0) throw new BodyParseError("unterminated multipart part");
    parts.push(parsePart(body.subarray(pos + 2, end)));
    pos = end + next.length;
  }
  return parts;
}

function parsePart(raw: Buffer): Part {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd < 0) throw new BodyParseError("multipart part without headers");
  const headers = new Map<string, string>();
  for (const line of raw.toString("utf8", 0, headerEnd).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get("content-disposition") ?? "";
  const name = disposition.match(/\bname=(?:"([^"]*)"|([^;]*))/i);
  if (!name) throw new BodyParseError("multipart part without a name");
  // grammY writes `filename=` unquoted as the last parameter, so an unquoted value runs to the end.
  const filename = disposition.match(/\bfilename=(?:"([^"]*)"|(.*))/i);
  return {
    name: (name[1] ?? name[2] ?? "").trim(),
    filename: filename ? (filename[1] ?? filename[2] ?? "").trim() : undefined,
    contentType: headers.get("content-type"),
    data: raw.subarray(headerEnd + 4),
  };
}
