/**
 * Calling a worker: {@link WorkerRpc} turns requests into promises; {@link LatestOnly} keeps at
 * most one request in flight and one waiting, so a burst of edits costs one run for the newest.
 */

/** What the app needs of a Worker; tests pass an in-process stand-in. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror?: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

interface Envelope<T> {
  callId: number;
  body: T;
}

/** Promise-based calls to a worker that answers `{callId, body}` with `{callId, body | error}`. */
export class WorkerRpc<Request, Response> {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: Response) => void; reject: (e: Error) => void }
  >();
  private worker: WorkerLike | undefined;
  /** When the last answer arrived (`performance.now()`), to time what the page does with it. */
  lastAnswerAt = 0;

  constructor(private readonly createWorker: () => WorkerLike) {}

  call(body: Request, transfer: Transferable[] = []): Promise<Response> {
    const worker = this.ensureWorker();
    const callId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(callId, { resolve, reject });
      worker.postMessage({ callId, body } satisfies Envelope<Request>, transfer);
    });
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = undefined;
    for (const { reject } of this.waiting.values()) reject(new Error('worker stopped'));
    this.waiting.clear();
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<{ callId: number; body?: Response; error?: string }>) => {
      this.lastAnswerAt = performance.now();
      const pending = this.waiting.get(event.data.callId);
      if (!pending) return;
      this.waiting.delete(event.data.callId);
      if (event.data.error !== undefined) pending.reject(new Error(event.data.error));
      else pending.resolve(event.data.body as Response);
    };
    worker.onerror = (event: ErrorEvent) => {
      const error = new Error(event.message || 'the worker failed to start');
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
      this.worker = undefined;
    };
    this.worker = worker;
    return worker;
  }
}

/** Serves a worker's side of {@link WorkerRpc}: each request's answer, or its error message. */
export function serveRpc<Request, Response>(
  handle: (request: Request) => Response | Promise<Response>,
  transferOf: (response: Response) => Transferable[] = () => [],
): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<Envelope<Request>>) => void) | null;
    postMessage: (message: unknown, transfer?: Transferable[]) => void;
  };
  scope.onmessage = async (event) => {
    const { callId, body } = event.data;
    try {
      const response = await handle(body);
      scope.postMessage({ callId, body: response }, transferOf(response));
    } catch (error) {
      scope.postMessage({ callId, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

/**
 * Runs `call` for the newest request only: while one runs, later requests replace each other and
 * the last one runs next. Answers to superseded requests are still delivered, marked stale.
 */
export class LatestOnly<Request, Response> {
  private running = false;
  private waiting: Request | undefined;

  constructor(
    private readonly call: (request: Request) => Promise<Response>,
    private readonly deliver: (response: Response, stale: boolean) => void,
    private readonly fail: (error: Error) => void = () => {},
  ) {}

  request(request: Request): void {
    if (this.running) {
      this.waiting = request;
      return;
    }
    this.run(request);
  }

  private run(request: Request): void {
    this.running = true;
    this.call(request)
      .then((response) => this.deliver(response, this.waiting !== undefined))
      .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.running = false;
        const next = this.waiting;
        this.waiting = undefined;
        if (next !== undefined) this.run(next);
      });
  }
}
