// How the explorer talks to Twinning: every document is a trusted one,
// sent by its SHA-256 alone (APQ's extension), with its text only if the
// server does not know the hash; subscriptions go over graphql-ws on the
// same /graphql, sending the exact trusted text.
import { createClient, type Client } from "graphql-ws";
import { documents } from "./generated/documents";

export type DocumentName = keyof typeof documents;

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

interface Response<T> {
  data?: T | null;
  errors?: GraphQLError[];
}

export class ApiError extends Error {}

async function post<T>(name: DocumentName, variables: object, withText: boolean, signal?: AbortSignal) {
  const { hash, text } = documents[name];
  const body: Record<string, unknown> = {
    operationName: name,
    variables,
    extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
  };
  if (withText) body.query = text;
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return (await res.json()) as Response<T>;
}

/** Runs one of the explorer's queries; throws ApiError with the server's words. */
export async function query<T>(name: DocumentName, variables: object = {}, signal?: AbortSignal): Promise<T> {
  let response = await post<T>(name, variables, false, signal);
  if (response.errors?.some((e) => e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND")) {
    response = await post<T>(name, variables, true, signal);
  }
  if (response.errors?.length) throw new ApiError(response.errors.map((e) => e.message).join("; "));
  if (!response.data) throw new ApiError("the server answered without data");
  return response.data;
}

let client: Client | undefined;
const connectedListeners = new Set<() => void>();
// A subscriber that comes while the socket is open is live at once.
let connected = false;

function wsClient(): Client {
  if (!client) {
    const url = new URL("/graphql", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    client = createClient({
      url: url.href,
      lazy: true,
      retryAttempts: 5,
      on: {
        connected: () => {
          connected = true;
          connectedListeners.forEach((l) => l());
        },
        closed: () => (connected = false),
      },
    });
  }
  return client;
}

/** Follows one of the explorer's subscriptions; returns what stops it. */
export function subscribe<T>(
  name: DocumentName,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (message: string) => void,
  onConnected: () => void = () => {},
): () => void {
  connectedListeners.add(onConnected);
  if (connected) queueMicrotask(onConnected);
  const stop = wsClient().subscribe<T>(
    { query: documents[name].text, operationName: name, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors.map((e) => e.message).join("; "));
        else if (result.data) onData(result.data as T);
      },
      error: (err) => onError(err instanceof Error ? err.message : "the live connection closed"),
      complete: () => {},
    },
  );
  return () => {
    connectedListeners.delete(onConnected);
    stop();
  };
}
